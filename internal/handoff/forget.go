package handoff

import (
	"context"
	"fmt"
	"sync"
	"time"

	"helpline/bot"
	"helpline/internal/store/outbox"
)

// STOP and DELETE. STOP erases what reaches the texter (their number, the
// texts queued for them, the claim) and closes the handoff, with a note in
// its thread; the record stays while the conversation does, so staff
// still see the card. DELETE erases everything kept about the
// conversation: the record, the maps of its threads, the texts queued
// either way and its alerts; the card is redrawn with nothing of theirs.
// When the store cannot take it at once, the process keeps it and tries
// again until it can.

// stopped handles STOP.
func (s *Service) stopped(ctx context.Context, key bot.Key) error {
	if err := s.Forget(ctx, key); err != nil {
		s.pending.add(key, forgetStop)
		return err
	}
	return nil
}

// erased handles DELETE.
func (s *Service) erased(ctx context.Context, key bot.Key) error {
	if err := s.Erase(ctx, key); err != nil {
		s.pending.add(key, forgetAll)
		return err
	}
	return nil
}

// Forget erases the number, the texts queued for the texter and the claim,
// and closes an open handoff with a note in its thread, when the texter
// says STOP (or the carrier says they did).
func (s *Service) Forget(ctx context.Context, key bot.Key) error {
	if err := s.hs.Forget(ctx, key); err != nil {
		return err
	}
	r, err := s.record(ctx, key)
	if err != nil || r == nil || r.State == stateClosed {
		return err
	}
	r.State, r.ClosedBy, r.Findings, r.Lean, r.Where = stateClosed, "", nil, "", ""
	if err := s.saveRecord(ctx, r); err != nil {
		return err
	}
	stamp := s.Now().UnixNano()
	if err := s.enqueue(ctx, fmt.Sprintf("update:%s:%d", key, stamp), KindUpdate, card{Key: key}); err != nil {
		return err
	}
	return s.enqueue(ctx, fmt.Sprintf("note:%s:%d", key, stamp), KindNote, note{Key: key, Text: stopNote})
}

// stopNote is what a handoff's thread is told when the texter says STOP.
const stopNote = ":octagonal_sign: The texter sent STOP: this handoff is closed, and nothing more is sent to them."

// Erase erases everything kept about the conversation's handoff, when the
// texter says DELETE, and asks the outbox to redraw its card (if it was
// posted) with nothing of theirs on it.
func (s *Service) Erase(ctx context.Context, key bot.Key) error {
	threads, err := s.hs.Threads(ctx, key)
	if err != nil {
		return err
	}
	r, err := s.record(ctx, key)
	if err != nil {
		return err
	}
	if r != nil && r.TS != "" {
		threads = append(threads, [2]string{r.Channel, r.TS})
		e := erasedCard{Channel: r.Channel, TS: r.TS}
		if err := s.enqueue(ctx, fmt.Sprintf("erased:%s:%d", key, s.Now().UnixNano()), KindErased, e); err != nil {
			return err
		}
	}
	return s.hs.Erase(ctx, key, threads)
}

// note is the payload of a line told in a handoff's thread.
type note struct {
	Key  bot.Key
	Text string
}

func (s *Service) deliverNote(ctx context.Context, slack Slack, m outbox.Message) error {
	p, err := openPayload[note](s.seal, m)
	if err != nil {
		return err
	}
	r, err := s.posted(ctx, p.Key)
	if err != nil {
		return err
	}
	_, err = slack.Post(ctx, r.Channel, r.TS, p.Text, []Block{TextBlock(p.Text)})
	return err
}

// erasedCard is where the card of an erased conversation is: the payload
// names no conversation.
type erasedCard struct{ Channel, TS string }

func (s *Service) deliverErased(ctx context.Context, slack Slack, m outbox.Message) error {
	p, err := openPayload[erasedCard](s.seal, m)
	if err != nil {
		return err
	}
	fallback, blocks := ErasedBlocks()
	return slack.Update(ctx, p.Channel, p.TS, fallback, blocks)
}

// What a pending forget must still do.
const (
	forgetStop = 1 // STOP: Forget
	forgetAll  = 2 // DELETE: Erase
)

// pendingForgets remembers, in this process, the STOPs and DELETEs the
// store could not take yet.
type pendingForgets struct {
	mu sync.Mutex
	m  map[bot.Key]int
}

// maxPendingForgets bounds what an outage can make the process remember.
const maxPendingForgets = 100_000

func newPendingForgets() *pendingForgets { return &pendingForgets{m: map[bot.Key]int{}} }

func (p *pendingForgets) add(k bot.Key, what int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.m[k]; ok || len(p.m) < maxPendingForgets {
		p.m[k] = max(p.m[k], what)
	}
}

// take returns what is pending and forgets it; what fails again is added
// back.
func (p *pendingForgets) take() map[bot.Key]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.m
	p.m = map[bot.Key]int{}
	return out
}

// RunPending does, every every until ctx ends, the STOPs and DELETEs the
// store could not take when they came.
func (s *Service) RunPending(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for key, what := range s.pending.take() {
			pctx, cancel := context.WithTimeout(ctx, eventWait)
			var err error
			if what == forgetAll {
				err = s.Erase(pctx, key)
			} else {
				err = s.Forget(pctx, key)
			}
			cancel()
			if err != nil {
				s.pending.add(key, what)
			}
		}
	}
}
