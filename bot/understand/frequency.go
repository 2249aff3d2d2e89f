package understand

import (
	"math"
	"strings"

	"helpline/flows"
	"helpline/flows/text"
)

// parseFrequency reads how often: the option's number;
// its label or words ("most days", "casi nunca"); or a frequency in words
// placed by the options' rates: "every day", "daily", "weekends" (2-3 a
// week), "3 or 4 times a week", "2 veces por semana", "every other day",
// "fri and sat". A frequency between two options or across two, or a vague
// one ("sometimes", "a lot", "a veces"), is asked about, never turned into
// a score. A frequency named in a negation ("not every day") picks nothing.
func parseFrequency(in *input) Reading {
	st := in.step
	if !in.strict {
		if n, ok := bareNumber(in.d, len(st.Options)); ok {
			return Answer(st.Values()[n-1])
		}
		if n, ok := pickedOne(in.d, len(st.Options)); ok && len(in.hits()) == 0 {
			return Answer(st.Values()[n-1]) // "the fourth one"
		}
	}
	hs := in.hits()
	if in.strict {
		hs = strong(hs)
	}
	rs := ratesIn(in)
	hs = notNegations(in.d, hs, rs)
	rs = outsideHits(rs, hs)   // "siempre" of "casi siempre" is the option's word
	hs = outsideCounts(hs, rs) // "nights" of "3 or 4 nights a week" is the count's
	said, _ := positive(afterContrast(in.d, hs))
	byRate, vague, negatedOnly := rateOptions(st, afterContrastRates(in.d, rs))
	z := zeroOption(st)
	if len(said) == 1 && said[0] == z && almost(in.d, hs, z) && !in.strict {
		// "casi nunca", "almost never": not never.
		return ask(st, z, nonZero(st)[0])
	}
	if n, ok := firstNumber(in.d, len(st.Options)); ok && !in.strict && len(said) > 0 && !contains(said, st.Values()[n-1]) {
		// "3 casi siempre": option 3, or what the words say?
		return ask(st, append(said, st.Values()[n-1])...)
	}
	return frequencyOf(in, said, byRate, vague, negatedOnly)
}

// frequencyOf decides a frequency from the options the words said and
// those the rates named ("3 or 4 nights a week"): one agreed is the answer,
// several or a disagreement are asked about.
func frequencyOf(in *input, said, byRate []string, vague, negatedOnly bool) Reading {
	st := in.step
	z := zeroOption(st)
	switch {
	case len(said) == 1 && said[0] == z && hedged(in) && !in.strict:
		// "no not really": not at all, or a few days?
		return ask(st, z, nonZero(st)[0])
	case in.strict && len(said) == 1 && said[0] == z:
		return Reading{}
	case len(said) == 1 && (len(byRate) == 0 || contains(byRate, said[0])):
		return Answer(said[0])
	case len(said) > 1:
		if in.strict {
			return Reading{}
		}
		return ask(st, said...)
	case len(said) == 1:
		// The option's words and the rate disagree: ask.
		if in.strict {
			return Reading{}
		}
		return ask(st, append(said, byRate...)...)
	case in.strict && len(byRate) == 1 && byRate[0] == z:
		return Reading{} // "never" said to another question says nothing of this one
	case len(byRate) == 1 && !vague:
		return Answer(byRate[0])
	case in.strict:
		return Reading{}
	case len(byRate) > 0 && vague:
		// "weekends and sometimes weeknights": that, or more.
		return ask(st, append(byRate, above(st, byRate))...)
	case len(byRate) > 0:
		return ask(st, byRate...)
	case vague:
		return ask(st, nonZero(st)...)
	case negatedOnly:
		return Reading{}
	}
	// "no" to "how often": never ("no not really": asked about).
	if yn, ok := YesNoAny(in.msg); ok && yn == "no" && z != "" {
		if hedged(in) {
			return ask(st, z, nonZero(st)[0])
		}
		return Answer(z)
	}
	return ask(st, inLabels(st, in.lang, in.d)...)
}

// notNegations drops a hit that is only a negation word negating a
// frequency ("no todos los dias": the no is not the answer "no").
func notNegations(d *text.Doc, hs []hit, rs []rateHit) []hit {
	var out []hit
	for _, h := range hs {
		lone := h.to-h.from == 1 && d.Tokens[h.from].Neg
		negatesRate := false
		for _, r := range rs {
			if r.negated && r.from > h.from && r.from <= h.from+3 {
				negatesRate = true
			}
		}
		if !(lone && negatesRate) {
			out = append(out, h)
		}
	}
	return out
}

// almost reports whether a hit of option v follows an approximation word
// ("almost never").
func almost(d *text.Doc, hs []hit, v string) bool {
	for _, h := range hs {
		if h.value == v && !h.negated && h.from > 0 && (d.Lang.Is(text.WordApprox, d.Tokens[h.from-1].Word) || d.EndsAt(text.ListApprox, h.from) > 0) {
			return true
		}
	}
	return false
}

// outsideHits drops the rates that lie inside an option's own words.
func outsideHits(rs []rateHit, hs []hit) []rateHit {
	var out []rateHit
	for _, r := range rs {
		inside := false
		for _, h := range hs {
			if !h.negated && h.from <= r.from && r.to <= h.to {
				inside = true
			}
		}
		if !inside {
			out = append(out, r)
		}
	}
	return out
}

// outsideCounts drops the option words that lie inside a count per period:
// "3 or 4 nights a week" says how often by its numbers, and its "nights"
// is not "nightly".
func outsideCounts(hs []hit, rs []rateHit) []hit {
	var out []hit
	for _, h := range hs {
		inside := false
		for _, r := range rs {
			if r.src != "phrase" && r.from <= h.from && h.to <= r.to {
				inside = true
			}
		}
		if !inside {
			out = append(out, h)
		}
	}
	return out
}

// rateHit is a frequency found in a message.
type rateHit struct {
	rate     text.Rate
	from, to int
	negated  bool
	src      string // what kind of words said it, for flows try
}

// ratesIn returns the frequencies the message names, in the conversation's
// language or, when it names none, in English.
func ratesIn(in *input) []rateHit {
	for _, lang := range []string{in.lang, "en"} {
		d := in.msg.Doc(lang)
		if rs := rates(d, in.step.Window); len(rs) > 0 {
			for _, r := range rs {
				neg := ""
				if r.negated {
					neg = ", in a negation"
				}
				in.because("how often: %q (%s) is %s%s", words(d, r.from, r.to), r.src, r.rate, neg)
			}
			return rs
		}
	}
	return nil
}

// words returns the words of tokens from to to, as read.
func words(d *text.Doc, from, to int) string {
	var ws []string
	for _, t := range d.Tokens[from:min(to, len(d.Tokens))] {
		ws = append(ws, t.Word)
	}
	return strings.Join(ws, " ")
}

// rates reads the frequencies in d: the language's phrases ("every other
// day"), counts per period ("3 times a week", "once every 2 weeks", "5 or
// 6 days a week"), and weekdays ("every friday", "fri and sat"). window is
// the span a step asks about ("fortnight" for the last 2 weeks), which
// "3 days" alone counts in.
func rates(d *text.Doc, window string) []rateHit {
	var out []rateHit
	covered := make([]bool, len(d.Tokens))
	mark := func(h rateHit) {
		out = append(out, h)
		for i := h.from; i < h.to && i < len(covered); i++ {
			covered[i] = true
		}
	}
	// The language's phrases first ("half the days" is not half a day),
	// then counts per period ("2 or 3 times a week").
	for _, o := range d.Lang.Frequencies(d) {
		mark(rateHit{rate: o.Rate, from: o.From, to: o.To, negated: negatedHit(d, o.From, o.To), src: "phrase"})
	}
	for _, q := range quantities(d) {
		if q.from < len(covered) && covered[q.from] {
			continue // the 2 of "once every 2 weeks", the half of "half the days"
		}
		if h, ok := perPeriod(d, q, window); ok {
			mark(h)
		}
	}
	days, from, to := map[int]bool{}, -1, -1
	for i := range d.Tokens {
		if wd := d.Weekday(i); wd > 0 && !covered[i] {
			if from < 0 {
				from = i
			}
			days[wd], to = true, i+1
		}
	}
	if len(days) > 0 {
		n := float64(len(days))
		mark(rateHit{rate: text.Rate{Lo: n / 7, Hi: n / 7}, from: from, to: to, negated: negated(d, from), src: "weekdays"})
	}
	return out
}

// perPeriod reads "N (times) (a) PERIOD", "N days a week", "once every N
// PERIODs" and, with a window, "N days" after quantity q.
func perPeriod(d *text.Doc, q quantity, window string) (rateHit, bool) {
	if e := d.EndsAt(text.ListEvery, q.from); e > 0 {
		return oncePer(d, q, e)
	}
	i := q.to
	skip := func() {
		for i < len(d.Tokens) && d.Tokens[i].Filler && d.At(text.ListPer, i) == 0 {
			i++
		}
	}
	skip()
	unit, times := "", false
	if i < len(d.Tokens) && (d.Lang.Is(text.WordTimes, d.Tokens[i].Word) || d.Lang.Is(text.WordTimes, d.Tokens[i].Stem)) {
		i, times = i+1, true
	} else if i < len(d.Tokens) {
		if p := d.Lang.Period(d.Tokens[i].Word); p == "day" || p == "night" {
			unit = p // "5 days a week": days counted in a week
			i++
		}
	}
	skip()
	every, per := 1.0, false
	if n := d.At(text.ListPer, i); n > 0 {
		i, per = i+n, true
		skip()
		// "once every 2 weeks", "cada 3 dias".
		if nq, ok := d.NumberAt(i); ok && !nq.Vague && nq.Value > 0 {
			every, i = nq.Value, nq.To
		} else if ok && nq.Vague {
			every, i = (nq.Lo+nq.Hi)/2, nq.To
		}
		skip()
	}
	if i < len(d.Tokens) && (times || per || unit != "") {
		// "2 years" alone is how long, or how long ago ("hace 2 anos"),
		// not how often: a rate says times, a day count, or per.
		if p := d.Lang.Period(d.Tokens[i].Word); p != "" && !(unit != "" && p == unit) {
			days := text.PeriodNames[p] * every
			if every == 1 && p == "weekend" {
				days = 7
			}
			return rateHit{rate: text.Rate{Lo: q.lo / days, Hi: q.hi / days}, from: q.from, to: i + 1, negated: negated(d, q.from), src: "count per period"}, true
		}
	}
	if unit != "" && window != "" {
		days := text.PeriodNames[window]
		return rateHit{rate: text.Rate{Lo: q.lo / days, Hi: q.hi / days}, from: q.from, to: i, negated: negated(d, q.from), src: "days in the window"}, true
	}
	return rateHit{}, false
}

// oncePer reads "every couple weeks", "cada 3 dias": once in that many
// periods; e is the length of the "every" before the count q.
func oncePer(d *text.Doc, q quantity, e int) (rateHit, bool) {
	i := q.to
	for i < len(d.Tokens) && d.Tokens[i].Filler {
		i++
	}
	if i < len(d.Tokens) && q.lo > 0 {
		if p := d.Lang.Period(d.Tokens[i].Word); p != "" {
			days := text.PeriodNames[p]
			return rateHit{rate: text.Rate{Lo: 1 / (q.hi * days), Hi: 1 / (q.lo * days)}, from: q.from - e, to: i + 1,
				negated: negated(d, q.from-e), src: "once every so many"}, true
		}
	}
	return rateHit{}, false
}

// afterContrastRates returns the rates after the last contrast word, or
// all when none stands after it.
func afterContrastRates(d *text.Doc, rs []rateHit) []rateHit {
	last := lastContrast(d)
	if last < 0 {
		return rs
	}
	return after(rs, last, func(r rateHit) int { return r.from })
}

// rateOptions places rates among the step's options: the options each
// meets or, for one between two options, both neighbours. It reports
// whether a rate was vague, and whether every rate was named in a negation.
func rateOptions(st *flows.Step, rs []rateHit) (vs []string, vague, negatedOnly bool) {
	negatedOnly = len(rs) > 0
	for _, r := range rs {
		if r.negated {
			continue
		}
		negatedOnly = false
		if r.rate.Vague {
			vague = true
			continue
		}
		vs = append(vs, rateOptionsOf(st, r.rate)...)
	}
	return uniq(vs), vague, negatedOnly
}

func rateOptionsOf(st *flows.Step, r text.Rate) []string {
	if math.IsNaN(r.Lo) || math.IsNaN(r.Hi) || math.IsInf(r.Lo, 0) {
		return nil
	}
	if r.IsNever() {
		if z := zeroOption(st); z != "" {
			return []string{z}
		}
		return nil
	}
	var out []string
	var below, above string
	for _, o := range st.Options {
		or := o.Rate()
		switch {
		case or.IsNever():
		case r.Overlaps(or):
			out = append(out, o.Value)
		case or.Hi < r.Lo:
			below = o.Value
		case or.Lo > r.Hi && above == "":
			above = o.Value
		}
	}
	if len(out) == 0 {
		for _, v := range []string{below, above} {
			if v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// above returns the option after the last of vs, or "".
func above(st *flows.Step, vs []string) string {
	vals := st.Values()
	for i := len(vals) - 1; i > 0; i-- {
		if contains(vs, vals[i-1]) {
			return vals[i]
		}
	}
	return ""
}

// zeroOption returns the option that means never, or "".
func zeroOption(st *flows.Step) string {
	for _, o := range st.Options {
		if o.Rate().IsNever() && o.Often != "" {
			return o.Value
		}
	}
	return ""
}

// nonZero returns every option but the one that means never.
func nonZero(st *flows.Step) []string {
	var out []string
	for _, o := range st.Options {
		if !o.Rate().IsNever() {
			out = append(out, o.Value)
		}
	}
	return out
}
