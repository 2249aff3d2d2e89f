package handoff

import (
	"context"
	"errors"
	"fmt"
	"time"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/channel"
	"helpline/internal/store"
	"helpline/internal/store/outbox"
)

// Staff alerts, as the README promises (Handoffs and crisis alerts): one per conversation and kind while it is
// open (until its handoff is closed, or AlertOpen, 24 hours); the same kind
// again goes to the alert's thread with a count, no more often than
// AgainEvery; a new kind, or a concern becoming urgent, posts anew.

// Tiers of danger, from the engine's events; "" is urgent (when in doubt,
// alarm). A concern that becomes urgent is a new alert.
var tierRanks = map[flows.Tier]int{flows.TierConcern: 1, flows.TierNonAcute: 2, flows.TierUrgent: 3, flows.TierConcernYes: 3}

func tierRank(tier flows.Tier) int {
	if r, ok := tierRanks[tier]; ok {
		return r
	}
	return tierRanks[flows.TierUrgent]
}

// Alert is a crisis alert as posted: what staff see.
type Alert struct {
	Key    bot.Key
	Masked string
	Kind   string
	// Tier is the engine's tier of danger ("urgent", "non_acute",
	// "concern"), shown when set.
	Tier flows.Tier `json:",omitempty"`
	Lang string
	At   int64 // unix seconds
	// Opened is the alert's generation (unix ms), to record where it was
	// posted.
	Opened int64 `json:",omitempty"`
	// Direct is set on an alert posted without the store.
	Direct bool `json:",omitempty"`
	// ClaimBy is set on an alert posted again for a staff member who
	// claimed it from a digest: it is posted however many came this
	// minute, then claimed for them.
	ClaimBy string `json:",omitempty"`
	// Layer is which layer of the danger check decided (bot.LayerPatterns
	// or bot.LayerModel) and Prob, for the model, its probability; empty
	// on alerts raised before layers were told, and on answers.
	Layer string  `json:",omitempty"`
	Prob  float64 `json:",omitempty"`
	// Unanswered is set on the concern alert of a check question left
	// unanswered: for how long, in seconds (check.go).
	Unanswered int64 `json:",omitempty"`
}

// again is an update of an alert's thread.
type again struct {
	Key  bot.Key
	Kind string
}

// onCrisis raises an alert; staff already talking with the texter see the
// text of urgent danger in their thread too (it is answered before the
// conversation is loaded, so the engine relays it to nobody). Words of
// concern in a handoff reach the thread as the engine relays every text of
// it: relayed here too, they would be posted twice.
func (s *Service) onCrisis(ctx context.Context, ev channel.Event) error {
	a := Alert{Key: ev.Key, Kind: ev.Crisis, Tier: ev.Tier, Lang: ev.Lang, Layer: ev.Layer, Prob: ev.Prob}
	if err := s.raiseAlert(ctx, ev.Channel, ev.From, ev.MessageID, a); err != nil {
		// The store is failing: the alert went to Slack directly, and the
		// texter's answer should not wait on the store again.
		return err
	}
	if ev.Text == "" || ev.Tier == flows.TierConcern {
		return nil
	}
	if r, err := s.record(ctx, ev.Key); err == nil && r != nil && r.State != stateClosed && r.TS != "" {
		return s.queueRelay(ctx, ev.Key, "crisis-relay:"+string(ev.Key)+":"+ev.MessageID, ev.Text, nil)
	}
	return nil
}

// raise counts a text of danger of kind and tier, written in lang, and
// alerts staff as the rule above says.
func (s *Service) raise(ctx context.Context, key bot.Key, via, number, msgID, kind string, tier flows.Tier, lang string) error {
	return s.raiseAlert(ctx, via, number, msgID, Alert{Key: key, Kind: kind, Tier: tier, Lang: lang})
}

// raiseAlert is raise for alert a (its key, kind, tier and language, and
// how the danger was read), texted from number on channel via in message
// msgID. The number and language are kept for a claim of the alert.
func (s *Service) raiseAlert(ctx context.Context, via, number, msgID string, a Alert) error {
	now := s.Now()
	key, kind, lang := a.Key, a.Kind, a.Lang
	a.Masked, a.At = Mask(number), now.Unix()
	action, at, err := s.hs.RaiseAlert(ctx, key, kind, tierRank(a.Tier), now, s.AlertOpen, s.AgainEvery)
	if err != nil {
		// The store is down: staff hear of it all the same.
		s.postDirect(a, err)
		return fmt.Errorf("raise alert: %w", err)
	}
	errs := []error{
		s.keepNumber(ctx, key, via, number),
		// The language the danger was written in, for a claim of the alert
		// to answer the texter in it.
		s.hs.KeepLang(ctx, key, lang),
	}
	switch action {
	case store.AlertNew:
		a.Opened = at
		if err := s.enqueue(ctx, fmt.Sprintf("alert:%s:%s:%s", key, kind, msgID), KindAlert, a); err != nil {
			s.postDirect(a, err)
			errs = append(errs, err)
		}
	case store.AlertAgain:
		m, err := s.message(fmt.Sprintf("alert-again:%s:%s:%s", key, kind, msgID), KindAlertAgain, again{Key: key, Kind: kind})
		if err == nil {
			err = s.box.Defer(ctx, m, time.UnixMilli(at).Sub(now))
		}
		if err != nil {
			// No update is on its way after all: let the next text send one.
			errs = append(errs, err, s.hs.CancelAgain(ctx, key, kind))
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
	a, err := openPayload[Alert](s.seal, m)
	if err != nil {
		return err
	}
	if folded, err := s.fold(ctx, m, a); folded || err != nil {
		return err
	}
	channel := s.alertChannel()
	fallback, blocks := AlertBlocks(a, s.Names)
	ts, err := slack.Post(ctx, channel, "", fallback, blocks)
	if err != nil {
		return err
	}
	// Where it is, for the texts of the same kind that follow. The alert
	// is out: a failure here costs its thread updates, not the alert.
	if a.Opened != 0 {
		if err := s.hs.AlertPosted(ctx, a.Key, a.Kind, a.Opened, channel, ts); err != nil {
			s.Log.Warn("alert posted, but where was not recorded", "conv", string(a.Key), "err", err)
		}
	}
	if a.ClaimBy != "" {
		// Claimed from a digest: the conversation has its own alert now,
		// and it is theirs.
		if _, err := s.Claim(ctx, a.Key, a.ClaimBy, channel, ts); err != nil {
			s.Log.Warn("alert from a digest posted, but the claim failed", "conv", string(a.Key), "err", err)
		}
		return nil
	}
	// Nobody may leave it hanging: unclaimed, it is posted again. The
	// alert is out: a failure here costs the repage, not the alert.
	if err := s.scheduleRepage(ctx, a); err != nil {
		s.Log.Warn("alert posted, but its repage was not scheduled", "conv", string(a.Key), "err", err)
	}
	return nil
}

// deliverAgain tells the alert's thread how many texts of its kind came
// since the alert.
func (s *Service) deliverAgain(ctx context.Context, slack Slack, m outbox.Message) error {
	p, err := openPayload[again](s.seal, m)
	if err != nil {
		return err
	}
	open, err := s.hs.Alert(ctx, p.Key, p.Kind)
	if err != nil {
		return err
	}
	switch {
	case open.Gen == "", open.TS == foldedTS:
		return nil // closed, expired or in a digest: no thread to tell
	case open.TS == "":
		return outbox.Later(errors.New("alert not posted yet"), 2*time.Second)
	}
	now := s.Now()
	fallback, blocks := AgainBlocks(p.Kind, open.Texts, now)
	if _, err := slack.Post(ctx, open.Channel, open.TS, fallback, blocks); err != nil {
		return err
	}
	due, err := s.hs.AlertUpdated(ctx, p.Key, p.Kind, open, now, s.AgainEvery)
	if err != nil || due == 0 {
		return err
	}
	// More came while posting: one more update, no sooner than AgainEvery.
	next, err := s.message(fmt.Sprintf("alert-again:%s:%s:%s:%d", p.Key, p.Kind, open.Gen, open.Texts), KindAlertAgain, p)
	if err != nil {
		return err
	}
	return s.box.Defer(ctx, next, time.UnixMilli(due).Sub(now))
}
