package slack

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// block is the part of a Block Kit block the screening test reads.
type block struct {
	Type     string `json:"type"`
	BlockID  string `json:"block_id"`
	Elements []struct {
		Type     string            `json:"type"`
		ActionID string            `json:"action_id"`
		Value    string            `json:"value"`
		Text     json.RawMessage   `json:"text"`
		Options  []json.RawMessage `json:"options"`
	} `json:"elements"`
}

// question is the latest question the fake Slack was sent.
type question struct {
	ts     string
	raw    string // the blocks as posted
	step   string
	blocks []block
}

func latestQuestion(t *testing.T, e *env) (question, bool) {
	t.Helper()
	posts := e.slack.Calls("chat.postMessage")
	if len(posts) == 0 {
		t.Fatal("nothing posted")
	}
	last := posts[len(posts)-1]
	q := question{ts: last.TS, raw: last.Form.Get("blocks")}
	if err := json.Unmarshal([]byte(q.raw), &q.blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	for _, b := range q.blocks {
		if strings.HasPrefix(b.BlockID, blockQuestion) {
			q.step = strings.TrimPrefix(b.BlockID, blockQuestion)
			return q, true
		}
	}
	return q, false
}

// click sends the interaction Slack sends when the staff member clicks
// the button with value (or, on a multi step, picks values and submits).
func click(t *testing.T, e *env, q question, trigger string, values ...string) *http.Response {
	t.Helper()
	var qb block
	for _, b := range q.blocks {
		if b.BlockID == blockQuestion+q.step {
			qb = b
		}
	}
	var action, state string
	if qb.Elements[0].Type == "checkboxes" {
		var picked []json.RawMessage
		for i, o := range qb.Elements[0].Options {
			if contains(values, strconv.Itoa(i+1)) {
				picked = append(picked, o)
			}
		}
		sel, _ := json.Marshal(picked)
		state = fmt.Sprintf(`,"state":{"values":{%q:{"pick:0":{"type":"checkboxes","selected_options":%s}}}}`, qb.BlockID, sel)
		action = fmt.Sprintf(`{"type":"button","action_id":"submit","block_id":%q,"text":{"type":"plain_text","text":"Submit"},"action_ts":"1700000100.1"}`, qb.BlockID)
	} else {
		for i, el := range qb.Elements {
			// A number picks the choice shown with it; anything else is a
			// button's value (a command).
			if strconv.Itoa(i+1) == values[0] || el.Value == values[0] {
				action = fmt.Sprintf(`{"type":"button","action_id":%q,"block_id":%q,"value":%q,"text":%s,"action_ts":"1700000100.1"}`, el.ActionID, qb.BlockID, el.Value, el.Text)
			}
		}
		if action == "" {
			t.Fatalf("step %s has no button %q", q.step, values[0])
		}
	}
	payload := fmt.Sprintf(`{"type":"block_actions","team":{"id":%q},"user":{"id":%q},"channel":{"id":%q},"container":{"type":"message","message_ts":%q,"channel_id":%q},"message":{"type":"message","ts":%q,"blocks":%s},"trigger_id":%q,"response_url":%q,"actions":[%s]%s}`,
		testTeam, testUser, dmChannel, q.ts, dmChannel, q.ts, q.raw, trigger, e.slack.URL+"/response/click", action, state)
	w := do(t, e.h.Interactions, "/slack/interactions", "application/x-www-form-urlencoded", url.Values{"payload": {payload}}.Encode(), nil)
	e.h.Wait()
	return w.Result()
}

// answers is what the caller says, by step; "1" otherwise.
var answers = map[string][]string{
	"concern":   {"1", "4"}, // alcohol and benzos
	"audit1":    {"5"},
	"audit3":    {"5"}, // daily heavy drinking: inpatient
	"use":       {"1"},
	"situation": {"1", "2"},
}

func TestScreenByButtons(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.command(t, "screen")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "ephemeral") {
		t.Fatalf("ack = %d %s", w.Code, w.Body)
	}
	e.h.Wait()
	if open := e.slack.Calls("conversations.open"); len(open) != 1 || open[0].Form.Get("users") != testUser {
		t.Fatalf("conversations.open calls = %v", open)
	}

	var steps []string
	clicks := 0
	for i := 0; ; i++ {
		if i > 30 {
			t.Fatalf("no summary after 30 questions: %v", steps)
		}
		q, ok := latestQuestion(t, e)
		if !ok {
			break
		}
		steps = append(steps, q.step)
		vals := answers[q.step]
		if vals == nil {
			vals = []string{"1"}
		}
		if r := click(t, e, q, fmt.Sprintf("trig-%d", i), vals...); r.StatusCode != http.StatusOK {
			t.Fatalf("click on %s: %d", q.step, r.StatusCode)
		}
		clicks++
	}
	t.Logf("steps: %v", steps)
	if steps[0] != "start" || steps[1] != "who" {
		t.Errorf("screening began with %v, want the greeting, then who", steps[:2])
	}
	updates := e.slack.Calls("chat.update")
	if len(updates) != clicks {
		t.Errorf("questions marked answered = %d, want %d (one per click)", len(updates), clicks)
	}
	if got := updates[0].Form.Get("blocks"); strings.Contains(got, `"actions"`) || !strings.Contains(got, "white_check_mark") {
		t.Errorf("an answered question keeps its buttons or lacks the answer: %s", got)
	}
	posts := e.slack.Calls("chat.postMessage")
	for _, p := range posts {
		if p.Form.Get("channel") != dmChannel {
			t.Errorf("posted to %s, want the DM", p.Form.Get("channel"))
		}
	}
	summary := posts[len(posts)-1].Form.Get("blocks")
	golden(t, "screen_summary", []byte(summary))
	if !strings.Contains(summary, "Inpatient / residential") {
		t.Errorf("summary does not lean inpatient for daily heavy drinking")
	}
}

func TestScreenClicksChangeNothingTwice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.command(t, "screen")
	e.h.Wait()
	greeting, _ := latestQuestion(t, e)
	click(t, e, greeting, "trig-a", "1")
	who, _ := latestQuestion(t, e)
	if who.step != "who" {
		t.Fatalf("after the greeting: %s", who.step)
	}
	click(t, e, who, "trig-b", "2")
	posts := len(e.slack.Calls("chat.postMessage"))

	// Slack retries the same click, and the staff member clicks an older
	// question again: nothing is posted, nothing advances.
	click(t, e, who, "trig-b", "2")
	click(t, e, greeting, "trig-c", "1")
	if got := len(e.slack.Calls("chat.postMessage")); got != posts {
		t.Errorf("repeated clicks posted %d more messages", got-posts)
	}
	if got := len(e.slack.Calls("chat.postEphemeral")); got != 2 {
		t.Errorf("notes about an old question = %d, want 2", got)
	}
	concern, _ := latestQuestion(t, e)
	if concern.step != "concern" {
		t.Errorf("current question = %s, want concern", concern.step)
	}
	// Nothing picked on a multi step: Submit does nothing.
	click(t, e, concern, "trig-d")
	if got := len(e.slack.Calls("chat.postMessage")); got != posts {
		t.Errorf("an empty Submit posted")
	}
	// Back returns to who; the staff member may answer it again.
	q, _ := latestQuestion(t, e)
	var back string
	for _, b := range q.blocks {
		if strings.HasPrefix(b.BlockID, "nav:") {
			back = b.Elements[0].Value
		}
	}
	if back != "back" {
		t.Fatalf("no Back button on %s", q.step)
	}
	q.step = "nav-test"
	for i := range q.blocks {
		if strings.HasPrefix(q.blocks[i].BlockID, "nav:") {
			q.blocks[i].BlockID = blockQuestion + q.step
		}
	}
	click(t, e, q, "trig-e", "back")
	if again, _ := latestQuestion(t, e); again.step != "who" {
		t.Errorf("after Back: %s, want who", again.step)
	}
}

// A double click on one question answers it once, not the next one too.
func TestScreenDoubleClick(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.command(t, "screen")
	e.h.Wait()
	greeting, _ := latestQuestion(t, e)
	click(t, e, greeting, "trig-g", "1")
	e.h.Wait()
	who, _ := latestQuestion(t, e)
	var wg sync.WaitGroup
	for _, trig := range []string{"trig-x", "trig-y"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			click(t, e, who, trig, "1")
		}()
	}
	wg.Wait()
	e.h.Wait()
	if q, _ := latestQuestion(t, e); q.step != "concern" {
		t.Fatalf("after a double click on who, the current question is %s, want concern", q.step)
	}
}
