package understand

import "helpline/flows/text"

// parseChoice reads one option: its number, its label or one of its words,
// or a message that is part of one label only. Two options named at once
// ("me and my husband"), a word of two options, or a message inside two
// labels ("outpatient") is asked about; an option named only in a negation
// ("not me, my sister") is not picked.
func parseChoice(in *input) Reading {
	st := in.step
	if nums, only := LeadingNumbers(in.d, len(st.Options)); len(nums) > 0 && !in.strict {
		vs := picks(st, nums)
		if only || len(vs) == 1 && !contradicts(in, vs[0]) {
			return ask(st, vs...)
		}
	} else if n, ok := firstNumber(in.d, len(st.Options)); ok && !in.strict && !contradicts(in, st.Values()[n-1]) {
		// "2 driving": the option, then why.
		in.because("option number %d, then words that name no other option", n)
		return Answer(st.Values()[n-1])
	}
	hs := in.hits()
	if in.strict {
		hs = strong(hs)
	}
	hs = plainBeatsPronouns(in.d, hs)
	if last := lastContrast(in.d); last >= 0 && hedgedAfter(in.d, last) && !in.strict {
		// "bcbs but i think it lapsed": the doubt after the but leaves both.
		before, _ := positive(hitsBefore(hs, last))
		after, _ := positive(afterContrast(in.d, hs))
		if len(before) > 0 && len(after) > 0 {
			return ask(st, append(before, after...)...)
		}
	}
	yes, _ := positive(afterContrast(in.d, hs))
	if len(yes) > 0 {
		certain, groups := ambiguous(nonNegated(afterContrast(in.d, hs)), in.d)
		// One answer only: a word of two options next to one of them named
		// plainly is that one ("did outpatient and went right back").
		var left [][]string
		for _, g := range groups {
			settled := false
			for _, v := range g {
				settled = settled || contains(certain, v)
			}
			if !settled {
				left = append(left, g)
			}
		}
		groups = left
		if len(certain) == 1 && len(groups) == 0 {
			return Answer(certain[0])
		}
		var cands []string
		cands = append(cands, certain...)
		for _, g := range groups {
			cands = append(cands, g...)
		}
		return ask(st, cands...)
	}
	if in.strict {
		return Reading{}
	}
	return ask(st, inLabels(st, in.lang, in.d)...)
}

// firstNumber returns the option number a message begins with when it is
// a single number in digits ("2 driving").
func firstNumber(d *text.Doc, count int) (int, bool) {
	// An approximation word after it ("3 casi siempre") belongs to the words.
	if len(d.Tokens) < 2 || len(d.Numbers) == 0 || d.Numbers[0].From != 0 || d.Numbers[0].Words {
		return 0, false
	}
	n := d.Numbers[0]
	v := int(n.Value)
	if float64(v) != n.Value || v < 1 || v > count {
		return 0, false
	}
	if n.To < len(d.Tokens) && (d.At(text.ListRanges, n.To) > 0 || d.Tokens[n.To].Kind == text.KindSymbol || d.Lang.Is(text.WordTimes, d.Tokens[n.To].Word) || d.Lang.Period(d.Tokens[n.To].Word) != "") {
		return 0, false // "2 or 3", "2 times a week": not an option number
	}
	return v, true
}

// contradicts reports whether the words after an option number name a
// different option ("2, alcohol" to a list where alcohol is 1).
func contradicts(in *input, v string) bool {
	yes, _ := positive(in.hits())
	for _, y := range yes {
		if y != v {
			return true
		}
	}
	return false
}

func nonNegated(hs []hit) []hit {
	var out []hit
	for _, h := range hs {
		if !h.negated {
			out = append(out, h)
		}
	}
	return out
}

// hedgedAfter reports whether an approximation or hedge ("i think",
// "maybe") follows token i.
func hedgedAfter(d *text.Doc, i int) bool {
	for j := i + 1; j < len(d.Tokens); j++ {
		if d.Lang.Is(text.WordApprox, d.Tokens[j].Word) || d.At(text.ListApprox, j) > 0 || d.At(text.ListHedges, j) > 0 || d.At(text.ListUnsure, j) > 0 {
			return true
		}
	}
	return false
}

func hitsBefore(hs []hit, i int) []hit {
	var out []hit
	for _, h := range hs {
		if h.to <= i {
			out = append(out, h)
		}
	}
	return out
}

// plainBeatsPronouns drops the options named only by pronouns when another
// is named plainly: "my best friend, he's staying with me" is someone
// else, "me" notwithstanding.
func plainBeatsPronouns(d *text.Doc, hs []hit) []hit {
	plain := map[string]bool{}
	for _, h := range hs {
		if !h.weak && !h.negated {
			plain[h.value] = true
		}
	}
	if len(plain) == 0 {
		return hs
	}
	var out []hit
	for _, h := range hs {
		if plain[h.value] || h.negated || joined(d, h, hs) {
			out = append(out, h)
		}
	}
	return out
}

// joined reports whether h is joined by "and" to another hit ("me and my
// husband", "mi esposo y yo"): both are meant.
func joined(d *text.Doc, h hit, hs []hit) bool {
	for _, o := range hs {
		if o.value == h.value {
			continue
		}
		a, b := h.to, o.from
		if o.to <= h.from {
			a, b = o.to, h.from
		}
		if b < a || b-a > 2 {
			continue
		}
		for i := a; i < b; i++ {
			if d.At(text.ListAnd, i) > 0 {
				return true
			}
		}
	}
	return false
}

// strong drops hits made only of pronouns: reading a text for a step it
// was not asked for, "i" or "he" says too little.
func strong(hs []hit) []hit {
	var out []hit
	for _, h := range hs {
		if !h.weak {
			out = append(out, h)
		}
	}
	return out
}

// parseIntro reads the answer to the greeting: its options ("yes", "not
// now") in words or numbers, yes and no, and any request for help, which
// is a yes: they texted a helpline.
func parseIntro(in *input) Reading {
	st := in.step
	if nums, only := LeadingNumbers(in.d, len(st.Options)); only {
		return ask(st, picks(st, nums)...)
	}
	r := parseChoice(in)
	if r.Result != AskAgain {
		return r
	}
	if yn, ok := YesNoAny(in.msg); ok {
		if yn == "yes" {
			return Answer(st.Options[0].Value)
		}
		return Answer(st.Options[1].Value)
	}
	return Reading{}
}
