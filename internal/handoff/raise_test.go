package handoff_test

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A hundred texts of danger from one number: a hundred answers, one alert,
// and its thread told the count; a new kind, another texter, or the same
// kind a day later is a new alert.
func TestOneAlertPerConversationAndKind(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for i := 0; i < 100; i++ {
		if out := r.text(t, "i want to kms"); len(out.Texts()) == 0 || !strings.Contains(out.Texts()[0], "988") {
			t.Fatalf("text %d not answered: %+v", i, out)
		}
	}
	r.drain(t)
	top, threads := r.alerts()
	if len(top) != 1 {
		t.Fatalf("%d alerts for one conversation, want 1", len(top))
	}
	updates := threads[top[0].TS]
	if len(updates) == 0 || !strings.Contains(updates[len(updates)-1].Fallback, "Again: 100 texts with words of suicide") {
		t.Fatalf("thread of the alert: %+v", updates)
	}
	if len(updates) > 2 {
		t.Fatalf("%d thread updates for one burst", len(updates))
	}

	r.text(t, "I took too many pills") // a new kind
	r.textFrom(t, "+15555550999", "i want to kms")
	r.drain(t)
	if top, _ = r.alerts(); len(top) != 3 || !strings.Contains(top[1].Blocks, "overdose") {
		t.Fatalf("after a new kind and another texter: %d alerts", len(top))
	}
	r.now = r.now.Add(24 * time.Hour)
	r.text(t, "i want to kms")
	r.drain(t)
	if top, _ = r.alerts(); len(top) != 4 {
		t.Fatalf("a day later: %d alerts, want a new one (4)", len(top))
	}
}

// A texter writing danger every second for a minute: the alert's thread is
// updated at most every AgainEvery (30 s), and the last update has the
// whole count.
func TestAlertThreadUpdatesAreSpaced(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	for i := 0; i < 60; i++ {
		r.text(t, "i want to kms")
		if _, err := r.box.Step(ctx, "w"); err != nil {
			t.Fatal(err)
		}
		r.now = r.now.Add(time.Second)
	}
	r.drain(t)
	top, threads := r.alerts()
	if len(top) != 1 {
		t.Fatalf("%d alerts", len(top))
	}
	updates := threads[top[0].TS]
	if len(updates) < 2 || len(updates) > 4 {
		t.Fatalf("%d thread updates in a minute, want 2 to 4: %+v", len(updates), updates)
	}
	if last := updates[len(updates)-1].Fallback; !strings.Contains(last, "Again: 60 texts") {
		t.Fatalf("last update %q, want the count of 60", last)
	}
}

// Claimed, the alert's thread is the handoff: the same kind again is
// counted there; once staff close the handoff, danger is a new alert.
func TestAlertClosesWithItsHandoff(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	r.text(t, "i want to kms")
	r.drain(t)
	top, _ := r.alerts()
	if ok, err := r.svc.Claim(ctx, r.key, "UNURSE", "CALERT", top[0].TS); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	r.text(t, "i want to end it all")
	r.drain(t)
	top, threads := r.alerts()
	if len(top) != 1 {
		t.Fatalf("%d alerts while the handoff is open", len(top))
	}
	counted := false
	for _, p := range threads[top[0].TS] {
		counted = counted || strings.Contains(p.Fallback, "Again: 2 texts")
	}
	if !counted {
		t.Fatalf("the handoff thread was not told of the second text: %+v", threads[top[0].TS])
	}
	if err := r.svc.Close(ctx, r.key, "UNURSE"); err != nil {
		t.Fatal(err)
	}
	r.text(t, "i want to kms")
	r.drain(t)
	if top, _ = r.alerts(); len(top) != 2 {
		t.Fatalf("after close: %d alerts, want a new one (2)", len(top))
	}
}
