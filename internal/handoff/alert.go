package handoff

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"helpline/bot"
	"helpline/internal/store"
	"helpline/internal/store/outbox"
)

// Staff alerts follow DESIGN.md: one per conversation and kind while it is
// open (until its handoff is closed, or AlertOpen, 24 hours); the same kind
// again goes to the alert's thread with a count, no more often than
// AgainEvery; a new kind, or a concern becoming urgent, posts anew.

// alertKey holds a conversation's open alerts: a hash with, per kind,
// "<kind>:t0" (when it was raised, unix ms: the alert's generation), ":r"
// (its tier's rank), ":n" (texts of that kind since), ":ts" and ":ch"
// (where it was posted), ":p" (a thread update is on its way) and ":u"
// (when the last update was posted).
func alertKey(k bot.Key) string { return store.ConversationKey(k, "a") }

// Tiers of danger, from the engine's events; "" is urgent (when in doubt,
// alarm). A concern that becomes urgent is a new alert.
var tierRanks = map[string]int{"concern": 1, "non_acute": 2, "urgent": 3, "concern_yes": 3}

func tierRank(tier string) int {
	if r, ok := tierRanks[tier]; ok {
		return r
	}
	return tierRanks["urgent"]
}

// What raiseScript decides.
const (
	alertCounted = 0 // counted; an update already on its way will carry it
	alertNew     = 1 // post a new alert
	alertAgain   = 2 // post an update in the alert's thread, due at the time returned
)

// raiseScript counts one text of danger of kind ARGV[1] with tier rank
// ARGV[2] at ARGV[3] (unix ms); an alert stays open ARGV[4] ms and its
// thread is updated at most every ARGV[5] ms. It returns what to do and,
// for a new alert its generation, for an update when it is due.
var raiseScript = redis.NewScript(`
local f = ARGV[1] .. ':'
local rank, now, open, every = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local t0 = tonumber(redis.call('HGET', KEYS[1], f .. 't0') or '0')
local had = tonumber(redis.call('HGET', KEYS[1], f .. 'r') or '0')
if t0 == 0 or now - t0 >= open or rank > had then
  redis.call('HDEL', KEYS[1], f .. 'ts', f .. 'ch', f .. 'p', f .. 'u')
  redis.call('HSET', KEYS[1], f .. 't0', now, f .. 'r', rank, f .. 'n', 1)
  redis.call('PEXPIRE', KEYS[1], open)
  return {1, now}
end
redis.call('HINCRBY', KEYS[1], f .. 'n', 1)
if redis.call('HSETNX', KEYS[1], f .. 'p', 1) == 0 then return {0, 0} end
local last = tonumber(redis.call('HGET', KEYS[1], f .. 'u') or '0')
return {2, math.max(now, last + every)}
`)

// postedScript records where the alert of generation ARGV[2] of kind
// ARGV[1] was posted, unless a newer alert of that kind replaced it.
var postedScript = redis.NewScript(`
local f = ARGV[1] .. ':'
if redis.call('HGET', KEYS[1], f .. 't0') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], f .. 'ts', ARGV[3], f .. 'ch', ARGV[4])
return 1
`)

// updatedScript records that the thread was told of ARGV[3] texts of kind
// ARGV[1] (generation ARGV[2]) at ARGV[4]; if more came meanwhile, the next
// update stays on its way and is due ARGV[5] ms later: it returns when.
var updatedScript = redis.NewScript(`
local f = ARGV[1] .. ':'
if redis.call('HGET', KEYS[1], f .. 't0') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], f .. 'u', ARGV[4])
if redis.call('HGET', KEYS[1], f .. 'n') == ARGV[3] then
  redis.call('HDEL', KEYS[1], f .. 'p')
  return 0
end
return tonumber(ARGV[4]) + tonumber(ARGV[5])
`)

// Alert is a crisis alert as posted: what staff see.
type Alert struct {
	Key    bot.Key
	Masked string
	Kind   string
	// Tier is the engine's tier of danger ("urgent", "non_acute",
	// "concern"), shown when set.
	Tier string `json:",omitempty"`
	Lang string
	At   int64 // unix seconds
	// Opened is the alert's generation (unix ms), to record where it was
	// posted.
	Opened int64 `json:",omitempty"`
	// Direct is set on an alert posted without the store.
	Direct bool `json:",omitempty"`
}

// again is an update of an alert's thread.
type again struct {
	Key  bot.Key
	Kind string
}

// raise counts a text of danger and alerts staff as the rule above says.
// The number and language are kept for a claim of the alert.
func (s *Service) raise(ctx context.Context, key bot.Key, number, msgID, kind, tier, lang string) error {
	now := s.Now()
	a := Alert{Key: key, Masked: Mask(number), Kind: kind, Tier: tier, Lang: lang, At: now.Unix()}
	res, err := raiseScript.Run(ctx, s.rdb, []string{alertKey(key)}, kind, tierRank(tier), now.UnixMilli(),
		s.AlertOpen.Milliseconds(), s.AgainEvery.Milliseconds()).Int64Slice()
	if err != nil {
		// The store is down: staff hear of it all the same.
		s.postDirect(a, err)
		return fmt.Errorf("raise alert: %w", err)
	}
	errs := []error{
		s.keepNumber(ctx, key, number),
		// The language the danger was written in, for a claim of the alert
		// to answer the texter in it.
		s.rdb.Set(ctx, langKey(key), lang, s.Keep).Err(),
	}
	switch res[0] {
	case alertNew:
		a.Opened = res[1]
		if err := s.enqueue(ctx, fmt.Sprintf("alert:%s:%s:%s", key, kind, msgID), KindAlert, a); err != nil {
			s.postDirect(a, err)
			errs = append(errs, err)
		}
	case alertAgain:
		m, err := s.message(fmt.Sprintf("alert-again:%s:%s:%s", key, kind, msgID), KindAlertAgain, again{Key: key, Kind: kind})
		if err == nil {
			err = s.box.Defer(ctx, m, time.UnixMilli(res[1]).Sub(now))
		}
		if err != nil {
			// No update is on its way after all: let the next text send one.
			errs = append(errs, err, s.rdb.HDel(ctx, alertKey(key), kind+":p").Err())
		}
	}
	return errors.Join(errs...)
}

func (s *Service) alertChannel() string {
	if s.AlertChannel != "" {
		return s.AlertChannel
	}
	return s.IntakeChannel
}

func (s *Service) deliverAlert(ctx context.Context, slack Slack, m outbox.Message) error {
	a, err := payload[Alert](m)
	if err != nil {
		return err
	}
	channel := s.alertChannel()
	fallback, blocks := AlertBlocks(a)
	ts, err := slack.Post(ctx, channel, "", fallback, blocks)
	if err != nil || a.Opened == 0 {
		return err
	}
	// Where it is, for the texts of the same kind that follow. The alert
	// is out: a failure here costs its thread updates, not the alert.
	if err := postedScript.Run(ctx, s.rdb, []string{alertKey(a.Key)}, a.Kind, a.Opened, ts, channel).Err(); err != nil {
		s.Log.Warn("alert posted, but where was not recorded", "conv", string(a.Key), "err", err)
	}
	return nil
}

// deliverAgain tells the alert's thread how many texts of its kind came
// since the alert.
func (s *Service) deliverAgain(ctx context.Context, slack Slack, m outbox.Message) error {
	p, err := payload[again](m)
	if err != nil {
		return err
	}
	f := p.Kind + ":"
	v, err := s.rdb.HMGet(ctx, alertKey(p.Key), f+"t0", f+"ts", f+"ch", f+"n").Result()
	if err != nil {
		return err
	}
	t0, ts, channel, n := str(v[0]), str(v[1]), str(v[2]), str(v[3])
	switch {
	case t0 == "":
		return nil // closed or expired: nothing left to tell
	case ts == "":
		return outbox.Later(errors.New("alert not posted yet"), 2*time.Second)
	}
	count, _ := strconv.Atoi(n)
	now := s.Now()
	fallback, blocks := AgainBlocks(p.Kind, count, now)
	if _, err := slack.Post(ctx, channel, ts, fallback, blocks); err != nil {
		return err
	}
	due, err := updatedScript.Run(ctx, s.rdb, []string{alertKey(p.Key)}, p.Kind, t0, n, now.UnixMilli(), s.AgainEvery.Milliseconds()).Int64()
	if err != nil || due == 0 {
		return err
	}
	// More came while posting: one more update, no sooner than AgainEvery.
	next, err := s.message(fmt.Sprintf("alert-again:%s:%s:%s:%s", p.Key, p.Kind, t0, n), KindAlertAgain, p)
	if err != nil {
		return err
	}
	return s.box.Defer(ctx, next, time.UnixMilli(due).Sub(now))
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
