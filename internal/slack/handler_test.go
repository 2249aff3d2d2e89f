package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/handoff"
	"helpline/internal/slack/mrkdwn"
)

func TestSignature(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := commandForm(testTeam, "help", e.slack.URL)
	tests := []struct {
		name   string
		secret string
		at     time.Time
		body   string // what is sent, when it differs from what was signed
		want   int
	}{
		{name: "signed now", secret: testSecret, at: time.Now(), want: http.StatusOK},
		{name: "signed four minutes ago", secret: testSecret, at: time.Now().Add(-4 * time.Minute), want: http.StatusOK},
		{name: "forged with another secret", secret: "not-the-secret", at: time.Now(), want: http.StatusUnauthorized},
		{name: "body changed after signing", secret: testSecret, at: time.Now(), body: body + "&text=stats", want: http.StatusUnauthorized},
		{name: "stale: six minutes old", secret: testSecret, at: time.Now().Add(-6 * time.Minute), want: http.StatusUnauthorized},
		{name: "from the future: six minutes ahead", secret: testSecret, at: time.Now().Add(6 * time.Minute), want: http.StatusUnauthorized},
		{name: "unsigned", want: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		for _, ep := range []struct {
			path string
			h    http.HandlerFunc
		}{{"/slack/commands", e.h.Commands}, {"/slack/interactions", e.h.Interactions}, {"/slack/events", e.h.Events}} {
			t.Run(tt.name+ep.path, func(t *testing.T) {
				sent := body
				if tt.body != "" {
					sent = tt.body
				}
				r := httptest.NewRequest(http.MethodPost, ep.path, strings.NewReader(sent))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if tt.secret != "" {
					sign(r, tt.secret, tt.at, body)
				}
				w := httptest.NewRecorder()
				ep.h(w, r)
				if tt.want == http.StatusUnauthorized && w.Code != tt.want {
					t.Errorf("status = %d, want %d", w.Code, tt.want)
				}
				if tt.want == http.StatusOK && w.Code == http.StatusUnauthorized {
					t.Errorf("status = 401 for a good signature")
				}
			})
		}
	}
	e.h.Wait()
	if calls := e.slack.Calls(); len(calls) != 0 {
		t.Errorf("refused requests reached Slack: %v", calls)
	}
}

func TestCommandsGolden(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, text string }{
		{"help", "help"},
		{"empty", ""},
		{"criteria", "criteria"},
		{"criteria_iop", "criteria iop"},
		{"criteria_inpatient", "criteria Inpatient"},
		{"criteria_unknown", "criteria detox"},
		{"compare", "compare"},
		{"compare_cost", "compare cost"},
		{"compare_price", "compare price"},
		{"compare_unknown", "compare parking"},
		{"question_criteria_inpatient", "what are the criteria for inpatient?"},
		{"question_unknown", "what is the weather"},
		{"foreign_team", "criteria"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			team := testTeam
			if tt.name == "foreign_team" {
				team = "T0OTHER"
			}
			w := do(t, e.h.Commands, "/slack/commands", "application/x-www-form-urlencoded", commandForm(team, tt.text, e.slack.URL), nil)
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d: %s", w.Code, w.Body)
			}
			golden(t, "command_"+tt.name, w.Body.Bytes())
			e.h.Wait()
			if calls := e.slack.Calls(); len(calls) != 0 {
				t.Errorf("Slack calls: %v", calls)
			}
		})
	}
}

func TestCriteriaFromTheTable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := e.command(t, "criteria").Body.String()
	for _, in := range e.h.Flows.Criteria.Indicators {
		// Every criterion a rule uses is shown, as the YAML words it.
		used := false
		for _, r := range e.h.Flows.Criteria.Rules {
			used = used || contains(r.Any, in.ID) || contains(r.All, in.ID) || contains(r.Also, in.ID)
		}
		text, _ := json.Marshal(mrkdwn.Escape(in.Criterion.In("en")))
		if used && !strings.Contains(body, strings.Trim(string(text), `"`)) {
			t.Errorf("criterion %s missing from /helpline criteria", in.ID)
		}
	}
}

func TestStatsCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	now := time.Now()
	e.h.Now = func() time.Time { return now }
	must(t, e.rec.Record(ctx, "sms", []bot.Event{{Kind: bot.EventStarted}, {Kind: bot.EventStep, Step: "who"}}, now))
	must(t, e.rec.Record(ctx, "sms", []bot.Event{{Kind: bot.EventStep, Step: "concern"}}, now))
	must(t, e.rec.Record(ctx, "slack", []bot.Event{{Kind: bot.EventStarted}, {Kind: bot.EventStep, Step: "who"}, {Kind: bot.EventCrisis, Crisis: "overdose", Tier: flows.TierUrgent}, {Kind: bot.EventHandoff}}, now))
	must(t, e.rec.Record(ctx, "sms", []bot.Event{{Kind: bot.EventCompleted, Lean: "iop"}}, now.AddDate(0, 0, -2)))

	w := e.command(t, "stats 3")
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("ack = %d %q, want an empty 200", w.Code, w.Body)
	}
	e.h.Wait()
	calls := e.slack.Calls("response_url")
	if len(calls) != 1 {
		t.Fatalf("response_url posts = %d, want 1", len(calls))
	}
	golden(t, "command_stats", calls[0].Body)

	if w := e.command(t, "stats lots"); !strings.Contains(w.Body.String(), "Usage") {
		t.Errorf("stats with a bad number: %s", w.Body)
	}
}

func TestURLVerification(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := do(t, e.h.Events, "/slack/events", "application/json", `{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`, nil)
	if w.Code != http.StatusOK || w.Body.String() != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("url_verification = %d %q", w.Code, w.Body)
	}
}

func eventJSON(team, id, inner string) string {
	return fmt.Sprintf(`{"token":"x","team_id":%q,"api_app_id":"A0APP","event":%s,"type":"event_callback","event_id":%q,"event_time":1700000000}`, team, inner, id)
}

func TestEventRetriedOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := eventJSON(testTeam, "Ev0MENTION", `{"type":"app_mention","user":"U0STAFF","text":"<@U0BOT> cost?","ts":"1700000001.000100","channel":"C0INTAKE","event_ts":"1700000001.000100"}`)
	for i, retry := range []string{"", "1", "2"} {
		h := http.Header{}
		if retry != "" {
			h.Set("X-Slack-Retry-Num", retry)
			h.Set("X-Slack-Retry-Reason", "http_timeout")
		}
		if w := do(t, e.h.Events, "/slack/events", "application/json", body, h); w.Code != http.StatusOK {
			t.Fatalf("delivery %d: status %d", i, w.Code)
		}
	}
	e.h.Wait()
	posts := e.slack.Calls("chat.postMessage")
	if len(posts) != 1 {
		t.Fatalf("answers = %d, want 1 for one event delivered three times", len(posts))
	}
	if got := posts[0].Form.Get("thread_ts"); got != "1700000001.000100" {
		t.Errorf("answer thread_ts = %q, want the mention's ts", got)
	}
	if !strings.Contains(posts[0].Form.Get("blocks"), "Cost") {
		t.Errorf("answer to 'cost?' does not compare cost: %s", posts[0].Form.Get("blocks"))
	}
}

func TestEventsAnsweredOrIgnored(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		team  string
		inner string
		want  int // chat.postMessage calls
	}{
		{"dm question", testTeam, `{"type":"message","channel_type":"im","user":"U0STAFF","text":"how long is inpatient?","ts":"1.1","channel":"D0STAFF"}`, 1},
		{"the app's own message", testTeam, `{"type":"message","channel_type":"im","bot_id":"B0APP","text":"Answer","ts":"1.2","channel":"D0STAFF"}`, 0},
		{"an edit", testTeam, `{"type":"message","subtype":"message_changed","channel_type":"im","ts":"1.3","channel":"D0STAFF"}`, 0},
		{"a channel message", testTeam, `{"type":"message","channel_type":"channel","user":"U0STAFF","text":"cost?","ts":"1.4","channel":"C0INTAKE"}`, 0},
		{"foreign workspace", "T0OTHER", `{"type":"app_mention","user":"U0X","text":"<@U0BOT> criteria","ts":"1.5","channel":"C0X"}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			w := do(t, e.h.Events, "/slack/events", "application/json", eventJSON(tt.team, "Ev"+strings.ReplaceAll(tt.name, " ", ""), tt.inner), nil)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			e.h.Wait()
			if got := len(e.slack.Calls("chat.postMessage")); got != tt.want {
				t.Errorf("answers = %d, want %d", got, tt.want)
			}
			if tt.want == 0 && len(e.slack.Calls()) != 0 {
				t.Errorf("Slack calls: %v", e.slack.Calls())
			}
		})
	}
}

func TestQuestions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct{ question, want string }{
		{"what are the criteria for inpatient?", "rules that give Inpatient"},
		{"criteria for IOP", "rules that give Intensive Outpatient"},
		{"cost?", "*Cost*"},
		{"how much does it cost", "*Cost*"},
		{"is it covered by medicaid", "*Insurance*"},
		{"how long is residential", "*Length*"},
		{"what's the difference", "*Step-down*"},
		{"<@U0BOT> help", "/helpline screen"},
		{"tell me a joke", "I did not catch that question"},
	}
	for _, tt := range tests {
		b, _ := json.Marshal(e.h.answer(tt.question))
		if !strings.Contains(string(b), tt.want) {
			t.Errorf("answer(%q) lacks %q", tt.question, tt.want)
		}
	}
}

func TestForeignInteractionRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	payload := `{"type":"block_actions","team":{"id":"T0OTHER"},"user":{"id":"U0X"},"channel":{"id":"D0X"},"trigger_id":"t","actions":[{"type":"button","action_id":"answer:1","block_id":"q:who","value":"1","action_ts":"1"}]}`
	w := do(t, e.h.Interactions, "/slack/interactions", "application/x-www-form-urlencoded", url.Values{"payload": {payload}}.Encode(), nil)
	if w.Code != http.StatusOK {
		t.Errorf("status %d", w.Code)
	}
	e.h.Wait()
	if calls := e.slack.Calls(); len(calls) != 0 {
		t.Errorf("a foreign click reached Slack: %v", calls)
	}
	if keys := e.mr.Keys(); len(keys) != 0 {
		t.Errorf("a foreign click stored %v", keys)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// refusingHandoffs refuses every staff reply with err.
type refusingHandoffs struct {
	handoffs
	err error
}

func (h refusingHandoffs) StaffReply(context.Context, string, string, string, string) (bool, error) {
	return true, h.err
}

// A staff reply the texter's channel would not deliver, or that cannot be
// sent at all, is refused in the thread, with the reason, for everyone in
// it to see.
func TestStaffReplyRefused(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  error
		want []string
	}{
		{&handoff.OutsideWindow{Channel: "whatsapp", Window: 24 * time.Hour, Since: 30 * time.Hour}, []string{"24 hours", "30 hours ago", "templates"}},
		{&handoff.NotSent{Why: "this service has no sender configured for whatsapp"}, []string{"not sent", "no sender configured for whatsapp"}},
	} {
		e := newEnv(t)
		e.h.Handoffs = refusingHandoffs{err: c.err}
		inner := `{"type":"message","channel_type":"channel","user":"U0STAFF","text":"Are you still there?","ts":"1700000005.000100","thread_ts":"1700000001.000100","channel":"C0INTAKE"}`
		if w := do(t, e.h.Events, "/slack/events", "application/json", eventJSON(testTeam, "EvLate", inner), nil); w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
		e.h.Wait()
		posts := e.slack.Calls("chat.postMessage")
		if len(posts) != 1 || posts[0].Form.Get("thread_ts") != "1700000001.000100" {
			t.Fatalf("%v: posts %v, want one in the thread", c.err, posts)
		}
		for _, want := range c.want {
			if b := posts[0].Form.Get("blocks"); !strings.Contains(b, want) {
				t.Errorf("%v: the refusal does not say %q: %s", c.err, want, b)
			}
		}
	}
}

// recordingHandoffs records the staff replies it is given; every thread is
// an open handoff.
type recordingHandoffs struct {
	handoffs
	mu      sync.Mutex
	replies []string
}

func (h *recordingHandoffs) StaffReply(_ context.Context, _, _, _, text string) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.replies = append(h.replies, text)
	return true, nil
}

func (h *recordingHandoffs) InHandoff(context.Context, string, string) (bool, error) {
	return true, nil
}

// A message in a handoff thread that starts with a mention of someone, or
// with "//", is for colleagues: it stays in Slack, and its writer is told
// so in the thread; any other message goes to the texter.
func TestStaffChatterStaysInSlack(t *testing.T) {
	t.Parallel()
	for i, c := range []struct {
		text string
		sent bool
	}{
		{"<@U0OTHER> can you call them?", false},
		{"<@U0OTHER>", false},
		{"// checking their insurance first", false},
		{"Hi, this is Sam. <@U0OTHER> is on it too.", true},
	} {
		e := newEnv(t)
		rec := &recordingHandoffs{}
		e.h.Handoffs = rec
		text, _ := json.Marshal(c.text)
		inner := fmt.Sprintf(`{"type":"message","channel_type":"channel","user":"U0STAFF","text":%s,"ts":"1700000005.000100","thread_ts":"1700000001.000100","channel":"C0INTAKE"}`, text)
		if w := do(t, e.h.Events, "/slack/events", "application/json", eventJSON(testTeam, fmt.Sprintf("EvChat%d", i), inner), nil); w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
		e.h.Wait()
		if sent := len(rec.replies) == 1; sent != c.sent {
			t.Errorf("%q: sent to the texter %v, want %v", c.text, sent, c.sent)
		}
		notes := e.slack.Calls("chat.postEphemeral")
		if !c.sent && (len(notes) != 1 || notes[0].Form.Get("thread_ts") != "1700000001.000100" || !strings.Contains(notes[0].Form.Get("text"), "Kept in Slack")) {
			t.Errorf("%q: the writer was not told it stayed in Slack: %v", c.text, notes)
		}
	}
}
