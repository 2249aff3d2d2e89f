package handoff

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"helpline/bot"
)

// Claim gives the handoff to a staff member, if nobody has it yet, redraws
// the card and tells the texter a person will follow up. It reports whether
// user now holds it. Claiming a crisis alert (channel and ts are the
// alert's message) opens a handoff on the alert itself: replies in its
// thread reach the texter.
func (s *Service) Claim(ctx context.Context, key bot.Key, user, channel, ts string) (bool, error) {
	r, err := s.record(ctx, key)
	if err != nil {
		return false, err
	}
	if r == nil || (r.State == stateClosed && ts != "" && r.TS != ts) {
		// No handoff, or only an old closed one: a crisis alert being claimed.
		if r, err = s.fromAlert(ctx, key, channel, ts); err != nil || r == nil {
			return false, err
		}
	}
	if r.State == stateClosed {
		return false, nil
	}
	// Two staff clicking at once: one claim wins.
	won, err := s.hs.Claim(ctx, key, user)
	if err != nil {
		return false, err
	}
	if !won {
		holder, err := s.hs.Claimant(ctx, key)
		if err != nil || holder != user || r.State == stateClaimed {
			return err == nil && holder == user, err
		}
		// Their own earlier claim that failed half-way: finish it now.
	}
	r.State, r.ClaimedBy, r.ClaimedAt = stateClaimed, user, s.Now()
	if err := s.saveRecord(ctx, r); err != nil {
		return false, err
	}
	text, err := s.engine.Text(ctx, key, "handoff_claimed")
	if err != nil {
		return true, err
	}
	stamp := r.ClaimedAt.UnixNano()
	return true, errors.Join(
		s.enqueue(ctx, fmt.Sprintf("update:%s:%d", key, stamp), KindUpdate, card{Key: key}),
		s.queueText(ctx, key, fmt.Sprintf("claimed:%s:%d", key, stamp), text, false),
	)
}

// fromAlert opens a handoff record for a claimed crisis alert, if the
// number is still kept.
func (s *Service) fromAlert(ctx context.Context, key bot.Key, channel, ts string) (*Record, error) {
	via, number, kept, err := s.address(ctx, key)
	if !kept || channel == "" || ts == "" || err != nil {
		return nil, err
	}
	if err := s.hs.Unclaim(ctx, key); err != nil {
		return nil, err
	}
	lang, _ := s.hs.Lang(ctx, key)
	if err := s.engine.BeginHandoff(ctx, key, lang); err != nil {
		return nil, err
	}
	r := &Record{Key: key, Masked: Mask(number), Via: via, Requested: s.Now(), State: stateOpen, Channel: channel, TS: ts}
	if err := s.hs.MapThread(ctx, channel, ts, key); err != nil {
		return nil, err
	}
	return r, nil
}

// Close ends the handoff: the texter is told and goes back to the
// assistant, the card is redrawn, and the number is erased.
func (s *Service) Close(ctx context.Context, key bot.Key, user string) error {
	r, err := s.record(ctx, key)
	if err != nil || r == nil || r.State == stateClosed {
		return err
	}
	// The conversation first, so a failure leaves the card open to try again.
	text, err := s.engine.EndHandoff(ctx, key)
	if err != nil {
		return err
	}
	r.State, r.ClosedBy = stateClosed, user
	if err := s.saveRecord(ctx, r); err != nil {
		return err
	}
	stamp := s.Now().UnixNano()
	var errs []error
	// The texter's alerts close with the handoff: danger after this is
	// alerted anew.
	errs = append(errs, s.hs.CloseAlerts(ctx, key))
	errs = append(errs, s.enqueue(ctx, fmt.Sprintf("update:%s:%d", key, stamp), KindUpdate, card{Key: key}))
	if text != "" {
		// The number is erased once the close notice is sent.
		errs = append(errs, s.queueText(ctx, key, fmt.Sprintf("closed:%s:%d", key, stamp), text, true))
	} else {
		errs = append(errs, s.hs.ForgetNumber(ctx, key))
	}
	return errors.Join(errs...)
}

// ShowNumber returns the texter's full number to the staff member who
// claimed the handoff, and logs that it was shown (without the number).
func (s *Service) ShowNumber(ctx context.Context, key bot.Key, user string) (string, error) {
	r, err := s.record(ctx, key)
	if err != nil {
		return "", err
	}
	if r == nil || r.ClaimedBy != user || r.State == stateClosed {
		return "", errors.New("only the staff member who claimed an open handoff can see the number")
	}
	_, number, kept, err := s.address(ctx, key)
	if err != nil {
		return "", fmt.Errorf("number no longer kept: %w", err)
	}
	if !kept {
		return "", errors.New("number no longer kept")
	}
	s.Log.Info("number shown to staff", "conv", string(key), "staff", user)
	if s.Accessed != nil {
		s.Accessed()
	}
	return number, nil
}

// StaffReply sends a staff member's reply in a card's thread to the
// texter, on their channel, after every reply before it. It reports false
// when the thread is not an open handoff; an *OutsideWindow error when the
// texter's channel would not deliver it (WhatsApp, a day after their last
// message), and a *NotSent when it cannot be sent at all (an empty reply
// included). A reply that fails later is told in the thread.
func (s *Service) StaffReply(ctx context.Context, channel, threadTS, eventID, text string) (bool, error) {
	key, ok, err := s.hs.ThreadOf(ctx, channel, threadTS)
	if err != nil || !ok {
		return false, err
	}
	if strings.TrimSpace(text) == "" {
		return true, &NotSent{Why: "the reply is empty"}
	}
	r, err := s.record(ctx, key)
	if err != nil || r == nil || r.State == stateClosed {
		return false, err
	}
	via, _, kept, err := s.address(ctx, key)
	switch {
	case err == nil && !kept:
		return true, &NotSent{Why: notKept}
	case err == nil && s.Texters[via] == nil:
		return true, noSender(via)
	case err == nil:
		out, err := s.outsideWindow(ctx, key, via, s.Texters[via])
		if err != nil {
			return true, err
		}
		if out != nil {
			return true, out
		}
	}
	return true, s.queueText(ctx, key, "reply:"+eventID, text, false)
}

// InHandoff reports whether the thread of message threadTS in channel is
// an open handoff, whose replies go to a texter.
func (s *Service) InHandoff(ctx context.Context, channel, threadTS string) (bool, error) {
	key, ok, err := s.hs.ThreadOf(ctx, channel, threadTS)
	if err != nil || !ok {
		return false, err
	}
	r, err := s.record(ctx, key)
	return err == nil && r != nil && r.State != stateClosed, err
}
