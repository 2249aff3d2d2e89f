package understand

import "helpline/flows/text"

// parseYesNo reads yes or no: "1" or "2", the language's ways of saying
// them, and the step's own words for each (naming a condition to the
// health question is a yes). After a contrast word the rest decides ("no
// but im pregnant" is yes). On the safety question any hedge anywhere
// ("sometimes", "kind of", "not really but sometimes", "i don't think so")
// is a yes: asking again costs a line, a missed yes can cost a life.
func parseYesNo(in *input) Reading {
	st := in.step
	if nums, only := LeadingNumbers(in.d, 2); only && len(nums) == 1 {
		return Answer(st.Values()[nums[0]-1])
	}
	if st.Safety && safetyHedge(in) {
		in.because("on the safety question a hedge anywhere is yes")
		return Answer("yes")
	}
	said, saidOK := YesNoAny(in.msg)
	pos, negs := positive(in.hits())
	// "no esta sano": a word for no, denied, says yes.
	yes, no := contains(pos, "yes") || contains(negs, "no"), contains(pos, "no")
	// The part after the last contrast word decides when it says anything.
	if last := lastContrast(in.d); last >= 0 {
		after, _ := positive(afterOnly(in, last))
		switch {
		case contains(after, "yes") && !contains(after, "no"):
			return Answer("yes")
		case contains(after, "no") && !contains(after, "yes"):
			return Answer("no")
		}
	}
	switch {
	case saidOK && said == "yes" && !no:
		return Answer("yes")
	case saidOK && said == "no" && !yes:
		return Answer("no")
	case saidOK && said == "no" && yes:
		// "no, my liver is bad": which is it?
		return ask(st, "yes", "no")
	case yes && !no:
		return Answer("yes")
	case no && !yes:
		return Answer("no")
	case !st.Safety && hedged(in):
		return ask(st, "yes", "no") // "maybe", "idk": which is closer?
	}
	return Reading{}
}

// safetyHedge reports whether a hedge stands anywhere in an answer to the
// safety question, in any language. About someone else, a plain no and
// then what the texter knows ("no, not that i know of", "no que yo sepa":
// the step's own words for no) is their no; alone, such words ("not that
// i know of", "no creo") stay a hedge. About the texter, any hedge stays a
// yes.
func safetyHedge(in *input) bool {
	for _, l := range in.msg.Langs() {
		d := in.msg.In(l)
		hedges := d.Find(text.ListHedges)
		if in.other {
			hedges = qualifiedNo(in, l.Code, d, hedges)
		}
		if len(hedges) > 0 {
			return true
		}
	}
	return false
}

// qualifiedNo drops, about someone else, the hedges that only qualify a
// plain no: a message that begins with a word that alone says no ("no",
// "nope") and then a break ("No. I'd know", "no, not that i know of"), or
// followed by the step's words for no ("no que yo sepa"; the hedge may take
// in that first no). A no about another person, qualified by what the
// texter knows, is their no; alone, such words ("not that i know of", "no
// creo") stay a hedge. Words of danger in it were read before the answer,
// and are its yes.
func qualifiedNo(in *input, code string, d *text.Doc, hedges []text.Span) []text.Span {
	o, c := in.step.Match(code), d.Content()
	if len(c) == 0 {
		return hedges
	}
	first := *d
	first.Tokens, first.Numbers = d.Tokens[:c[0]+1], nil
	if yn, ok := YesNo(&first); !ok || yn != "no" {
		return hedges
	}
	if len(c) > 1 && d.Tokens[c[1]].Clause != d.Tokens[c[0]].Clause {
		return nil // the no stands on its own
	}
	if o == nil {
		return hedges
	}
	var out []text.Span
	for _, h := range hedges {
		qualifies := false
		for _, m := range o.M.Find(d) {
			after := m.From > c[0] && (h.From == c[0] || h.From >= m.From)
			qualifies = qualifies || o.Value[m.Pattern] == "no" && after && h.To <= m.To
		}
		if !qualifies {
			out = append(out, h)
		}
	}
	return out
}

// afterOnly returns the hits of the step's words after token i.
func afterOnly(in *input, i int) []hit {
	var out []hit
	for _, h := range in.hits() {
		if h.from > i {
			out = append(out, h)
		}
	}
	// Plain yes or no after the contrast count too: "idk but yes".
	rest := in.d.Tokens[i+1:]
	if len(rest) > 0 {
		sub := *in.d
		sub.Tokens = rest
		sub.Numbers = nil
		if yn, ok := YesNo(&sub); ok {
			out = append(out, hit{value: yn})
		}
	}
	return out
}

// hedged reports whether the message hedges ("maybe", "not sure").
func hedged(in *input) bool {
	for _, l := range in.msg.Langs() {
		if len(in.msg.In(l).Find(text.ListHedges)) > 0 {
			return true
		}
	}
	return false
}

// RightNow reads the answer to the direct question, "are you having
// thoughts of killing yourself right now?": "1" or "2", yes or no in any
// language, a hedge as yes (when in doubt, alarm); neither when it is no
// answer to it.
func RightNow(m *Message, lang string) (yes, no bool) {
	d := m.Doc(lang)
	if nums, only := LeadingNumbers(d, 2); only && len(nums) == 1 {
		return nums[0] == 1, nums[0] == 2
	}
	for _, l := range m.Langs() {
		// "no, not right now" answers the question; "not really" does not.
		d := m.In(l)
		if nn := d.Find(text.ListNotNow); len(nn) > 0 && !outside(d.Find(text.ListYes), nn) {
			return false, true
		}
	}
	for _, l := range m.Langs() {
		if len(m.In(l).Find(text.ListHedges)) > 0 {
			return true, false
		}
	}
	yn, ok := YesNoAny(m)
	return ok && yn == "yes", ok && yn == "no"
}

// outside reports whether a span of a lies outside every span of b.
func outside(a, b []text.Span) bool {
	for _, x := range a {
		in := false
		for _, y := range b {
			in = in || x.From >= y.From && x.To <= y.To
		}
		if !in {
			return true
		}
	}
	return false
}
