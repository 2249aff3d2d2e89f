package bot_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/store"
	"helpline/internal/store/redistest"
)

func newEngine(t testing.TB, st bot.Store) *bot.Engine {
	t.Helper()
	set, err := flows.Default()
	if err != nil {
		t.Fatal(err)
	}
	e, err := bot.New(bot.Config{Flows: set, Store: st, SessionTTL: 24 * time.Hour, OrgName: strings.Repeat("O", flows.MaxOrgName), Phone: "1-800-000-0000"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func miniStore(t testing.TB) (*store.Store, *miniredis.Miniredis) {
	t.Helper()
	return redistest.Mini(t)
}

// Fifty texts answering one conversation at once, through two engines (two
// replicas) on a real Redis: every one gets a reply, none an error, and no
// update is lost.
func TestConcurrentAnswersOneConversation(t *testing.T) {
	srv := redistest.Start(t)
	st, err := store.Open(store.Options{URL: "redis://" + srv.Addr}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	engines := []*bot.Engine{newEngine(t, st), newEngine(t, st)}
	ctx := context.Background()
	key := bot.NewKey([]byte("s"), "+15555550100")
	if _, err := engines[0].Handle(ctx, bot.Inbound{Key: key, Text: "hi", MessageID: "first"}); err != nil {
		t.Fatal(err)
	}
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := engines[i%2].Handle(ctx, bot.Inbound{Key: key, Text: "banana", MessageID: fmt.Sprintf("m%d", i)})
			if err == nil && len(out.Texts()) == 0 {
				err = fmt.Errorf("message %d got no reply", i)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var s bot.Session
	st.Update(ctx, key, func(got *bot.Session) error { s = *got; return bot.ErrNoWrite })
	if s.Misses != n {
		t.Fatalf("misses = %d after %d unreadable answers: updates were lost", s.Misses, n)
	}
}

func TestDuplicateMessageChangesNothing(t *testing.T) {
	t.Parallel()
	st, _ := miniStore(t)
	e := newEngine(t, st)
	ctx := context.Background()
	key := bot.Key("dup")
	e.Handle(ctx, bot.Inbound{Key: key, Text: "hi", MessageID: "a"})
	first, _ := e.Handle(ctx, bot.Inbound{Key: key, Text: "1", MessageID: "b"})
	again, _ := e.Handle(ctx, bot.Inbound{Key: key, Text: "1", MessageID: "b"})
	if !again.Duplicate || strings.Join(again.Texts(), "|") != strings.Join(first.Texts(), "|") {
		t.Fatalf("retry got %q (duplicate=%v), want the first replies %q", again.Texts(), again.Duplicate, first.Texts())
	}
	if len(again.Events) != 0 {
		t.Fatalf("retry recorded events again: %+v", again.Events)
	}
	// The retry did not answer the next question with "1".
	next, _ := e.Handle(ctx, bot.Inbound{Key: key, Text: "2", MessageID: "c"})
	if !strings.Contains(next.Texts()[0], "their main concern") {
		t.Fatalf("after the retry, %q was not read as the answer to 'who': %q", "2", next.Texts())
	}
	// An older retry, behind a newer message, is silent and changes nothing.
	old, _ := e.Handle(ctx, bot.Inbound{Key: key, Text: "hi", MessageID: "a"})
	if !old.Duplicate || len(old.Texts()) != 0 {
		t.Fatalf("old retry = %+v", old)
	}
}

// With the store down, danger is still answered, everything else gets an
// apology with the phone number, and it recovers when the store returns.
func TestStoreDown(t *testing.T) {
	t.Parallel()
	st, m := miniStore(t)
	e := newEngine(t, st)
	ctx := context.Background()
	m.Close()
	out, err := e.Handle(ctx, bot.Inbound{Key: "k", Text: "I want to kill myself", MessageID: "1"})
	if err != nil || !strings.Contains(out.Texts()[0], "988") || out.Events[0].Kind != bot.EventCrisis {
		t.Fatalf("crisis with store down: %+v, %v", out, err)
	}
	out, err = e.Handle(ctx, bot.Inbound{Key: "k", Text: "hi", MessageID: "2"})
	if err == nil {
		t.Fatal("no error with the store down")
	}
	if len(out.Texts()) != 1 || !strings.Contains(out.Texts()[0], "1-800-000-0000") {
		t.Fatalf("apology = %q, want the provider's phone", out.Texts())
	}
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	out, err = e.Handle(ctx, bot.Inbound{Key: "k", Text: "hi", MessageID: "3"})
	if err != nil || !strings.Contains(out.Texts()[0], "Start now?") {
		t.Fatalf("after recovery: %+v, %v", out, err)
	}
}

// walk takes runs texters, each from first through random answers (mostly
// a valid number, sometimes one of extras), until the summary or 60 texts,
// calling check on every outcome; it returns how many reached the summary.
func walk(t *testing.T, e *bot.Engine, seed uint64, first string, extras []string, check func(text string, out bot.Outcome)) int {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	completed := 0
	for run := 0; run < 300; run++ {
		key := bot.Key(fmt.Sprintf("walk-%d-%d", seed, run))
		text := first
		for i := 0; i < 60; i++ {
			out, err := e.Handle(ctx, bot.Inbound{Key: key, Text: text, MessageID: fmt.Sprintf("%d-%d", run, i)})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Texts()) == 0 {
				t.Fatalf("run %d: %q got no reply", run, text)
			}
			check(text, out)
			if out.Summary() != nil {
				completed++
				break
			}
			switch {
			case out.Asked() != nil && rng.IntN(5) > 0:
				text = strconv.Itoa(out.Asked().Choices[rng.IntN(len(out.Asked().Choices))].Number)
			default:
				text = extras[rng.IntN(len(extras))]
			}
		}
	}
	return completed
}

// Random answers, keywords and junk through whole screenings: every message
// is GSM-7 and within its segment budget, no answer is a dead end, and a
// screening that ends has a summary of at most two messages.
func TestRandomScreeningsStayWithinBudget(t *testing.T) {
	t.Parallel()
	e := newEngine(t, newMemStore())
	extras := []string{"banana", "back", "help", "yes", "no", "1 2", "summary", "all", "none", "idk", "3", "2", "4"}
	completed := walk(t, e, 1, "hi", extras, func(_ string, out bot.Outcome) {
		for _, r := range out.Texts() {
			if bad := flows.NonGSM7(r); bad != "" {
				t.Fatalf("reply has %q, not GSM-7: %q", bad, r)
			}
			budget := flows.QuestionSegments
			if out.Summary() != nil {
				budget = flows.SummarySegments
			}
			if n := flows.Segments(r); n > budget {
				t.Fatalf("reply takes %d segments (budget %d): %q", n, budget, r)
			}
		}
		if out.Summary() != nil && len(out.Summary().Messages) > 2 {
			t.Fatalf("summary in %d messages", len(out.Summary().Messages))
		}
	})
	if completed < 100 {
		t.Fatalf("only %d of 300 random screenings reached the summary", completed)
	}
}

// Every lean is reachable, and the summary leads with the lean's headline.
func TestEveryLeanReachable(t *testing.T) {
	t.Parallel()
	set, _ := flows.Default()
	f, c := set.Screening(), set.Criteria
	base := map[string]string{"who": "self", "concern": "cannabis", "medical": "no", "phq1": "not_at_all", "phq2": "not_at_all",
		"safety": "no", "treatment": "none", "situation": "home,people,ride", "readiness": "4", "insurance": "private"}
	withAll := func(kv map[string]string) map[string]string {
		m := map[string]string{}
		for a, b := range base {
			m[a] = b
		}
		for a, b := range kv {
			m[a] = b
		}
		return m
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range base {
			m[a] = b
		}
		m[k] = v
		return m
	}
	for _, tc := range []struct {
		name    string
		answers map[string]string
		lean    string
		reason  string
	}{
		{"iop", base, flows.LeanIOP, "safe_home"},
		{"no ride", with("situation", "home,people"), flows.LeanEither, "no_ride"},
		{"low mood", with("phq1", "more_than_half"), flows.LeanIOP, "safe_home"},
		{"low mood both", with("phq2", "nearly_every"), flows.LeanIOP, "dual_moderate"},
		{"medical", with("medical", "yes"), flows.LeanInpatient, "medical"},
		{"court", with("situation", "home,people,ride,court"), flows.LeanInpatient, "court_order"},
		{"relapse", with("treatment", "relapse_outpatient"), flows.LeanInpatient, "relapse_after_outpatient"},
		{"no support", with("situation", "home,ride"), flows.LeanInpatient, "no_support"},
		{"nothing", with("situation", "none"), flows.LeanInpatient, "no_safe_home"},
		{"safety", with("safety", "yes"), flows.LeanInpatient, "safety_risk"},
		{"mental health only, moderate mood", withAll(map[string]string{"concern": "mental_health", "phq1": "more_than_half", "phq2": "several"}), flows.LeanIOP, "mood_moderate"},
		{"mental health only, PHQ-2 of 4", withAll(map[string]string{"concern": "mental_health", "phq1": "more_than_half", "phq2": "more_than_half"}), flows.LeanIOP, "mood_moderate"},
		{"mental health only, severe mood", withAll(map[string]string{"concern": "mental_health", "phq1": "nearly_every", "phq2": "more_than_half"}), flows.LeanEither, "mood_severe"},
		{"mental health only, moderate mood, no support", withAll(map[string]string{"concern": "mental_health", "phq1": "more_than_half", "phq2": "several", "situation": "home,ride"}), flows.LeanInpatient, "no_support"},
		{"low mood with substance use", withAll(map[string]string{"phq1": "more_than_half", "phq2": "several"}), flows.LeanIOP, "dual_moderate"},
		{"severe low mood with substance use", withAll(map[string]string{"phq1": "nearly_every", "phq2": "more_than_half"}), flows.LeanEither, "mood_severe"},
	} {
		as := bot.Assess(f, c, tc.answers)
		if as.Lean != tc.lean {
			t.Errorf("%s: lean %s, want %s", tc.name, as.Lean, tc.lean)
		}
		found := false
		for _, r := range as.Reasons {
			found = found || r.ID == tc.reason
		}
		if !found {
			t.Errorf("%s: reason %s not named among %v", tc.name, tc.reason, as.Reasons)
		}
	}
}

func TestNewKeyHidesTheNumber(t *testing.T) {
	t.Parallel()
	a := bot.NewKey([]byte("secret-one"), "+15555550123")
	b := bot.NewKey([]byte("secret-two"), "+15555550123")
	if a == b || strings.Contains(string(a), "5555550123") || len(a) != 32 {
		t.Fatalf("keys %q %q", a, b)
	}
	if a != bot.NewKey([]byte("secret-one"), "+15555550123") {
		t.Fatal("key not stable")
	}
}

func TestDeleteErasesAnswers(t *testing.T) {
	t.Parallel()
	st, m := miniStore(t)
	e := newEngine(t, st)
	ctx := context.Background()
	key := bot.Key("erase")
	for i, text := range []string{"hi", "1", "1", "cocaine", "delete", "yes"} {
		if _, err := e.Handle(ctx, bot.Inbound{Key: key, Text: text, MessageID: fmt.Sprint(i), Time: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	raw := m.HGet(store.SessionKey(key), "d")
	if strings.Contains(raw, "stimulants") || strings.Contains(raw, "self") || strings.Contains(raw, `"a"`) {
		t.Fatalf("answers survive DELETE: %s", raw)
	}
	if ttl := m.TTL(store.SessionKey(key)); ttl > time.Hour {
		t.Fatalf("erased record kept for %v", ttl)
	}
}

// With handoffs on, CALL opens a handoff: the texter's texts go to staff
// (the first acknowledged), STOP and danger still work, and closing it hands
// the conversation back where it was.
func TestHandoffRelayAndClose(t *testing.T) {
	t.Parallel()
	st, _ := miniStore(t)
	set, _ := flows.Default()
	e, err := bot.New(bot.Config{Flows: set, Store: st, SessionTTL: 24 * time.Hour, OrgName: "Org", Phone: "555", Handoffs: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key := bot.Key("handoff")
	n := 0
	send := func(text string) bot.Outcome {
		n++
		out, err := e.Handle(ctx, bot.Inbound{Key: key, Text: text, MessageID: fmt.Sprint(n)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	send("hi")
	send("1")
	send("1")
	out := send("talk to someone")
	if out.Handoff == nil || out.Handoff.Step != "concern" || out.Handoff.N != 2 {
		t.Fatalf("handoff info %+v", out.Handoff)
	}
	out = send("is anyone there? I drink every day")
	if out.Relay != "is anyone there? I drink every day" || len(out.Texts()) != 1 {
		t.Fatalf("first relay %+v", out)
	}
	out = send("hello")
	if out.Relay != "hello" || len(out.Texts()) != 0 {
		t.Fatalf("second relay %+v", out)
	}
	if out := send("I want to end it all"); out.Events[0].Crisis != "suicide" {
		t.Fatalf("crisis during handoff: %+v", out)
	}
	text, err := e.EndHandoff(ctx, key)
	if err != nil || !strings.Contains(text, "closed") {
		t.Fatalf("EndHandoff = %q, %v", text, err)
	}
	if again, _ := e.EndHandoff(ctx, key); again != "" {
		t.Fatal("closing twice told the texter twice")
	}
	out = send("5")
	if out.Relay != "" || !strings.Contains(out.Texts()[0], "serious or unstable health") {
		t.Fatalf("after close, not back in the flow: %+v", out)
	}
}

// A retried last message gets the same summary back: stored sessions keep
// only what cannot be rendered again, and the rendering is the same.
func TestDuplicateOfTheSummary(t *testing.T) {
	t.Parallel()
	st, _ := miniStore(t)
	e := newEngine(t, st)
	ctx := context.Background()
	var last bot.Outcome
	for i, text := range []string{"hi", "1", "1", "5", "2", "1", "1", "2", "1", "1 2 3", "4", "1"} {
		last, _ = e.Handle(ctx, bot.Inbound{Key: "sum", Text: text, MessageID: fmt.Sprint(i)})
	}
	if last.Summary() == nil {
		t.Fatal("no summary")
	}
	again, _ := e.Handle(ctx, bot.Inbound{Key: "sum", Text: "1", MessageID: "11"})
	if !again.Duplicate || strings.Join(again.Texts(), "|") != strings.Join(last.Texts(), "|") {
		t.Fatalf("retry of the last answer:\n%q\nwant\n%q", again.Texts(), last.Texts())
	}
}

func TestSecondStopIsSilentAndLongTextIsCutWhole(t *testing.T) {
	t.Parallel()
	st, _ := miniStore(t)
	e := newEngine(t, st)
	ctx := context.Background()
	e.Handle(ctx, bot.Inbound{Key: "s", Text: "hi", MessageID: "1"})
	if out, _ := e.Handle(ctx, bot.Inbound{Key: "s", Text: "STOP", MessageID: "2"}); len(out.Texts()) != 1 {
		t.Fatalf("first STOP: %q", out.Texts())
	}
	if out, _ := e.Handle(ctx, bot.Inbound{Key: "s", Text: "stop", MessageID: "3"}); len(out.Texts()) != 0 {
		t.Fatalf("second STOP confirmed again: %q", out.Texts())
	}
	long := strings.Repeat("é", 1000) // 2000 bytes
	if _, err := e.Handle(ctx, bot.Inbound{Key: "l", Text: long, MessageID: "1"}); err != nil {
		t.Fatal(err)
	}
	out, _ := e.Handle(ctx, bot.Inbound{Key: "m", Text: "", Media: 1, MessageID: "1"})
	if len(out.Texts()) != 2 || !strings.Contains(out.Texts()[0], "only read text") {
		t.Fatalf("media-only first text: %q", out.Texts())
	}
}

// A DELETE confirmation open during a handoff: the answer to it is read as
// such, and anything else still goes to staff, not into the screening.
func TestDeleteConfirmationDuringHandoff(t *testing.T) {
	t.Parallel()
	st, _ := miniStore(t)
	set, _ := flows.Default()
	e, _ := bot.New(bot.Config{Flows: set, Store: st, SessionTTL: 24 * time.Hour, OrgName: "Org", Phone: "555", Handoffs: true})
	ctx := context.Background()
	n := 0
	send := func(text string) bot.Outcome {
		n++
		out, _ := e.Handle(ctx, bot.Inbound{Key: "d", Text: text, MessageID: fmt.Sprint(n)})
		return out
	}
	send("hi")
	send("1")
	send("call")
	send("delete")
	if out := send("actually call me at 3pm"); out.Relay != "actually call me at 3pm" {
		t.Fatalf("text after DELETE in a handoff went into the screening: %+v", out)
	}
	send("delete")
	if out := send("no"); out.Relay != "" || !strings.Contains(strings.Join(out.Texts(), " "), "nothing was erased") {
		t.Fatalf("NO to DELETE in a handoff: %+v", out)
	}
}

// STOP is honoured past the per-number rate limit.
func TestStopPastTheRateLimit(t *testing.T) {
	t.Parallel()
	st, _ := miniStore(t)
	set, _ := flows.Default()
	e, _ := bot.New(bot.Config{Flows: set, Store: st, SessionTTL: 24 * time.Hour, OrgName: "Org", Phone: "555", RatePerMinute: 3})
	ctx := context.Background()
	now := time.Now()
	for i := 0; i < 5; i++ {
		e.Handle(ctx, bot.Inbound{Key: "r", Text: "banana", MessageID: fmt.Sprint(i), Time: now})
	}
	out, _ := e.Handle(ctx, bot.Inbound{Key: "r", Text: "STOP", MessageID: "stop", Time: now})
	if len(out.Events) == 0 || out.Events[0].Kind != bot.EventOptOut {
		t.Fatalf("STOP past the limit: %+v", out)
	}
	if !e.Urgent("STOP") || !e.Urgent("he od'd") || e.Urgent("banana") {
		t.Fatal("Urgent misjudges")
	}
}

// HELP in any of its forms and languages, and nothing else, is HELP: a
// channel answers it without the store when the line is flooded.
func TestHelpText(t *testing.T) {
	t.Parallel()
	st, _ := miniStore(t)
	e := newEngine(t, st)
	for _, tc := range []struct {
		text string
		want string // in the answer; "" for none
	}{
		{"HELP", "Msg & data rates may apply"},
		{"help", "Reply STOP to stop"},
		{"Info", "1-800-000-0000"},
		{"ayuda", "Responda ALTO"},
		{"help please", "Reply STOP to stop"},
		{"help me find a program", ""},
		{"i need help", ""},
		{"STOP", ""},
		{"i want to kms", ""},
		{"hi", ""},
		{"", ""},
	} {
		got := e.HelpText(tc.text)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("HelpText(%q) = %q, want one with %q", tc.text, got, tc.want)
		}
	}
}
