package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/internal/store/redistest"
)

// recorder is an httptest fake of a provider's API that records every call.
type recorder struct {
	mu    sync.Mutex
	calls []call
	n     int
}

type call struct {
	Path string
	Form url.Values
}

func (f *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.mu.Lock()
	f.calls = append(f.calls, call{r.URL.Path, r.PostForm})
	f.n++
	n := f.n
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if strings.Contains(r.URL.Path, "/Messages.json") {
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"sid":"SM%032d","status":"queued"}`, n)
		return
	}
	fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.%06d"}`, r.PostForm.Get("channel"), n)
}

// wait returns the first call matching ok, waiting up to 15 s for it.
func (f *recorder) wait(t *testing.T, what string, ok func(call) bool) call {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		f.mu.Lock()
		for _, c := range f.calls {
			if ok(c) {
				f.mu.Unlock()
				return c
			}
		}
		f.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no call %s; calls: %+v", what, f.calls)
	return call{}
}

func (f *recorder) count(ok func(call) bool) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if ok(c) {
			n++
		}
	}
	return n
}

const slackSecret = "slack-signing-secret-for-tests"

// slackPost sends body to path signed as Slack signs: v0 HMAC-SHA256 over
// "v0:timestamp:body".
func slackPost(t *testing.T, base, path, contentType, body string, header ...string) {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, []byte(slackSecret))
	m.Write([]byte("v0:" + ts + ":" + body))
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d", path, resp.StatusCode)
	}
}

func clickAction(t *testing.T, base, action, value, channel, ts string) {
	payload := fmt.Sprintf(`{"type":"block_actions","team":{"id":"T1"},"user":{"id":"USAM"},"channel":{"id":%q},"container":{"type":"message","message_ts":%q,"channel_id":%q},"message":{"ts":%q},"trigger_id":"tr%s","actions":[{"action_id":%q,"block_id":"handoff","value":%q,"type":"button","action_ts":"1700000001.%d"}]}`,
		channel, ts, channel, ts, action, action, value, time.Now().UnixNano())
	slackPost(t, base, "/slack/interactions", "application/x-www-form-urlencoded", url.Values{"payload": {payload}}.Encode())
}

// The whole handoff through the built binary, against recording fakes of
// Slack and Twilio: the card, the texter's text in its thread, the claim,
// a staff reply texted once although Slack retries the event, the close,
// and a crisis alert; never a full number in anything sent to Slack.
func TestHandoffEndToEnd(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	slackAPI, twilioAPI := &recorder{}, &recorder{}
	sl, tw := httptest.NewServer(slackAPI), httptest.NewServer(twilioAPI)
	defer sl.Close()
	defer tw.Close()
	srv := redistest.Start(t)
	r := startReplica(t, "REDIS_URL=redis://"+srv.Addr,
		"SLACK_SIGNING_SECRET="+slackSecret, "SLACK_BOT_TOKEN=xoxb-test", "SLACK_TEAM_ID=T1",
		"SLACK_INTAKE_CHANNEL=CINTAKE", "SLACK_ALERT_CHANNEL=CALERT", "SLACK_API_URL="+sl.URL, // no trailing slash: config adds it
		"TWILIO_ACCOUNT_SID=AC1", "TWILIO_FROM=+18005550100", "TWILIO_API_URL="+tw.URL)
	from := "+13035550188"
	for j, body := range []string{"hi", "1", "1", "CALL"} {
		r.text(t, from, body, fmt.Sprintf("SMh%02d", j))
	}
	card := slackAPI.wait(t, "posting the card", func(c call) bool { return c.Form.Get("channel") == "CINTAKE" && c.Form.Get("thread_ts") == "" })
	if !strings.Contains(card.Form.Get("blocks"), "***-***-0188") {
		t.Fatalf("card: %s", card.Form.Get("blocks"))
	}
	var blocks []map[string]any
	json.Unmarshal([]byte(card.Form.Get("blocks")), &blocks)
	key := ""
	for _, b := range blocks {
		if els, ok := b["elements"].([]any); ok && len(els) > 0 {
			key, _ = els[0].(map[string]any)["value"].(string)
		}
	}
	if key == "" {
		t.Fatalf("no Claim button value in %s", card.Form.Get("blocks"))
	}
	cardTS := "1700000000.000001"

	r.text(t, from, "is anyone there?", "SMh10")
	slackAPI.wait(t, "relaying the texter's text into the thread", func(c call) bool {
		return c.Form.Get("thread_ts") == cardTS && strings.Contains(c.Form.Get("blocks"), "is anyone there?")
	})

	clickAction(t, r.base, "handoff_claim", key, "CINTAKE", cardTS)
	defer func() {
		if t.Failed() {
			t.Log(r.log.String())
		}
	}()
	twilioAPI.wait(t, "telling the texter a person has them", func(c call) bool {
		return c.Form.Get("To") == from && strings.Contains(c.Form.Get("Body"), "A person from our team")
	})

	event := fmt.Sprintf(`{"type":"event_callback","team_id":"T1","event_id":"Ev42","event":{"type":"message","channel":"CINTAKE","channel_type":"channel","user":"USAM","text":"Hi, this is Sam from intake.","ts":"1700000002.000001","thread_ts":%q}}`, cardTS)
	slackPost(t, r.base, "/slack/events", "application/json", event)
	slackPost(t, r.base, "/slack/events", "application/json", event, "X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_timeout")
	twilioAPI.wait(t, "texting the staff reply", func(c call) bool { return c.Form.Get("Body") == "Hi, this is Sam from intake." })

	clickAction(t, r.base, "handoff_close", key, "CINTAKE", cardTS)
	twilioAPI.wait(t, "telling the texter the chat closed", func(c call) bool { return strings.Contains(c.Form.Get("Body"), "closed this chat") })
	if n := twilioAPI.count(func(c call) bool { return c.Form.Get("Body") == "Hi, this is Sam from intake." }); n != 1 {
		t.Fatalf("the staff reply was texted %d times", n)
	}

	r.text(t, "+13035550177", "i want to kms", "SMh20")
	slackAPI.wait(t, "a crisis alert", func(c call) bool {
		return c.Form.Get("channel") == "CALERT" && strings.Contains(c.Form.Get("blocks"), "suicide")
	})
	for _, c := range slackAPI.calls {
		if strings.Contains(fmt.Sprint(c.Form), "3035550188") || strings.Contains(fmt.Sprint(c.Form), "3035550177") {
			t.Fatalf("a full number went to Slack: %v", c.Form)
		}
	}
}
