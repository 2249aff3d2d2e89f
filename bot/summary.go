package bot

import (
	"strings"

	"helpline/flows"
)

// answers gives the criteria table and step conditions their view of a
// session: answers, scores and indicators (evaluated once each).
type answers struct {
	flow     *flows.Flow
	criteria *flows.Criteria
	given    map[string]string
	memo     map[string]bool
	// skipped marks steps known not to apply, for counting progress.
	skipped map[string]bool
}

func (a *answers) Skipped(step string) bool { return a.skipped[step] }

func newAnswers(f *flows.Flow, c *flows.Criteria, given map[string]string) *answers {
	return &answers{flow: f, criteria: c, given: given}
}

func (a *answers) Answer(step string) (string, bool) {
	v, ok := a.given[step]
	return v, ok
}

func (a *answers) Score(name string) int {
	total := 0
	for _, st := range a.flow.Steps {
		if st.Score != name {
			continue
		}
		if o := st.Option(a.given[st.ID]); o != nil {
			total += o.Score
		}
	}
	return total
}

func (a *answers) Indicator(id string) bool {
	if v, ok := a.memo[id]; ok {
		return v
	}
	in := a.criteria.Indicator(id)
	v := in != nil && in.When.Holds(a)
	if a.memo == nil {
		a.memo = map[string]bool{}
	}
	a.memo[id] = v
	return v
}

// Assessment is what the criteria table concludes from a set of answers.
type Assessment struct {
	Lean string
	// Rule is the rule that decided, so staff can see why.
	Rule *flows.Rule
	// Held lists every indicator that holds, in table order.
	Held []*flows.Indicator
	// Reasons are the indicators named to the texter: those of the deciding
	// rule first, then its "also" list, at most four.
	Reasons []*flows.Indicator
	// Strengths are what is on the texter's side, named after the reasons.
	Strengths []*flows.Indicator
	Urgent    bool
}

// maxReasons is how many reasons a summary names; minReasons how many it
// keeps when the longest of them would not fit the message's budget.
const (
	maxReasons = 4
	minReasons = 2
)

// fitsSummary reports whether msg fits a summary message's budget as
// written and as sent by default (transliterated to GSM-7).
func fitsSummary(msg string) bool {
	return flows.Segments(msg) <= flows.SummaryBudget(msg) && flows.Segments(flows.Transliterate(msg)) <= flows.SummarySegments
}

// Assess applies the criteria table to the answers given to flow f.
func Assess(f *flows.Flow, c *flows.Criteria, given map[string]string) Assessment {
	a := newAnswers(f, c, given)
	var out Assessment
	for _, in := range c.Indicators {
		if a.Indicator(in.ID) {
			out.Held = append(out.Held, in)
			out.Urgent = out.Urgent || in.Urgent
		}
	}
	for _, r := range c.Rules {
		if ruleHolds(r, a) {
			out.Rule, out.Lean = r, r.Lean
			break
		}
	}
	if out.Rule == nil {
		out.Lean = flows.LeanEither
		return out
	}
	for _, id := range append(append(append([]string{}, out.Rule.Any...), out.Rule.All...), out.Rule.Also...) {
		if len(out.Reasons) == maxReasons {
			break
		}
		if in := c.Indicator(id); in != nil && a.Indicator(id) && !containsIndicator(out.Reasons, in) {
			out.Reasons = append(out.Reasons, in)
		}
	}
	for _, id := range c.Strengths {
		if len(out.Reasons)+len(out.Strengths) == maxReasons {
			break
		}
		if in := c.Indicator(id); in != nil && a.Indicator(id) && !containsIndicator(out.Reasons, in) {
			out.Strengths = append(out.Strengths, in)
		}
	}
	return out
}

func containsIndicator(list []*flows.Indicator, in *flows.Indicator) bool {
	for _, x := range list {
		if x == in {
			return true
		}
	}
	return false
}

func ruleHolds(r *flows.Rule, a *answers) bool {
	switch {
	case len(r.Any) > 0:
		for _, id := range r.Any {
			if a.Indicator(id) {
				return true
			}
		}
		return false
	case len(r.All) > 0:
		for _, id := range r.All {
			if !a.Indicator(id) {
				return false
			}
		}
		return true
	}
	return true
}

// Summary is the end of a screening, in the texter's language, for any
// channel to render.
type Summary struct {
	Assessment Assessment
	Lang       string
	Headline   string
	Reasons    []string // the texter's reasons, filled in
	Strengths  []string
	Urgent     string // "get help first", or ""
	// Compare is the short side-by-side, as it fits their situation (no
	// "live at home" without a safe home).
	Compare string
	// StepDown is the word on step-down care, for the leans that name it
	// (not to a texter IOP fits), or "".
	StepDown  string
	Insurance string // the next-step text for their insurance
	NextStep  string
	// Messages are the summary as at most two SMS-sized messages.
	Messages []string
}

// summarize renders the summary of s.
func (e *Engine) summarize(s *Session) *Summary {
	f, c := e.flow, e.flows.Criteria
	lang := s.Lang
	vars := e.vars(s)
	as := Assess(f, c, s.Answers)
	a := newAnswers(f, c, s.Answers)
	sum := &Summary{
		Assessment: as,
		Lang:       lang,
		Headline:   flows.Fill(c.Leans[as.Lean].Headline.In(lang), vars),
		Compare:    flows.Fill(c.Text("compare_sms", a).In(lang), vars),
		NextStep:   flows.Fill(c.Text("next_step", a).In(lang), vars),
	}
	if c.Leans[as.Lean].StepDown {
		sum.StepDown = flows.Fill(c.Text("step_down", a).In(lang), vars)
	}
	for _, in := range as.Reasons {
		sum.Reasons = append(sum.Reasons, flows.Fill(in.Reason.In(lang), vars))
	}
	for _, in := range as.Strengths {
		sum.Strengths = append(sum.Strengths, flows.Fill(in.Reason.In(lang), vars))
	}
	if as.Urgent {
		sum.Urgent = flows.Fill(c.Texts["urgent"].In(lang), vars)
	}
	if t, ok := c.Insurance[s.Answers[c.InsuranceStep]]; ok {
		sum.Insurance = flows.Fill(t.In(lang), vars)
	}

	// A rare mix of the longest findings (urgent help first, four long
	// reasons, in Spanish for someone else) can pass the message's budget:
	// the last named goes, strengths first, keeping minReasons.
	msg := sum.firstMessage(c, vars)
	for !fitsSummary(msg) && len(sum.Reasons)+len(sum.Strengths) > minReasons {
		if n := len(sum.Strengths); n > 0 {
			sum.Strengths = sum.Strengths[:n-1]
		} else {
			sum.Reasons = sum.Reasons[:len(sum.Reasons)-1]
		}
		msg = sum.firstMessage(c, vars)
	}

	sum.Messages = []string{msg, sum.secondMessage()}
	return sum
}

// firstMessage returns the first message of sum: urgent help, the
// headline, the reasons and strengths, and that it is not a diagnosis.
func (sum *Summary) firstMessage(c *flows.Criteria, vars map[string]string) string {
	lang := sum.Lang
	var b strings.Builder
	if sum.Urgent != "" {
		b.WriteString(sum.Urgent + " ")
	}
	b.WriteString(sum.Headline)
	if len(sum.Reasons) > 0 {
		b.WriteString(" " + c.Texts["reasons"].In(lang) + " " + strings.Join(sum.Reasons, ". ") + ".")
	}
	if len(sum.Strengths) > 0 {
		b.WriteString(" " + flows.Fill(c.Texts["strengths"].In(lang), vars) + " " + flows.LowerFirst(strings.Join(sum.Strengths, ". ")) + ".")
	}
	b.WriteString(" " + c.Texts["not_diagnosis"].In(lang))
	return b.String()
}

// secondMessage returns the second message of sum: the side-by-side, the
// word on step-down care and on insurance when there are, and the next
// step.
func (sum *Summary) secondMessage() string {
	second := []string{sum.Compare}
	if sum.StepDown != "" {
		second = append(second, sum.StepDown)
	}
	if sum.Insurance != "" {
		second = append(second, sum.Insurance)
	}
	second = append(second, sum.NextStep)
	return strings.Join(second, " ")
}
