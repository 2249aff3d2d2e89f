package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"helpline/bot"
	"helpline/internal/store/redistest"
)

// The keys the store's types write are named as they were before those
// types existed, so what one release wrote the next still reads; and every
// one of them expires.
func TestKeyNamesSurviveADeploy(t *testing.T) {
	t.Parallel()
	st, m := redistest.Mini(t)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	k := bot.Key("k")
	hs := st.Handoffs(time.Hour)
	must(hs.SaveRecord(ctx, k, []byte("{}")))
	must(hs.KeepNumber(ctx, k, "sealed"))
	must(hs.KeepLang(ctx, k, "es"))
	_, err := hs.Claim(ctx, k, "U1")
	must(err)
	must(hs.MapThread(ctx, "C1", "1.2", k))
	must(hs.QueueText(ctx, k, "id1", "id1 sealed"))
	_, _, err = hs.RaiseAlert(ctx, k, "suicide", 3, time.Now(), time.Hour, time.Minute)
	must(err)
	_, locked, err := hs.LockRelay(ctx, k)
	must(err)
	if !locked {
		t.Fatal("a free relay lock was not taken")
	}
	_, locked, err = hs.LockTexts(ctx, k)
	must(err)
	if !locked {
		t.Fatal("a free texts lock was not taken")
	}
	rt := st.CountRoundTrips()
	must(hs.QueueRelayKeepingAlive(ctx, k, "text", "C1", "1.2"))
	before := rt.Count() // the first may set up a connection too
	must(hs.QueueRelayKeepingAlive(ctx, k, "more", "C1", "1.2"))
	if n := rt.Count() - before; n != 1 {
		t.Errorf("queueing a relay and keeping the handoff alive took %d round trips, want 1", n)
	}
	must(st.Slack().SetPrompt(ctx, k, "1.3", time.Hour))
	_, err = st.Slack().FirstDelivery(ctx, "Ev1", time.Hour)
	must(err)
	must(st.Counters(time.Hour).Add(ctx, map[string]map[string]int64{"2026-03-02": {"started": 1}}))

	want := []string{
		"hl:slack:event:Ev1", "hl:stats:2026-03-02", "hl:thread:C1:1.2",
		"hl:{k}:a", "hl:{k}:c", "hl:{k}:h", "hl:{k}:l", "hl:{k}:n", "hl:{k}:r", "hl:{k}:rl",
		"hl:{k}:o", "hl:{k}:ol", "hl:{k}:t", "hl:{k}:slack_prompt",
	}
	got := m.Keys()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("keys %q, want %q", got, want)
	}
	for _, key := range got {
		if m.TTL(key) <= 0 {
			t.Errorf("%s never expires", key)
		}
	}
}

// A screening's current question is taken once, and only from the message
// that holds it.
func TestPromptTakenOnce(t *testing.T) {
	t.Parallel()
	st, _ := redistest.Mini(t)
	ctx := context.Background()
	sl := st.Slack()
	if err := sl.SetPrompt(ctx, "k", "2.0", time.Hour); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		ts   string
		want bool
	}{{"1.0", false}, {"2.0", true}, {"2.0", false}} {
		if got, err := sl.TakePrompt(ctx, "k", c.ts); err != nil || got != c.want {
			t.Fatalf("click %d on %s: took %v, %v; want %v", i, c.ts, got, err, c.want)
		}
	}
}
