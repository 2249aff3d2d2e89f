package flows

import "fmt"

// validate checks the criteria table against the flow f it is written for.
func (c *Criteria) validate(f *Flow, langs []string, p *problems) {
	ids := c.checkIndicators(f, langs, p)
	c.checkRules(ids, p)
	all := make([]string, 0, len(c.Indicators))
	for _, in := range c.Indicators {
		all = append(all, in.ID)
	}
	for _, id := range c.Strengths {
		if !ids[id] {
			p.add(c.File, valueLine(mapValue(c.root, "strengths"), id), "strengths: indicator %q is not defined%s", id, didYouMean(id, all))
		}
	}
	for _, lean := range []string{LeanInpatient, LeanIOP, LeanEither} {
		l, ok := c.Leans[lean]
		if !ok {
			p.add(c.File, rootLine(c.root, "leans"), "leans: %q is missing", lean)
			continue
		}
		checkText(l.Title, langs, c.File, rootLine(c.root, "leans", lean, "title"), fmt.Sprintf("leans %q: title", lean), p)
		checkText(l.Headline, langs, c.File, rootLine(c.root, "leans", lean, "headline"), fmt.Sprintf("leans %q: headline", lean), p)
	}
	c.checkCompare(langs, p)
	c.checkInsurance(f, langs, p)
	missingKeys(c.Texts, []string{"reasons", "strengths", "compare_sms", "step_down", "next_step", "not_diagnosis", "urgent"}, c.File, rootLine(c.root, "texts"), p)
	for _, k := range sortedKeys(c.Texts) {
		checkText(c.Texts[k], langs, c.File, rootLine(c.root, "texts", k), fmt.Sprintf("texts %q", k), p)
	}
	c.checkInstead(f, ids, langs, p)
}

// checkInstead checks the texts said in place of a fixed text: each names
// a text that exists, has a condition on the answers and is translated.
func (c *Criteria) checkInstead(f *Flow, ids map[string]bool, langs []string, p *problems) {
	scores := f.scores()
	keys := sortedKeys(c.Texts)
	defined := make([]string, 0, len(c.Indicators))
	for _, in := range c.Indicators {
		defined = append(defined, in.ID)
	}
	for i, in := range c.Instead {
		where := fmt.Sprintf("instead %d", i+1)
		if in == nil {
			p.add(c.File, rootLine(c.root, "instead", i), "%s: empty", where)
			continue
		}
		at := func(field string) int { return lineAt(in.node, field) }
		if _, ok := c.Texts[in.Of]; !ok {
			p.add(c.File, at("of"), "%s: of: %q is not one of the texts%s", where, in.Of, didYouMean(in.Of, keys))
		}
		if in.When == nil {
			p.add(c.File, lineAt(in.node), "%s: when is missing: a text said instead needs a condition", where)
		} else {
			for _, pr := range f.condProblems(in.When, -1, scores) {
				p.add(c.File, pr.line, "%s: when: %s", where, pr.msg)
			}
			for _, ref := range indicatorRefs(in.When) {
				if !ids[ref] {
					p.add(c.File, valueLine(mapValue(in.node, "when"), ref), "%s: when: indicator %q is not defined%s", where, ref, didYouMean(ref, defined))
				}
			}
		}
		checkText(in.Text, langs, c.File, at("text"), where+": text", p)
	}
}

// checkIndicators checks each indicator and returns the ids defined.
func (c *Criteria) checkIndicators(f *Flow, langs []string, p *problems) map[string]bool {
	scores := f.scores()
	ids := map[string]bool{}
	var defined []string
	for _, in := range c.Indicators {
		where := fmt.Sprintf("indicator %q", in.ID)
		at := func(field string) int { return lineAt(in.node, field) }
		if !idPattern.MatchString(in.ID) {
			p.add(c.File, at("id"), "%s: id must be lower case letters, digits and _", where)
		}
		if ids[in.ID] {
			p.add(c.File, at("id"), "%s: defined twice", where)
		}
		if in.Dimension < 1 || in.Dimension > 6 {
			p.add(c.File, at("dimension"), "%s: dimension must be 1 to 6", where)
		}
		if in.When == nil {
			p.add(c.File, at("id"), "%s: when is missing", where)
		} else {
			for _, pr := range f.condProblems(in.When, -1, scores) {
				p.add(c.File, pr.line, "%s: when: %s", where, pr.msg)
			}
			for _, ref := range indicatorRefs(in.When) {
				if !ids[ref] {
					p.add(c.File, valueLine(mapValue(in.node, "when"), ref), "%s: when: indicator %q is not defined above this one%s", where, ref, didYouMean(ref, defined))
				}
			}
		}
		ids[in.ID] = true
		defined = append(defined, in.ID)
		checkText(in.Criterion, langs, c.File, at("criterion"), where+": criterion", p)
		checkText(in.Reason, langs, c.File, at("reason"), where+": reason", p)
	}
	return ids
}

// checkRules checks the rules that turn indicators into a lean.
func (c *Criteria) checkRules(ids map[string]bool, p *problems) {
	all := make([]string, 0, len(c.Indicators))
	for _, in := range c.Indicators {
		all = append(all, in.ID)
	}
	catchAll := false
	for i, r := range c.Rules {
		where := fmt.Sprintf("rule %d", i+1)
		if r.Lean != LeanInpatient && r.Lean != LeanIOP && r.Lean != LeanEither {
			p.add(c.File, lineAt(r.node, "lean"), "%s: lean %q is not one of inpatient, iop, either%s", where, r.Lean,
				didYouMean(r.Lean, []string{LeanInpatient, LeanIOP, LeanEither}))
		}
		for _, id := range append(append(append([]string{}, r.Any...), r.All...), r.Also...) {
			if !ids[id] {
				p.add(c.File, valueLine(r.node, id), "%s: indicator %q is not defined%s", where, id, didYouMean(id, all))
			}
		}
		if len(r.Any) > 0 && len(r.All) > 0 {
			p.add(c.File, lineAt(r.node, "all"), "%s: use any or all, not both", where)
		}
		if len(r.Any) == 0 && len(r.All) == 0 {
			if i != len(c.Rules)-1 {
				p.add(c.File, r.Line, "%s: a rule with no indicators matches everything, so it must be the last", where)
			}
			catchAll = true
		}
	}
	if !catchAll {
		p.add(c.File, rootLine(c.root, "rules"), "rules: the last rule must have no indicators, so every texter gets a lean")
	}
}

func (c *Criteria) checkCompare(langs []string, p *problems) {
	topics := map[string]bool{}
	for i, t := range c.Compare {
		where := fmt.Sprintf("compare %q", t.ID)
		at := func(field string) int { return rootLine(c.root, "compare", i, field) }
		if topics[t.ID] {
			p.add(c.File, at("id"), "%s: defined twice", where)
		}
		topics[t.ID] = true
		checkText(t.Title, langs, c.File, at("title"), where+": title", p)
		checkText(t.IOP, langs, c.File, at("iop"), where+": iop", p)
		checkText(t.Inpatient, langs, c.File, at("inpatient"), where+": inpatient", p)
	}
	if len(c.Compare) == 0 {
		p.add(c.File, rootLine(c.root, "compare"), "compare: no topics")
	}
}

func (c *Criteria) checkInsurance(f *Flow, langs []string, p *problems) {
	if c.InsuranceStep != "" {
		st := f.Step(c.InsuranceStep)
		if st == nil {
			p.add(c.File, rootLine(c.root, "insurance_step"), "insurance_step: step %q is not defined%s", c.InsuranceStep, didYouMean(c.InsuranceStep, f.stepIDs()))
		} else {
			for _, v := range st.Values() {
				if _, ok := c.Insurance[v]; !ok {
					p.add(c.File, rootLine(c.root, "insurance"), "insurance: no text for answer %q of step %q", v, st.ID)
				}
			}
		}
	}
	for _, k := range sortedKeys(c.Insurance) {
		checkText(c.Insurance[k], langs, c.File, rootLine(c.root, "insurance", k), fmt.Sprintf("insurance %q", k), p)
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
