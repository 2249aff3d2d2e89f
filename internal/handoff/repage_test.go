package handoff_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/handoff"
)

// An urgent alert nobody claims within RepageAfter (5 minutes unless set)
// is posted again in the alert channel, @here first, once; one claimed in
// time, one whose handoff was closed and a concern are not.
func TestUnclaimedUrgentAlertIsPagedAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	claim := func(t *testing.T, r *rig) {
		top, _ := r.alerts()
		if ok, err := r.svc.Claim(ctx, r.key, "UNURSE", "CALERT", top[0].TS); !ok || err != nil {
			t.Fatalf("claim: %v %v", ok, err)
		}
	}
	for _, tc := range []struct {
		name   string
		after  time.Duration // RepageAfter; 0 for the default
		danger bot.Event     // what the engine read; "i want to kms" when empty
		// before is what staff do a minute after the alert is posted.
		before func(t *testing.T, r *rig)
		want   time.Duration // when it is paged again after it was posted; 0 never
	}{
		{name: "unclaimed", want: 5 * time.Minute},
		{name: "unclaimed, HELPLINE_ALERT_REPAGE=10m", after: 10 * time.Minute, want: 10 * time.Minute},
		{name: "claimed", before: claim},
		{name: "claimed and closed", before: func(t *testing.T, r *rig) {
			claim(t, r)
			if err := r.svc.Close(ctx, r.key, "UNURSE"); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "concern", danger: bot.Event{Kind: bot.EventCrisis, Crisis: "suicide", Tier: flows.TierConcern, Lang: "en"}},
		{name: "concern answered yes", danger: bot.Event{Kind: bot.EventCrisis, Crisis: "suicide", Tier: flows.TierConcernYes, Lang: "en"},
			want: 5 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, e := readingRig(t)
			r.svc.RepageAfter = tc.after
			body := "i want to kms"
			if tc.danger.Kind != "" {
				e.then(tc.danger)
				body = "hello"
			}
			r.text(t, body)
			step := func() {
				t.Helper()
				if _, err := r.box.Step(ctx, "w"); err != nil {
					t.Fatal(err)
				}
			}
			step()
			posted := r.now
			if top, _ := r.alerts(); len(top) != 1 {
				t.Fatalf("%d alerts posted, want 1", len(top))
			}
			if tc.before != nil {
				r.now = posted.Add(time.Minute)
				tc.before(t, r)
				step()
			}
			// paged says how many times the alert was posted again by at
			// after it was posted.
			paged := func(at time.Duration) int {
				t.Helper()
				r.now = posted.Add(at)
				step()
				top, _ := r.alerts()
				return len(top) - 1
			}
			if tc.want == 0 {
				if n := paged(time.Hour); n != 0 {
					t.Fatalf("paged again %d times", n)
				}
				return
			}
			if n := paged(tc.want - time.Second); n != 0 {
				t.Fatalf("paged again before %v", tc.want)
			}
			if n := paged(tc.want); n != 1 {
				t.Fatalf("paged again %d times at %v, want once", n, tc.want)
			}
			top, _ := r.alerts()
			again := top[1]
			if !strings.HasPrefix(again.Fallback, "<!here> Still unclaimed after "+minutes(tc.want)+": Crisis alert (suicide)") {
				t.Errorf("repage fallback %q", again.Fallback)
			}
			if ts := texts(t, again.Blocks); len(ts) == 0 || !strings.HasPrefix(ts[0].Text, "<!here>") {
				t.Errorf("repage text does not start with @here: %+v", ts)
			}
			if !strings.Contains(again.Blocks, handoff.ActionClaim) || !strings.Contains(again.Blocks, string(r.key)) {
				t.Errorf("repage has no Claim button for the texter: %s", again.Blocks)
			}
			// Once: another period unclaimed pages nobody.
			if n := paged(3 * tc.want); n != 1 {
				t.Fatalf("paged again %d times after three periods, want once", n)
			}
			// Claimed from the repage, its thread is the handoff.
			if ok, err := r.svc.Claim(ctx, r.key, "UNURSE", "CALERT", again.TS); !ok || err != nil {
				t.Fatalf("claim from the repage: %v %v", ok, err)
			}
			if ok, err := r.svc.StaffReply(ctx, "CALERT", again.TS, "Ev1", "I'm here with you"); !ok || err != nil {
				t.Fatalf("reply in the repage's thread: %v %v", ok, err)
			}
			r.drain(t)
			if !strings.Contains(strings.Join(r.sms.sent, "\n"), "I'm here with you") {
				t.Fatalf("the reply in the repage's thread did not reach the texter: %q", r.sms.sent)
			}
		})
	}
}

// minutes is how a card says d.
func minutes(d time.Duration) string { return fmt.Sprintf("%d minutes", int(d.Minutes())) }
