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
	if in.d.Is(text.ListAll) {
		var all []string
		for _, o := range st.Options {
			if !o.Only {
				all = append(all, o.Value)
			}
		}
		v, _ := Combine(st, all)
		return Answer(v), true
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

// allExcept reads "all except court": all but the options named after it.
func allExcept(in *input) (Reading, bool) {
	st := in.step
	last := lastContrast(in.d)
	if last <= 0 || len(in.d.Find(text.ListAll)) == 0 || in.d.Find(text.ListAll)[0].To > last {
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

// multiNamed reads a checklist from the options its words name: those
// said, those denied, and those a word names two of.
func multiNamed(in *input, hs []hit) Reading {
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
