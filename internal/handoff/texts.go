package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"helpline/bot"
	"helpline/internal/store/outbox"
)

// Texts to the texter (staff replies, the claim and close notices) wait in
// one queue per conversation, sealed, and one worker at a time sends them,
// oldest first: every part of one before any part of the next, in the
// order staff wrote them, whichever outbox worker runs. An outbox message
// only says that the queue has something to send.

// toTexter is the payload of a message that sends the texter's queue. Text
// and Last are set only in messages enqueued before the queue existed,
// which carry their text themselves.
type toTexter struct {
	Key  bot.Key
	Text string `json:",omitempty"`
	Last bool   `json:",omitempty"`
}

// textItem is one text in the texter's queue.
type textItem struct {
	// ID names the request that queued it, for a request made twice.
	ID   string `json:",omitempty"`
	Text string
	// Last erases the number once this text is sent (the close notice).
	Last bool `json:",omitempty"`
	// Sent counts the parts already sent: a retry resumes after them.
	Sent int `json:",omitempty"`
}

// queueText adds text to the texter's queue and asks the outbox to send
// the queue; what names the request (a staff reply's event), so one asked
// twice is queued and sent once.
func (s *Service) queueText(ctx context.Context, key bot.Key, what, text string, last bool) error {
	item := textItem{ID: s.seal.id("text:" + what), Text: text, Last: last}
	if err := s.putText(ctx, key, item, false); err != nil {
		return err
	}
	return s.enqueue(ctx, "text:"+what, KindText, toTexter{Key: key})
}

// putText seals item and adds it to the queue, unless one with its ID is
// there already, or puts it back at its head (replace) with the parts sent
// so far. The ID stays outside the seal, to be found.
func (s *Service) putText(ctx context.Context, key bot.Key, item textItem, replace bool) error {
	data, _ := json.Marshal(item)
	sealed, err := s.seal.seal(string(data), string(key))
	if err != nil {
		return err
	}
	if replace {
		return s.hs.ReplaceText(ctx, key, item.ID+" "+sealed)
	}
	return s.hs.QueueText(ctx, key, item.ID, item.ID+" "+sealed)
}

// nextText returns the oldest text in the queue, or false.
func (s *Service) nextText(ctx context.Context, key bot.Key) (textItem, bool, error) {
	sealed, ok, err := s.hs.NextText(ctx, key)
	if err != nil || !ok {
		return textItem{}, false, err
	}
	var item textItem
	_, sealed, _ = strings.Cut(sealed, " ")
	plain, err := s.seal.open(sealed, string(key))
	if err == nil {
		err = json.Unmarshal([]byte(plain), &item)
	}
	if err != nil {
		// Unreadable: it never will be; take it off so the rest can go.
		return textItem{}, false, errors.Join(s.hs.DropText(ctx, key), outbox.Permanent(err))
	}
	return item, true, nil
}

// texts delivers the texters' queues; a queue given up is told in its
// thread.
type texts struct{ s *Service }

func (t texts) Deliver(ctx context.Context, m outbox.Message) error { return t.s.deliverText(ctx, m) }

// Abandon tells the thread of every text left in the queue that it did
// not go, after a day of failing tries, and clears the queue; a close
// notice among them still erases the number.
func (t texts) Abandon(ctx context.Context, m outbox.Message, err error) {
	s := t.s
	p, perr := openPayload[toTexter](s.seal, m)
	if perr != nil {
		return
	}
	why := "it could not be delivered after a day of tries"
	var reason interface{ Reason() string }
	if errors.As(err, &reason) {
		why = reason.Reason()
	}
	if p.Text != "" {
		s.tellNotSent(ctx, p.Key, textItem{Text: p.Text, Last: p.Last}, why)
		return
	}
	for {
		item, ok, err := s.nextText(ctx, p.Key)
		if err != nil || !ok {
			return
		}
		s.tellNotSent(ctx, p.Key, item, why)
		if err := s.hs.DropText(ctx, p.Key); err != nil {
			return
		}
	}
}

// deliverText sends the texter's queue. A text that cannot be sent (the
// number is gone, the channel has no sender, its window closed, the
// carrier refuses it) is told in the thread and the queue goes on; a
// failure that may pass (Twilio is down) leaves the queue as it is, to
// be tried again.
func (s *Service) deliverText(ctx context.Context, m outbox.Message) error {
	p, err := openPayload[toTexter](s.seal, m)
	if err != nil {
		return err
	}
	if p.Text != "" {
		// Enqueued before the queue: it joins the queue, in its turn.
		item := textItem{ID: s.seal.id("text:" + m.ID), Text: p.Text, Last: p.Last}
		if err := s.putText(ctx, p.Key, item, false); err != nil {
			return err
		}
	}
	for {
		unlock, got, err := s.hs.LockTexts(ctx, p.Key)
		if err != nil || !got {
			return err // another worker sends the queue, and looks again after
		}
		err = s.sendQueue(ctx, p.Key)
		unlock()
		if err != nil {
			return err
		}
		if _, left, err := s.hs.NextText(ctx, p.Key); err != nil || !left {
			return err
		}
	}
}

// sendQueue sends queued texts until the queue is empty.
func (s *Service) sendQueue(ctx context.Context, key bot.Key) error {
	for {
		item, ok, err := s.nextText(ctx, key)
		if err != nil || !ok {
			return err
		}
		why, err := s.sendItem(ctx, key, item)
		if err != nil {
			return err // may pass: the queue waits
		}
		if why != "" {
			s.tellNotSent(ctx, key, item, why)
		}
		if err := s.hs.DropText(ctx, key); err != nil {
			return err
		}
		if item.Last {
			if err := s.hs.ForgetNumber(ctx, key); err != nil {
				return err
			}
		}
		if why == stoppedWhy {
			// STOP: nothing more goes; every text left is told.
			return s.dropAll(ctx, key, stoppedWhy)
		}
	}
}

// stoppedWhy is why nothing goes to a texter who said STOP.
const stoppedWhy = "the texter sent STOP, so nothing more is sent to them"

// sendItem sends one queued text, part by part, checking before each part
// that the texter has not said STOP. It returns why the text will never
// go (it is then dropped), or an error that may pass.
func (s *Service) sendItem(ctx context.Context, key bot.Key, item textItem) (why string, err error) {
	via, number, kept, err := s.address(ctx, key)
	switch {
	case err != nil && kept:
		return "the texter's number could not be read", nil
	case err != nil:
		return "", err
	case !kept:
		return notKept, nil
	}
	sender := s.Texters[via]
	if sender == nil {
		return noSender(via).Why, nil
	}
	if out, err := s.outsideWindow(ctx, key, via, sender); err != nil || out != nil {
		if out != nil {
			s.Log.Warn("text to a texter not sent: outside the channel's window", "conv", string(key), "channel", via)
			return out.Reason(), nil
		}
		return "", err
	}
	parts := sender.Shape(item.Text)
	for i := item.Sent; i < len(parts); i++ {
		if stopped, err := s.engine.OptedOut(ctx, key); err != nil || stopped {
			if stopped {
				return stoppedWhy, nil
			}
			return "", err
		}
		if why, err := s.sendPart(ctx, key, via, sender, number, parts[i]); why != "" || err != nil {
			if why != "" && i > 0 {
				first := "its first message"
				if i > 1 {
					first = fmt.Sprintf("its first %d messages", i)
				}
				why = "only " + first + " went; then " + why
			}
			return why, err
		}
		item.Sent = i + 1
		if i+1 < len(parts) {
			if err := s.putText(ctx, key, item, true); err != nil {
				return "", err
			}
		}
	}
	return "", nil
}

// sendPart sends one message of a text and sorts what went wrong: why it
// will never go, or an error that may pass.
func (s *Service) sendPart(ctx context.Context, key bot.Key, via string, sender Texter, number, part string) (why string, err error) {
	err = sender.Send(ctx, number, part)
	switch {
	case err == nil:
		return "", nil
	case errors.Is(err, ErrOptedOut):
		s.Log.Warn("texter opted out at the carrier; marking the conversation", "conv", string(key))
		if merr := s.engine.MarkOptedOut(ctx, key); merr != nil {
			return "", merr
		}
		return stoppedWhy + " (at the carrier)", s.hs.Forget(ctx, key)
	case errors.Is(err, ErrWindowClosed):
		return via + " refused it as outside its window of " + hours(sender.Window()) + " since the texter's last message", nil
	case errors.Is(err, ErrRejected):
		return "the carrier refused it (" + err.Error() + ")", nil
	}
	return "", err
}

// dropAll tells the thread of every text left in the queue, and clears it.
func (s *Service) dropAll(ctx context.Context, key bot.Key, why string) error {
	for {
		item, ok, err := s.nextText(ctx, key)
		if err != nil || !ok {
			return err
		}
		s.tellNotSent(ctx, key, item, why)
		if err := s.hs.DropText(ctx, key); err != nil {
			return err
		}
	}
}

// outsideWindow reports, for a texter on a channel with a window, how long
// since their last message when that is past it.
func (s *Service) outsideWindow(ctx context.Context, key bot.Key, via string, t Texter) (*OutsideWindow, error) {
	w := t.Window()
	if w <= 0 {
		return nil, nil
	}
	last, err := s.engine.LastHeard(ctx, key)
	if err != nil {
		return nil, err
	}
	if last.IsZero() {
		return &OutsideWindow{Channel: via, Window: w}, nil
	}
	if since := s.Now().Sub(last); since > w {
		return &OutsideWindow{Channel: via, Window: w, Since: since}, nil
	}
	return nil, nil
}

// notSent tells a handoff's thread that Text did not reach the texter.
type notSent struct {
	Key       bot.Key
	Text, Why string
}

// tellNotSent asks the outbox to tell the thread that item did not go; a
// close notice still erases the number.
func (s *Service) tellNotSent(ctx context.Context, key bot.Key, item textItem, why string) {
	if item.Last {
		if err := s.hs.ForgetNumber(ctx, key); err != nil {
			s.Log.Error("close notice not sent, and the number not erased", "conv", string(key), "err", err.Error())
		}
	}
	n := notSent{Key: key, Text: item.Text, Why: why}
	if err := s.enqueue(ctx, fmt.Sprintf("notsent:%s:%d", key, s.Now().UnixNano()), KindNotSent, n); err != nil {
		s.Log.Error("staff not told a text was not sent", "conv", string(key), "err", err.Error())
	}
}

func (s *Service) deliverNotSent(ctx context.Context, slack Slack, m outbox.Message) error {
	p, err := openPayload[notSent](s.seal, m)
	if err != nil {
		return err
	}
	r, err := s.posted(ctx, p.Key)
	if err != nil {
		return err
	}
	fallback, blocks := NotSentBlocks(p.Text, p.Why)
	_, err = slack.Post(ctx, r.Channel, r.TS, fallback, blocks)
	return err
}
