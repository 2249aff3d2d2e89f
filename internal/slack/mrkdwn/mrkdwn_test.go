package mrkdwn_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"helpline/internal/slack/mrkdwn"
)

// What a texter might write to make Slack notify, mention or link.
var hostile = []string{
	"<!channel> help", "<!here>", "<!everyone>", "<!subteam^S123|@oncall>", "<@U123ABC>",
	"<https://evil.example|click me>", "<#C999|general>", "Tom & Jerry > 3",
}

func TestEscapeMakesMarkupInert(t *testing.T) {
	t.Parallel()
	for _, s := range hostile {
		got := mrkdwn.Escape(s)
		if strings.ContainsAny(got, "<>") {
			t.Errorf("Escape(%q) = %q: markup left", s, got)
		}
		if mrkdwn.Plain(got) != s {
			t.Errorf("Escape(%q) does not read back as written: %q", s, mrkdwn.Plain(got))
		}
	}
}

func TestClipAndSplitKeepEntitiesWhole(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		text string
	}{
		{"all angle brackets", strings.Repeat("<", 1600)},
		{"all ampersands", strings.Repeat("&", 1600)},
		{"words and brackets", strings.Repeat("a <b> & c ", 400)},
		{"one long word then brackets", strings.Repeat("x", 2998) + "<<<<"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			esc := mrkdwn.Escape(tc.text)
			clipped := mrkdwn.Clip(esc, mrkdwn.MaxSection)
			if n := utf8.RuneCountInString(clipped); n > mrkdwn.MaxSection {
				t.Fatalf("clipped to %d characters", n)
			}
			body := strings.TrimSuffix(clipped, "…")
			if !strings.HasPrefix(esc, body) || mrkdwn.Escape(mrkdwn.Plain(body)) != body {
				t.Fatalf("clip cut an entity: ...%q", body[max(0, len(body)-8):])
			}
			parts := mrkdwn.Split(esc, mrkdwn.MaxSection)
			if strings.Join(parts, "") != esc {
				t.Fatal("split lost text")
			}
			for _, p := range parts {
				if n := utf8.RuneCountInString(p); n > mrkdwn.MaxSection || n == 0 {
					t.Fatalf("piece of %d characters", n)
				}
				if mrkdwn.Escape(mrkdwn.Plain(p)) != p {
					t.Fatalf("split cut an entity: %q...%q", p[:min(8, len(p))], p[max(0, len(p)-8):])
				}
			}
		})
	}
	if got := mrkdwn.Clip("short", 10); got != "short" {
		t.Fatalf("Clip shortened a short text: %q", got)
	}
}

func TestPlain(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Tom &amp; Jerry &lt;3":                          "Tom & Jerry <3",
		"see <https://example.org/iop|our IOP page>":     "see our IOP page",
		"call <tel:+15550100> or <https://example.org>":  "call tel:+15550100 or https://example.org",
		"<@U999> can you call them?":                     "can you call them?",
		"thanks <@U999> for this":                        "thanks for this",
		"ask <@U999|sam> or <#C1|intake>":                "ask @sam or #intake",
		"<!here> <!channel> <!everyone>":                 "@here @channel @everyone",
		"<!subteam^S123|@oncall> is on it":               "@oncall is on it",
		"see you <!date^1700000000^{date_short}|Nov 14>": "see you Nov 14",
		"plain": "plain",
	} {
		if got := mrkdwn.Plain(in); got != want {
			t.Errorf("Plain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCode(t *testing.T) {
	t.Parallel()
	if got := mrkdwn.Code("***-***-0300"); got != "`***-***-0300`" {
		t.Fatalf("Code = %q", got)
	}
	if got := mrkdwn.Code("a`b"); strings.Count(got, "`") != 2 {
		t.Fatalf("a backtick inside broke out of the code span: %q", got)
	}
}
