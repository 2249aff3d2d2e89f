package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"helpline/flows"
	"helpline/internal/sms"
	"helpline/internal/store/redistest"
)

// With Redis down, a text of danger is answered and the alert still
// reaches Slack, posted directly; the log and the metric, served on a
// listener of its own, say so.
func TestAlertWithRedisDown(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	slackAPI := &recorder{}
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t))
	r, srv := handoffReplicaOn(t, slackAPI, &recorder{}, "HELPLINE_METRICS_ADDR="+metricsAddr)
	srv.Stop()
	sent := time.Now()
	got := r.text(t, "+13035550144", "i want to kms", "SMdown1")
	answered := time.Now()
	if !strings.Contains(got, "988") {
		t.Fatalf("danger with Redis down: %s", got)
	}
	alert := slackAPI.wait(t, "the alert, posted directly", isAlert)
	arrived := time.Now()
	t.Logf("Redis down: danger answered in %v; the alert reached Slack %v after the answer",
		answered.Sub(sent).Round(time.Millisecond), arrived.Sub(answered).Round(time.Millisecond))
	if !strings.Contains(alert.Form.Get("blocks"), "Posted directly") || !strings.Contains(alert.Form.Get("blocks"), "***-***-0144") {
		t.Fatalf("direct alert: %s", alert.Form.Get("blocks"))
	}
	// The process's log is copied from its stderr as it comes: the line
	// may land a moment after Slack saw the post.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(r.log.String(), "crisis alert goes to Slack directly") {
		if time.Now().After(deadline) {
			t.Fatal("no log line says the alert went directly")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for {
		body := get(t, "http://"+metricsAddr+"/metrics")
		if strings.Contains(body, `helpline_alerts_direct_total{result="posted"} 1`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics lack the direct alert:\n%s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code := status(t, r.base+"/metrics"); code != http.StatusNotFound {
		t.Fatalf("/metrics on the public listener with HELPLINE_METRICS_ADDR set: %d", code)
	}
}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// blockTexts returns every text in a Block Kit JSON array, as Slack reads it.
func blockTexts(t *testing.T, blocks string) []string {
	t.Helper()
	if blocks == "" {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(blocks), &v); err != nil {
		t.Fatalf("blocks are not JSON: %v", err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["text"].(string); ok {
				out = append(out, s)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}

// Everything the service posts to Slack during a handoff with a hostile
// texter, and everything it texts back from a long staff reply, checked
// call by call: no texter's markup in any text or block, no section over
// Slack's limit, no text over Twilio's, staff's markup gone.
func TestWhatGoesOutToSlackAndTwilio(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	slackAPI, twilioAPI := &recorder{}, &recorder{}
	r := handoffReplica(t, slackAPI, twilioAPI)
	from := "+13035550155"
	for j, body := range []string{"hi", "1", "CALL"} {
		r.text(t, from, body, fmt.Sprintf("SMx%02d", j))
	}
	card := slackAPI.wait(t, "the card", isCard)
	var key string
	for _, b := range strings.Split(card.Form.Get("blocks"), `"value":"`)[1:] {
		key = b[:strings.Index(b, `"`)]
	}
	cardTS := "1700000000.000001"
	hostile := []string{"<!channel> help", "<!here>", "<!everyone>", "<!subteam^S123|@oncall>", "<@U123ABC>", "<https://evil.example|click me>"}
	for j, h := range hostile {
		r.text(t, from, h, fmt.Sprintf("SMh%02d", j))
	}
	r.text(t, from, strings.Repeat("<", 1600), "SMlong")
	clickAction(t, r.base, "handoff_claim", key, "CINTAKE", cardTS)
	r.text(t, from, "<!channel> i want to kms <@U123ABC>", "SMdanger")

	var b strings.Builder
	b.WriteString("Please see <@U999> <https://example.org/iop|our IOP page>. ")
	for i := 1; b.Len() < 5000; i++ {
		fmt.Fprintf(&b, "This is sentence %d of a long answer from our intake team. ", i)
	}
	reply := strings.TrimSpace(b.String())
	text, _ := json.Marshal(reply)
	event := fmt.Sprintf(`{"type":"event_callback","team_id":"T1","event_id":"EvLong","event":{"type":"message","channel":"CINTAKE","channel_type":"channel","user":"USAM","text":%s,"ts":"1700000002.000001","thread_ts":%q}}`, text, cardTS)
	slackPost(t, r.base, "/slack/events", "application/json", event)
	twilioAPI.wait(t, "the end of the staff reply", func(c call) bool { return strings.HasSuffix(reply, c.Form.Get("Body")) && c.Form.Get("Body") != "" })
	clickAction(t, r.base, "handoff_close", key, "CINTAKE", cardTS)
	twilioAPI.wait(t, "the close notice", func(c call) bool { return strings.Contains(c.Form.Get("Body"), "closed this chat") })
	slackAPI.wait(t, "the alert", isAlert)
	slackAPI.wait(t, "the long relay", func(c call) bool { return strings.Count(c.Form.Get("text"), "&lt;") > 500 })
	slackAPI.wait(t, "the danger in the thread", func(c call) bool {
		return c.Form.Get("thread_ts") == cardTS && strings.Contains(c.Form.Get("text"), "kms")
	})

	slackAPI.mu.Lock()
	calls := append([]call(nil), slackAPI.calls...)
	slackAPI.mu.Unlock()
	relayed := 0
	for _, c := range calls {
		texts := append(blockTexts(t, c.Form.Get("blocks")), c.Form.Get("text"))
		for _, s := range texts {
			for _, h := range hostile {
				if strings.Contains(s, h) {
					t.Errorf("%s: %q carries the texter's %q as markup", c.Path, s, h)
				}
			}
			if n := utf8.RuneCountInString(s); n > 3000 {
				t.Errorf("%s: a text of %d characters", c.Path, n)
			}
		}
		if strings.HasPrefix(c.Form.Get("text"), "Texter: ") {
			relayed++
		}
	}
	if relayed != len(hostile)+2 {
		t.Errorf("%d relays in the thread, want %d", relayed, len(hostile)+2)
	}

	twilioAPI.mu.Lock()
	var parts []string
	for _, c := range twilioAPI.calls {
		body := c.Form.Get("Body")
		if n := utf8.RuneCountInString(body); n > sms.MaxBody || flows.Segments(body) > sms.MaxSegments {
			t.Errorf("a text of %d characters, %d segments", n, flows.Segments(body))
		}
		if strings.Contains(body, "sentence") || strings.Contains(body, "IOP page") {
			parts = append(parts, body)
		}
	}
	twilioAPI.mu.Unlock()
	want := "Please see our IOP page. " + reply[strings.Index(reply, "This is sentence 1 "):]
	if got := strings.Join(parts, " "); got != want {
		t.Fatalf("the staff reply as texted (%d messages):\n%.200q\nwant\n%.200q", len(parts), got, want)
	}
	t.Logf("a %d-character staff reply went out as %d texts", len(reply), len(parts))
}

// A flood of new numbers past the line's limit, through the binary: the
// texts within the limit get the greeting, the rest no reply at all.
func TestPumpingFloodEndToEnd(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	srv := redistest.Start(t)
	r := startReplica(t, "REDIS_URL=redis://"+srv.Addr, "HELPLINE_RATE_GLOBAL=5")
	const numbers = 1000
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				got := r.text(t, fmt.Sprintf("+1303557%04d", i), "hi", fmt.Sprintf("SMpump%04d", i))
				kind := "other"
				switch {
				case strings.Contains(got, "<Message>") && strings.Contains(got, "Hi, this is"):
					kind = "greeting"
				case strings.Contains(got, "a lot of messages"):
					kind = "busy"
				case !strings.Contains(got, "<Message>"):
					kind = "none"
				}
				mu.Lock()
				counts[kind]++
				mu.Unlock()
			}
		}()
	}
	start := time.Now()
	for i := 0; i < numbers; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	took := time.Since(start)
	t.Logf("%d new numbers in %v past a line of 5/s: %d greeted within the limit, %d told busy, %d not answered, %d other",
		numbers, took.Round(time.Millisecond), counts["greeting"], counts["busy"], counts["none"], counts["other"])
	if counts["busy"] != 0 || counts["other"] != 0 {
		t.Fatalf("replies to new numbers past the limit: %v", counts)
	}
	if max := 10 + int(took.Seconds()*5) + 5; counts["greeting"] > max {
		t.Fatalf("%d greeted, more than the line's %d", counts["greeting"], max)
	}
	if got := r.text(t, "+13035579999", "HELP", "SMpumphelp"); !strings.Contains(got, "Msg &amp; data rates may apply") {
		t.Fatalf("HELP past the limit: %s", got)
	}
}

// Redis hung (its process stopped: it takes connections and never
// answers), through the binary: three hundred texts of danger at once are
// all answered with 988, none near Twilio's 15-second timeout, and staff
// hear of them directly; HELP gets its answer and STOP its confirmation.
// When Redis answers again, the STOP is recorded: nothing is texted to
// that number after it.
func TestDangerWithRedisHung(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	slackAPI := &recorder{}
	r, srv := handoffReplicaOn(t, slackAPI, &recorder{})
	r.text(t, "+13035550177", "hi", "SMhung0")
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	t.Cleanup(func() {
		if !resumed {
			srv.Resume()
		}
	})
	const texters = 300
	took := make([]time.Duration, texters)
	var wg sync.WaitGroup
	for i := range texters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			got := r.text(t, fmt.Sprintf("+1720557%04d", i), "i want to kill myself tonight", fmt.Sprintf("SMhung%04d", i+1))
			took[i] = time.Since(start)
			if !strings.Contains(got, "988") {
				t.Errorf("texter %d not answered: %s", i, got)
			}
		}()
	}
	wg.Wait()
	slices.Sort(took)
	t.Logf("Redis hung: %d danger texts answered, p50 %v, p99 %v, slowest %v", texters,
		took[texters/2].Round(time.Millisecond), took[texters*99/100].Round(time.Millisecond), took[texters-1].Round(time.Millisecond))
	if took[texters-1] > 10*time.Second {
		t.Fatalf("a danger text took %v with Redis hung", took[texters-1])
	}
	slackAPI.wait(t, "an alert, posted directly", isAlert)
	if got := r.text(t, "+13035550177", "HELP", "SMhelp"); !strings.Contains(got, "Msg &amp; data rates may apply") {
		t.Fatalf("HELP with Redis hung: %s", got)
	}
	if got := r.text(t, "+13035550177", "STOP", "SMstop"); !strings.Contains(got, "won") {
		t.Fatalf("STOP with Redis hung: %s", got)
	}
	resumed = true
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		// After the STOP is recorded, the texter hears nothing more.
		got := r.text(t, "+13035550177", "hello?", fmt.Sprintf("SMafter%d", time.Now().UnixNano()))
		if !strings.Contains(got, "<Message>") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still answered after STOP and Redis back: %s", got)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
