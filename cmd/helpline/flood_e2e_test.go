package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/internal/store/redistest"
)

// handoffReplica starts the binary on a fresh redis-server with Slack
// and Twilio pointed at the given fakes.
func handoffReplica(t *testing.T, slackAPI, twilioAPI http.Handler, env ...string) *replica {
	t.Helper()
	r, _ := handoffReplicaOn(t, slackAPI, twilioAPI, env...)
	return r
}

// handoffReplicaOn is handoffReplica that also returns its redis-server.
func handoffReplicaOn(t *testing.T, slackAPI, twilioAPI http.Handler, env ...string) (*replica, *redistest.Server) {
	t.Helper()
	sl, tw := httptest.NewServer(slackAPI), httptest.NewServer(twilioAPI)
	t.Cleanup(sl.Close)
	t.Cleanup(tw.Close)
	srv := redistest.Start(t)
	r := startReplica(t, append([]string{"REDIS_URL=redis://" + srv.Addr,
		"SLACK_SIGNING_SECRET=" + slackSecret, "SLACK_BOT_TOKEN=xoxb-test", "SLACK_TEAM_ID=T1",
		"SLACK_INTAKE_CHANNEL=CINTAKE", "SLACK_ALERT_CHANNEL=CALERT", "SLACK_API_URL=" + sl.URL,
		"TWILIO_ACCOUNT_SID=AC1", "TWILIO_FROM=+18005550100", "TWILIO_API_URL=" + tw.URL}, env...)...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(r.log.String())
		}
	})
	return r, srv
}

func isAlert(c call) bool { return c.Form.Get("channel") == "CALERT" && c.Form.Get("thread_ts") == "" }
func isCard(c call) bool {
	return strings.HasSuffix(c.Path, "chat.postMessage") && c.Form.Get("channel") == "CINTAKE" && c.Form.Get("thread_ts") == ""
}

// A hundred texts of danger from one number, each with its own
// MessageSid: a hundred answers, one alert, and its thread told the count.
func TestDangerFloodFromOneNumber(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	slackAPI := &recorder{}
	r := handoffReplica(t, slackAPI, &recorder{})
	from := "+13035550111"
	for i := 0; i < 100; i++ {
		if got := r.text(t, from, "i want to kms", fmt.Sprintf("SMflood%03d", i)); !strings.Contains(got, "988") {
			t.Fatalf("text %d not answered: %s", i, got)
		}
	}
	alert := slackAPI.wait(t, "the alert", isAlert)
	update := slackAPI.wait(t, "a count in the alert's thread", func(c call) bool {
		return c.Form.Get("thread_ts") != "" && strings.Contains(c.Form.Get("text"), "Again:")
	})
	if update.Form.Get("channel") != "CALERT" || update.Form.Get("thread_ts") == "" {
		t.Fatalf("update not in the alert's thread: %v", update.Form)
	}
	time.Sleep(500 * time.Millisecond) // let anything else queued arrive
	alerts := slackAPI.count(isAlert)
	updates := slackAPI.count(func(c call) bool { return c.Form.Get("thread_ts") != "" })
	t.Logf("100 texts of danger from one number: %d alert, %d thread update(s) so far (%q)", alerts, updates, update.Form.Get("text"))
	if alerts != 1 || !strings.Contains(alert.Form.Get("blocks"), "suicide") {
		t.Fatalf("%d alerts for one conversation, want 1", alerts)
	}
	if updates > 2 {
		t.Fatalf("%d thread updates within a second", updates)
	}
}

// gatedSlack holds every new alert until a handoff card has arrived (or
// hold has passed): a card that waits behind alerts arrives only after
// hold. It records when the card arrived.
type gatedSlack struct {
	*recorder
	hold   time.Duration
	gate   chan struct{}
	once   sync.Once
	cardMu sync.Mutex // guards cardAt; the recorder's own mu guards calls
	cardAt time.Time
}

func (g *gatedSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	c := call{r.URL.Path, r.PostForm}
	if isAlert(c) {
		select {
		case <-g.gate:
		case <-time.After(g.hold):
		}
	}
	g.recorder.ServeHTTP(w, r)
	if isCard(c) {
		g.once.Do(func() {
			g.cardMu.Lock()
			g.cardAt = time.Now()
			g.cardMu.Unlock()
			close(g.gate)
		})
	}
}

// A thousand texters write danger at once, then another asks for a
// person: the handoff card does not wait behind a thousand alerts, and
// every texter's alert arrives, once. (Alerts are posted one by one here,
// never folded into a digest, to count them: the digest has its own test.)
func TestCardDuringAFloodOfAlerts(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	slackAPI := &gatedSlack{recorder: &recorder{}, hold: 20 * time.Second, gate: make(chan struct{})}
	r := handoffReplica(t, slackAPI, &recorder{}, "HELPLINE_ALERTS_PER_MINUTE=0")
	const texters = 1000
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if got := r.text(t, fmt.Sprintf("+1720556%04d", i), "i want to kms", fmt.Sprintf("SMmany%04d", i)); !strings.Contains(got, "988") {
					t.Errorf("texter %d not answered: %s", i, got)
				}
			}
		}()
	}
	floodStart := time.Now()
	for i := 0; i < texters; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	texted := time.Since(floodStart)
	r.text(t, "+13035550122", "CALL", "SMcall")
	asked := time.Now()
	slackAPI.wait(t, "the handoff card", isCard)
	slackAPI.cardMu.Lock()
	delay := slackAPI.cardAt.Sub(asked)
	slackAPI.cardMu.Unlock()
	before := 0
	slackAPI.mu.Lock()
	for _, c := range slackAPI.calls {
		if isCard(c) {
			break
		}
		if isAlert(c) {
			before++
		}
	}
	slackAPI.mu.Unlock()
	t.Logf("%d texters' danger answered in %v; the CALL card reached Slack %v after CALL was answered, with %d alerts posted before it",
		texters, texted.Round(time.Millisecond), delay.Round(time.Millisecond), before)
	if delay > 2*time.Second {
		t.Fatalf("the card took %v: it waited behind the alerts", delay)
	}
	deadline := time.Now().Add(60 * time.Second)
	for slackAPI.count(isAlert) < texters && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	seen := map[string]int{}
	slackAPI.mu.Lock()
	for _, c := range slackAPI.calls {
		if isAlert(c) {
			seen[c.Form.Get("text")]++
		}
	}
	slackAPI.mu.Unlock()
	if len(seen) != texters {
		t.Fatalf("alerts for %d of %d texters", len(seen), texters)
	}
	for text, n := range seen {
		if n != 1 {
			t.Fatalf("alert %q posted %d times", text, n)
		}
	}
	t.Logf("all %d alerts posted, one each, %v after the flood began", texters, time.Since(floodStart).Round(time.Millisecond))
}

// Words of concern over the signed webhook: the direct question, and
// staff hear of it at the lowest rank; a yes is a new alert saying so,
// never with the texter's words.
func TestConcernAnsweredYesAlertsStaff(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	slackAPI := &recorder{}
	r := handoffReplica(t, slackAPI, &recorder{})
	from := "+13035550122"
	r.text(t, from, "hi", "SMconcern0")
	if got := r.text(t, from, "honestly nobody would even notice if i was gone", "SMconcern1"); !strings.Contains(got, "right now?") {
		t.Fatalf("no direct question:\n%s", got)
	}
	first := slackAPI.wait(t, "the concern alert", isAlert)
	if b := first.Form.Get("blocks"); !strings.Contains(b, "tier *concern*") || strings.Contains(b, "notice") {
		t.Fatalf("concern alert: %s", b)
	}
	if got := r.text(t, from, "yes", "SMconcern2"); !strings.Contains(got, "988") || !strings.Contains(got, "911") {
		t.Fatalf("yes to the direct question:\n%s", got)
	}
	second := slackAPI.wait(t, "a new alert for the yes", func(c call) bool {
		return isAlert(c) && strings.Contains(c.Form.Get("blocks"), "concern answered yes")
	})
	if b := second.Form.Get("blocks"); strings.Contains(b, "notice") || strings.Contains(b, "3035550122") {
		t.Fatalf("the alert carries the texter's words or number: %s", b)
	}
}
