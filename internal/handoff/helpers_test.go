package handoff_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/channel"
	"helpline/internal/handoff"
	"helpline/internal/sms"
	"helpline/internal/store/outbox"
	"helpline/internal/store/redistest"
	"helpline/internal/whatsapp"
)

const number = "+15555550123"

// fakeSlack records every post and update, and fails while told to.
type fakeSlack struct {
	mu      sync.Mutex
	posts   []post
	updates []post
	failFor int
}

type post struct {
	Channel, ThreadTS, TS, Fallback string
	Blocks                          string // JSON
}

func (f *fakeSlack) Post(_ context.Context, channel, threadTS, fallback string, blocks []handoff.Block) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failFor > 0 {
		f.failFor--
		return "", errors.New("slack: service unavailable")
	}
	b, _ := json.Marshal(blocks)
	ts := fmt.Sprintf("1700000000.%06d", len(f.posts)+1)
	f.posts = append(f.posts, post{channel, threadTS, ts, fallback, string(b)})
	return ts, nil
}

func (f *fakeSlack) Update(_ context.Context, channel, ts, fallback string, blocks []handoff.Block) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failFor > 0 {
		f.failFor--
		return errors.New("slack: service unavailable")
	}
	b, _ := json.Marshal(blocks)
	f.updates = append(f.updates, post{channel, "", ts, fallback, string(b)})
	return nil
}

// fakeSMS records every text and fails while told to. It shapes texts as
// the SMS channel does.
type fakeSMS struct {
	mu       sync.Mutex
	sent     []string // "to|body"
	failFor  int
	failOn   map[int]bool // attempts (from 1) that fail
	attempts int
	optOut   bool
	closed   bool // the channel refuses: the texter's window closed
	// closedFrom, when above zero, is the attempt from which it refuses so.
	closedFrom int
}

func (f *fakeSMS) Shape(text string) []string { return sms.Shape([]string{text}, false) }

func (f *fakeSMS) Window() time.Duration { return 0 }

func (f *fakeSMS) Send(_ context.Context, to, body string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	if f.failOn[f.attempts] {
		return errors.New("twilio: 503")
	}
	if f.optOut {
		return fmt.Errorf("twilio 21610: %w", handoff.ErrOptedOut)
	}
	if f.closed || (f.closedFrom > 0 && f.attempts >= f.closedFrom) {
		return fmt.Errorf("twilio 63016: %w", handoff.ErrWindowClosed)
	}
	if f.failFor > 0 {
		f.failFor--
		return errors.New("twilio: 503")
	}
	f.sent = append(f.sent, to+"|"+body)
	return nil
}

type rig struct {
	eng   *bot.Engine
	svc   *handoff.Service
	path  *channel.Path
	logs  *logBuffer
	box   *outbox.Outbox
	slack *fakeSlack
	sms   *fakeSMS
	m     *miniredis.Miniredis
	now   time.Time
	n     int
	key   bot.Key
	via   string // the channel the texter writes on; "sms" unless set
}

func newRig(t *testing.T, options ...redistest.Option) *rig {
	t.Helper()
	st, m := redistest.Mini(t, options...)
	set, _ := flows.Default()
	eng, err := bot.New(bot.Config{Flows: set, Store: st, SessionTTL: 24 * time.Hour, OrgName: "Org", Phone: "555-0100", Handoffs: true})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{eng: eng, slack: &fakeSlack{}, sms: &fakeSMS{}, m: m, now: time.Unix(1_700_000_000, 0), key: bot.NewKey([]byte("s"), number)}
	r.box = st.Outbox(nil)
	r.svc, err = handoff.New(st.Handoffs(24*time.Hour), r.box, eng, []byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	r.svc.IntakeChannel, r.svc.AlertChannel = "CINTAKE", "CALERT"
	r.svc.Now = func() time.Time { return r.now }
	// The rig runs under -race on busy machines: the alert's bookkeeping
	// gets time to finish, so a test sees the store's answer, not the
	// deadline's (faults_test holds the deadline).
	r.svc.CrisisWait = 3 * time.Second
	r.svc.Texters = map[string]handoff.Texter{"sms": r.sms}
	r.logs = &logBuffer{}
	r.svc.Log = slog.New(slog.NewJSONHandler(r.logs, nil))
	// Texts reach the service as in production: through the channel path
	// it subscribes to.
	r.path = channel.New(eng, []byte("s"), nil)
	r.svc.Subscribe(r.path, "sms", "whatsapp")
	r.box.Register(r.svc.Deliverers(r.slack))
	r.box.Block = 5 * time.Millisecond
	r.box.Now = func() time.Time { return r.now }
	r.box.Backoff = func(int) time.Duration { return time.Second }
	return r
}

// text is a message from the rig's texter, on r.via (SMS unless set).
func (r *rig) text(t *testing.T, body string) bot.Outcome {
	t.Helper()
	from := number
	if r.via != "" && r.via != "sms" {
		from = r.via + ":" + number
	}
	out := r.textFrom(t, from, body)
	r.key = r.path.Key(from)
	return out
}

// textFrom is a message from the address from, through the path, on the
// channel the address names; it fails t when a subscriber could not
// enqueue what it had to.
func (r *rig) textFrom(t *testing.T, from, body string) bot.Outcome {
	t.Helper()
	tr := r.send(from, body)
	if tr.Err != nil {
		t.Fatal(tr.Err)
	}
	if strings.Contains(r.logs.String(), "handoff enqueue failed") {
		t.Fatalf("a subscriber failed:\n%s", r.logs)
	}
	return tr.Outcome
}

// send takes a message from from through the path, and returns the turn.
func (r *rig) send(from, body string) *channel.Turn {
	r.n++
	via, _, found := strings.Cut(from, ":")
	if !found {
		via = "sms"
	}
	return r.path.Handle(context.Background(), via, from, bot.Inbound{Text: body, MessageID: fmt.Sprintf("SM%d", r.n), Time: r.now})
}

// drain runs the outbox until nothing is left, moving the clock past backoffs.
func (r *rig) drain(t *testing.T) {
	t.Helper()
	for i := 0; i < 30; i++ {
		if _, err := r.box.Step(context.Background(), "w"); err != nil {
			t.Fatal(err)
		}
		r.now = r.now.Add(5 * time.Second)
	}
}

// threadTexts returns, in order, the texter's texts posted in thread.
func (r *rig) threadTexts(thread string) []string {
	var out []string
	for _, p := range r.threadPosts(thread, "Texter: ") {
		out = append(out, strings.TrimPrefix(p.Fallback, "Texter: "))
	}
	return out
}

// threadPosts returns, in order, the posts in thread whose fallback text
// starts with prefix.
func (r *rig) threadPosts(thread, prefix string) []post {
	r.slack.mu.Lock()
	defer r.slack.mu.Unlock()
	var out []post
	for _, p := range r.slack.posts {
		if p.ThreadTS == thread && strings.HasPrefix(p.Fallback, prefix) {
			out = append(out, p)
		}
	}
	return out
}

// alerts returns the top-level posts in the alert channel, and the posts
// in the thread of each, by the alert's ts.
func (r *rig) alerts() (top []post, threads map[string][]post) {
	r.slack.mu.Lock()
	defer r.slack.mu.Unlock()
	threads = map[string][]post{}
	for _, p := range r.slack.posts {
		switch {
		case p.Channel == "CALERT" && p.ThreadTS == "":
			top = append(top, p)
		case p.ThreadTS != "":
			threads[p.ThreadTS] = append(threads[p.ThreadTS], p)
		}
	}
	return top, threads
}

// logBuffer is a log sink safe for concurrent writers.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// window is a texter with WhatsApp's 24-hour window.
type window struct{ *fakeSMS }

func (window) Window() time.Duration { return 24 * time.Hour }

func (window) Shape(text string) []string { return whatsapp.Shape([]string{text}) }

// onWhatsApp has the rig's texter write on WhatsApp, answered by a
// WhatsApp texter that records what it sends.
func (r *rig) onWhatsApp() *fakeSMS {
	wa := &fakeSMS{}
	r.via = "whatsapp"
	r.svc.Texters["whatsapp"] = window{wa}
	return wa
}

// claimedHandoff has the texter send CALL and a staff member claim the
// card; it returns the card's ts.
func (r *rig) claimedHandoff(t *testing.T) string {
	t.Helper()
	r.text(t, "call")
	r.drain(t)
	card := r.slack.posts[len(r.slack.posts)-1].TS
	if ok, err := r.svc.Claim(context.Background(), r.key, "USAM", "CINTAKE", card); !ok || err != nil {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	r.drain(t)
	return card
}

// notSent returns the blocks of the thread's notices of texts that did
// not reach the texter.
func (r *rig) notSent(thread string) []string {
	var out []string
	for _, p := range r.threadPosts(thread, "Not sent to the texter") {
		out = append(out, p.Blocks)
	}
	return out
}
