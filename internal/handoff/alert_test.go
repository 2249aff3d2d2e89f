package handoff

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"helpline/flows"
	"helpline/internal/store/outbox"
	"helpline/internal/store/redistest"
)

// alertService is a Service with no Slack or SMS of its own, on a fresh
// miniredis, for what it queues in the outbox.
func alertService(t *testing.T) (*Service, *miniredis.Miniredis) {
	t.Helper()
	st, m := redistest.Mini(t)
	s, err := New(st.Handoffs(24*time.Hour), st.Outbox(nil), nil, []byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	return s, m
}

// The engine tells concern from urgent danger: a concern that becomes
// urgent (or is answered yes) is a new alert; a concern after an urgent
// alert is counted in its thread; the tier is shown, in words.
func TestConcernBecomingUrgentPostsAnew(t *testing.T) {
	t.Parallel()
	s, m := alertService(t)
	now := time.Unix(1_700_000_000, 0)
	s.Now = func() time.Time { return now }
	ctx := context.Background()
	alerted := func() []Alert {
		entries, _ := m.Stream(outbox.StreamKey + ":" + AlertLane)
		var out []Alert
		for _, e := range entries {
			var msg outbox.Message
			json.Unmarshal([]byte(e.Values[1]), &msg)
			if msg.Kind == KindAlert {
				a, _ := openPayload[Alert](s.seal, msg)
				out = append(out, a)
			}
		}
		return out
	}
	for i, step := range []struct {
		tier   string
		alerts int
	}{
		{"concern", 1},
		{"concern", 1},
		{"urgent", 2},
		{"concern", 2},
		{"", 2}, // no tier is urgent
	} {
		now = now.Add(time.Second)
		if err := s.raise(ctx, "k1", "sms", "+15555550123", string(rune('a'+i)), "suicide", flows.Tier(step.tier), "en"); err != nil {
			t.Fatal(err)
		}
		if got := alerted(); len(got) != step.alerts {
			t.Fatalf("step %d (%q): %d alerts, want %d", i, step.tier, len(got), step.alerts)
		}
	}
	a := alerted()[1]
	if a.Tier != "urgent" {
		t.Fatalf("second alert has tier %q", a.Tier)
	}
	// Words of concern answered yes are a new alert too.
	for i, tier := range []flows.Tier{flows.TierConcern, flows.TierConcernYes, flows.TierConcernYes} {
		if err := s.raise(ctx, "k2", "sms", "+15555550124", string(rune('x'+i)), "suicide", tier, "en"); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(alerted()); got != 4 {
		t.Fatalf("%d alerts, want 4 (two for k1, then a concern and its yes for k2)", got)
	}
	for _, tc := range []struct {
		tier flows.Tier
		want string
	}{
		{"urgent", "tier *urgent*: danger now"},
		{"", "tier *urgent*: danger now"}, // when in doubt, alarm
		{"concern", "tier *concern*: words of concern; they were asked directly"},
		{"concern_yes", "tier *concern answered yes*"},
		{"non_acute", "tier *non-acute*"},
	} {
		_, blocks := AlertBlocks(Alert{Key: "k1", Masked: "***-***-0123", Kind: "suicide", Tier: tc.tier, Lang: "en"}, nil)
		if b, _ := json.Marshal(blocks); !strings.Contains(string(b), tc.want) {
			t.Errorf("tier %q: alert lacks %q: %s", tc.tier, tc.want, b)
		}
	}
}

// An update of the alert's thread that could not be scheduled does not
// silence the thread: the next text of the kind schedules one.
func TestAgainNotScheduledIsNotLost(t *testing.T) {
	t.Parallel()
	s, m := alertService(t)
	ctx := context.Background()
	delayed := outbox.DelayedKey + ":" + AlertLane
	if err := s.raise(ctx, "k1", "sms", "+15555550123", "a", "suicide", "", "en"); err != nil {
		t.Fatal(err)
	}
	m.Set(delayed, "not a sorted set") // scheduling fails
	if err := s.raise(ctx, "k1", "sms", "+15555550123", "b", "suicide", "", "en"); err == nil {
		t.Fatal("a failed schedule was not reported")
	}
	m.Del(delayed)
	if err := s.raise(ctx, "k1", "sms", "+15555550123", "c", "suicide", "", "en"); err != nil {
		t.Fatal(err)
	}
	if due, _ := m.ZMembers(delayed); len(due) != 1 {
		t.Fatalf("%d updates scheduled after the failure, want 1", len(due))
	}
}
