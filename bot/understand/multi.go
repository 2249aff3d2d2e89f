package understand

import (
	"helpline/flows"
	"helpline/flows/text"
)

// parseMulti reads a checklist: every option named by number or in words.
// An option named in a negation ("not alcohol, just weed", "no car") is
// left out; a word of several options ("pills") is asked about, keeping
// what is certain; "all" takes every option but the only-option ("none of
// these"), and "no" or naming nothing but negations takes the only-option.
func parseMulti(in *input) Reading {
	if !in.strict {
		if r, ok := multiShortcut(in); ok {
			return r
		}
	}
	hs := in.hits()
	if in.strict {
		// Read for another question, a checklist takes only what is named:
		// never its "none of these" ("ningun dia" to the mood question).
		var named []hit
		for _, h := range strong(hs) {
			if o := in.step.Option(h.value); o == nil || !o.Only {
				named = append(named, h)
			}
		}
		hs = named
	}
	return multiNamed(in, hs)
}

// multiShortcut reads the checklist answers that are not a list of named
// options: "all", numbers ("1 3 and weed"), and "all except court".
func multiShortcut(in *input) (Reading, bool) {
	st := in.step
	if allBefore(in.d, len(in.d.Tokens)) {
		return allOptions(st), true // "all of the above lol"
	}
	if nums, only := LeadingNumbers(in.d, len(st.Options)); len(nums) > 0 {
		vs := picks(st, nums)
		if !only {
			// "1 3 and weed": the words add to the numbers.
			yes, _ := positive(in.hits())
			vs = uniq(append(vs, yes...))
		}
		if v, ok := Combine(st, vs); ok {
			return Answer(v), true
		}
		return ask(st, vs...), true // "1 6": one of them is "none"
	}
	return allExcept(in)
}

// allOptions reads "all of them": every option but the only-option. Of
// two, that is both; of more on a list that also has "none of these", it
// is a claim too broad to take unasked, and is shown to be confirmed.
func allOptions(st *flows.Step) Reading {
	var all []string
	for _, o := range st.Options {
		if !o.Only {
			all = append(all, o.Value)
		}
	}
	v, _ := Combine(st, all)
	if len(all) > 2 && onlyOption(st) != "" {
		return Reading{Result: Clarify, Cands: all, Confirm: true}
	}
	return Answer(v)
}

// allExcept reads "all except court": all but the options named after it.
// The "all" must be all that stands before the contrast: "i take care of
// them all day but no car" says nothing of the rest.
func allExcept(in *input) (Reading, bool) {
	st := in.step
	last := lastContrast(in.d)
	if last <= 0 || !allBefore(in.d, last) {
		return Reading{}, false
	}
	var but []string
	for _, h := range in.hits() {
		if h.from > last {
			but = append(but, h.value)
		}
	}
	var rest []string
	for _, o := range st.Options {
		if !o.Only && !contains(but, o.Value) {
			rest = append(rest, o.Value)
		}
	}
	if v, ok := Combine(st, rest); ok && len(but) > 0 {
		return Answer(v), true
	}
	return Reading{}, false
}

// allBefore reports whether the words before token last are one phrase
// of "all" ("all of them except court"), fillers and emoji aside.
func allBefore(d *text.Doc, last int) bool {
	var words []int // the content before last, emoji aside
	for _, i := range d.Content() {
		if i < last && d.Tokens[i].Kind != text.KindEmoji {
			words = append(words, i)
		}
	}
	if len(words) == 0 {
		return false
	}
	for _, sp := range d.Find(text.ListAll) {
		if sp.From <= words[0] && sp.To > words[len(words)-1] && sp.To <= last {
			return true
		}
	}
	return false
}

// deniedByNor marks as denied an option followed by a negation that joins
// ("convulsiones ni nada de eso no": no seizures nor anything like it).
func deniedByNor(d *text.Doc, hs []hit) []hit {
	out := make([]hit, len(hs))
	copy(out, hs)
	for i, h := range out {
		if h.to < len(d.Tokens) && d.Tokens[h.to].Neg && d.Lang.Is(text.WordOr, d.Tokens[h.to].Word) {
			out[i].negated = true
		}
	}
	return out
}

// deniedSubjects marks as denied an option named plainly and then denied
// in the same clause: "my family doesnt support me", "mi familia no me
// apoya" name family to say there is no support. "beer not liquor" sets
// one thing against another of the same option: the first stands.
func deniedSubjects(d *text.Doc, hs []hit) []hit {
	out := make([]hit, len(hs))
	copy(out, hs)
	near := byPosition(hs)
	for i, h := range out {
		if h.negated {
			continue
		}
		// The verb follows its subject closely: "my parents dont really support me".
		for _, j := range near.around(h.to, h.to+6) {
			n := hs[j]
			if n.negated && n.value == h.value && n.clause == h.clause && n.from >= h.to && deniedVerb(d, h, n) && !setAgainst(d, h, n) {
				out[i].negated = true
			}
		}
	}
	return out
}

// deniedVerb reports whether hit n is a verb denied right after h, its
// subject: a negation next to both, an auxiliary or an adverb aside ("family
// does not support", "parents dont really support", "familia no me
// apoya"); not a word further on ("no hay drogas en la casa", "work, cant be
// missing shifts").
func deniedVerb(d *text.Doc, h, n hit) bool {
	for k := h.to; k <= h.to+1 && k < n.from; k++ {
		if d.Tokens[k].Neg && n.from-k-1 <= 1 {
			return true
		}
	}
	return false
}

// setAgainst reports whether hit n is set against hit h by a lone
// negation word between them ("beer not liquor"), rather than a verb
// denied after its subject ("family does not support", "no me apoya").
func setAgainst(d *text.Doc, h, n hit) bool {
	return n.from == h.to+1 && d.Tokens[h.to].Neg && d.At(text.ListPronouns, n.from) == 0
}

// multiNamed reads a checklist from the options its words name: those
// said, those denied, and those a word names two of.
func multiNamed(in *input, hs []hit) Reading {
	hs = deniedSubjects(in.d, deniedByNor(in.d, hs))
	r := multiRead(in, hs)
	if r.Result == Answered {
		r.Not = without(inOrder(in.step, plainlyDenied(hs)), onlyOption(in.step))
	}
	return r
}

// plainlyDenied returns the options denied by words that name only them
// ("no car"), not by a word of several ("no pills"), nor said also.
func plainlyDenied(hs []hit) []string {
	yes, no := positive(hs)
	var out []string
	for _, v := range no {
		for _, h := range hs {
			if h.value == v && h.negated && !contains(out, v) && !shared(hs, h) && !contains(yes, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// shared reports whether another option was found in the same words as h.
func shared(hs []hit, h hit) bool {
	for _, o := range hs {
		if o.value != h.value && o.from == h.from && o.to == h.to {
			return true
		}
	}
	return false
}

// multiRead decides a checklist from its hits.
func multiRead(in *input, hs []hit) Reading {
	st := in.step
	yes, no := positive(hs)
	certain, groups := ambiguous(nonNegated(hs), in.d)
	only := onlyOption(st)
	// "none" with other options named plainly: the others win when "none"
	// came from a word that also means nothing ("nothing else, just work").
	if only != "" && len(certain) > 1 {
		certain = without(certain, only)
	}
	switch {
	case len(yes) == 0 && len(no) > 0 && only != "":
		if in.strict {
			return Reading{}
		}
		return allDenied(st, no, only)
	case len(groups) > 0:
		return multiGroups(in, certain, groups)
	case len(certain) > 0:
		if v, ok := Combine(st, certain); ok {
			return Answer(v)
		}
		return ask(st, certain...)
	}
	if in.strict {
		return Reading{}
	}
	// "no" to "which of these are true": none of them.
	if yn, ok := YesNoAny(in.msg); ok && yn == "no" && only != "" {
		return Answer(only)
	}
	return ask(st, inLabels(st, in.lang, in.d)...)
}

// allDenied reads a checklist where everything named was denied: if that
// covers every other option, it is "none"; otherwise it asks which of the
// rest apply.
func allDenied(st *flows.Step, no []string, only string) Reading {
	var rest []string
	for _, o := range st.Options {
		if !o.Only && !contains(no, o.Value) {
			rest = append(rest, o.Value)
		}
	}
	if len(rest) == 0 {
		return Answer(only)
	}
	return ask(st, append(rest, only)...)
}

// multiGroups reads a checklist where a word names two or more options:
// asked which, keeping what is certain.
func multiGroups(in *input, certain []string, groups [][]string) Reading {
	st := in.step
	if in.strict {
		if v, ok := Combine(st, certain); ok {
			return Answer(v)
		}
		return Reading{}
	}
	var cands []string
	for _, g := range groups {
		cands = append(cands, g...)
	}
	r := ask(st, cands...)
	if r.Result == Clarify {
		r.Keep = inOrder(st, certain)
	} else if r.Result == Answered {
		v, _ := Combine(st, append(certain, r.Value))
		r.Value = v
	}
	return r
}

// onlyOption returns the value of the step's only-option ("none"), or "".
func onlyOption(st *flows.Step) string {
	for _, o := range st.Options {
		if o.Only {
			return o.Value
		}
	}
	return ""
}

func without(vs []string, v string) []string {
	var out []string
	for _, x := range vs {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

func contains(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}
