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

// maxReasons is how many reasons a summary names.
const maxReasons = 4

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
	Insurance  string // the next-step text for their insurance
	NextStep   string
	// Messages are the summary as at most two SMS-sized messages.
	Messages []string
}

// summarize renders the summary of s.
func (e *Engine) summarize(s *Session) *Summary {
	f, c := e.flow, e.flows.Criteria
	lang := s.Lang
	vars := e.vars(s)
	as := Assess(f, c, s.Answers)
	sum := &Summary{
		Assessment: as,
		Lang:       lang,
		Headline:   flows.Fill(c.Leans[as.Lean].Headline.In(lang), vars),
		NextStep:   flows.Fill(c.Texts["next_step"].In(lang), vars),
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

	var first strings.Builder
	if sum.Urgent != "" {
		first.WriteString(sum.Urgent + " ")
	}
	first.WriteString(sum.Headline)
	if len(sum.Reasons) > 0 {
		first.WriteString(" " + c.Texts["reasons"].In(lang) + " " + strings.Join(sum.Reasons, ". ") + ".")
	}
	if len(sum.Strengths) > 0 {
		first.WriteString(" " + flows.Fill(c.Texts["strengths"].In(lang), vars) + " " + flows.LowerFirst(strings.Join(sum.Strengths, ". ")) + ".")
	}
	first.WriteString(" " + c.Texts["not_diagnosis"].In(lang))

	second := []string{flows.Fill(c.Texts["compare_sms"].In(lang), vars), flows.Fill(c.Texts["step_down"].In(lang), vars)}
	if sum.Insurance != "" {
		second = append(second, sum.Insurance)
	}
	second = append(second, sum.NextStep)
	sum.Messages = []string{first.String(), strings.Join(second, " ")}
	return sum
}
