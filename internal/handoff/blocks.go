package handoff

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/slack/mrkdwn"
)

// Block is a Slack Block Kit block.
type Block = slack.Block

// Action IDs of the card's buttons; their value is the conversation key
// (an HMAC, never the number).
const (
	ActionClaim = "handoff_claim"
	ActionClose = "handoff_close"
	ActionShow  = "handoff_show_number"
	// ActionClaimFolded claims a conversation listed in a digest; its
	// value is the key, kind and tier, separated by "|".
	ActionClaimFolded = "handoff_claim_folded"
)

// Names are how staff read language codes and leans: the flows' own
// names (flows.Set), so a language or lean added in YAML shows by its name.
type Names interface {
	LangName(code string) string
	LeanTitle(lean string) string
}

// codes shows the codes themselves, when no names are given.
type codes struct{}

func (codes) LangName(code string) string  { return code }
func (codes) LeanTitle(lean string) string { return lean }

func orCodes(n Names) Names {
	if n == nil {
		return codes{}
	}
	return n
}

// slackDate renders t in each reader's own time zone, with a fallback.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// TextBlock is a section of mrkdwn text, clipped to Slack's limit.
func TextBlock(text string) Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, mrkdwn.Clip(text, mrkdwn.MaxSection), false, false), nil, nil)
}

// RelayBlocks renders a texter's text for a handoff thread: escaped, in
// blocks and in the fallback alike, so nothing they write mentions,
// notifies or links anyone; verbatim, so Slack reads no names or links into
// it; and every line of it quoted under "Texter:", so nothing they write
// can pass for a line of the service's own ("*Claimed by ...*"). It is
// split into as many sections as Slack's limit needs (a texter's text can
// escape to five times its length), the fallback clipped to the same limit.
func RelayBlocks(text string) (string, []Block) {
	body := "&gt; " + strings.ReplaceAll(mrkdwn.Escape(text), "\n", "\n&gt; ")
	var blocks []Block
	for i, part := range mrkdwn.Split("*Texter:*\n"+body, mrkdwn.MaxSection-len("&gt; ")) {
		if i > 0 && !strings.HasPrefix(part, "&gt; ") {
			part = "&gt; " + part // a line cut in two stays quoted
		}
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, part, false, true), nil, nil))
	}
	return mrkdwn.Clip("Texter: "+mrkdwn.Escape(text), mrkdwn.MaxSection), blocks
}

// ErasedBlocks redraws the card of a texter who erased their data:
// nothing of theirs is left on it.
func ErasedBlocks() (string, []Block) {
	text := "Handoff closed: the texter erased their data (DELETE). Nothing about them is kept."
	return text, []Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Handoff closed", false, false)),
		TextBlock(text),
	}
}

// DigestBlocks renders alerts[from:to] of a minute's digest (at, the
// minute): the first page says how many and of which kinds; each
// conversation is one line with its own Claim button.
func DigestBlocks(alerts []Alert, from, to int, at time.Time, n Names) (string, []Block) {
	n = orCodes(n)
	fallback := fmt.Sprintf("%d more crisis alerts in the minute from %s: %s", len(alerts), at.UTC().Format("15:04 UTC"), kindCounts(alerts))
	var blocks []Block
	if from == 0 {
		blocks = append(blocks,
			slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, fmt.Sprintf("Crisis alerts: %d more in one minute", len(alerts)), false, false)),
			TextBlock(fmt.Sprintf("Past the first alerts of the minute from %s, these are listed here instead of one by one: *%s*. "+
				"Every texter was answered with 911 and 988 guidance as their danger called for. Claim one to open its own alert and reply in its thread.",
				slackDate(at), mrkdwn.Escape(kindCounts(alerts)))))
	} else {
		blocks = append(blocks, TextBlock(fmt.Sprintf("More of this digest (%d to %d of %d):", from+1, to, len(alerts))))
	}
	for _, a := range alerts[from:to] {
		line := fmt.Sprintf("%s (%s), *%s*, tier *%s*, %s", mrkdwn.Code(a.Masked), n.LangName(a.Lang), mrkdwn.Escape(a.Kind),
			mrkdwn.Escape(tierName(a.Tier)), slackDate(time.Unix(a.At, 0)))
		claim := slack.NewButtonBlockElement(ActionClaimFolded, string(a.Key)+"|"+a.Kind+"|"+string(a.Tier),
			slack.NewTextBlockObject(slack.PlainTextType, "Claim", false, false))
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, line, false, false), nil, slack.NewAccessory(claim)))
	}
	return fallback, blocks
}

// NotSentBlocks tells a handoff's thread that text did not reach the
// texter, and why; the text is quoted, escaped, so staff know which.
func NotSentBlocks(text, why string) (string, []Block) {
	line := ":no_entry: *Not sent to the texter:* " + why + "."
	quoted := "> " + strings.ReplaceAll(mrkdwn.Escape(mrkdwn.Clip(text, 300)), "\n", "\n> ")
	return mrkdwn.Clip("Not sent to the texter: "+why, mrkdwn.MaxSection), []Block{TextBlock(line + "\n" + quoted)}
}

// CardBlocks renders a handoff card: masked number, language, lean and
// findings, how long they have waited, and the buttons for its state.
func CardBlocks(r *Record, n Names) (string, []Block) {
	n = orCodes(n)
	title := fmt.Sprintf("Texter %s asked to talk with a person", mrkdwn.Code(r.Masked))
	lean := "Screening not finished"
	if r.Lean != "" {
		lean = n.LeanTitle(r.Lean)
	}
	if r.Where != "" {
		lean += " (" + r.Where + ")"
	}
	fields := []*slack.TextBlockObject{
		slack.NewTextBlockObject(slack.MarkdownType, "*Language*\n"+n.LangName(r.Lang), false, false),
		slack.NewTextBlockObject(slack.MarkdownType, "*Lean*\n"+lean, false, false),
		slack.NewTextBlockObject(slack.MarkdownType, "*Waiting since*\n"+slackDate(r.Requested), false, false),
	}
	if r.Via != "" {
		// Replies in the thread go back the way the texter wrote.
		fields = append(fields, slack.NewTextBlockObject(slack.MarkdownType, "*Writes on*\n"+mrkdwn.Code(r.Via), false, false))
	}
	blocks := []Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Handoff: "+r.Masked, false, false)),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, title, false, false), fields, nil),
	}
	if len(r.Findings) > 0 {
		blocks = append(blocks, TextBlock("*Findings so far*\n• "+mrkdwn.Escape(strings.Join(r.Findings, "\n• "))))
	}
	value := string(r.Key)
	switch r.State {
	case stateOpen:
		blocks = append(blocks, slack.NewActionBlock("handoff",
			slack.NewButtonBlockElement(ActionClaim, value, slack.NewTextBlockObject(slack.PlainTextType, "Claim", false, false)).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement(ActionClose, value, slack.NewTextBlockObject(slack.PlainTextType, "Close", false, false)),
		))
	case stateClaimed:
		blocks = append(blocks,
			TextBlock(fmt.Sprintf("Claimed by <@%s> %s. Reply in this thread to text the texter.", r.ClaimedBy, slackDate(r.ClaimedAt))),
			slack.NewActionBlock("handoff",
				slack.NewButtonBlockElement(ActionShow, value, slack.NewTextBlockObject(slack.PlainTextType, "Show number", false, false)),
				slack.NewButtonBlockElement(ActionClose, value, slack.NewTextBlockObject(slack.PlainTextType, "Close", false, false)).WithStyle(slack.StyleDanger),
			))
	case stateClosed:
		if r.ClosedBy == "" {
			blocks = append(blocks, TextBlock("Closed: the texter stopped messages or erased their data."))
		} else {
			blocks = append(blocks, TextBlock(fmt.Sprintf("Closed by <@%s>. The texter is back with the assistant.", r.ClosedBy)))
		}
	}
	return fmt.Sprintf("Texter %s asked to talk with a person", r.Masked), blocks
}

// tierName is how staff read a tier.
func tierName(tier flows.Tier) string {
	switch tier {
	case flows.TierConcern:
		return "concern"
	case flows.TierConcernYes:
		return "concern answered yes"
	case flows.TierNonAcute:
		return "non-acute"
	}
	return "urgent"
}

// tierText says what the texter was told, by tier.
func tierText(tier flows.Tier) string {
	switch tier {
	case flows.TierConcern:
		return "words of concern; they were asked directly whether they are thinking of killing themselves right now"
	case flows.TierConcernYes:
		return "words of concern, then yes to thoughts of suicide right now; they were sent 911 and 988 guidance at once"
	case flows.TierNonAcute:
		return "yes to the screening's suicide question, no to right now; they were given 988"
	}
	return "danger now; they were sent 911 and 988 guidance at once"
}

// readBy says which layer of the danger check decided: "Read by the
// patterns", "Read by the model (0.87)", or "" when the alert does not say.
func readBy(a Alert) string {
	switch a.Layer {
	case bot.LayerPatterns:
		return "Read by the patterns"
	case bot.LayerModel:
		return fmt.Sprintf("Read by the model (%.2f)", a.Prob)
	}
	return ""
}

// AlertBlocks renders a crisis alert: masked number, kind (and tier, when
// the engine gives one), time, which layer read the danger, and a Claim
// button. The concern alert of a check question left unanswered says so.
func AlertBlocks(a Alert, n Names) (string, []Block) {
	n = orCodes(n)
	title := fmt.Sprintf("Crisis alert (%s): texter %s", a.Kind, a.Masked)
	what, header := tierText(a.Tier), "Crisis alert: "+a.Kind
	if a.Tier == "concern" || a.Tier == "non_acute" {
		header = "Check in: " + a.Kind
	}
	if a.Unanswered > 0 {
		unanswered := fmt.Sprintf("the check question about %s went unanswered for %s", a.Kind, hours(time.Duration(a.Unanswered)*time.Second))
		title = fmt.Sprintf("Check in (%s): texter %s: %s", a.Kind, a.Masked, unanswered)
		what = mrkdwn.Escape(unanswered)
	}
	blocks := []Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, header, false, false)),
		TextBlock(fmt.Sprintf("Texter %s (%s), *%s*, tier *%s*: %s (%s).",
			mrkdwn.Code(a.Masked), n.LangName(a.Lang), mrkdwn.Escape(a.Kind), mrkdwn.Escape(tierName(a.Tier)), what, slackDate(time.Unix(a.At, 0)))),
	}
	if by := readBy(a); by != "" {
		title += ". " + by
		blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, by+".", false, false)))
	}
	if a.Direct {
		blocks = append(blocks, TextBlock("Posted directly: the session store was unreachable. If Claim fails, a new alert follows when the texter writes again."))
	}
	return title, append(blocks, slack.NewActionBlock("crisis",
		slack.NewButtonBlockElement(ActionClaim, string(a.Key), slack.NewTextBlockObject(slack.PlainTextType, "Claim", false, false)).WithStyle(slack.StyleDanger),
	))
}

// RepageBlocks renders urgent alert a posted again because nobody claimed
// it within after: @here first, in the text and the fallback alike, then
// the alert as it was, with its Claim button.
func RepageBlocks(a Alert, after time.Duration, n Names) (string, []Block) {
	fallback, blocks := AlertBlocks(a, n)
	still := fmt.Sprintf("<!here> Still unclaimed after %s", hours(after))
	return still + ": " + fallback, append([]Block{
		TextBlock(still + ": *nobody has claimed this crisis alert yet.* Claim it to reply to the texter in its thread."),
	}, blocks...)
}

// AgainBlocks renders an update in an alert's thread: n texts of kind in
// all since the alert, the last at.
func AgainBlocks(kind string, n int, at time.Time) (string, []Block) {
	fallback := fmt.Sprintf("Again: %d texts with words of %s since the alert", n, kind)
	return fallback, []Block{TextBlock(fmt.Sprintf("Again: *%d* texts with words of *%s* in all since this alert, the last at %s.",
		n, mrkdwn.Escape(kind), slackDate(at)))}
}
