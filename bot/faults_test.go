package bot_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/store"
	"helpline/internal/store/redistest"
)

// Danger at the end of a long text is danger: nothing is cut before the
// check, in bytes or in characters, however long the text.
func TestDangerAtTheEndOfALongText(t *testing.T) {
	t.Parallel()
	e := newEngine(t, newMemStore())
	story := strings.Repeat("Things have been really hard since the winter 😔 and work let me go. ", 20)
	for _, tc := range []struct{ name, text string }{
		{"a story with emoji", story[:1343-len("I want to kill myself tonight.")] + "I want to kill myself tonight."},
		{"420 crying faces", strings.Repeat("😭", 420) + " i want to kill myself tonight"},
		{"Spanish", strings.Repeat("Ya no aguanto esta situación con mi familia y el trabajo. ", 14) + "quiero matarme"},
		{"sixty thousand characters", strings.Repeat("i keep thinking about everything that went wrong. ", 1200) + "i took all my pills"},
	} {
		out, err := e.Handle(context.Background(), bot.Inbound{Key: bot.Key("long-" + tc.name), Text: tc.text, MessageID: "SM" + tc.name})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(out.Events, func(ev bot.Event) bool { return ev.Kind == bot.EventCrisis && ev.Urgent() }) {
			t.Errorf("%s (%d characters, %d bytes): no urgent danger: %q", tc.name, len([]rune(tc.text)), len(tc.text), out.Texts())
		}
		if out.Said != tc.text {
			t.Errorf("%s: staff would see %d of %d characters", tc.name, len([]rune(out.Said)), len([]rune(tc.text)))
		}
	}
}

// A retried message is recognised for the whole session, not only among
// the last few: a "1" replayed seven messages later changes nothing.
func TestRetryRecognisedForTheWholeSession(t *testing.T) {
	t.Parallel()
	e := newEngine(t, newMemStore())
	ctx := context.Background()
	send := func(text, sid string) bot.Outcome {
		out, err := e.Handle(ctx, bot.Inbound{Key: "retry", Text: text, MessageID: sid})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	send("hi", "SM0")
	send("1", "SM1") // yes, start
	for i, answer := range []string{"1", "1", "2", "1", "1", "2", "2"} {
		send(answer, fmt.Sprintf("SM%d", i+2))
	}
	before := send("1", "SM1")
	if !before.Duplicate || len(before.Events) > 0 {
		t.Fatalf("a message replayed seven messages later was taken anew: %+v", before)
	}
}

// hungStore is a store that never answers: every call waits for its
// context to end.
type hungStore struct{}

func (h *hungStore) Update(ctx context.Context, _ bot.Key, _ func(*bot.Session) error) error {
	<-ctx.Done()
	return ctx.Err()
}

func (h *hungStore) Ping(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }

func (h *hungStore) Load(ctx context.Context, _ bot.Key) (*bot.Session, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// With the store hung, every message is answered, each with what it needs
// and no store: danger and words of concern with 911 and 988, STOP with
// its confirmation (and nothing sent to the texter until it is stored),
// HELP with its text, anything else with the apology.
func TestAnswersWithTheStoreHung(t *testing.T) {
	t.Parallel()
	e := newEngine(t, &hungStore{})
	ctx := context.Background()
	for _, tc := range []struct {
		text, reply string
		event       bot.EventKind
	}{
		{"i took all my pills", "911", bot.EventCrisis},
		{"nobody would miss me", "988", bot.EventCrisis},
		{"STOP", "won't get more texts", bot.EventOptOut},
		{"HELP", "Msg & data rates may apply", bot.EventStoreDown},
		{"every day", "something went wrong", bot.EventStoreDown},
	} {
		start := time.Now()
		out, _ := e.Handle(ctx, bot.Inbound{Key: bot.Key("hung-" + tc.text), Text: tc.text, MessageID: "SM1"})
		took := time.Since(start)
		if !strings.Contains(strings.Join(out.Texts(), "\n"), tc.reply) {
			t.Errorf("%q with the store hung: %q, want %q", tc.text, out.Texts(), tc.reply)
		}
		if !slices.ContainsFunc(out.Events, func(ev bot.Event) bool { return ev.Kind == tc.event }) {
			t.Errorf("%q with the store hung: events %+v, want %s", tc.text, out.Events, tc.event)
		}
		if took > 3*time.Second {
			t.Errorf("%q waited %v on a hung store", tc.text, took)
		}
	}
	stopped, err := e.OptedOut(ctx, "hung-STOP")
	if err != nil || !stopped {
		t.Fatalf("a STOP the store could not take: opted out %v, %v", stopped, err)
	}
}

// A STOP the store could not take is written when it answers again.
func TestStopKeptUntilTheStoreAnswers(t *testing.T) {
	t.Parallel()
	st := &flakyStore{memStore: newMemStore(), down: true}
	e := newEngine(t, st)
	ctx := context.Background()
	e.Handle(ctx, bot.Inbound{Key: "k", Text: "hi", MessageID: "SM0"})
	out, err := e.Handle(ctx, bot.Inbound{Key: "k", Text: "stop", MessageID: "SM1"})
	if err == nil || !strings.Contains(strings.Join(out.Texts(), " "), "won't get more texts") {
		t.Fatalf("STOP with the store down: %q, %v", out.Texts(), err)
	}
	st.set(false)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { e.RetryStops(rctx, 10*time.Millisecond); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if s, ok := st.get("k"); ok && s.Status == bot.StatusOptedOut {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if s, _ := st.get("k"); s.Status != bot.StatusOptedOut {
		t.Fatalf("the STOP was not written when the store came back: status %q", s.Status)
	}
	if out, _ := e.Handle(ctx, bot.Inbound{Key: "k", Text: "are you there", MessageID: "SM2"}); len(out.Texts()) > 0 {
		t.Fatalf("answered after STOP: %q", out.Texts())
	}
}

// flakyStore is a map store that can be made to fail.
type flakyStore struct {
	*memStore
	mu   sync.Mutex
	down bool
}

func (f *flakyStore) set(down bool) { f.mu.Lock(); f.down = down; f.mu.Unlock() }

func (f *flakyStore) Update(ctx context.Context, k bot.Key, fn func(*bot.Session) error) error {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		return errors.New("store down")
	}
	return f.memStore.Update(ctx, k, fn)
}

func (f *flakyStore) Load(ctx context.Context, k bot.Key) (*bot.Session, error) {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		return nil, errors.New("store down")
	}
	return f.memStore.Load(ctx, k)
}

func (f *flakyStore) get(k bot.Key) (*bot.Session, bool) {
	f.memStore.mu.Lock()
	defer f.memStore.mu.Unlock()
	s, ok := f.memStore.sessions[k]
	if !ok {
		return &bot.Session{}, false
	}
	return s.Clone(), true
}

// Three hundred texts of danger at once, from as many numbers, with Redis
// hung (taking commands, never answering): every one is answered with its
// crisis reply, the slowest well before Twilio's 15-second webhook
// timeout. The engine's deadlines bound every store call, waiting for a
// pooled connection included; how fast at the 99th percentile is `make
// bench`'s to say.
func TestDangerFloodWithRedisHung(t *testing.T) {
	t.Parallel()
	hung := redistest.StartHung(t)
	st, err := store.Open(store.Options{URL: "redis://" + hung.Addr}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	set, _ := flows.Default()
	e, err := bot.New(bot.Config{Flows: set, Store: st, SessionTTL: 24 * time.Hour, OrgName: "Org", Phone: "555-0100"})
	if err != nil {
		t.Fatal(err)
	}
	const texters = 300
	took := make([]time.Duration, texters)
	var wg sync.WaitGroup
	for i := range texters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			out, _ := e.Handle(context.Background(), bot.Inbound{Key: bot.Key(fmt.Sprintf("flood-%d", i)),
				Text: "i want to kill myself tonight", MessageID: fmt.Sprintf("SM%d", i)})
			took[i] = time.Since(start)
			if !strings.Contains(strings.Join(out.Texts(), " "), "988") {
				t.Errorf("texter %d: %q", i, out.Texts())
			}
		}()
	}
	wg.Wait()
	slices.Sort(took)
	t.Logf("%d danger texts with Redis hung: p50 %v, p99 %v, slowest %v", texters, took[texters/2], took[texters*99/100], took[texters-1])
	if took[texters-1] > 5*time.Second {
		t.Fatalf("a danger text waited %v on a hung Redis", took[texters-1])
	}
}
