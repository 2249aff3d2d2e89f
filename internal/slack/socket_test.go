package slack

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/slack-go/slack/socketmode"
)

// recordingAcker records every Socket Mode ack.
type recordingAcker struct {
	mu   sync.Mutex
	acks []ack
}

type ack struct {
	envelope string
	payload  []any
}

func (r *recordingAcker) Ack(req socketmode.Request, payload ...any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acks = append(r.acks, ack{req.EnvelopeID, payload})
	return nil
}

// Envelopes as Slack sends them over the Socket Mode websocket.
const (
	envCommand = `{"envelope_id":"env-cmd","type":"slash_commands","accepts_response_payload":true,
	 "payload":{"token":"x","team_id":"T0HELP","user_id":"U0STAFF","channel_id":"C0INTAKE","command":"/helpline","text":"compare cost","response_url":"https://hooks.slack.invalid/1","trigger_id":"trig-sm"}}`
	envForeign = `{"envelope_id":"env-foreign","type":"slash_commands","accepts_response_payload":true,
	 "payload":{"team_id":"T0OTHER","user_id":"U0X","command":"/helpline","text":"criteria"}}`
	envMention = `{"envelope_id":"env-ev-%d","type":"events_api","accepts_response_payload":false,"retry_attempt":%d,"retry_reason":"%s",
	 "payload":{"token":"x","team_id":"T0HELP","api_app_id":"A0APP","type":"event_callback","event_id":"Ev0SOCKET","event_time":1700000000,
	  "event":{"type":"app_mention","user":"U0STAFF","text":"<@U0BOT> criteria for iop","ts":"1700000002.000100","channel":"C0INTAKE","event_ts":"1700000002.000100"}}}`
	envScreen = `{"envelope_id":"env-screen","type":"slash_commands","accepts_response_payload":true,
	 "payload":{"team_id":"T0HELP","user_id":"U0STAFF","channel_id":"C0INTAKE","command":"/helpline","text":"screen","trigger_id":"trig-sm-screen"}}`
	envHello = `{"type":"hello","num_connections":1,"connection_info":{"app_id":"A0APP"}}`
	envBad   = `{"envelope_id":"env-bad","type":"interactive","payload":"not an object"}`
)

func request(t *testing.T, raw string) socketmode.Request {
	t.Helper()
	var r socketmode.Request
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatalf("envelope: %v", err)
	}
	return r
}

func TestSocketModeEnvelopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	acks := &recordingAcker{}
	feed := func(raw string) { e.h.socketRequest(ctx, request(t, raw), acks) }

	feed(envHello)
	feed(envCommand)
	feed(envForeign)
	for i, reason := range []string{"", "timeout", "timeout"} {
		feed(strings.NewReplacer("%d", string(rune('0'+i)), "%s", reason).Replace(envMention))
	}
	feed(envScreen)
	feed(envBad)
	e.h.Wait()

	var ids []string
	for _, a := range acks.acks {
		ids = append(ids, a.envelope)
	}
	want := []string{"env-cmd", "env-foreign", "env-ev-0", "env-ev-1", "env-ev-2", "env-screen", "env-bad"}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("acked %v, want every request once: %v", ids, want)
	}

	// The command's answer travels in its ack, as over HTTP.
	cmdAck, _ := json.Marshal(acks.acks[0].payload)
	golden(t, "socket_command_compare_cost", cmdAck)
	foreign, _ := json.Marshal(acks.acks[1].payload)
	if !strings.Contains(string(foreign), refusal) || strings.Contains(string(foreign), "Criteria") {
		t.Errorf("foreign workspace got %s", foreign)
	}

	// The mention delivered three times is answered once; the screening
	// opened a DM and asked its first question.
	posts := e.slack.Calls("chat.postMessage")
	var mention, dm int
	for _, p := range posts {
		switch p.Form.Get("channel") {
		case "C0INTAKE":
			mention++
			if !strings.Contains(p.Form.Get("blocks"), "Intensive Outpatient Program") {
				t.Errorf("mention answer is not the IOP criteria")
			}
		case dmChannel:
			dm++
		}
	}
	if mention != 1 || dm != 1 {
		t.Errorf("posts: %d mention answers (want 1), %d DM questions (want 1)", mention, dm)
	}
}
