package stats

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/go-cmp/cmp"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/store/redistest"
)

func newRecorder(t *testing.T) (*Recorder, *miniredis.Miniredis) {
	t.Helper()
	st, m := redistest.Mini(t)
	return NewRecorder(st.Counters(Retention)), m
}

func TestRecordAndSummary(t *testing.T) {
	t.Parallel()
	r, m := newRecorder(t)
	ctx := context.Background()
	day := time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC)
	steps := func(ids ...string) []bot.Event {
		var evs []bot.Event
		for _, id := range ids {
			evs = append(evs, bot.Event{Kind: bot.EventStep, Step: id})
		}
		return evs
	}
	// Two screenings yesterday and today: one completed, one left at "concern".
	must(t, r.Record(ctx, "sms", append([]bot.Event{{Kind: bot.EventStarted}}, steps("who")...), day.AddDate(0, 0, -1)))
	must(t, r.Record(ctx, "sms", steps("concern", "home"), day.AddDate(0, 0, -1)))
	must(t, r.Record(ctx, "sms", []bot.Event{{Kind: bot.EventCompleted, Lean: "iop"}}, day))
	must(t, r.Record(ctx, "slack", append([]bot.Event{{Kind: bot.EventStarted}}, steps("who", "concern")...), day))
	must(t, r.Record(ctx, "slack", []bot.Event{{Kind: bot.EventCrisis, Crisis: "suicide", Tier: flows.TierUrgent}, {Kind: bot.EventHandoff}, {Kind: bot.EventMiss, Step: "who"}}, day))
	// Three days ago: outside a two-day window.
	must(t, r.Record(ctx, "sms", []bot.Event{{Kind: bot.EventStarted}}, day.AddDate(0, 0, -3)))

	if ttl := m.TTL("hl:stats:2026-11-22"); ttl != Retention {
		t.Errorf("TTL of today's counters = %v, want %v", ttl, Retention)
	}
	got, err := r.Summary(ctx, 2, day)
	must(t, err)
	want := Stats{
		Days: 2, Started: 2, Completed: 1, Handoffs: 1,
		Leans:    map[string]int{"iop": 1},
		Crisis:   map[string]int{"suicide": 1},
		Channels: map[string]int{"sms": 1, "slack": 1},
		Reached:  map[string]int{"who": 2, "concern": 2, "home": 1},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Summary (-want +got):\n%s", d)
	}
	stops := got.Stops([]string{"who", "concern", "home"})
	wantStops := []Stop{{"who", 2, 0}, {"concern", 2, 1}, {"home", 1, 0}}
	if d := cmp.Diff(wantStops, stops); d != "" {
		t.Errorf("Stops (-want +got):\n%s", d)
	}
	if s, ok := MostLeft(stops); !ok || s.Step != "concern" {
		t.Errorf("MostLeft = %v, %v; want concern", s, ok)
	}
}

func TestRecordNothingToCount(t *testing.T) {
	t.Parallel()
	r, m := newRecorder(t)
	must(t, r.Record(context.Background(), "sms", []bot.Event{{Kind: bot.EventMiss}}, time.Now()))
	if keys := m.Keys(); len(keys) != 0 {
		t.Errorf("keys after uncounted events = %v, want none", keys)
	}
}

func TestStopsNeverNegative(t *testing.T) {
	t.Parallel()
	s := Stats{Reached: map[string]int{"who": 1, "concern": 3}, Completed: 5}
	for _, st := range s.Stops([]string{"who", "concern"}) {
		if st.Left < 0 {
			t.Errorf("%s: Left = %d", st.Step, st.Left)
		}
	}
	if _, ok := MostLeft(s.Stops([]string{"who", "concern"})); ok {
		t.Error("MostLeft reported a stop where nobody left")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestBufferFlushesWhatItCounted(t *testing.T) {
	r, m := newRecorder(t)
	b := r.Buffer()
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		b.Record("sms", []bot.Event{{Kind: bot.EventStarted}, {Kind: bot.EventStep, Step: "who"}}, now)
	}
	b.Record("sms", []bot.Event{{Kind: bot.EventCompleted, Lean: "iop"}}, now)
	if m.Exists("hl:stats:2026-03-02") {
		t.Fatal("written before a flush")
	}
	m.Close()
	if err := b.Flush(context.Background()); err == nil {
		t.Fatal("flush succeeded with Redis down")
	}
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := r.Summary(context.Background(), 1, now)
	if err != nil {
		t.Fatal(err)
	}
	if st.Started != 3 || st.Completed != 1 {
		t.Fatalf("after a failed and a good flush: %+v", st)
	}
}
