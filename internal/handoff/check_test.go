package handoff_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/channel"
	"helpline/internal/handoff"
	"helpline/internal/store/outbox"
)

// reading is the engine, with what the danger model would add to the next
// turn's events (a check question asked, an urgent reading and its layer):
// the conversation itself is the engine's, so when the texter was last
// heard is as in production.
type reading struct {
	*bot.Engine
	mu   sync.Mutex
	next []bot.Event
}

func (e *reading) Handle(ctx context.Context, in bot.Inbound) (bot.Outcome, error) {
	out, err := e.Engine.Handle(ctx, in)
	e.mu.Lock()
	out.Events = append(out.Events, e.next...)
	e.next = nil
	e.mu.Unlock()
	return out, err
}

// then adds ev to the events of the next turn.
func (e *reading) then(ev bot.Event) {
	e.mu.Lock()
	e.next = append(e.next, ev)
	e.mu.Unlock()
}

// readingRig is a rig whose texts go through a reading engine.
func readingRig(t *testing.T) (*rig, *reading) {
	t.Helper()
	r := newRig(t)
	e := &reading{Engine: r.eng}
	r.path = channel.New(e, []byte("s"), nil)
	r.svc.Subscribe(r.path, "sms", "whatsapp")
	return r, e
}

// checkAsked is the event of a check question about overdose, asked on
// the model's reading.
var checkAsked = bot.Event{Kind: bot.EventCheck, Crisis: "overdose", Lang: "en", Layer: bot.LayerModel, Prob: 0.62}

// A check question left unanswered for 5 minutes raises a concern alert of
// its kind, saying so and which layer read it; an answer, or an opt-out
// the carrier reported, raises none. Nothing is posted while the texter
// still has time to answer.
func TestUnansweredCheckNotifiesStaff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// after is what happens a minute after the check was asked.
		after func(t *testing.T, r *rig)
		alert bool
	}{
		{"unanswered", func(*testing.T, *rig) {}, true},
		{"answered", func(t *testing.T, r *rig) { r.text(t, "no") }, false},
		{"opted out at the carrier", func(t *testing.T, r *rig) {
			if err := r.eng.MarkOptedOut(context.Background(), r.key); err != nil {
				t.Fatal(err)
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, e := readingRig(t)
			e.then(checkAsked)
			r.text(t, "hello")
			r.now = r.now.Add(time.Minute)
			tc.after(t, r)
			r.drain(t) // two and a half minutes more
			if top, _ := r.alerts(); len(top) != 0 {
				t.Fatalf("posted before the wait was over: %+v", top)
			}
			r.now = r.now.Add(2 * time.Minute)
			r.drain(t)
			top, _ := r.alerts()
			if !tc.alert {
				if len(top) != 0 {
					t.Fatalf("alert after the check was answered: %+v", top)
				}
				return
			}
			if len(top) != 1 {
				t.Fatalf("%d alerts for an unanswered check, want 1", len(top))
			}
			for _, want := range []string{"Check in (overdose)", "the check question about overdose went unanswered for 5 minutes", "Read by the model (0.62)"} {
				if !strings.Contains(top[0].Fallback, want) {
					t.Errorf("fallback %q lacks %q", top[0].Fallback, want)
				}
			}
			for _, want := range []string{"Check in: overdose", "tier *concern*", "the check question about overdose went unanswered for 5 minutes", "Read by the model (0.62)", handoff.ActionClaim} {
				if !strings.Contains(top[0].Blocks, want) {
					t.Errorf("card lacks %q: %s", want, top[0].Blocks)
				}
			}
			// A concern is not paged again.
			r.now = r.now.Add(time.Hour)
			r.drain(t)
			if top, _ := r.alerts(); len(top) != 1 {
				t.Fatalf("%d posts in the alert channel after an hour, want the one concern alert", len(top))
			}
		})
	}
}

// CheckWait sets the wait; what waits in Redis names neither the kind nor
// the number.
func TestCheckWaitIsSealed(t *testing.T) {
	t.Parallel()
	r, e := readingRig(t)
	r.svc.CheckWait = 10 * time.Minute
	e.then(checkAsked)
	r.text(t, "hello")
	waiting, err := r.m.ZMembers(outbox.DelayedKey + ":" + handoff.AlertLane)
	if err != nil || len(waiting) != 1 {
		t.Fatalf("waiting: %v, %v", waiting, err)
	}
	for _, plain := range []string{"overdose", number, "model"} {
		if strings.Contains(waiting[0], plain) {
			t.Errorf("the check's wait holds %q in plain form: %s", plain, waiting[0])
		}
	}
	r.now = r.now.Add(9 * time.Minute)
	r.drain(t)
	top, _ := r.alerts()
	if len(top) != 1 || !strings.Contains(top[0].Fallback, "unanswered for 10 minutes") {
		t.Fatalf("after CheckWait: %+v", top)
	}
}

// A staff screening in Slack is not a texter: its check questions tell
// nobody.
func TestChecksOfStaffScreeningsTellNobody(t *testing.T) {
	t.Parallel()
	r, e := readingRig(t)
	e.then(checkAsked)
	r.textFrom(t, "slack:U123", "hello")
	r.now = r.now.Add(10 * time.Minute)
	r.drain(t)
	if top, _ := r.alerts(); len(top) != 0 {
		t.Fatalf("a staff screening's check alerted: %+v", top)
	}
}

// An alert says which layer read the danger: on the card and in the
// fallback, from the engine's event; an alert without a layer (kept from
// before layers were told) says nothing of it.
func TestAlertSaysWhichLayerDecided(t *testing.T) {
	t.Parallel()
	r, e := readingRig(t)
	e.then(bot.Event{Kind: bot.EventCrisis, Crisis: "overdose", Tier: flows.TierUrgent, Lang: "en", Layer: bot.LayerModel, Prob: 0.91})
	r.text(t, "hello")
	r.drain(t)
	top, _ := r.alerts()
	if len(top) != 1 || !strings.Contains(top[0].Fallback, "Read by the model (0.91)") || !strings.Contains(top[0].Blocks, "Read by the model (0.91)") {
		t.Fatalf("alert of the model's reading: %+v", top)
	}

	for _, tc := range []struct {
		name    string
		payload string
		want    string
	}{
		{"patterns", `{"Key":"k1","Masked":"***-***-0123","Kind":"suicide","Tier":"urgent","Lang":"en","At":1700000000,"Layer":"patterns"}`, "Read by the patterns"},
		{"model", `{"Key":"k1","Masked":"***-***-0123","Kind":"suicide","Tier":"urgent","Lang":"en","At":1700000000,"Layer":"model","Prob":0.873}`, "Read by the model (0.87)"},
		{"old payload", `{"Key":"k1","Masked":"***-***-0123","Kind":"suicide","Tier":"urgent","Lang":"en","At":1700000000}`, ""},
	} {
		var a handoff.Alert
		if err := json.Unmarshal([]byte(tc.payload), &a); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		fallback, blocks := handoff.AlertBlocks(a, nil)
		b, _ := json.Marshal(blocks)
		switch {
		case tc.want == "" && (strings.Contains(fallback, "Read by") || strings.Contains(string(b), "Read by")):
			t.Errorf("%s: says a layer: %q %s", tc.name, fallback, b)
		case tc.want != "" && (!strings.Contains(fallback, tc.want) || !strings.Contains(string(b), tc.want)):
			t.Errorf("%s: lacks %q: %q %s", tc.name, tc.want, fallback, b)
		}
	}
}
