package flows

import (
	"fmt"
	"strings"
)

// Section is one rule of the criteria table as staff read it.
type Section struct {
	Lean  string
	Title string // "Inpatient / residential"
	// Match is "any", "all" or "otherwise" (the last rule).
	Match    string
	Criteria []Criterion
	// Also are findings named as further reasons under this lean.
	Also []Criterion
}

// Criterion is one indicator as staff read it.
type Criterion struct {
	ID        string
	Dimension int
	Text      string
	When      string // the answers that raise it, in words
}

// Sections returns the criteria table in the order its rules are tried.
func (c *Criteria) Sections(lang string) []Section {
	out := make([]Section, 0, len(c.Rules))
	for _, r := range c.Rules {
		s := Section{Lean: r.Lean, Title: c.Leans[r.Lean].Title.In(lang), Match: "otherwise"}
		ids := r.Any
		switch {
		case len(r.Any) > 0:
			s.Match = "any"
		case len(r.All) > 0:
			s.Match, ids = "all", r.All
		}
		for _, id := range ids {
			s.Criteria = append(s.Criteria, c.criterion(id, lang))
		}
		for _, id := range r.Also {
			s.Also = append(s.Also, c.criterion(id, lang))
		}
		out = append(out, s)
	}
	return out
}

func (c *Criteria) criterion(id, lang string) Criterion {
	in := c.Indicator(id)
	return Criterion{ID: id, Dimension: in.Dimension, Text: in.Criterion.In(lang), When: in.When.Describe()}
}

// Dimensions names the six dimensions the indicators are grouped by
// (ASAM-informed; the names are the project's own).
var Dimensions = map[int]string{
	1: "Withdrawal risk",
	2: "Physical health",
	3: "Mental health and safety",
	4: "Readiness",
	5: "Relapse risk",
	6: "Home and support",
}

// CriteriaText renders the criteria table as plain text, as `helpline
// criteria` prints it.
func CriteriaText(c *Criteria, lang string) string {
	var b strings.Builder
	b.WriteString("How the assistant decides. Rules are tried in order and the first that matches gives the lean:\nthe highest-risk finding decides; nothing is averaged.\n\n")
	for i, s := range c.Sections(lang) {
		switch s.Match {
		case "otherwise":
			fmt.Fprintf(&b, "%d. %s, otherwise.\n", i+1, s.Title)
		default:
			fmt.Fprintf(&b, "%d. %s, if %s of:\n", i+1, s.Title, s.Match)
		}
		for _, cr := range s.Criteria {
			fmt.Fprintf(&b, "   - %s [D%d %s; raised when %s]\n", cr.Text, cr.Dimension, Dimensions[cr.Dimension], cr.When)
		}
		if len(s.Also) > 0 {
			names := make([]string, len(s.Also))
			for j, cr := range s.Also {
				names[j] = cr.Text
			}
			fmt.Fprintf(&b, "   Also named as reasons when present: %s.\n", strings.Join(names, "; "))
		}
		b.WriteByte('\n')
	}
	b.WriteString("The texter's summary names up to four of these reasons, from their own answers.\n")
	return b.String()
}
