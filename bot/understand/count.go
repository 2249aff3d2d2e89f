package understand

import (
	"math"
	"strconv"

	"helpline/flows"
	"helpline/flows/text"
)

// parseCount reads a number of things (drinks): a bare
// number from 1 to the number of options is the option's number, as the
// list says; a number word, a number with a unit ("6 beers"), an amount
// ("a 12 pack", "a fifth"), a range ("3 or 4"), an approximation ("about
// 8", "3ish") or a number above the options is a count placed in the
// options' ranges. A count or range that falls in two options, a vague
// amount ("a few") or two counts that disagree are asked about.
func parseCount(in *input) Reading {
	st := in.step
	var optNums []int
	if !in.strict {
		if n, ok := bareNumber(in.d, len(st.Options)); ok {
			return Answer(st.Values()[n-1])
		}
		if n, ok := pickedOne(in.d, len(st.Options)); ok {
			return Answer(st.Values()[n-1]) // "the fourth one": the option, not 4 drinks
		}
		// "2, he only has 2 beers": one option number, then words.
		if nums, only := optionNumbers(in.d, len(st.Options), false); !only && len(nums) == 1 && !in.d.Numbers[0].Words {
			optNums = nums
		}
	}
	counts := countsIn(in)
	if len(counts) == 0 {
		if in.strict {
			return Reading{}
		}
		if len(optNums) > 0 {
			return ask(st, picks(st, optNums)...)
		}
		return parseChoice(in) // "ten or more" in words, or an option's own words
	}
	var cands []string
	sure := true
	for _, q := range counts {
		vs := countOptions(st, q.lo, q.hi)
		cands = append(cands, vs...)
		if q.vague || len(vs) != 1 {
			sure = false
		}
	}
	if len(optNums) > 0 {
		// "2, he only has 2 beers": the option and the count may differ.
		cands = append(cands, picks(st, optNums)...)
	}
	cands = uniq(cands)
	if in.strict {
		if sure && len(cands) == 1 {
			return Answer(cands[0])
		}
		return Reading{}
	}
	if !sure && len(cands) == 1 {
		return Reading{Result: Clarify, Cands: cands} // "a few" that fits one option is still a guess
	}
	return ask(st, cands...)
}

// bareNumber returns the option number a message is when it is one number
// written in digits from 1 to count and nothing else but fillers ("3",
// "#3", "option 3").
func bareNumber(d *text.Doc, count int) (int, bool) {
	nums, only := LeadingNumbers(d, count)
	if !only || len(nums) != 1 || len(d.Numbers) != 1 || d.Numbers[0].Words || d.Numbers[0].Approx {
		return 0, false
	}
	return nums[0], true
}

// countsIn returns the counts in the message: the step's amounts ("a six
// pack") and the numbers that are counts, those with a unit first ("6
// beers"). A number that counts something else ("3 times a week", "2
// kids") is left out.
func countsIn(in *input) []quantity {
	for _, lang := range []string{in.lang, "en"} {
		o := in.step.Match(lang)
		if o == nil {
			continue
		}
		d := in.msg.Doc(lang)
		var amounts, withUnit, plain []quantity
		for _, m := range o.Amounts.Find(d) {
			v, _ := strconv.ParseFloat(o.Amounts.Name(m.Pattern), 64)
			q := quantity{lo: v, hi: v, from: m.From, to: m.To}
			if d.EndsAt(text.ListMore, m.From) > 0 || d.At(text.ListMore, m.To) > 0 {
				q.hi, q.bounded = math.Inf(1), true
			}
			amounts = append(amounts, q)
		}
		units := o.Units.Find(d)
		for _, q := range quantities(d) {
			if overlapsAny(q, amounts) || countsSomethingElse(d, q) {
				continue
			}
			if end, ok := unitAfter(d, q, units); ok {
				// "a 6 pack sometimes more": the bound may follow the unit.
				if !q.bounded && d.At(text.ListMore, end) > 0 {
					q.hi, q.bounded = math.Inf(1), true
				}
				withUnit = append(withUnit, q)
			} else if !q.words || standalone(d, q) {
				plain = append(plain, q)
			}
		}
		switch {
		case len(amounts)+len(withUnit) > 0:
			// "a case on a bad day, 3 or 4 on a normal one": both count.
			for _, q := range plain {
				if !q.words && q.lo != q.hi {
					withUnit = append(withUnit, q)
				}
			}
			return append(amounts, withUnit...)
		case len(plain) > 0 && !in.strict:
			// Read for another step, a number without a unit says too little.
			return plain
		}
	}
	return nil
}

// countOptions returns the options whose range meets lo to hi, or, for a
// count between two options (2.5), both.
func countOptions(st *flows.Step, lo, hi float64) []string {
	var out []string
	var below, above string
	for _, o := range st.Options {
		olo, ohi := o.Range()
		switch {
		case olo <= hi && lo <= ohi:
			out = append(out, o.Value)
		case ohi < lo:
			below = o.Value
		case olo > hi && above == "":
			above = o.Value
		}
	}
	if len(out) == 0 && below != "" && above != "" {
		return []string{below, above}
	}
	return out
}

func overlapsAny(q quantity, qs []quantity) bool {
	for _, o := range qs {
		if q.from < o.to && o.from < q.to {
			return true
		}
	}
	return false
}

// countsSomethingElse reports whether a number counts times or days ("3
// times", "2 days a week", "every 2 weeks") rather than things.
func countsSomethingElse(d *text.Doc, q quantity) bool {
	for i := q.to; i < len(d.Tokens); i++ {
		t := d.Tokens[i]
		if t.Filler {
			continue
		}
		return d.Lang.Is(text.WordTimes, t.Word) || d.Lang.Period(t.Word) != "" || d.Lang.Is(text.WordTimes, t.Stem)
	}
	return q.from > 0 && d.EndsAt(text.ListEvery, q.from) > 0
}

// unitAfter reports whether one of the step's units follows q closely ("6
// beers", "6 cold beers"), and where it ends. A unit past a clause break
// or a pronoun is a word of its own: "the first one, i drink every day"
// counts no drinks.
func unitAfter(d *text.Doc, q quantity, units []text.Match) (int, bool) {
	for _, u := range units {
		if u.From < q.to || u.From > q.to+2 || u.From >= len(d.Tokens) || d.Tokens[u.From].Clause != d.Tokens[q.to-1].Clause {
			continue
		}
		apart := false
		for i := q.to; i < u.From; i++ {
			apart = apart || d.At(text.ListPronouns, i) > 0 || pronounOne(d, i)
		}
		if !apart {
			return u.To, true
		}
	}
	return 0, false
}

// pickedOne returns the option a message picks as "the fourth one", "the
// 2nd one": a number followed by "one" that stands for an option.
func pickedOne(d *text.Doc, count int) (int, bool) {
	nums, _ := LeadingNumbers(d, count)
	if len(nums) != 1 {
		return 0, false
	}
	for i := range d.Tokens {
		if pronounOne(d, i) {
			return nums[0], true
		}
	}
	return 0, false
}
