package handoff_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/internal/handoff"
	"helpline/internal/store/redistest"
)

// With the store down the texter is answered and staff still hear: the
// alert goes to Slack directly, through Slack's failures, once per
// conversation and kind; the log and the metric say so.
func TestAlertWithTheStoreDown(t *testing.T) {
	t.Parallel()
	r := newRig(t, redistest.FewRetries)
	logs := &logBuffer{}
	r.svc.Log = slog.New(slog.NewJSONHandler(logs, nil))
	var mu sync.Mutex
	var results []string
	r.svc.DirectObserved = func(res string) { mu.Lock(); results = append(results, res); mu.Unlock() }
	r.svc.DirectBackoff = 10 * time.Millisecond
	r.slack.failFor = 2
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.svc.RunDirect(ctx, r.slack); close(done) }()
	defer func() { cancel(); <-done }()

	r.m.Close()
	for _, from := range []string{number, number, number, "+15555550999"} {
		tr := r.send(from, "i want to kms")
		if tr.Err != nil || len(tr.Outcome.Texts()) == 0 || !strings.Contains(tr.Outcome.Texts()[0], "988") {
			t.Fatalf("texter not answered with the store down: %+v, %v", tr.Outcome, tr.Err)
		}
	}
	if n := strings.Count(logs.String(), "handoff enqueue failed"); n != 4 {
		t.Fatalf("%d subscriber failures logged with the store down, want 4", n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(results)
		mu.Unlock()
		if n == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	top, _ := r.alerts()
	if len(top) != 2 {
		t.Fatalf("%d alerts reached Slack, want one per conversation (2)", len(top))
	}
	if !strings.Contains(top[0].Blocks, "Posted directly") || !strings.Contains(top[0].Blocks, "suicide") {
		t.Fatalf("direct alert: %s", top[0].Blocks)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(results, []string{handoff.DirectPosted, handoff.DirectPosted}) {
		t.Fatalf("metric results %q", results)
	}
	for _, want := range []string{"crisis alert goes to Slack directly", "crisis alert posted to Slack directly"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no log line %q", want)
		}
	}
	if strings.Contains(logs.String(), "5555550") {
		t.Error("a number in the logs")
	}
}
