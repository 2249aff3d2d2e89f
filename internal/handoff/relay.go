package handoff

import (
	"context"
	"fmt"

	"helpline/bot"
	"helpline/internal/store/outbox"
)

// thread is the payload of a message that posts the texter's queued texts
// in the handoff's thread.
type thread struct {
	Key bot.Key
	// Text is set only in messages enqueued before relays were queued in
	// order, which carry their text themselves.
	Text string `json:",omitempty"`
}

// relay passes the texter's text to the handoff's thread and keeps the
// handoff alive while they write. A handoff that is gone (closed, or
// expired while the conversation went on) hands the texter back to the
// assistant and tells them, rather than relaying into nothing.
func (s *Service) relay(ctx context.Context, key bot.Key, via, number, msgID, text string) error {
	r, err := s.record(ctx, key)
	if err != nil {
		return err
	}
	if r == nil || r.State == stateClosed {
		notice, err := s.engine.EndHandoff(ctx, key)
		if err != nil || notice == "" {
			return err
		}
		if err := s.keepNumber(ctx, key, via, number); err != nil {
			return err
		}
		return s.queueText(ctx, key, "orphan:"+string(key)+":"+msgID, notice, true)
	}
	// The texter is still writing: keep the handoff alive.
	return s.queueRelay(ctx, key, "relay:"+string(key)+":"+msgID, text, r)
}

// queueRelay adds a texter's text, sealed, to the conversation's relay
// queue (and keeps the handoff alive, when given, in the same round trip)
// and asks the outbox to post the queue: the queue, not the order in which
// outbox messages happen to be delivered, keeps the texts in the order
// they were written.
func (s *Service) queueRelay(ctx context.Context, key bot.Key, what, text string, alive *Record) error {
	sealed, err := s.seal.seal(text, string(key))
	if err != nil {
		return err
	}
	if alive != nil {
		err = s.hs.QueueRelayKeepingAlive(ctx, key, sealed, alive.Channel, alive.TS)
	} else {
		err = s.hs.QueueRelay(ctx, key, sealed)
	}
	if err != nil {
		return err
	}
	return s.enqueue(ctx, what, KindThread, thread{Key: key})
}

func (s *Service) deliverThread(ctx context.Context, slack Slack, m outbox.Message) error {
	p, err := openPayload[thread](s.seal, m)
	if err != nil {
		return err
	}
	r, err := s.posted(ctx, p.Key)
	if err != nil {
		return err
	}
	if p.Text != "" {
		return postRelay(ctx, slack, r, p.Text)
	}
	return s.flush(ctx, slack, r)
}

// maxBlocks is how many blocks Slack takes in one message.
const maxBlocks = 50

// postRelay posts a texter's text in the handoff's thread, whole: as many
// messages as Slack's limit of blocks needs.
func postRelay(ctx context.Context, slack Slack, r *Record, text string) error {
	fallback, blocks := RelayBlocks(text)
	for len(blocks) > 0 {
		n := min(len(blocks), maxBlocks)
		if _, err := slack.Post(ctx, r.Channel, r.TS, fallback, blocks[:n]); err != nil {
			return err
		}
		blocks = blocks[n:]
		fallback = "Texter (continued)"
	}
	return nil
}

// maxFlush bounds the texts one delivery posts; the rest go in another.
const maxFlush = 50

// flush posts the texter's queued texts in the handoff's thread, oldest
// first, one worker at a time. A worker that finds another posting leaves
// the queue to it: the holder looks at the queue again after letting go,
// so a text queued meanwhile is not left behind.
func (s *Service) flush(ctx context.Context, slack Slack, r *Record) error {
	for posted := 0; ; {
		unlock, got, err := s.hs.LockRelay(ctx, r.Key)
		if err != nil || !got {
			return err
		}
		err = s.drain(ctx, slack, r, &posted)
		unlock()
		if err != nil {
			return err
		}
		left, err := s.hs.RelaysLeft(ctx, r.Key)
		if err != nil || left == 0 {
			return err
		}
		if posted >= maxFlush {
			return s.enqueue(ctx, fmt.Sprintf("relay-more:%s:%d", r.Key, s.Now().UnixNano()), KindThread, thread{Key: r.Key})
		}
	}
}

// drain posts queued texts until the queue is empty or maxFlush are
// posted. A text leaves the queue only once Slack has it.
func (s *Service) drain(ctx context.Context, slack Slack, r *Record, posted *int) error {
	for *posted < maxFlush {
		sealed, ok, err := s.hs.NextRelay(ctx, r.Key)
		if err != nil || !ok {
			return err
		}
		text, err := s.seal.open(sealed, string(r.Key))
		if err != nil {
			text = sealed // queued in plain form by a release before sealing
		}
		if err := postRelay(ctx, slack, r, text); err != nil {
			return err
		}
		if err := s.hs.DropRelay(ctx, r.Key); err != nil {
			return err
		}
		*posted++
	}
	return nil
}
