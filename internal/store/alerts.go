package store

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"helpline/bot"
)

// alertKey holds a conversation's open alerts: a hash with, per kind,
// "<kind>:t0" (when it was raised, unix ms: the alert's generation), ":r"
// (its tier's rank), ":n" (texts of that kind since), ":ts" and ":ch"
// (where it was posted), ":p" (a thread update is on its way) and ":u"
// (when the last update was posted).
func alertKey(k bot.Key) string { return ConversationKey(k, "a") }

// AlertAction is what RaiseAlert decides.
type AlertAction int64

// What RaiseAlert decides.
const (
	AlertCounted AlertAction = 0 // counted; an update already on its way will carry it
	AlertNew     AlertAction = 1 // post a new alert
	AlertAgain   AlertAction = 2 // post an update in the alert's thread, when due
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

// RaiseAlert counts a text of danger of kind, whose tier has rank, at now,
// in one step: an alert stays open for open, and a higher rank or a closed
// alert opens a new one; its thread is updated at most every every. It
// returns what to do and, for a new alert its generation (unix ms), for an
// update when it is due (unix ms).
func (h *Handoffs) RaiseAlert(ctx context.Context, k bot.Key, kind string, rank int, now time.Time, open, every time.Duration) (AlertAction, int64, error) {
	res, err := raiseScript.Run(ctx, h.rdb, []string{alertKey(k)}, kind, rank, now.UnixMilli(),
		open.Milliseconds(), every.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, 0, err
	}
	return AlertAction(res[0]), res[1], nil
}

// CancelAgain records that the update RaiseAlert asked for is not on its
// way after all, so the next text of kind asks again.
func (h *Handoffs) CancelAgain(ctx context.Context, k bot.Key, kind string) error {
	return h.rdb.HDel(ctx, alertKey(k), kind+":p").Err()
}

// postedScript records where the alert of generation ARGV[2] of kind
// ARGV[1] was posted, unless a newer alert of that kind replaced it.
var postedScript = redis.NewScript(`
local f = ARGV[1] .. ':'
if redis.call('HGET', KEYS[1], f .. 't0') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], f .. 'ts', ARGV[3], f .. 'ch', ARGV[4])
return 1
`)

// AlertPosted records that the alert of kind and generation gen was posted
// as message ts in channel, unless a newer alert of that kind replaced it.
func (h *Handoffs) AlertPosted(ctx context.Context, k bot.Key, kind string, gen int64, channel, ts string) error {
	return postedScript.Run(ctx, h.rdb, []string{alertKey(k)}, kind, gen, ts, channel).Err()
}

// OpenAlert is a conversation's open alert of one kind.
type OpenAlert struct {
	// Gen tells the alert from a later one of its kind; "" when none is open.
	Gen string
	// Channel and TS are where it was posted; empty until it is.
	Channel, TS string
	// Texts counts the texts of its kind since it was raised.
	Texts int
}

// Alert returns k's open alert of kind.
func (h *Handoffs) Alert(ctx context.Context, k bot.Key, kind string) (OpenAlert, error) {
	f := kind + ":"
	v, err := h.rdb.HMGet(ctx, alertKey(k), f+"t0", f+"ts", f+"ch", f+"n").Result()
	if err != nil {
		return OpenAlert{}, err
	}
	n, _ := strconv.Atoi(str(v[3]))
	return OpenAlert{Gen: str(v[0]), TS: str(v[1]), Channel: str(v[2]), Texts: n}, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

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

// AlertUpdated records that a's thread was told of its texts at now. If
// more came meanwhile, the next update stays on its way, due every later:
// it returns when (unix ms), or zero when none is.
func (h *Handoffs) AlertUpdated(ctx context.Context, k bot.Key, kind string, a OpenAlert, now time.Time, every time.Duration) (int64, error) {
	return updatedScript.Run(ctx, h.rdb, []string{alertKey(k)}, kind, a.Gen, a.Texts, now.UnixMilli(), every.Milliseconds()).Int64()
}

// CloseAlerts closes k's alerts, with its handoff: danger after this is
// alerted anew.
func (h *Handoffs) CloseAlerts(ctx context.Context, k bot.Key) error {
	return h.rdb.Del(ctx, alertKey(k)).Err()
}

// Alerts past a number a minute are folded into one digest a minute (a
// flood of danger from many numbers must not flood staff). The counts and
// digests of every process share the tag {alerts}.
func alertCountKey(minute int64) string  { return "hl:{alerts}:n:" + strconv.FormatInt(minute, 10) }
func alertDigestKey(minute int64) string { return "hl:{alerts}:d:" + strconv.FormatInt(minute, 10) }

// digestKeep is how long a minute's digest waits to be posted.
const digestKeep = time.Hour

// AlertSlot counts an alert about to be posted in minute (unix minutes)
// and reports whether it is within the first limit of that minute, over
// every process.
func (h *Handoffs) AlertSlot(ctx context.Context, minute int64, limit int) (bool, error) {
	var n *redis.IntCmd
	_, err := h.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.Incr(ctx, alertCountKey(minute))
		p.Expire(ctx, alertCountKey(minute), 2*time.Minute)
		return nil
	})
	if err != nil {
		return false, err
	}
	return n.Val() <= int64(limit), nil
}

// Fold adds an alert (sealed by the caller) to minute's digest and reports
// whether it is the first, whose caller schedules the digest.
func (h *Handoffs) Fold(ctx context.Context, minute int64, item string) (first bool, err error) {
	var n *redis.IntCmd
	_, err = h.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.RPush(ctx, alertDigestKey(minute), item)
		p.Expire(ctx, alertDigestKey(minute), digestKeep)
		return nil
	})
	return err == nil && n.Val() == 1, err
}

// Digest returns minute's folded alerts, oldest first, without taking
// them; DropDigest takes them once posted.
func (h *Handoffs) Digest(ctx context.Context, minute int64) ([]string, error) {
	return h.rdb.LRange(ctx, alertDigestKey(minute), 0, -1).Result()
}

// DropDigest drops minute's folded alerts once their digest is posted.
func (h *Handoffs) DropDigest(ctx context.Context, minute int64) error {
	return h.rdb.Del(ctx, alertDigestKey(minute)).Err()
}
