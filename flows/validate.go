package flows

import "fmt"

func (c *Criteria) validate(f *Flow, langs []string, p *problems) {
	file := c.File
	scores := f.scores()
	ids := map[string]bool{}
	for _, in := range c.Indicators {
		where := fmt.Sprintf("indicator %q", in.ID)
		if !idPattern.MatchString(in.ID) {
			p.add(file, in.Line, "%s: id must be lower case letters, digits and _", where)
		}
		if ids[in.ID] {
			p.add(file, in.Line, "%s: defined twice", where)
		}
		if in.Dimension < 1 || in.Dimension > 6 {
			p.add(file, in.Line, "%s: dimension must be 1 to 6", where)
		}
		if in.When == nil {
			p.add(file, in.Line, "%s: when is missing", where)
		} else {
			for _, msg := range f.condProblems(in.When, -1, scores) {
				p.add(file, in.Line, "%s: when: %s", where, msg)
			}
			for _, ref := range indicatorRefs(in.When) {
				if !ids[ref] {
					p.add(file, in.Line, "%s: when: indicator %q is not defined above this one", where, ref)
				}
			}
		}
		ids[in.ID] = true
		checkText(in.Criterion, langs, file, in.Line, where+": criterion", p)
		checkText(in.Reason, langs, file, in.Line, where+": reason", p)
	}
	catchAll := false
	for i, r := range c.Rules {
		where := fmt.Sprintf("rule %d", i+1)
		if r.Lean != LeanInpatient && r.Lean != LeanIOP && r.Lean != LeanEither {
			p.add(file, r.Line, "%s: lean %q is not one of inpatient, iop, either", where, r.Lean)
		}
		for _, id := range append(append(append([]string{}, r.Any...), r.All...), r.Also...) {
			if !ids[id] {
				p.add(file, r.Line, "%s: indicator %q is not defined", where, id)
			}
		}
		if len(r.Any) > 0 && len(r.All) > 0 {
			p.add(file, r.Line, "%s: use any or all, not both", where)
		}
		if len(r.Any) == 0 && len(r.All) == 0 {
			if i != len(c.Rules)-1 {
				p.add(file, r.Line, "%s: a rule with no indicators matches everything, so it must be the last", where)
			}
			catchAll = true
		}
	}
	if !catchAll {
		p.add(file, 0, "rules: the last rule must have no indicators, so every texter gets a lean")
	}
	for _, id := range c.Strengths {
		if !ids[id] {
			p.add(file, 0, "strengths: indicator %q is not defined", id)
		}
	}
	for _, lean := range []string{LeanInpatient, LeanIOP, LeanEither} {
		l, ok := c.Leans[lean]
		if !ok {
			p.add(file, 0, "leans: %q is missing", lean)
			continue
		}
		checkText(l.Title, langs, file, 0, fmt.Sprintf("leans %q: title", lean), p)
		checkText(l.Headline, langs, file, 0, fmt.Sprintf("leans %q: headline", lean), p)
	}
	topics := map[string]bool{}
	for _, t := range c.Compare {
		where := fmt.Sprintf("compare %q", t.ID)
		if topics[t.ID] {
			p.add(file, 0, "%s: defined twice", where)
		}
		topics[t.ID] = true
		checkText(t.Title, langs, file, 0, where+": title", p)
		checkText(t.IOP, langs, file, 0, where+": iop", p)
		checkText(t.Inpatient, langs, file, 0, where+": inpatient", p)
	}
	if len(c.Compare) == 0 {
		p.add(file, 0, "compare: no topics")
	}
	if c.InsuranceStep != "" {
		st := f.Step(c.InsuranceStep)
		if st == nil {
			p.add(file, 0, "insurance_step: step %q is not defined", c.InsuranceStep)
		} else {
			for _, v := range st.Values() {
				if _, ok := c.Insurance[v]; !ok {
					p.add(file, 0, "insurance: no text for answer %q of step %q", v, st.ID)
				}
			}
		}
	}
	for _, k := range sortedKeys(c.Insurance) {
		checkText(c.Insurance[k], langs, file, 0, fmt.Sprintf("insurance %q", k), p)
	}
	missingKeys(c.Texts, []string{"reasons", "strengths", "compare_sms", "step_down", "next_step", "not_diagnosis", "urgent"}, file, p)
	for _, k := range sortedKeys(c.Texts) {
		checkText(c.Texts[k], langs, file, 0, fmt.Sprintf("texts %q", k), p)
	}
}

// indicatorRefs lists the indicators a condition names.
func indicatorRefs(c *Cond) []string {
	if c == nil {
		return nil
	}
	var out []string
	if c.Indicator != "" {
		out = append(out, c.Indicator)
	}
	for _, s := range append(append([]*Cond{}, c.Any...), c.All...) {
		out = append(out, indicatorRefs(s)...)
	}
	return append(out, indicatorRefs(c.Not)...)
}
