package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/go-cmp/cmp"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/channel"
	"helpline/internal/stats"
	"helpline/internal/store/redistest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json golden files")

const (
	testSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	testTeam   = "T0HELP"
	testUser   = "U0STAFF"
	dmChannel  = "D0STAFF"
)

// call is one request the fake Slack received.
type call struct {
	Method string     // "chat.postMessage", ..., or "response_url"
	Form   url.Values // Web API form fields
	Body   []byte     // response_url JSON
	TS     string     // the message timestamp answered
}

// fakeSlack is Slack's Web API and response_url, recording every call.
type fakeSlack struct {
	*httptest.Server
	mu    sync.Mutex
	calls []call
	ts    int
}

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/response/") {
		body, _ := io.ReadAll(r.Body)
		f.calls = append(f.calls, call{Method: "response_url", Body: body})
		io.WriteString(w, "ok")
		return
	}
	r.ParseForm()
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	f.calls = append(f.calls, call{Method: method, Form: r.PostForm})
	last := &f.calls[len(f.calls)-1]
	w.Header().Set("Content-Type", "application/json")
	switch method {
	case "conversations.open":
		fmt.Fprintf(w, `{"ok":true,"channel":{"id":%q}}`, dmChannel)
	case "chat.postMessage", "chat.update":
		ts := r.PostForm.Get("ts")
		if ts == "" {
			f.ts++
			ts = fmt.Sprintf("1700000000.%06d", f.ts)
		}
		last.TS = ts
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q}`, r.PostForm.Get("channel"), ts)
	case "chat.postEphemeral":
		fmt.Fprint(w, `{"ok":true,"message_ts":"1700000000.999999"}`)
	default:
		fmt.Fprint(w, `{"ok":false,"error":"unknown_method"}`)
	}
}

// Calls returns the calls so far, of the given methods (all when none).
func (f *fakeSlack) Calls(methods ...string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if len(methods) == 0 || contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// env is a Handler wired to a real engine on miniredis and a fake Slack.
type env struct {
	h     *Handler
	slack *fakeSlack
	mr    *miniredis.Miniredis
	rec   *stats.Recorder
}

func newEnv(t *testing.T) *env {
	t.Helper()
	set, err := flows.Default()
	if err != nil {
		t.Fatal(err)
	}
	st, mr := redistest.Mini(t)
	eng, err := bot.New(bot.Config{Flows: set, Store: st, SessionTTL: 24 * time.Hour, OrgName: "Test Helpline", Phone: "555-0100"})
	if err != nil {
		t.Fatal(err)
	}
	fs := newFakeSlack(t)
	rec := stats.NewRecorder(st.Counters(stats.Retention))
	h, err := New(Config{
		SigningSecret: testSecret, BotToken: "xoxb-test", TeamID: testTeam, APIURL: fs.URL + "/api", SessionTTL: 24 * time.Hour,
		Path: channel.New(eng, []byte("0123456789abcdef0123456789abcdef"), nil), Flows: set, Stats: rec, Redis: st.Slack(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &env{h: h, slack: fs, mr: mr, rec: rec}
}

// sign signs body as Slack does: v0=hex(HMAC-SHA256(secret, "v0:ts:body")).
func sign(r *http.Request, secret string, ts time.Time, body string) {
	s := strconv.FormatInt(ts.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%s:%s", s, body)
	r.Header.Set("X-Slack-Request-Timestamp", s)
	r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
}

// do sends a request signed now to handler and returns the response.
func do(t *testing.T, handler http.HandlerFunc, path, contentType, body string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	sign(r, testSecret, time.Now(), body)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	handler(w, r)
	return w
}

func (e *env) command(t *testing.T, text string) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, e.h.Commands, "/slack/commands", "application/x-www-form-urlencoded", commandForm(testTeam, text, e.slack.URL), nil)
}

func commandForm(team, text, base string) string {
	return url.Values{
		"team_id": {team}, "user_id": {testUser}, "channel_id": {"C0INTAKE"}, "command": {"/helpline"},
		"text": {text}, "response_url": {base + "/response/1"}, "trigger_id": {"trig-" + text},
	}.Encode()
}

// golden compares got (JSON) with testdata/name.json, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", name, err, got)
	}
	pretty, _ := json.MarshalIndent(v, "", "  ")
	pretty = append(pretty, '\n')
	path := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.WriteFile(path, pretty, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/slack -update)", err)
	}
	if d := cmp.Diff(string(want), string(pretty)); d != "" {
		t.Errorf("%s differs from %s (-want +got):\n%s", name, path, d)
	}
}
