package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/channel"
)

type pinger struct{ err error }

func (p *pinger) Ping(context.Context) error { return p.err }

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	p := &pinger{}
	s := New(p, NewMetrics(), slog.New(slog.DiscardHandler))
	get := func(path string) int {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code
	}
	if get("/healthz") != 200 || get("/readyz") != 200 {
		t.Fatal("not healthy and ready with the store up")
	}
	s.Models = "danger 0a1b2c3d4e5f intents 6a7b8c9d0e1f"
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if !strings.Contains(rec.Body.String(), "models danger 0a1b2c3d4e5f intents 6a7b8c9d0e1f") {
		t.Errorf("/readyz does not name the models: %q", rec.Body.String())
	}
	p.err = errors.New("connection refused")
	if get("/healthz") != 200 || get("/readyz") != http.StatusServiceUnavailable {
		t.Fatal("readiness does not follow the store")
	}
}

// outcome is an engine that answers every message with the same outcome.
type outcome struct{ out bot.Outcome }

func (o outcome) Handle(context.Context, bot.Inbound) (bot.Outcome, error) { return o.out, nil }
func (outcome) FixedText(string, string) string                            { return "" }
func (outcome) Urgent(string) bool                                         { return false }
func (outcome) HelpText(string) string                                     { return "" }

// Metrics subscribe to the channel path: each event kind counted by the
// channel it came by.
func TestMetricsFromEvents(t *testing.T) {
	t.Parallel()
	m := NewMetrics()
	p := channel.New(outcome{bot.Outcome{Replies: []bot.Reply{{Text: "a"}, {Text: "b"}}, Events: []bot.Event{
		{Kind: bot.EventStarted, Lang: "es"}, {Kind: bot.EventStep, Flow: "screening", Step: "who"},
		{Kind: bot.EventCompleted, Lang: "es", Lean: "iop"}, {Kind: bot.EventCrisis, Crisis: "overdose", Tier: flows.TierUrgent},
		{Kind: bot.EventHandoff}, {Kind: bot.EventStoreDown},
		// Concern asked twice, answered yes once: one more escalation.
		{Kind: bot.EventCrisis, Crisis: "suicide", Tier: flows.TierConcern}, {Kind: bot.EventConcern},
		{Kind: bot.EventCrisis, Crisis: "suicide", Tier: flows.TierConcernYes},
		{Kind: bot.EventCrisis, Crisis: "suicide", Tier: flows.TierConcern}, {Kind: bot.EventConcern},
		{Kind: bot.EventCrisis, Crisis: "suicide", Tier: flows.TierNonAcute},
	}}}, []byte("secret"), nil)
	m.Subscribe(p)
	p.Handle(context.Background(), "sms", "+15555550123", bot.Inbound{Text: "hi"})
	m.AlertDirect("posted")
	s := New(&pinger{}, m, slog.New(slog.DiscardHandler))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`helpline_messages_total{channel="sms",direction="in"} 1`,
		`helpline_messages_total{channel="sms",direction="out"} 2`,
		`helpline_screenings_started_total{channel="sms",lang="es"} 1`,
		`helpline_screenings_completed_total{channel="sms",lang="es",lean="iop"} 1`,
		`helpline_crisis_escalations_total{channel="sms",kind="overdose"} 1`,
		`helpline_crisis_escalations_total{channel="sms",kind="suicide"} 1`,
		`helpline_crisis_concerns_total{channel="sms",kind="suicide"} 2`,
		`helpline_handoffs_total{channel="sms"} 1`,
		`helpline_step_reached_total{flow="screening",step="who"} 1`,
		`helpline_store_errors_total 1`,
		`helpline_turn_duration_seconds_count 1`,
		`helpline_alerts_direct_total{result="posted"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// script is an engine that answers each message with the next outcome.
type script struct {
	outcome
	mu   sync.Mutex
	outs []bot.Outcome
}

func (s *script) Handle(context.Context, bot.Inbound) (bot.Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.outs[0]
	s.outs = s.outs[1:]
	return out, nil
}

// Which layer decided is counted for every urgent answer and check
// question, by kind; each direct question asked is counted with the kind
// of danger that asked it; no text, ever.
func TestCrisisDecisionsAndConcernKinds(t *testing.T) {
	t.Parallel()
	const said = "i took everything i had"
	turns := []bot.Outcome{
		{Events: []bot.Event{{Kind: bot.EventCrisis, Crisis: "overdose", Tier: flows.TierUrgent, Layer: bot.LayerPatterns, Text: said}}},
		{Events: []bot.Event{{Kind: bot.EventCrisis, Crisis: "selfharm", Tier: flows.TierUrgent, Layer: bot.LayerModel, Prob: 0.93, Text: said}}},
		{Events: []bot.Event{{Kind: bot.EventCheck, Crisis: "overdose", Layer: bot.LayerModel, Prob: 0.41}}},
		// Words of concern: the direct question first, then the reading.
		{Events: []bot.Event{{Kind: bot.EventConcern}, {Kind: bot.EventCrisis, Crisis: "suicide", Tier: flows.TierConcern, Layer: bot.LayerPatterns}}},
		// A check question of self-harm is the direct question.
		{Events: []bot.Event{{Kind: bot.EventCheck, Crisis: "selfharm", Layer: bot.LayerModel, Prob: 0.55}, {Kind: bot.EventConcern}}},
		// Yes to the screening's safety question asks it too.
		{Events: []bot.Event{{Kind: bot.EventConcern}}},
		// Yes to the direct question: read by the rules, no layer named.
		{Events: []bot.Event{{Kind: bot.EventCrisis, Crisis: "suicide", Tier: flows.TierConcernYes}}},
		{Events: []bot.Event{{Kind: bot.EventCrisis, Crisis: "suicide", Tier: flows.TierNonAcute}}},
		// A retried message counts nothing again.
		{Duplicate: true, Events: []bot.Event{{Kind: bot.EventCheck, Crisis: "overdose", Layer: bot.LayerModel}, {Kind: bot.EventConcern}}},
	}
	m := NewMetrics()
	p := channel.New(&script{outs: turns}, []byte("secret"), nil)
	m.Subscribe(p)
	for range turns {
		p.Handle(context.Background(), "sms", "+15555550123", bot.Inbound{Text: said})
	}
	rec := httptest.NewRecorder()
	New(&pinger{}, m, slog.New(slog.DiscardHandler)).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	var got []string
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		for _, name := range []string{"helpline_crisis_decisions_total{", "helpline_crisis_concerns_total{", "helpline_crisis_escalations_total{"} {
			if strings.HasPrefix(line, name) {
				got = append(got, line)
			}
		}
	}
	want := []string{
		`helpline_crisis_escalations_total{channel="sms",kind="overdose"} 1`,
		`helpline_crisis_escalations_total{channel="sms",kind="selfharm"} 1`,
		`helpline_crisis_escalations_total{channel="sms",kind="suicide"} 1`,
		`helpline_crisis_concerns_total{channel="sms",kind="selfharm"} 1`,
		`helpline_crisis_concerns_total{channel="sms",kind="suicide"} 2`,
		`helpline_crisis_decisions_total{layer="model",kind="overdose"} 1`,
		`helpline_crisis_decisions_total{layer="model",kind="selfharm"} 2`,
		`helpline_crisis_decisions_total{layer="pattern",kind="overdose"} 1`,
		`helpline_crisis_decisions_total{layer="pattern",kind="suicide"} 1`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("crisis metrics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(rec.Body.String(), said) {
		t.Error("the metrics hold a texter's words")
	}
}

// On shutdown a request in flight is finished, not cut.
func TestShutdownDrains(t *testing.T) {
	t.Parallel()
	s := New(&pinger{}, NewMetrics(), slog.New(slog.DiscardHandler))
	started := make(chan struct{})
	s.Handle("GET /slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "done")
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, l, nil, 5*time.Second) }()
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + l.Addr().String() + "/slow")
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-started
	cancel()
	if body := <-got; body != "done" {
		t.Fatalf("in-flight request got %q", body)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}

// With a listener of its own, /metrics is served there alone and not on
// the public listener; without one, on the public listener.
func TestMetricsOnTheirOwnListener(t *testing.T) {
	t.Parallel()
	listen := func() net.Listener {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	get := func(l net.Listener, path string) (int, string) {
		resp, err := http.Get("http://" + l.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, apart := range []bool{true, false} {
		s := New(&pinger{}, NewMetrics(), slog.New(slog.DiscardHandler))
		public := listen()
		var private net.Listener
		if apart {
			private = listen()
		}
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- s.Serve(ctx, public, private, 5*time.Second) }()
		code, body := get(public, "/metrics")
		switch {
		case apart && code != http.StatusNotFound:
			t.Errorf("/metrics on the public listener with a metrics listener: %d", code)
		case !apart && (code != http.StatusOK || !strings.Contains(body, "go_goroutines")):
			t.Errorf("/metrics on the public listener by default: %d", code)
		}
		if code, _ := get(public, "/healthz"); code != http.StatusOK {
			t.Errorf("/healthz: %d", code)
		}
		if apart {
			if code, body := get(private, "/metrics"); code != http.StatusOK || !strings.Contains(body, "go_goroutines") {
				t.Errorf("/metrics on its own listener: %d", code)
			}
			if code, _ := get(private, "/healthz"); code != http.StatusNotFound {
				t.Errorf("the metrics listener serves more than /metrics: /healthz %d", code)
			}
		}
		cancel()
		if err := <-served; err != nil {
			t.Fatal(err)
		}
	}
}
