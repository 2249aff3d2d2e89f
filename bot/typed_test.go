package bot_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/store"
)

// A screening answered only with typed answers (a channel's buttons)
// reaches the summary; every reply has a kind, and the one waiting for an
// answer carries its step and choices.
func TestTypedAnswersToTheSummary(t *testing.T) {
	t.Parallel()
	st, _ := miniStore(t)
	e := newEngine(t, st)
	ctx := context.Background()
	out, err := e.Handle(ctx, bot.Inbound{Key: "typed", Command: bot.CommandRestart, MessageID: "0"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; out.Summary() == nil; i++ {
		if i > 30 {
			t.Fatal("no summary after 30 typed answers")
		}
		q := out.Asked()
		if q == nil || len(q.Choices) == 0 {
			t.Fatalf("answer %d: nothing asked: %+v", i, out.Replies)
		}
		for _, r := range out.Replies {
			if r.Kind == "" || r.Text == "" {
				t.Fatalf("a reply without kind or text: %+v", r)
			}
		}
		values := []string{q.Choices[0].Value}
		if q.Kind == flows.KindMulti {
			values = append(values, q.Choices[1].Value)
		}
		out, err = e.Handle(ctx, bot.Inbound{Key: "typed", Answer: &bot.Answer{Step: q.Step, Values: values}, MessageID: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
	}
	if r := out.Replies[len(out.Replies)-1]; r.Kind != bot.ReplySummary || r.Summary.Assessment.Lean == "" {
		t.Errorf("the screening ends with %+v", r)
	}
}

// A typed answer for a step no longer asked (an old button) changes
// nothing: the current question comes again. A value the step does not
// have is not taken either.
func TestTypedAnswerForAnotherStep(t *testing.T) {
	t.Parallel()
	st, _ := miniStore(t)
	e := newEngine(t, st)
	ctx := context.Background()
	out, _ := e.Handle(ctx, bot.Inbound{Key: "old", Command: bot.CommandRestart, MessageID: "0"})
	greeting := out.Asked()
	out, _ = e.Handle(ctx, bot.Inbound{Key: "old", Answer: &bot.Answer{Step: greeting.Step, Values: []string{greeting.Choices[0].Value}}, MessageID: "1"})
	who := out.Asked()
	if who == nil || who.Step == greeting.Step {
		t.Fatalf("the greeting was not taken: %+v", out.Replies)
	}
	for i, a := range []bot.Answer{{Step: greeting.Step, Values: []string{greeting.Choices[0].Value}}, {Step: who.Step, Values: []string{"nonsense"}}} {
		out, _ = e.Handle(ctx, bot.Inbound{Key: "old", Answer: &a, MessageID: fmt.Sprint("again", i)})
		if q := out.Asked(); q == nil || q.Step != who.Step || len(out.Events) != 0 {
			t.Errorf("answer %+v: asked %+v, events %v; want %s again and nothing else", a, q, out.Events, who.Step)
		}
	}
}

// Words of concern are answered with a danger reply that asks the direct
// question with a yes and a no; a typed yes is urgent.
func TestTypedAnswerToTheDirectQuestion(t *testing.T) {
	t.Parallel()
	st, _ := miniStore(t)
	e := newEngine(t, st)
	ctx := context.Background()
	e.Handle(ctx, bot.Inbound{Key: "now", Text: "hi", MessageID: "0"})
	out, _ := e.Handle(ctx, bot.Inbound{Key: "now", Text: "honestly i just want to disappear", MessageID: "1"})
	q := out.Asked()
	if q == nil || q.Step != bot.NowStep || out.Replies[len(out.Replies)-1].Kind != bot.ReplyDanger {
		t.Fatalf("words of concern: %+v", out.Replies)
	}
	out, _ = e.Handle(ctx, bot.Inbound{Key: "now", Answer: &bot.Answer{Step: bot.NowStep, Values: []string{"yes"}}, MessageID: "2"})
	urgent := false
	for _, ev := range out.Events {
		urgent = urgent || ev.Urgent()
	}
	if !urgent || out.Replies[0].Kind != bot.ReplyDanger || out.Replies[0].Danger == nil {
		t.Errorf("a typed yes: %+v %v", out.Replies, out.Events)
	}
}

// Every text is heard, danger too: LastHeard (which WhatsApp's window is
// measured from) moves with a text of danger from someone with no
// conversation yet and from someone whose screening is over.
func TestDangerIsHeard(t *testing.T) {
	t.Parallel()
	st, m := miniStore(t)
	e := newEngine(t, st)
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	heard := func(key bot.Key) time.Time {
		t.Helper()
		at, err := e.LastHeard(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}

	if _, err := e.Handle(ctx, bot.Inbound{Key: "first", Text: "i want to kill myself", MessageID: "d0", Time: t0}); err != nil {
		t.Fatal(err)
	}
	if got := heard("first"); !got.Equal(t0) {
		t.Errorf("danger as the first text: last heard %v, want %v", got, t0)
	}

	out, _ := e.Handle(ctx, bot.Inbound{Key: "done", Command: bot.CommandRestart, MessageID: "0", Time: t0})
	for i := 1; out.Summary() == nil && i < 30; i++ {
		q := out.Asked()
		if q == nil || len(q.Choices) == 0 {
			t.Fatalf("answer %d: nothing asked: %+v", i, out.Replies)
		}
		values := []string{q.Choices[0].Value}
		if q.Step == "safety" {
			values[0] = "no" // not the crisis route
		}
		out, _ = e.Handle(ctx, bot.Inbound{Key: "done", Answer: &bot.Answer{Step: q.Step, Values: values}, MessageID: fmt.Sprint(i), Time: t0.Add(time.Duration(i) * time.Minute)})
	}
	if out.Summary() == nil {
		t.Fatalf("no summary: %+v", out.Replies)
	}
	later := t0.Add(3 * time.Hour)
	if _, err := e.Handle(ctx, bot.Inbound{Key: "done", Text: "i want to kill myself", MessageID: "d1", Time: later}); err != nil {
		t.Fatal(err)
	}
	if got := heard("done"); !got.Equal(later) {
		t.Errorf("danger after the summary: last heard %v, want %v", got, later)
	}

	// After DELETE the message IDs are kept an hour; danger then keeps
	// its time no longer than that.
	if ttl := m.TTL(store.SessionKey("first")); ttl != 24*time.Hour {
		t.Errorf("danger as the first text is kept %v, want the session's 24h", ttl)
	}
	for i, text := range []string{"hi", "delete", "yes", "i want to kill myself"} {
		if _, err := e.Handle(ctx, bot.Inbound{Key: "erased", Text: text, MessageID: fmt.Sprint("e", i), Time: later}); err != nil {
			t.Fatal(err)
		}
	}
	if ttl := m.TTL(store.SessionKey("erased")); ttl <= 0 || ttl > time.Hour {
		t.Errorf("danger after DELETE keeps the erased session %v, want at most an hour", ttl)
	}
}
