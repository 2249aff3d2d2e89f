// Package channeltest has what the tests of every channel share: an engine
// that records what the path hands it, so that a channel is tested by what
// it decodes and renders, never by the engine's wording.
package channeltest

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"helpline/bot"
)

// Engine answers every message with Replies and records what it was
// handed. Nothing it is asked is danger or help.
type Engine struct {
	Replies []bot.Reply

	mu  sync.Mutex
	got []bot.Inbound
}

// Handle records in and answers with e.Replies.
func (e *Engine) Handle(_ context.Context, in bot.Inbound) (bot.Outcome, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, in)
	return bot.Outcome{Replies: e.Replies}, nil
}

// Got returns what the engine was handed, in order.
func (e *Engine) Got() []bot.Inbound {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]bot.Inbound(nil), e.got...)
}

func (*Engine) FixedText(string, string) string { return "" }
func (*Engine) Urgent(string) bool              { return false }
func (*Engine) HelpText(string) string          { return "" }

// Handed checks what a channel handed the engine through the path: want
// decoded from one request, under key (the HMAC of the sender's address),
// or nothing when want is nil. The time is the path's and not compared.
func (e *Engine) Handed(t testing.TB, want *bot.Inbound, key bot.Key) {
	t.Helper()
	got := e.Got()
	if want == nil {
		if len(got) != 0 {
			t.Fatalf("engine handed %+v, want nothing", got)
		}
		return
	}
	if len(got) != 1 {
		t.Fatalf("engine handed %d messages, want 1", len(got))
	}
	in := got[0]
	if in.Key != key {
		t.Errorf("key is not the HMAC of the sender's address")
	}
	in.Key, in.Time = "", time.Time{}
	if !reflect.DeepEqual(in, *want) {
		t.Errorf("engine handed %+v, want %+v", in, *want)
	}
}
