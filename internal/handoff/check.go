package handoff

import (
	"context"
	"fmt"
	"time"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/channel"
	"helpline/internal/store/outbox"
)

// Nobody left hanging: when the danger model reads possible danger and the
// assistant asks a check question that fits its kind ("Is anyone in danger
// right now…?"), no alert goes out yet; the answer decides (yes is urgent).
// A check question left unanswered for CheckWait (5 minutes) raises a
// concern alert of its kind, saying so; an answer, or STOP, raises nothing
// here. The wait is a deferred outbox message, so it survives a restart.

// DefaultCheckWait is how long a check question may go unanswered when
// CheckWait is not set.
const DefaultCheckWait = 5 * time.Minute

func (s *Service) checkWait() time.Duration {
	if s.CheckWait > 0 {
		return s.CheckWait
	}
	return DefaultCheckWait
}

// check is the payload of a check question's wait: which conversation,
// the kind it asked about and how it was read, and when it was asked.
type check struct {
	Key   bot.Key
	Kind  string
	Lang  string
	Layer string  `json:",omitempty"`
	Prob  float64 `json:",omitempty"`
	// MsgID is the message that was asked about; Asked when (unix
	// seconds, as the engine keeps when it last heard the texter).
	MsgID string
	Asked int64
	// Wait is how long the texter had to answer, to say so on the card.
	Wait time.Duration
}

// onCheck keeps the texter's address for the alert it may raise, and
// waits for their answer.
func (s *Service) onCheck(ctx context.Context, ev channel.Event) error {
	if err := s.keepNumber(ctx, ev.Key, ev.Channel, ev.From); err != nil {
		return err
	}
	wait := s.checkWait()
	p := check{Key: ev.Key, Kind: ev.Crisis, Lang: ev.Lang, Layer: ev.Layer, Prob: ev.Prob,
		MsgID: ev.MessageID, Asked: s.Now().Unix(), Wait: wait}
	m, err := s.message(fmt.Sprintf("check:%s:%s", ev.Key, ev.MessageID), KindCheck, p)
	if err != nil {
		return err
	}
	return s.box.Defer(ctx, m, wait)
}

// deliverCheck raises a concern alert of the check's kind when the texter
// wrote nothing since it was asked, has not opted out and is still kept
// (STOP and DELETE erase the number, and are answers anyway).
func (s *Service) deliverCheck(ctx context.Context, m outbox.Message) error {
	p, err := openPayload[check](s.seal, m)
	if err != nil {
		return err
	}
	heard, err := s.engine.LastHeard(ctx, p.Key)
	if err != nil {
		return err
	}
	if heard.Unix() > p.Asked {
		return nil // answered
	}
	out, err := s.engine.OptedOut(ctx, p.Key)
	if err != nil || out {
		return err
	}
	via, number, kept, err := s.address(ctx, p.Key)
	if err != nil || !kept {
		return err
	}
	lang := p.Lang
	if lang == "" {
		lang, _ = s.hs.Lang(ctx, p.Key)
	}
	a := Alert{Key: p.Key, Kind: p.Kind, Tier: flows.TierConcern, Lang: lang, Layer: p.Layer, Prob: p.Prob,
		Unanswered: int64(p.Wait / time.Second)}
	if err := s.raiseAlert(ctx, via, number, "check:"+p.MsgID, a); err != nil {
		// The alert went out, through the outbox or directly; trying again
		// would count it twice.
		s.Log.Warn("unanswered check: alert raised with errors", "conv", string(p.Key), "err", err)
	}
	return nil
}
