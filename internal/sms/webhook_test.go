package sms_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twilio/twilio-go/client"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/channel"
	"helpline/internal/sms"
	"helpline/internal/store"
	"helpline/internal/store/redistest"
	"helpline/internal/twilio"
	"helpline/internal/twilio/twiliotest"
)

const (
	token     = "test-auth-token"
	publicURL = "https://helpline.example.org"
	number    = "+15555550123"
)

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type rig struct {
	h   *twilio.Route
	rdb *redistest.Conn
	st  *store.Store
	set *flows.Set
	log *syncBuffer
	n   int
}

// newRig is a rig on st, whose Redis is at addr.
func newRig(t *testing.T, st *store.Store, addr string, rate int) *rig {
	t.Helper()
	set, err := flows.Default()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := bot.New(bot.Config{Flows: set, Store: st, SessionTTL: 24 * time.Hour, OrgName: "Riverside", Phone: "555-0100", RatePerMinute: rate})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	return &rig{rdb: redistest.Dial(t, addr), st: st, set: set, log: logs, h: sms.Handler(
		twilio.Webhook{AuthToken: token, PublicURL: publicURL, Log: log},
		channel.New(eng, []byte("a-secret-of-at-least-32-characters!"), log), false,
	)}
}

func miniRig(t *testing.T) *rig {
	st, m := redistest.Mini(t)
	return newRig(t, st, m.Addr(), 0)
}

// sign is X-Twilio-Signature as Twilio computes it.
func sign(fullURL string, form url.Values) string { return twilio.Signature(token, fullURL, form) }

func form(from, body, sid string, extra ...string) url.Values {
	f := url.Values{"MessageSid": {sid}, "AccountSid": {"AC123"}, "From": {from}, "To": {"+18005550100"}, "Body": {body}, "NumMedia": {"0"}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

// post sends f to the SMS route with sig, or with no signature for "".
func (r *rig) post(t *testing.T, f url.Values, sig string) *httptest.ResponseRecorder {
	t.Helper()
	if sig == "" {
		sig = twiliotest.Unsigned
	}
	return twiliotest.Post(r.h, http.MethodPost, "/twilio/sms", f, token, publicURL, sig)
}

// text sends body from number, signed, and returns the messages of the TwiML.
func (r *rig) text(t *testing.T, body string, extra ...string) []string {
	t.Helper()
	r.n++
	f := form(number, body, fmt.Sprintf("SM%032d", r.n), extra...)
	rec := r.post(t, f, sign(publicURL+"/twilio/sms", f))
	if rec.Code != http.StatusOK {
		t.Fatalf("%q: status %d: %s", body, rec.Code, rec.Body)
	}
	return twiliotest.Messages(t, rec.Body.Bytes())
}

// Twilio's published example, checked through our handler: the public URL
// with path and query is what is signed.
func TestPublishedSignatureVector(t *testing.T) {
	t.Parallel()
	rv := client.NewRequestValidator("12345")
	params := map[string]string{"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234", "From": "+14158675309", "To": "+18005551212"}
	if !rv.Validate("https://mycompany.com/myapp.php?foo=1&bar=2", params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=") {
		t.Fatal("the published vector does not validate")
	}
	r := miniRig(t)
	r.h.AuthToken, r.h.PublicURL = "12345", "https://mycompany.com"
	f := url.Values{}
	for k, v := range params {
		f.Set(k, v)
	}
	req := httptest.NewRequest(http.MethodPost, "/myapp.php?foo=1&bar=2", strings.NewReader(f.Encode()))
	req.Header.Set("X-Twilio-Signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("published vector through the handler: %d %s", rec.Code, rec.Body)
	}
}

func TestBadSignaturesChangeNothing(t *testing.T) {
	t.Parallel()
	r := miniRig(t)
	f := form(number, "hi", "SM1")
	for name, sig := range map[string]string{
		"missing":   "",
		"forged":    "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"other url": sign("https://evil.example.com/twilio/sms", f),
		"http":      sign("http://helpline.example.org/twilio/sms", f),
		"other key": func() string { g := form(number, "hello", "SM1"); return sign(publicURL+"/twilio/sms", g) }(),
	} {
		if rec := r.post(t, f, sig); rec.Code != http.StatusForbidden {
			t.Errorf("%s signature: status %d", name, rec.Code)
		}
	}
	if ks := r.rdb.Keys(); len(ks) != 0 {
		t.Fatalf("rejected requests wrote %v", ks)
	}
	if rec := r.post(t, f, sign(publicURL+"/twilio/sms", f)); rec.Code != http.StatusOK {
		t.Fatalf("good signature: %d", rec.Code)
	}
}

func TestRetriedMessageSid(t *testing.T) {
	t.Parallel()
	r := miniRig(t)
	r.text(t, "hi")
	f := form(number, "1", "SMretry")
	sig := sign(publicURL+"/twilio/sms", f)
	first := r.post(t, f, sig).Body.String()
	second := r.post(t, f, sig).Body.String()
	if first != second || !strings.Contains(first, "Who are you asking for?") {
		t.Fatalf("retry answered %q, first %q", second, first)
	}
	if got := r.text(t, "2"); !strings.Contains(got[0], "their main concern") {
		t.Fatalf("the retry was counted as an answer: %q", got)
	}
}

// Twenty texts from one number at once, on a real Redis: all 200, none
// lost, no error to the texter.
func TestBurstFromOneNumber(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	r := newRig(t, redistest.Store(t, srv.Addr), srv.Addr, 0)
	r.text(t, "hi")
	var wg sync.WaitGroup
	codes := make(chan int, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := form(number, "banana", fmt.Sprintf("SMburst%02d", i))
			rec := r.post(t, f, sign(publicURL+"/twilio/sms", f))
			if len(twiliotest.Messages(t, rec.Body.Bytes())) == 0 {
				codes <- -1
				return
			}
			codes <- rec.Code
		}()
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Fatalf("a burst text got %d (or no reply)", c)
		}
	}
	var s bot.Session
	r.st.Update(context.Background(), r.h.Path.Key(number), func(got *bot.Session) error { s = *got; return bot.ErrNoWrite })
	if s.Misses != 20 {
		t.Fatalf("misses = %d after 20 concurrent texts: updates lost", s.Misses)
	}
}

func TestCarrierKeywords(t *testing.T) {
	t.Parallel()
	t.Run("own opt-out", func(t *testing.T) {
		t.Parallel()
		r := miniRig(t)
		r.text(t, "hi")
		r.text(t, "1")
		r.text(t, "1")
		if got := r.text(t, "STOP"); len(got) != 1 || !strings.Contains(got[0], "START") {
			t.Fatalf("STOP: %q", got)
		}
		if got := r.text(t, "hello?"); len(got) != 0 {
			t.Fatalf("after STOP: %q", got)
		}
		if got := r.text(t, "START"); len(got) != 2 || !strings.Contains(got[1], "Continue where I left off") {
			t.Fatalf("START: %q", got)
		}
		if got := r.text(t, "HELP"); !strings.Contains(got[0], "Msg & data rates may apply") || !strings.Contains(got[0], "555-0100") || !strings.Contains(got[0], "STOP") {
			t.Fatalf("HELP: %q", got)
		}
	})
	t.Run("advanced opt-out answered already", func(t *testing.T) {
		t.Parallel()
		r := miniRig(t)
		r.text(t, "hi")
		r.text(t, "1")
		r.text(t, "1")
		if got := r.text(t, "STOP", "OptOutType", "STOP"); len(got) != 0 {
			t.Fatalf("STOP confirmed twice: %q", got)
		}
		if got := r.text(t, "hello?"); len(got) != 0 {
			t.Fatalf("after STOP: %q", got)
		}
		got := r.text(t, "START", "OptOutType", "START")
		if len(got) != 1 || strings.Contains(got[0], "subscribed again") || !strings.Contains(got[0], "Start over") {
			t.Fatalf("START with Advanced Opt-Out: %q", got)
		}
		got = r.text(t, "HELP", "OptOutType", "HELP")
		if strings.Contains(strings.Join(got, " "), "Msg & data rates") {
			t.Fatalf("HELP answered twice: %q", got)
		}
	})
}

func TestMediaOnly(t *testing.T) {
	t.Parallel()
	r := miniRig(t)
	r.text(t, "hi")
	got := r.text(t, "", "NumMedia", "1", "MediaContentType0", "image/jpeg", "MediaUrl0", "https://api.twilio.com/x")
	if !strings.Contains(got[0], "I can only read text messages") {
		t.Fatalf("media: %q", got)
	}
}

func TestOversizeBody(t *testing.T) {
	t.Parallel()
	r := miniRig(t)
	f := form(number, strings.Repeat("a", twilio.MaxRequest), "SMbig")
	rec := r.post(t, f, sign(publicURL+"/twilio/sms", f))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", rec.Code)
	}
	if ks := r.rdb.Keys(); len(ks) != 0 {
		t.Fatalf("oversize request wrote %v", ks)
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	t.Run("per number", func(t *testing.T) {
		t.Parallel()
		st, m := redistest.Mini(t)
		r := newRig(t, st, m.Addr(), 5)
		var replies [][]string
		for i := 0; i < 8; i++ {
			replies = append(replies, r.text(t, "banana"))
		}
		if !strings.Contains(replies[5][0], "faster than I can read") {
			t.Fatalf("6th text: %q", replies[5])
		}
		if len(replies[6]) != 0 || len(replies[7]) != 0 {
			t.Fatalf("after the warning: %q %q", replies[6], replies[7])
		}
		// Danger is answered even then.
		if got := r.text(t, "I took too many pills"); !strings.Contains(got[0], "911") {
			t.Fatalf("crisis while limited: %q", got)
		}
	})
	t.Run("global", func(t *testing.T) {
		t.Parallel()
		r := miniRig(t)
		r.st.Cache(100, time.Hour)
		// A conversation this process serves is told the line is busy.
		r.h.Path.Limit(channel.NewLimiter(1, 0), r.st, sms.Channel) // burst of 2
		r.text(t, "hi")
		r.text(t, "1")
		if got := r.text(t, "1"); !strings.Contains(got[0], "a lot of messages") {
			t.Fatalf("over the global limit: %q", got)
		}
		if got := r.text(t, "1"); len(got) != 0 {
			t.Fatalf("second refusal not silent: %q", got)
		}
		// Danger and STOP get through a flooded line.
		if got := r.text(t, "I took too many pills"); len(got) == 0 || !strings.Contains(got[0], "911") {
			t.Fatalf("crisis on a flooded line: %q", got)
		}
		if got := r.text(t, "STOP"); len(got) == 0 || !strings.Contains(got[0], "START") {
			t.Fatalf("STOP on a flooded line: %q", got)
		}
	})
}

// Redis stops mid-conversation: danger is still answered, other texts get
// an apology with the phone number and HTTP 200; it recovers by itself.
func TestRedisDownAndBack(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	st, err := store.Open(store.Options{URL: "redis://" + srv.Addr}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := newRig(t, st, srv.Addr, 0)
	r.text(t, "hi")
	r.text(t, "1")
	srv.Stop()
	if got := r.text(t, "i want to end my life"); !strings.Contains(got[0], "988") {
		t.Fatalf("crisis with Redis down: %q", got)
	}
	if got := r.text(t, "1"); len(got) != 1 || !strings.Contains(got[0], "555-0100") {
		t.Fatalf("apology: %q", got)
	}
	srv.Restart(t)
	// The test server keeps nothing on disk, so the conversation starts
	// afresh; what matters is that texts are answered again, unrestarted.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := r.text(t, "hi")
		if !strings.Contains(got[0], "went wrong") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery: %q", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The number and the words a texter sends appear in no log line and no
// Redis key or value.
func TestNoNumberOrTextInLogsOrRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	r := newRig(t, redistest.Store(t, srv.Addr), srv.Addr, 0)
	secretWords := "my secret words about fentanyl"
	for _, s := range []string{"hi", "1", "1", secretWords, "2", "CALL"} {
		r.text(t, s)
	}
	logs := r.log.String()
	for _, bad := range []string{"5555550123", "555-0123", secretWords, "fentanyl"} {
		if strings.Contains(logs, bad) {
			t.Fatalf("logs contain %q:\n%s", bad, logs)
		}
	}
	for _, k := range r.rdb.Keys() {
		dump := k + r.rdb.Value(k)
		for _, bad := range []string{"5555550123", secretWords} {
			if strings.Contains(dump, bad) {
				t.Fatalf("Redis key %s holds %q: %s", k, bad, dump)
			}
		}
	}
	if !strings.Contains(logs, `"msg":"turn"`) {
		t.Fatalf("no turn logged:\n%s", logs)
	}
}

// A whole screening over SMS: every message GSM-7 and within four segments,
// the summary in at most two messages; the total is reported.
func TestSegmentsOfACompleteScreening(t *testing.T) {
	t.Parallel()
	r := miniRig(t)
	total := 0
	var last []string
	for _, s := range []string{"hi", "1", "1", "1", "5", "4", "3", "1 2", "2", "2", "2", "2", "3", "1 2 3 4", "3", "2"} {
		last = r.text(t, s)
		for _, m := range last {
			if !flows.GSM7(m) || flows.Segments(m) > sms.MaxSegments {
				t.Fatalf("message not GSM-7 or over budget (%d segments): %q", flows.Segments(m), m)
			}
			total += flows.Segments(m)
		}
	}
	if len(last) != 2 || !strings.Contains(last[0], "inpatient") {
		t.Fatalf("summary: %q", last)
	}
	t.Logf("a complete screening (alcohol path, 14 questions) costs %d SMS segments in all", total)
	if total > 40 {
		t.Fatalf("%d segments for one screening", total)
	}
}

func TestShape(t *testing.T) {
	t.Parallel()
	got := sms.Shape([]string{"It’s “fine” — really… café, Ñandú 🙂"}, false)
	if got[0] != `It's "fine" - really... café, Ñandu` || !flows.GSM7(got[0]) {
		t.Fatalf("transliterated %q", got[0])
	}
	if kept := sms.Shape([]string{"Sí, ¿cómo está?"}, true); kept[0] != "Sí, ¿cómo está?" {
		t.Fatalf("unicode kept: %q", kept)
	}
	long := strings.Repeat("This sentence is here to make the message long. ", 30)
	parts := sms.Shape([]string{long}, false)
	if len(parts) < 2 {
		t.Fatalf("not split: %d parts", len(parts))
	}
	for _, p := range parts {
		if flows.Segments(p) > sms.MaxSegments || !strings.HasSuffix(p, ".") {
			t.Fatalf("part over budget or cut mid-sentence: %q", p)
		}
	}
	if got := strings.Join(parts, " "); got != strings.TrimSpace(long) {
		t.Fatal("splitting lost text")
	}
	word := strings.Repeat("x", 2000)
	for _, p := range sms.Shape([]string{word}, false) {
		if len(p) > sms.MaxBody || flows.Segments(p) > sms.MaxSegments {
			t.Fatalf("unbroken text part of %d chars", len(p))
		}
	}
}

func FuzzShape(f *testing.F) {
	f.Add("Hello. World!", false)
	f.Add("¿Qué tal? Sí.", true)
	f.Fuzz(func(t *testing.T, s string, unicode bool) {
		for _, p := range sms.Shape([]string{s}, unicode) {
			if flows.Segments(p) > sms.MaxSegments || len([]rune(p)) > sms.MaxBody {
				t.Fatalf("part over budget: %d segments", flows.Segments(p))
			}
			if !unicode && !flows.GSM7(p) {
				t.Fatalf("not GSM-7: %q", p)
			}
		}
	})
}

func TestMethodAndForm(t *testing.T) {
	t.Parallel()
	r := miniRig(t)
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/twilio/sms", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", rec.Code)
	}
}

// Signature reproduces Twilio's published example.
func TestSignatureMatchesPublishedVector(t *testing.T) {
	t.Parallel()
	f := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675309"}, "Digits": {"1234"}, "From": {"+14158675309"}, "To": {"+18005551212"}}
	if got := twilio.Signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", f); got != "RSOYDt4T1cUTdK1PDd93/VVr8B8=" {
		t.Fatalf("Signature = %q", got)
	}
}
