package handoff_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestCrisisAlertAndClaim(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.text(t, "hi")
	out := r.text(t, "i want to kms")
	if len(out.Texts()) == 0 || !strings.Contains(out.Texts()[0], "988") {
		t.Fatalf("crisis reply %+v", out)
	}
	r.drain(t)
	if len(r.slack.posts) != 1 || r.slack.posts[0].Channel != "CALERT" || !strings.Contains(r.slack.posts[0].Blocks, "suicide") {
		t.Fatalf("alert: %+v", r.slack.posts)
	}
	alertTS := r.slack.posts[0].TS
	ok, err := r.svc.Claim(context.Background(), r.key, "UNURSE", "CALERT", alertTS)
	if !ok || err != nil {
		t.Fatalf("claim alert = %v, %v", ok, err)
	}
	r.drain(t)
	if len(r.sms.sent) != 1 {
		t.Fatalf("texter not told after claim: %q", r.sms.sent)
	}
	if ok, _ := r.svc.StaffReply(context.Background(), "CALERT", alertTS, "Ev1", "Are you safe right now?"); !ok {
		t.Fatal("reply in the alert thread not relayed")
	}
	out = r.text(t, "yes, safe")
	if out.Relay != "yes, safe" {
		t.Fatalf("texter's answer not relayed to the alert thread: %+v", out)
	}
	r.drain(t)
	if last := r.slack.posts[len(r.slack.posts)-1]; last.ThreadTS != alertTS {
		t.Fatalf("texter's text not in the alert thread: %+v", last)
	}
}

// Danger written during a claimed handoff reaches the staff member's thread
// as well as the alert channel; a later alert can be claimed after an
// earlier handoff was closed.
func TestCrisisDuringAndAfterAHandoff(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	r.text(t, "hi")
	r.text(t, "call")
	r.drain(t)
	cardTS := r.slack.posts[0].TS
	r.svc.Claim(ctx, r.key, "USAM", "CINTAKE", cardTS)
	r.text(t, "i want to end it all")
	r.drain(t)
	inThread, alerted := false, false
	for _, p := range r.slack.posts {
		inThread = inThread || (p.ThreadTS == cardTS && strings.Contains(p.Blocks, "end it all"))
		alerted = alerted || p.Channel == "CALERT"
	}
	if !inThread || !alerted {
		t.Fatalf("in thread %v, alerted %v: %+v", inThread, alerted, r.slack.posts)
	}
	if err := r.svc.Close(ctx, r.key, "USAM"); err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	r.text(t, "i want to kill myself")
	r.drain(t)
	alertTS := r.slack.posts[len(r.slack.posts)-1].TS
	if ok, err := r.svc.Claim(ctx, r.key, "UNURSE", "CALERT", alertTS); !ok || err != nil {
		t.Fatalf("claiming a new alert after a closed handoff: %v, %v", ok, err)
	}
}

// Two staff clicking Claim at once: exactly one gets the texter.
func TestConcurrentClaims(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.text(t, "hi")
	r.text(t, "call")
	r.drain(t)
	var wg sync.WaitGroup
	wins := make(chan string, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprint("U", i)
			if ok, _ := r.svc.Claim(context.Background(), r.key, user, "CINTAKE", r.slack.posts[0].TS); ok {
				wins <- user
			}
		}()
	}
	wg.Wait()
	close(wins)
	if n := len(wins); n != 1 {
		t.Fatalf("%d staff got the texter", n)
	}
	r.drain(t)
	if len(r.sms.sent) != 1 {
		t.Fatalf("texter told %d times", len(r.sms.sent))
	}
}

// A Spanish crisis text, claimed: the texter hears from staff in Spanish.
func TestClaimedSpanishAlertAnswersInSpanish(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.text(t, "me quiero morir")
	r.drain(t)
	if ok, err := r.svc.Claim(context.Background(), r.key, "UNURSE", "CALERT", r.slack.posts[0].TS); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	r.drain(t)
	if len(r.sms.sent) != 1 || !strings.Contains(r.sms.sent[0], "Una persona de nuestro equipo") {
		t.Fatalf("claim notice: %q", r.sms.sent)
	}
}
