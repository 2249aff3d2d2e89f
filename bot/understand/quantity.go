package understand

import (
	"math"

	"helpline/flows/text"
)

// quantity is an amount read from a message: a number, a range ("3 or 4",
// "between 3 and 4", "3-4"), a bound ("10 or more", "at least 6", "under
// 3") or a vague number ("a few": 2 to 5).
type quantity struct {
	lo, hi   float64
	from, to int // tokens
	vague    bool
	approx   bool
	words    bool // written in words
	bounded  bool // "at least", "or more", "under"
}

// quantities reads every amount in d, in order.
func quantities(d *text.Doc) []quantity {
	var out []quantity
	ns := d.Numbers
	for k := 0; k < len(ns); k++ {
		n := ns[k]
		if pronounOne(d, n.From) {
			continue // the "one" of "the first one" counts nothing
		}
		q := quantity{lo: n.Value, hi: n.Value, from: n.From, to: n.To, approx: n.Approx, words: n.Words}
		if n.Vague {
			q.lo, q.hi, q.vague = n.Lo, n.Hi, true
		}
		// A range: the next number after a range word ("3 or 4", "3-4",
		// "between 3 and 4", "de 3 a 4").
		if k+1 < len(ns) && rangeBetween(d, n.To, ns[k+1].From) {
			m := ns[k+1]
			q.hi, q.to = max(q.hi, m.Value), m.To
			if m.Vague {
				q.vague, q.hi = true, max(q.hi, m.Hi)
			}
			if b := d.EndsAt(text.ListBetween, q.from); b > 0 {
				q.from -= b
			}
			k++
		}
		switch {
		case d.EndsAt(text.ListMore, q.from) > 0:
			q.hi, q.bounded = math.Inf(1), true
		case d.At(text.ListMore, q.to) > 0 || q.to < len(d.Tokens) && d.Tokens[q.to].Word == "+":
			q.hi, q.bounded = math.Inf(1), true
		case d.EndsAt(text.ListLess, q.from) > 0 || d.At(text.ListLess, q.to) > 0:
			q.lo, q.bounded = 0, true
		}
		out = append(out, q)
	}
	return out
}

// rangeBetween reports whether tokens a to b (exclusive) join two numbers
// into a range: one range word or a dash, fillers aside.
func rangeBetween(d *text.Doc, a, b int) bool {
	if b <= a {
		return false
	}
	joined := false
	for i := a; i < b; {
		t := d.Tokens[i]
		if t.Word == "-" && t.Kind == text.KindSymbol {
			joined = true
			i++
			continue
		}
		if n := d.At(text.ListRanges, i); n > 0 && !joined {
			joined = true
			i += n
			continue
		}
		if t.Filler {
			i++
			continue
		}
		return false
	}
	return joined
}

// standalone reports whether q stands alone: nothing but fillers, range
// or bound words follows it before the clause ends ("4", "like a 4 maybe").
// A number word that goes with the next word ("un poco", "un chingo",
// "one more") is not a number on its own.
func standalone(d *text.Doc, q quantity) bool {
	for i := q.to; i < len(d.Tokens); i++ {
		t := d.Tokens[i]
		switch {
		case t.Clause != d.Tokens[q.to-1].Clause || t.Kind == text.KindEmoji:
			return true
		case t.Filler || d.Lang.Is(text.WordApprox, t.Word) || d.At(text.ListMore, i) > 0 || d.At(text.ListLess, i) > 0:
			continue
		}
		return false
	}
	return true
}

// exact reports whether q is one number.
func (q quantity) exact() bool { return !q.vague && q.lo == q.hi }
