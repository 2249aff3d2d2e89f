package channel_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"helpline/bot"
	"helpline/internal/channel"
)

// engine answers every message with out, counting calls; "HELP" is help
// and "pills" danger.
type engine struct {
	out   bot.Outcome
	calls int
}

func (e *engine) Handle(_ context.Context, in bot.Inbound) (bot.Outcome, error) {
	e.calls++
	out := e.out
	if in.Text == "pills" {
		out.Events = []bot.Event{{Kind: bot.EventCrisis, Crisis: "overdose"}}
	}
	return out, nil
}
func (*engine) FixedText(name, _ string) string { return "fixed " + name }
func (*engine) Urgent(text string) bool         { return text == "pills" }
func (*engine) HelpText(text string) string {
	if text == "HELP" {
		return "help text"
	}
	return ""
}

type recent map[bot.Key]bool

func (r recent) Recent(k bot.Key) bool { return r[k] }

var secret = []byte("a-secret-of-at-least-32-characters!")

// Subscribers hear of the event kinds they registered for, once per
// message; every turn, a retry too, is told to those of every turn.
func TestSubscribers(t *testing.T) {
	e := &engine{out: bot.Outcome{Events: []bot.Event{{Kind: bot.EventStarted}, {Kind: bot.EventStep, Step: "who"}}}}
	p := channel.New(e, secret, nil)
	var turns []string
	var steps []string
	p.OnTurn(func(_ context.Context, t *channel.Turn) { turns = append(turns, t.Channel) })
	p.On(bot.EventStep, func(_ context.Context, ev channel.Event) { steps = append(steps, ev.Channel+":"+ev.Step) })
	ctx, cancel := context.WithCancel(context.Background())
	p.On(bot.EventStarted, func(ctx context.Context, _ channel.Event) {
		if ctx.Err() != nil {
			t.Error("a subscriber got the request's cancelled context")
		}
	})
	cancel()
	t1 := p.Handle(ctx, "sms", "+15555550123", bot.Inbound{Text: "hi"})
	if t1.Key != bot.NewKey(secret, "+15555550123") || t1.From != "+15555550123" {
		t.Errorf("turn key or address wrong: %+v", t1)
	}
	e.out.Duplicate = true
	p.Handle(ctx, "whatsapp", "whatsapp:+15555550123", bot.Inbound{Text: "hi"})
	if !slices.Equal(turns, []string{"sms", "whatsapp"}) || !slices.Equal(steps, []string{"sms:who"}) {
		t.Errorf("turns %v, steps %v", turns, steps)
	}
}

// Past the line's limit the engine is not asked: HELP is answered, a
// conversation served lately is told once, anyone else hears nothing;
// danger goes through, and an admitted danger gives its token back.
func TestLimits(t *testing.T) {
	e := &engine{out: bot.Outcome{Replies: []bot.Reply{{Text: "ok"}}}}
	p := channel.New(e, secret, nil)
	lim := channel.NewLimiter(1, 0) // a burst of 2
	now := time.Unix(1_700_000_000, 0)
	lim.Now = func() time.Time { return now }
	served := "+15550000001"
	p.Limit(lim, recent{p.Key(served): true}, "sms")

	if t1 := p.Handle(context.Background(), "sms", served, bot.Inbound{Text: "pills"}); t1.Refused != "" {
		t.Fatalf("danger refused")
	}
	for i := 0; i < 2; i++ { // the burst, the danger's token given back
		if tr := p.Handle(context.Background(), "sms", served, bot.Inbound{Text: "hi"}); tr.Refused != "" {
			t.Fatalf("text %d refused within the burst", i)
		}
	}
	for _, tc := range []struct {
		from, text string
		refused    channel.Refusal
		reply      string
	}{
		{served, "hi", channel.RefusedBusy, "fixed busy"},
		{served, "hi again", channel.RefusedBusy, ""},
		{"+15550000002", "hi", channel.RefusedSilently, ""},
		{"+15550000002", "HELP", channel.RefusedHelp, "help text"},
	} {
		tr := p.Handle(context.Background(), "sms", tc.from, bot.Inbound{Text: tc.text})
		got := ""
		if len(tr.Outcome.Replies) > 0 {
			got = tr.Outcome.Replies[0].Text
		}
		if tr.Refused != tc.refused || got != tc.reply {
			t.Errorf("%s %q: refused %q reply %q, want %q %q", tc.from, tc.text, tr.Refused, got, tc.refused, tc.reply)
		}
	}
	calls := e.calls
	if tr := p.Handle(context.Background(), "sms", "+15550000003", bot.Inbound{Text: "pills"}); tr.Refused != "" || e.calls != calls+1 {
		t.Errorf("danger past the limit did not reach the engine")
	}
	// Another channel is not held to this line's budget.
	if tr := p.Handle(context.Background(), "slack", "slack:T1:U1", bot.Inbound{Text: "hi"}); tr.Refused != "" {
		t.Errorf("slack held to the SMS line's budget")
	}
}
