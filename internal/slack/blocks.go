package slack

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/slack/mrkdwn"
	"helpline/internal/stats"
)

// Block Kit limits that the builders respect.
const (
	maxSectionText = 3000
	maxFieldText   = 2000
	maxButtonText  = 75
	maxHeaderText  = 150
	maxCheckboxes  = 10
)

// staffLang is the language of staff-facing titles; the screening itself
// is shown in the texter's language.
const staffLang = "en"

// Action and block IDs of the screening's interactive elements.
const (
	blockQuestion = "q:"      // + step ID
	actionAnswer  = "answer:" // + choice value; the button's value is sent to the engine
	actionPick    = "pick:"   // + group number; a checkbox group of a multi step
	actionSubmit  = "submit"  // sends the picked checkboxes' values
	actionNav     = "nav:"    // + command; the button's value is the command
)

func header(text string) slack.Block {
	return slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, mrkdwn.Clip(text, maxHeaderText), false, false))
}

func section(text string) slack.Block {
	return slack.NewSectionBlock(md(mrkdwn.Clip(text, maxSectionText)), nil, nil)
}

func small(text string) slack.Block {
	return slack.NewContextBlock("", md(mrkdwn.Clip(text, maxSectionText)))
}

func md(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func plain(s string, limit int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, mrkdwn.Clip(s, limit), false, false)
}

// sections splits lines into as few sections as fit Slack's text limit.
func sections(lines []string) []slack.Block {
	var out []slack.Block
	var b strings.Builder
	for _, l := range lines {
		if b.Len() > 0 && b.Len()+1+len(l) > maxSectionText {
			out = append(out, section(b.String()))
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	if b.Len() > 0 {
		out = append(out, section(b.String()))
	}
	return out
}

// leanTitle is how staff read a lean ("Inpatient / residential").
func leanTitle(c *flows.Criteria, lean, lang string) string {
	if l, ok := c.Leans[lean]; ok {
		return l.Title.In(lang)
	}
	return lean
}

// CriteriaBlocks renders the criteria table, every rule in the order it is
// tried, or only the rules giving lean when lean is set.
func CriteriaBlocks(c *flows.Criteria, lean string) []slack.Block {
	all := c.Sections(staffLang)
	blocks := []slack.Block{
		header("Criteria the assistant applies"),
		small("Rules are tried in order and the first that matches gives the lean: the highest-risk finding decides; nothing is averaged. The texter's summary names up to four of these reasons, from their own answers."),
	}
	shown := 0
	for i, s := range all {
		if lean != "" && s.Lean != lean {
			continue
		}
		shown++
		var lines []string
		if s.Match == "otherwise" {
			lines = append(lines, fmt.Sprintf("*%d. %s*, otherwise.", i+1, mrkdwn.Escape(s.Title)))
		} else {
			lines = append(lines, fmt.Sprintf("*%d. %s*, if %s of:", i+1, mrkdwn.Escape(s.Title), s.Match))
		}
		for _, cr := range s.Criteria {
			lines = append(lines, fmt.Sprintf("• %s\n      _D%d %s; raised when %s_", mrkdwn.Escape(cr.Text), cr.Dimension, mrkdwn.Escape(flows.Dimensions[cr.Dimension]), mrkdwn.Escape(cr.When)))
		}
		blocks = append(blocks, slack.NewDividerBlock())
		blocks = append(blocks, sections(lines)...)
		if len(s.Also) > 0 {
			names := make([]string, len(s.Also))
			for j, cr := range s.Also {
				names[j] = mrkdwn.Escape(cr.Text)
			}
			blocks = append(blocks, small("Also named as reasons when present: "+strings.Join(names, "; ")+"."))
		}
	}
	if lean != "" {
		blocks = append(blocks, small(fmt.Sprintf("Showing the %d of %d rules that give %s; `/helpline criteria` shows them all, in order.", shown, len(all), mrkdwn.Escape(leanTitle(c, lean, staffLang)))))
	}
	return blocks
}

// CompareBlocks renders the two levels of care side by side on topics (all
// of them when topics is empty), in lang. note, if set, comes first.
func CompareBlocks(c *flows.Criteria, topics []*flows.Topic, lang, note string) []slack.Block {
	if len(topics) == 0 {
		topics = c.Compare
	}
	blocks := []slack.Block{header(leanTitle(c, flows.LeanIOP, staffLang) + " and " + leanTitle(c, flows.LeanInpatient, staffLang))}
	if note != "" {
		blocks = append(blocks, small(note))
	}
	blocks = append(blocks, compareTable(c, topics, lang)...)
	ids := make([]string, len(c.Compare))
	for i, t := range c.Compare {
		ids[i] = "`" + t.ID + "`"
	}
	blocks = append(blocks, small("One point at a time: `/helpline compare cost`. Points: "+strings.Join(ids, ", ")+"."))
	return blocks
}

// compareTable is the side-by-side: a row of column titles, then one
// section per topic with the two levels as fields.
func compareTable(c *flows.Criteria, topics []*flows.Topic, lang string) []slack.Block {
	blocks := []slack.Block{slack.NewSectionBlock(nil, []*slack.TextBlockObject{
		md("*" + mrkdwn.Escape(leanTitle(c, flows.LeanIOP, lang)) + "*"),
		md("*" + mrkdwn.Escape(leanTitle(c, flows.LeanInpatient, lang)) + "*"),
	}, nil)}
	for _, t := range topics {
		blocks = append(blocks, slack.NewSectionBlock(md("*"+mrkdwn.Escape(t.Title.In(lang))+"*"), []*slack.TextBlockObject{
			md(mrkdwn.Clip(mrkdwn.Escape(t.IOP.In(lang)), maxFieldText)),
			md(mrkdwn.Clip(mrkdwn.Escape(t.Inpatient.In(lang)), maxFieldText)),
		}, nil))
	}
	return blocks
}

// HelpBlocks says what staff can ask.
func HelpBlocks(c *flows.Criteria, note string) []slack.Block {
	titles := make([]string, len(c.Compare))
	for i, t := range c.Compare {
		titles[i] = strings.ToLower(mrkdwn.Escape(t.Title.In(staffLang)))
	}
	blocks := []slack.Block{header("Helpline for intake staff")}
	if note != "" {
		blocks = append(blocks, small(note))
	}
	blocks = append(blocks,
		section(strings.Join([]string{
			"`/helpline criteria [iop|inpatient]`: the criteria the assistant applies, in the order it applies them",
			"`/helpline compare [point]`: IOP and inpatient side by side, on one point or all",
			"`/helpline screen`: run the screening for a caller on the phone, here in a DM with me",
			"`/helpline stats [days]`: screenings started and completed, leans, crises, handoffs and where people stop",
			"`/helpline help`: this list",
		}, "\n")),
		section("Or ask me in a DM or a mention, like _what are the criteria for inpatient?_ or _cost?_ I can answer about: "+strings.Join(titles, ", ")+"."),
	)
	return blocks
}

// QuestionBlocks renders a question of the screening with a button per
// choice, or checkboxes and a Submit button when several may be picked.
// Each button carries the step (its block) and the option's value, which
// go back to the engine as a typed answer.
func QuestionBlocks(q *bot.Question) []slack.Block {
	blocks := []slack.Block{section(mrkdwn.Escape(q.Heading()))}
	var elems []slack.BlockElement
	if q.Kind == flows.KindMulti {
		for i := 0; i < len(q.Choices); i += maxCheckboxes {
			group := q.Choices[i:min(i+maxCheckboxes, len(q.Choices))]
			opts := make([]*slack.OptionBlockObject, len(group))
			for j, ch := range group {
				opts[j] = slack.NewOptionBlockObject(ch.Value, plain(strconv.Itoa(ch.Number)+". "+ch.Label, maxButtonText), nil)
			}
			elems = append(elems, slack.NewCheckboxGroupsBlockElement(actionPick+strconv.Itoa(i/maxCheckboxes), opts...))
		}
		submit := slack.NewButtonBlockElement(actionSubmit, "", plain("Submit", maxButtonText))
		submit.Style = slack.StylePrimary
		elems = append(elems, submit)
	} else {
		for _, ch := range q.Choices {
			label := ch.Label
			if q.Kind != flows.KindScale {
				label = strconv.Itoa(ch.Number) + ". " + ch.Label
			}
			elems = append(elems, slack.NewButtonBlockElement(actionAnswer+ch.Value, ch.Value, plain(label, maxButtonText)))
		}
	}
	blocks = append(blocks, slack.NewActionBlock(blockQuestion+q.Step, elems...))
	if q.Kind != flows.KindIntro && q.Step != bot.NowStep {
		blocks = append(blocks, slack.NewActionBlock("nav:"+q.Step,
			slack.NewButtonBlockElement(actionNav+string(bot.CommandBack), string(bot.CommandBack), plain("Back", maxButtonText)),
			slack.NewButtonBlockElement(actionNav+string(bot.CommandRestart), string(bot.CommandRestart), plain("Start over", maxButtonText)),
		))
	}
	return blocks
}

// SummaryBlocks renders the end of a screening with the content of the SMS
// summary: what comes first if it is urgent, the lean, the reasons, the
// side-by-side, step-down, insurance and the next step.
func SummaryBlocks(c *flows.Criteria, sum *bot.Summary) []slack.Block {
	lang := sum.Lang
	blocks := []slack.Block{header("Screening summary: " + leanTitle(c, sum.Assessment.Lean, staffLang))}
	if sum.Urgent != "" {
		blocks = append(blocks, section(":rotating_light: *"+mrkdwn.Escape(sum.Urgent)+"*"))
	}
	blocks = append(blocks, section(mrkdwn.Escape(sum.Headline)))
	if len(sum.Reasons) > 0 {
		lines := []string{"*" + mrkdwn.Escape(c.Texts["reasons"].In(lang)) + "*"}
		for _, r := range sum.Reasons {
			lines = append(lines, "• "+mrkdwn.Escape(r))
		}
		blocks = append(blocks, sections(lines)...)
	}
	blocks = append(blocks, small(mrkdwn.Escape(c.Texts["not_diagnosis"].In(lang))+" Texter's language: `"+mrkdwn.Escape(lang)+"`."))
	blocks = append(blocks, slack.NewDividerBlock())
	blocks = append(blocks, compareTable(c, c.Compare, lang)...)
	blocks = append(blocks, slack.NewDividerBlock())
	var next []string
	if sum.StepDown != "" {
		// Said only where it fits the lean, as in the text.
		next = append(next, mrkdwn.Escape(sum.StepDown))
	}
	if sum.Insurance != "" {
		next = append(next, mrkdwn.Escape(sum.Insurance))
	}
	next = append(next, "*"+mrkdwn.Escape(sum.NextStep)+"*")
	blocks = append(blocks, section(strings.Join(next, "\n")))
	return blocks
}

// OutcomeBlocks renders what the engine answered to a click, each reply
// by its kind: a question or clarification with buttons (only the last
// waits for a click), the summary as its card, anything else as text.
func OutcomeBlocks(c *flows.Criteria, out bot.Outcome) []slack.Block {
	asked := out.Asked()
	var blocks []slack.Block
	for _, r := range out.Replies {
		switch {
		case r.Summary != nil:
			blocks = append(blocks, SummaryBlocks(c, r.Summary)...)
		case r.Question != nil && r.Question == asked:
			blocks = append(blocks, QuestionBlocks(r.Question)...)
		default:
			blocks = append(blocks, section(mrkdwn.Escape(r.Text)))
		}
	}
	return blocks
}

// AnsweredBlocks is a question after it was answered: its text without the
// buttons, and what was chosen.
func AnsweredBlocks(question []slack.Block, answer string) []slack.Block {
	var blocks []slack.Block
	for _, b := range question {
		if b.BlockType() != slack.MBTAction {
			blocks = append(blocks, b)
		}
	}
	return append(blocks, small(":white_check_mark: "+mrkdwn.Escape(answer)))
}

// StatsBlocks renders the counters of the last s.Days days; steps are the
// questions every screening is asked, in order, for the drop-off.
func StatsBlocks(c *flows.Criteria, s stats.Stats, steps []string) []slack.Block {
	days := "today"
	if s.Days > 1 {
		days = fmt.Sprintf("the last %d days", s.Days)
	}
	leans := make([]string, 0, len(c.Leans))
	for _, lean := range []string{flows.LeanIOP, flows.LeanInpatient, flows.LeanEither} {
		leans = append(leans, fmt.Sprintf("%s: %d", mrkdwn.Escape(leanTitle(c, lean, staffLang)), s.Leans[lean]))
	}
	crisisTotal := 0
	var crisis []string
	for _, kind := range flows.CrisisKinds {
		crisisTotal += s.Crisis[kind]
		if s.Crisis[kind] > 0 {
			crisis = append(crisis, fmt.Sprintf("%s: %d", kind, s.Crisis[kind]))
		}
	}
	crisisText := strconv.Itoa(crisisTotal)
	if len(crisis) > 0 {
		crisisText += " (" + strings.Join(crisis, ", ") + ")"
	}
	var channels []string
	for _, ch := range sortedKeys(s.Channels) {
		channels = append(channels, fmt.Sprintf("%s: %d", mrkdwn.Escape(ch), s.Channels[ch]))
	}
	if len(channels) == 0 {
		channels = []string{"none"}
	}
	blocks := []slack.Block{
		header("Screenings, " + days),
		slack.NewSectionBlock(nil, []*slack.TextBlockObject{
			md(fmt.Sprintf("*Started*\n%d", s.Started)),
			md(fmt.Sprintf("*Completed*\n%d", s.Completed)),
			md("*Leans*\n" + strings.Join(leans, "\n")),
			md("*Crisis escalations*\n" + crisisText),
			md(fmt.Sprintf("*Asked for a person*\n%d", s.Handoffs)),
			md("*Started by channel*\n" + strings.Join(channels, ", ")),
		}, nil),
	}
	stops := s.Stops(steps)
	lines := []string{"*Where people stop*"}
	if most, ok := stats.MostLeft(stops); ok {
		lines[0] += fmt.Sprintf(": most often after reaching `%s` (%d)", mrkdwn.Escape(most.Step), most.Left)
	}
	for _, st := range stops {
		lines = append(lines, fmt.Sprintf("`%s` reached %d, stopped %d", mrkdwn.Escape(st.Step), st.Reached, st.Left))
	}
	blocks = append(blocks, sections(lines)...)
	blocks = append(blocks, small("Counts only, with no personal data. Stops are estimated from totals over the questions everyone is asked: reached minus reached the next question (or completed)."))
	return blocks
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
