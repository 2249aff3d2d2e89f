package handoff_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"helpline/internal/handoff"
)

// texts returns every text of a post's blocks as Slack will read it
// (decoded: the JSON escapes < and > itself), with its type.
func texts(t *testing.T, blocksJSON string) (out []textObject) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(blocksJSON), &v); err != nil {
		t.Fatalf("blocks are not JSON: %v", err)
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if text, ok := v["text"].(string); ok {
				typ, _ := v["type"].(string)
				out = append(out, textObject{typ, text})
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

type textObject struct{ Type, Text string }

// What a texter might write to make Slack notify, mention or link.
var hostile = []string{
	"<!channel> help", "<!here>", "<!everyone>", "<!subteam^S123|@oncall>", "<@U123ABC>", "<https://evil.example|click me>",
}

// Nothing a texter writes reaches Slack as markup, in any post the
// handoff makes: relays before and after the card is posted, danger
// written during a handoff (relayed and alerted), the card and its
// updates; in the blocks and in the text fallback alike.
func TestEveryPostEscapesTheTexter(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	r.text(t, "hi")
	r.text(t, "call")
	r.text(t, hostile[0]) // before the card is posted
	r.drain(t)
	for _, h := range hostile[1:] {
		r.text(t, h)
	}
	r.svc.Claim(ctx, r.key, "USAM", "CINTAKE", r.slack.posts[0].TS)
	r.text(t, "<!channel> i want to kms <@U123ABC>")
	r.drain(t)
	r.svc.Close(ctx, r.key, "USAM")
	r.drain(t)
	relayed := 0
	all := append(append([]post(nil), r.slack.posts...), r.slack.updates...)
	for _, p := range all {
		objs := texts(t, p.Blocks)
		for _, h := range hostile {
			if strings.Contains(p.Fallback, h) {
				t.Errorf("fallback %q carries %q as markup", p.Fallback, h)
			}
			for _, o := range objs {
				if strings.Contains(o.Text, h) {
					t.Errorf("block text %q carries %q as markup", o.Text, h)
				}
			}
		}
		if strings.Contains(p.Fallback, "&lt;!channel&gt;") {
			relayed++
		}
	}
	if relayed < 2 {
		t.Fatalf("the texts were not relayed (%d posts with them): %+v", relayed, r.slack.posts)
	}
}

// A texter's 1600 characters of < escape to 6400: the relay is split into
// sections within Slack's 3000, and nothing of it is lost.
func TestLongRelayFitsSlack(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.text(t, "hi")
	r.text(t, "call")
	r.drain(t)
	text := strings.Repeat("<", 1600)
	r.text(t, text)
	r.drain(t)
	p := r.slack.posts[len(r.slack.posts)-1]
	var joined strings.Builder
	for _, o := range texts(t, p.Blocks) {
		if n := utf8.RuneCountInString(o.Text); n > 3000 {
			t.Fatalf("a section of %d characters", n)
		}
		joined.WriteString(o.Text)
	}
	if want := "*Texter:*\n&gt; " + strings.Repeat("&lt;", 1600); strings.ReplaceAll(joined.String(), "&lt;&gt; ", "&lt;") != want {
		t.Fatalf("the relay lost text: %d characters of %d", len(joined.String()), len(want))
	}
	if n := utf8.RuneCountInString(p.Fallback); n > 3000 || !strings.HasPrefix(p.Fallback, "Texter: &lt;") {
		t.Fatalf("fallback of %d characters: %.40q", n, p.Fallback)
	}
}

// The masked number is shown as code in mrkdwn, where its asterisks are
// literal: as bold it rendered as ****-***-0123*.
func TestMaskedNumberRendersAsWritten(t *testing.T) {
	t.Parallel()
	masked := handoff.Mask(number)
	_, alert := handoff.AlertBlocks(handoff.Alert{Key: "k", Masked: masked, Kind: "suicide", Lang: "en", At: 1_700_000_000}, nil)
	_, card := handoff.CardBlocks(&handoff.Record{Key: "k", Masked: masked, State: "open"}, nil)
	for name, blocks := range map[string][]handoff.Block{"alert": alert, "card": card} {
		b, _ := json.Marshal(blocks)
		shown := 0
		for _, o := range texts(t, string(b)) {
			if o.Type != "mrkdwn" {
				continue
			}
			shown += strings.Count(o.Text, masked)
			if strings.Count(o.Text, masked) != strings.Count(o.Text, "`"+masked+"`") {
				t.Errorf("%s: masked number outside code: %q", name, o.Text)
			}
		}
		if shown == 0 {
			t.Errorf("%s: masked number not shown in mrkdwn", name)
		}
	}
}
