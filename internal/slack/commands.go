package slack

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/slack-go/slack"

	"helpline/flows"
	"helpline/internal/slack/mrkdwn"
	"helpline/internal/stats"
)

// Bounds of /helpline stats [days].
const (
	defaultStatsDays = 7
	maxStatsDays     = int(stats.Retention / (24 * time.Hour))
)

// command answers /helpline. What is quick to render comes back as the
// acknowledgement itself; the screening and the stats run after it.
// A nil message acknowledges with nothing to show.
func (h *Handler) command(ctx context.Context, cmd slack.SlashCommand) *slack.Msg {
	if h.foreign(cmd.TeamID, "command") {
		return ephemeral(refusal, []slack.Block{section(refusal)})
	}
	args := strings.Fields(strings.ToLower(cmd.Text))
	sub, rest := "", []string(nil)
	if len(args) > 0 {
		sub, rest = args[0], args[1:]
	}
	c := h.Flows.Criteria
	switch sub {
	case "", "help":
		return ephemeral("What I can do", HelpBlocks(c, ""))
	case "criteria", "criterion", "rules":
		lean, note := "", ""
		if len(rest) > 0 {
			if lean = leanOf(c, rest); lean == "" {
				note = fmt.Sprintf("No level of care called %q; showing every rule.", strings.Join(rest, " "))
			}
		}
		blocks := CriteriaBlocks(c, lean)
		if note != "" {
			blocks = append(blocks[:1], append([]slack.Block{small(mrkdwn.Escape(note))}, blocks[1:]...)...)
		}
		return ephemeral("The criteria the assistant applies", blocks)
	case "compare":
		topics, note := topicsOf(c, rest), ""
		if len(rest) > 0 && len(topics) == 0 {
			note = mrkdwn.Escape(fmt.Sprintf("No point called %q; showing all of them.", strings.Join(rest, " ")))
		}
		return ephemeral("IOP and inpatient side by side", CompareBlocks(c, topics, staffLang, note))
	case "screen":
		lang := ""
		if len(rest) > 0 {
			lang = rest[0]
		}
		h.later(ctx, func(ctx context.Context) { h.startScreen(ctx, cmd.TeamID, cmd.UserID, cmd.TriggerID, lang) })
		return ephemeral("Starting a screening in our DM", []slack.Block{section("Starting a screening in our direct messages. Read each question to the caller and click their answer.")})
	case "stats":
		days := defaultStatsDays
		if len(rest) > 0 {
			n, err := strconv.Atoi(rest[0])
			if err != nil || n < 1 {
				return ephemeral("Usage", []slack.Block{section("Usage: `/helpline stats [days]`, like `/helpline stats 30`.")})
			}
			days = min(n, maxStatsDays)
		}
		h.later(ctx, func(ctx context.Context) { h.stats(ctx, cmd.ResponseURL, days) })
		return nil
	}
	return ephemeral("Answer", h.answer(cmd.Text))
}

// stats posts the counters of the last days days to responseURL.
func (h *Handler) stats(ctx context.Context, responseURL string, days int) {
	if h.Stats == nil {
		h.respond(ctx, responseURL, "No stats", []slack.Block{section("No stats are kept by this deployment.")})
		return
	}
	s, err := h.Stats.Summary(ctx, days, h.now())
	if err != nil {
		h.Log.Error("read stats", "err", err)
		h.respond(ctx, responseURL, "Stats unavailable", []slack.Block{section("The stats cannot be read right now; please try again in a minute.")})
		return
	}
	h.respond(ctx, responseURL, "Screening stats", StatsBlocks(h.Flows.Criteria, s, commonSteps(h.Flows.Screening())))
}

// commonSteps are the questions every screening is asked, in flow order.
func commonSteps(f *flows.Flow) []string {
	var out []string
	for _, st := range f.Steps {
		if st.Question() && st.When == nil {
			out = append(out, st.ID)
		}
	}
	return out
}

// answer replies to a plain question ("what are the criteria for
// inpatient?", "cost?") from the criteria table and the comparison; a
// question it cannot place gets the list of what can be asked.
func (h *Handler) answer(text string) []slack.Block {
	c := h.Flows.Criteria
	words := wordsOf(text)
	lean := leanOf(c, words)
	switch {
	case hasAny(words, "help", "hi", "hello"):
		return HelpBlocks(c, "")
	case hasAny(words, "criteria", "criterion", "rule", "rules", "decide", "decides", "decision", "qualify", "qualifies", "eligible"):
		return CriteriaBlocks(c, lean)
	}
	if topics := topicsOf(c, words); len(topics) > 0 {
		return CompareBlocks(c, topics, staffLang, "")
	}
	switch {
	case hasAny(words, "compare", "comparison", "difference", "differences", "differ", "vs", "versus"):
		return CompareBlocks(c, nil, staffLang, "")
	case lean != "":
		return CriteriaBlocks(c, lean)
	}
	return HelpBlocks(c, "I did not catch that question. Here is what I can answer.")
}

// wordsOf splits text into lower-case words, dropping Slack mentions.
func wordsOf(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '<' && r != '>' && r != '@'
	}) {
		if strings.HasPrefix(w, "<@") {
			continue
		}
		if w = strings.Trim(w, "-<>@"); w != "" {
			out = append(out, w)
		}
	}
	return out
}

func hasAny(words []string, want ...string) bool {
	for _, w := range words {
		for _, x := range want {
			if w == x {
				return true
			}
		}
	}
	return false
}

// leanOf returns the lean (iop or inpatient) that words name, by its ID or a
// word of its title only it has ("residential", "outpatient"), or "".
func leanOf(c *flows.Criteria, words []string) string {
	for _, lean := range []string{flows.LeanInpatient, flows.LeanIOP} {
		names := []string{lean}
		for _, w := range wordsOf(c.Leans[lean].Title.In(staffLang)) {
			if len(w) >= 6 && !inOtherTitle(c, lean, w) {
				names = append(names, w)
			}
		}
		if hasAny(words, names...) {
			return lean
		}
	}
	return ""
}

func inOtherTitle(c *flows.Criteria, lean, word string) bool {
	for id, l := range c.Leans {
		if id != lean && hasAny(wordsOf(l.Title.In(staffLang)), word) {
			return true
		}
	}
	return false
}

// topicsOf returns the comparison topics words name, by ID or Words, in
// table order.
func topicsOf(c *flows.Criteria, words []string) []*flows.Topic {
	var out []*flows.Topic
	for _, t := range c.Compare {
		names := append([]string{t.ID, strings.ReplaceAll(t.ID, "_", "-")}, t.Words...)
		if hasAny(words, names...) {
			out = append(out, t)
		}
	}
	return out
}
