package understand

import (
	"slices"
	"sort"

	"helpline/flows"
	"helpline/flows/text"
)

// cleared returns the name of the first clear rule that removes match c,
// or "". A rule's context is looked for in every language, since people
// mix them ("me dio una convulsion hace 5 anos" matches the English
// "convulsing"); a negation only in the language that matched, whose
// reading of scope it is.
func (r *reading) cleared(c candidate) string {
	// The match in each reading, found once for every rule.
	var sameBuf [4]text.Match
	var hasBuf [4]bool
	same, has := sameBuf[:0], hasBuf[:0]
	for j := range r.langs {
		var m text.Match
		ok := false
		switch {
		case r.langs[j].cm == nil:
		case j == c.at:
			m, ok = c.m, true
		default:
			m, ok = sameWords(r.langs[c.at].doc, c.m, r.langs[j].doc)
		}
		same, has = append(same, m), append(has, ok)
	}
	fam := c.fam
	for i, rule := range r.d.set.Crisis.Clear {
		if len(rule.Kinds) > 0 && !contains(rule.Kinds, fam.Kind) || len(rule.Tiers) > 0 && !slices.Contains(rule.Tiers, fam.Tier) || rule.Soft && !fam.Soft {
			continue
		}
		applies, kept := false, false
		for j := range r.langs {
			tally(1)
			if !has[j] || rule.Negated && j != c.at {
				continue
			}
			// The words that keep a match count in the language that
			// matched or that found the context, not in a third one ("me"
			// of "asked me" is no Spanish "me").
			a, k := r.langs[j].clears(rule, i, same[j])
			applies, kept = applies || a, kept || k && (a || j == c.at)
		}
		if applies && !kept {
			return rule.Name
		}
	}
	return ""
}

// sameWords returns match m of doc from as the tokens of doc to that
// cover the same text.
func sameWords(from *text.Doc, m text.Match, to *text.Doc) (text.Match, bool) {
	lo, hi := from.Tokens[m.From].From, from.Tokens[m.To-1].To
	out := text.Match{Pattern: m.Pattern, Name: m.Name, From: -1}
	// Tokens stand in the order written: the first to end after lo, up to
	// the last to start before hi.
	first := sort.Search(len(to.Tokens), func(i int) bool { return to.Tokens[i].To > lo })
	for i := first; i < len(to.Tokens) && to.Tokens[i].From < hi; i++ {
		tally(1)
		if to.Tokens[i].To > lo {
			if out.From < 0 {
				out.From = i
			}
			out.To = i + 1
		}
	}
	return out, out.From >= 0
}

// clears reports whether the context of clear rule i (rule) is found
// around match m of lr, and whether one of its unless patterns is found
// near the match.
func (lr *langReading) clears(rule *flows.ClearRule, i int, m text.Match) (applies, kept bool) {
	if i >= len(lr.slots.rules) {
		return false, false
	}
	c, doc := lr.slots.rules[i], lr.doc
	// The parts of "A & B", or the match itself. The first part is what
	// it is about: a negation or a start is read before it ("no self harm,
	// just anxious"); other contexts stand by any part ("had the dts back
	// in 2019 ... dont wanna quit alone").
	parts := m.Parts
	if len(parts) == 0 {
		parts = [][2]int{{m.From, m.To}}
	}
	core := parts[0]
	if rule.Negated {
		// "no self harm, just anxious": what the match is about said
		// with no. The other parts only set the scene, and are often
		// negated in real danger ("wont come down", "no tengo inhalador").
		applies = negatedHit(doc, core[0], core[1]) && !lr.negationInPart(m, core[0])
	} else {
		applies = lr.contexts().around(c, parts)
	}
	if c[unlessSlot] >= 0 {
		// Words that keep the alarm count outside the context itself:
		// the "ahorita" of "ahorita estoy bien" is no danger now.
		k := lr.contexts().keepersOf(i, c)
		kept = k.begins(doc.Tokens[core[0]].Clause)
		for _, p := range parts {
			kept = kept || k.nearStraight(doc.Tokens[p[0]].Clause)
		}
	}
	return applies, kept
}

// around reports whether the context of a clear rule, in slots c, is
// found where it says around parts, the parts of a match of danger.
func (f *contexts) around(c ruleSlots, parts [][2]int) bool {
	doc := f.doc
	switch {
	case c[anywhereSlot] >= 0:
		return f.named(c[anywhereSlot]).any()
	case c[nearSlot] >= 0:
		// A context that begins or ends in the clause of a part or one
		// next to it.
		x := f.named(c[nearSlot])
		for _, p := range parts {
			if x.nearClause(doc.Tokens[p[0]].Clause) {
				return true
			}
		}
	case c[beforeSlot] >= 0:
		x := f.named(c[beforeSlot])
		for _, p := range parts {
			if x.endsBefore(p[0]) {
				return true
			}
		}
	case c[startsSlot] >= 0:
		return f.named(c[startsSlot]).startsClause(parts[0][0])
	case c[coversSlot] >= 0:
		v := f.named(c[coversSlot])
		for _, p := range parts {
			if v.overlaps(p[0], p[1]) {
				return true
			}
		}
	}
	return false
}

// negationInPart reports whether the negation before from, where a part of
// match m begins, belongs to another part of it: "lleva 2 dias sin tomar y esta
// confundido" is not a negated confusion, "sin tomar" is a part.
func (lr *langReading) negationInPart(m text.Match, from int) bool {
	j := lr.negationBefore(from)
	if j < 0 {
		return false
	}
	for _, p := range m.Parts {
		if p[0] <= j && j < p[1] && p[0] != from {
			return true
		}
	}
	return false
}
