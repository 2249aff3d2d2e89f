package bot_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"helpline/bot"
	"helpline/flows"
)

// storedBefore are sessions as the code before the session was cut into
// parts wrote them (2026-12-07), one for each kind of wait and status: an
// upgrade must load them and go on where they were.
var storedBefore = map[string]string{
	"opted_out": `{"f":"screening","v":1,"s":"concern","a":{"who":"self"},"h":["who"],"l":"en","st":"opted_out","t0":1796637660,"t1":1796637840,"id":"bL8NtlmCa78NtlfPar8NtlYcab8NtlRp","r":["You won't get more texts from Org. Reply START to come back. In an emergency call 911 or 988."]}`,
	"handoff":   `{"f":"screening","v":1,"s":"concern","a":{"who":"self"},"h":["who"],"l":"en","st":"handoff","t0":1796637900,"t1":1796638080,"ho":1796638080,"b":"active","id":"aL8NtlK2Z78NtlEDZr8Ntk9Qdb8NtmjN","r":["Thanks. Someone from our intake team will reach out by text or call soon. To talk now, call 1-800-000-0000. In an emergency call 911 or 988."]}`,
	"clarify":   `{"f":"screening","v":1,"s":"who","l":"en","st":"active","q":{"s":"who","c":["self","other"]},"qd":"who","t0":1796638140,"t1":1796638260,"id":"dL8Ntmca578Ns0Gs6L8Ns0Nf","r":["Just to be sure, which is closest?\n1 Myself\n2 Someone else (family, partner, friend)"],"rk":["clarify"]}`,
	"start":     `{"f":"screening","v":1,"s":"concern","a":{"who":"self"},"h":["who"],"l":"en","st":"active","p":"start","t0":1796638320,"t1":1796638560,"id":"6b8Ns0US6r8Ns0bF478Nszrg5L8NszyT5b8Nsz5G","r":["You're subscribed again.","Where were we?\n1 Continue where I left off\n2 Start over"],"rk":["","confirmation"]}`,
	"delete":    `{"f":"screening","v":1,"s":"concern","a":{"who":"self"},"h":["who"],"l":"en","st":"active","p":"delete","t0":1796638620,"t1":1796638800,"id":"5r8Nsz_5778Ns09E8L8Ns1D3-b8Nu7TH","r":["This erases your answers and this conversation. Reply YES to erase or NO to keep them."],"rk":["confirmation"]}`,
	"concern":   `{"f":"screening","v":1,"s":"concern","a":{"who":"self"},"h":["who"],"l":"en","st":"active","p":"concern","ab":"self","ak":1,"fl":{"safety":"yes"},"t0":1796638860,"t1":1796639040,"id":"-L8Nu7MU-78Nu7gt-r8Nu7Z69b8Nu637","r":["Thank you for telling me. I ask this directly: are you having thoughts of killing yourself right now?\n1 Yes\n2 No"],"rk":["danger"]}`,
}

// Sessions written before the session was cut into parts load, keep every
// field when written again, and go on as they would have.
func TestSessionsStoredBeforeGoOn(t *testing.T) {
	t.Parallel()
	set, err := flows.Default()
	if err != nil {
		t.Fatal(err)
	}
	next := map[string]struct {
		text  string
		check func(t *testing.T, out bot.Outcome, s *bot.Session)
	}{
		"opted_out": {"hello", func(t *testing.T, out bot.Outcome, s *bot.Session) {
			if len(out.Replies) != 0 || s.Status != bot.StatusOptedOut {
				t.Errorf("after STOP: replies %q, status %q", out.Texts(), s.Status)
			}
		}},
		"handoff": {"are you there", func(t *testing.T, out bot.Outcome, s *bot.Session) {
			if out.Relay != "are you there" || s.Status != bot.StatusHandoff || s.Before != bot.StatusActive {
				t.Errorf("in a handoff: relay %q, status %q, before %q", out.Relay, s.Status, s.Before)
			}
		}},
		"clarify": {"2", func(t *testing.T, out bot.Outcome, s *bot.Session) {
			if s.Answers["who"] != "other" || s.Step == "who" || s.For != bot.WaitNone {
				t.Errorf("the clarify's pick: answers %v, step %q, waiting for %q", s.Answers, s.Step, s.For)
			}
		}},
		"start": {"1", func(t *testing.T, out bot.Outcome, s *bot.Session) {
			if s.Step != "concern" || s.For != bot.WaitNone || out.Asked() == nil || out.Asked().Step != "concern" {
				t.Errorf("continue after START: step %q, waiting for %q, replies %q", s.Step, s.For, out.Texts())
			}
		}},
		"delete": {"yes", func(t *testing.T, out bot.Outcome, s *bot.Session) {
			if s.Status != "" || len(s.Answers) != 0 || !strings.Contains(strings.Join(out.Texts(), " "), "rased") {
				t.Errorf("DELETE confirmed: status %q, answers %v, replies %q", s.Status, s.Answers, out.Texts())
			}
		}},
		"concern": {"no", func(t *testing.T, out bot.Outcome, s *bot.Session) {
			if s.For != bot.WaitNone || s.Asked != 1 || out.Asked() == nil || out.Asked().Step != "concern" {
				t.Errorf("no to the direct question: waiting for %q, asked %d, replies %q", s.For, s.Asked, out.Texts())
			}
		}},
	}
	for name, stored := range storedBefore {
		var s bot.Session
		if err := json.Unmarshal([]byte(stored), &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// Written again, every key and value is kept.
		again, _ := json.Marshal(&s)
		var was, is map[string]any
		_ = json.Unmarshal([]byte(stored), &was)
		_ = json.Unmarshal(again, &is)
		for k, v := range was {
			if b1, _ := json.Marshal(v); string(b1) != mustJSON(is[k]) {
				t.Errorf("%s: key %q was %s, written again %s", name, k, b1, mustJSON(is[k]))
			}
		}
		st := newMemStore()
		key := bot.Key(name)
		s.Version = 1
		st.sessions[key] = &s
		e, err := bot.New(bot.Config{Flows: set, Store: st, SessionTTL: 24 * time.Hour, OrgName: "Org", Phone: "1-800-000-0000", Handoffs: true})
		if err != nil {
			t.Fatal(err)
		}
		n := next[name]
		out, err := e.Handle(context.Background(), bot.Inbound{Channel: "sms", Key: key, Text: n.text, MessageID: "SMnext", Time: time.Unix(s.Updated+60, 0)})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Run(name, func(t *testing.T) { n.check(t, out, st.sessions[key]) })
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
