package handoff_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"helpline/bot"
	"helpline/internal/store"
)

func TestWholeHandoff(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	for _, s := range []string{"hi", "1", "1"} {
		r.text(t, s)
	}
	r.text(t, "CALL")
	r.drain(t)
	if len(r.slack.posts) != 1 || r.slack.posts[0].Channel != "CINTAKE" {
		t.Fatalf("card posts: %+v", r.slack.posts)
	}
	cardTS := r.slack.posts[0].TS
	if !strings.Contains(r.slack.posts[0].Blocks, "***-***-0123") || !strings.Contains(r.slack.posts[0].Blocks, "question 2 of 14") {
		t.Fatalf("card lacks masked number or progress: %s", r.slack.posts[0].Blocks)
	}

	// The texter writes while waiting: it lands in the card's thread.
	out := r.text(t, "are you there?")
	if out.Relay == "" {
		t.Fatal("text during handoff was not relayed")
	}
	r.drain(t)
	if p := r.slack.posts[1]; p.ThreadTS != cardTS || !strings.Contains(p.Blocks, "are you there?") {
		t.Fatalf("relay post %+v", p)
	}

	// Claim: the card shows who, the texter is told.
	if ok, err := r.svc.Claim(ctx, r.key, "USAM", "CINTAKE", cardTS); !ok || err != nil {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	if ok, _ := r.svc.Claim(ctx, r.key, "UOTHER", "CINTAKE", cardTS); ok {
		t.Fatal("a second staff member took a claimed handoff")
	}
	r.drain(t)
	if len(r.slack.updates) != 1 || !strings.Contains(r.slack.updates[0].Blocks, `Claimed by \u003c@USAM`) {
		t.Fatalf("updates: %+v", r.slack.updates)
	}
	if len(r.sms.sent) != 1 || !strings.HasPrefix(r.sms.sent[0], number+"|A person from our team") {
		t.Fatalf("claim notice: %q", r.sms.sent)
	}

	// A staff reply in the thread is texted once, even when Slack retries the event.
	for i := 0; i < 2; i++ {
		ok, err := r.svc.StaffReply(ctx, "CINTAKE", cardTS, "Ev123", "Hi, this is Sam from intake.")
		if !ok || err != nil {
			t.Fatalf("staff reply = %v, %v", ok, err)
		}
	}
	r.drain(t)
	if len(r.sms.sent) != 2 || r.sms.sent[1] != number+"|Hi, this is Sam from intake." {
		t.Fatalf("relayed replies: %q", r.sms.sent)
	}

	// Show number: only to the claimer, recorded.
	shown := 0
	r.svc.Accessed = func() { shown++ }
	if _, err := r.svc.ShowNumber(ctx, r.key, "UOTHER"); err == nil {
		t.Fatal("number shown to someone who did not claim")
	}
	if got, err := r.svc.ShowNumber(ctx, r.key, "USAM"); got != number || err != nil || shown != 1 {
		t.Fatalf("ShowNumber = %q, %v (shown %d)", got, err, shown)
	}

	// Close: the texter is told and back with the assistant; the number is gone.
	if err := r.svc.Close(ctx, r.key, "USAM"); err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	if !strings.Contains(r.sms.sent[len(r.sms.sent)-1], "closed this chat") {
		t.Fatalf("close notice: %q", r.sms.sent)
	}
	if r.m.Exists(store.ConversationKey(r.key, "n")) {
		t.Fatal("number kept after close")
	}
	out = r.text(t, "5")
	if out.Relay != "" || !strings.Contains(out.Texts()[0], "health problem") {
		t.Fatalf("after close: %+v", out)
	}
	if ok, _ := r.svc.StaffReply(ctx, "CINTAKE", cardTS, "Ev999", "late"); ok {
		t.Fatal("a reply after close was relayed")
	}
	// Nothing sent to Slack ever carried the full number.
	for _, p := range append(r.slack.posts, r.slack.updates...) {
		if strings.Contains(p.Blocks+p.Fallback, "5555550123") {
			t.Fatalf("full number in a Slack payload: %s", p.Blocks)
		}
	}
}

// Slack down for a while: every card arrives, once.
func TestSlackOutageLosesNothing(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.slack.failFor = 6
	for i := 0; i < 4; i++ {
		for _, s := range []string{"hi", "call"} {
			r.textFrom(t, fmt.Sprintf("+1555555%04d", i), s)
		}
	}
	r.drain(t)
	if len(r.slack.posts) != 4 {
		t.Fatalf("%d cards posted after the outage, want 4", len(r.slack.posts))
	}
	seen := map[string]bool{}
	for _, p := range r.slack.posts {
		if seen[p.Fallback] {
			t.Fatalf("card posted twice: %s", p.Fallback)
		}
		seen[p.Fallback] = true
	}
}

// A staff member's own screening in Slack goes through the same path, but
// it is not a texter: yes to the safety question and to the direct
// question after it (what a caller may answer) raises no alert. Slack's
// screening sends only typed answers and commands, so it cannot say CALL.
func TestStaffScreeningsAreNotTexters(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	handle := func(in bot.Inbound) bot.Outcome {
		t.Helper()
		r.n++
		in.MessageID = fmt.Sprint("click", r.n)
		tr := r.path.Handle(ctx, "slack", "slack:T1:U1", in)
		if tr.Err != nil {
			t.Fatal(tr.Err)
		}
		return tr.Outcome
	}
	out := handle(bot.Inbound{Command: bot.CommandRestart})
	danger := false
	for i := 0; out.Summary() == nil && i < 30; i++ {
		q := out.Asked()
		if q == nil || len(q.Choices) == 0 {
			t.Fatalf("nothing asked: %+v", out.Replies)
		}
		value := q.Choices[0].Value
		if q.Step == "safety" || q.Step == bot.NowStep {
			value = "yes"
		}
		out = handle(bot.Inbound{Answer: &bot.Answer{Step: q.Step, Values: []string{value}}})
		for _, ev := range out.Events {
			danger = danger || ev.Kind == bot.EventCrisis
		}
	}
	if !danger {
		t.Fatal("the screening raised no danger event to ignore")
	}
	r.drain(t)
	if len(r.slack.posts) != 0 {
		t.Fatalf("a staff screening reached the intake or alert channel: %+v", r.slack.posts)
	}
}
