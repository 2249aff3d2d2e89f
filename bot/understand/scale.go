package understand

import (
	"strconv"

	"helpline/flows/text"
)

// parseScale reads a point of a scale: a number ("4", "like a 4", "four")
// or the step's words for points ("pretty ready" is 4). A range ("3 or
// 4") or a word that spans points ("ready": 4 or 5) is asked about; a
// number off the scale is asked again.
func parseScale(in *input) Reading {
	st := in.step
	var cands []string
	add := func(lo, hi float64) {
		for p := int(lo); p <= int(hi); p++ {
			if p >= st.Min && p <= st.Max {
				cands = append(cands, strconv.Itoa(p))
			}
		}
	}
	// A number on the scale says more than a word ("maybe like 2").
	for _, q := range quantities(in.d) {
		if q.vague || q.lo < float64(st.Min) || q.hi > float64(st.Max) || q.lo != float64(int(q.lo)) || q.words && !standalone(in.d, q) {
			continue
		}
		add(q.lo, q.hi)
	}
	if len(cands) == 0 {
		// One point named exactly says more than a word that spans two
		// ("bastante listo", "listo al 100").
		rs := points(in)
		for _, r := range rs {
			if r[0] == r[1] {
				add(r[0], r[1])
			}
		}
		if len(uniq(cands)) != 1 {
			for _, r := range rs {
				add(r[0], r[1])
			}
		}
	}
	return ask(st, uniq(cands)...)
}

// points returns the ranges of the step's point words said in the
// message (not in a negation), those after a contrast word first.
func points(in *input) [][2]float64 {
	var out [][2]float64
	for _, lang := range []string{in.lang, "en"} {
		if lang != in.lang && unsure(in.d) {
			break // "no se" is not the English "no"
		}
		o := in.step.Match(lang)
		if o == nil || o.Points == nil {
			continue
		}
		d := in.msg.Doc(lang)
		var hs []hit
		for _, m := range o.Points.Find(d) {
			hs = append(hs, hit{value: o.Points.Name(m.Pattern), from: m.From, to: m.To, negated: negatedHit(d, m.From, m.To)})
		}
		hs = afterContrast(d, longest(hs))
		for _, h := range hs {
			if h.negated {
				continue
			}
			lo, hi, err := text.ParseRange(h.value)
			if err == nil {
				out = append(out, [2]float64{lo, hi})
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return out
}
