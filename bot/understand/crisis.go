package understand

import (
	"fmt"
	"slices"
	"sync/atomic"

	"helpline/flows"
	"helpline/flows/text"
)

// Detector finds danger in a message, over the text layer, with the
// patterns, lists and clearing context of flows/crisis.yaml. It touches no
// store, so it answers even when Redis is down.
type Detector struct {
	set   *flows.Set
	langs []string // English first
	// rank holds, per danger family, by its index in the file, how much a
	// match of it weighs against another: urgent over concern, then the
	// family that comes first.
	rank []int
	// slots number the contexts of each language, as langs.
	slots []*contextSlots
}

// Finding is what the danger check made of a message.
type Finding struct {
	// Tier is "urgent", "concern" or "" for none.
	Tier flows.Tier
	Kind string
	// Who is "self" or "other": whose danger it is. Named says a word of
	// the message said so; when not, the conversation may know better (a
	// parent screening for a son).
	Who   string
	Named bool
	// Reply names the reply of the crisis file to send.
	Reply string
	// Lang is the language of the words that matched.
	Lang string
	// Matched is the family of the pattern that matched and its words as
	// written in the file; Cleared the clear rule that removed a match
	// (the last one, when nothing else matched), for clinical review.
	Matched, Pattern, Cleared string
}

// For returns f for a conversation about audience ("self" or "other"):
// danger said of no one in particular is the person the screening is for.
func (d *Detector) For(f Finding, audience string) Finding {
	if f.Tier == "" || f.Named || audience != flows.WhoOther || f.Who == flows.WhoOther {
		return f
	}
	f.Who = flows.WhoOther
	if fam := d.set.Crisis.FamilyNamed(f.Matched); fam != nil {
		f.Reply = d.set.Crisis.ReplyFor(fam, f.Who)
	}
	return f
}

// NewDetector returns a detector for the crisis file of set.
func NewDetector(set *flows.Set) (*Detector, error) {
	d := &Detector{set: set, langs: []string{"en"}}
	for _, l := range set.Languages() {
		if l != "en" {
			d.langs = append(d.langs, l)
		}
	}
	for _, code := range d.langs {
		var cs *contextSlots
		if cm := set.Crisis.Match(code); cm != nil {
			cs = slotsOf(cm)
		}
		d.slots = append(d.slots, cs)
	}
	n := len(set.Crisis.Patterns)
	for i, fam := range set.Crisis.Patterns {
		r := (n-i)*4 + 2
		if fam.Tier == flows.TierUrgent {
			r += 4 * n
		}
		d.rank = append(d.rank, r)
	}
	return d, nil
}

// Check returns the danger in s. Matches are tried in every language the
// flows speak; an urgent one wins over a concern, then the family that
// comes first in the file, then the language asked for (prefer), then
// English.
func (d *Detector) Check(s string) Finding { return d.CheckIn(s, "") }

// Explain lists every danger pattern s matches, in each language, with
// the rule that cleared it, for clinical review of a text.
func (d *Detector) Explain(s string) []string {
	var out []string
	d.check(NewMessage(d.set, s, ""), "", func(lang string, fam *flows.DangerPattern, src, cleared string) {
		line := fmt.Sprintf("%s %s (%s %s): %q", lang, fam.Name, fam.Tier, fam.Kind, src)
		if cleared != "" {
			line += " cleared by " + cleared
		}
		out = append(out, line)
	})
	return out
}

// CheckIn is Check preferring the language prefer when two languages find
// the same danger.
func (d *Detector) CheckIn(s, prefer string) Finding {
	return d.CheckMessage(NewMessage(d.set, s, prefer), prefer)
}

// CheckMessage is CheckIn over a message whose readings the engine goes
// on to use for keywords and answers, so that a text is read once.
func (d *Detector) CheckMessage(msg *Message, prefer string) Finding {
	return d.check(msg, prefer, nil)
}

// candidate is a match of danger in one reading of a message.
type candidate struct {
	at   int // the reading, in d.langs
	idx  int // in the order found: by reading, then where it starts
	m    text.Match
	fam  *flows.DangerPattern
	rank int
}

// check is CheckMessage telling seen, when not nil, of every match. The
// matches that weigh most are cleared first: the first one no rule
// clears wins, and the rest are not looked at, unless seen wants them.
func (d *Detector) check(msg *Message, prefer string, seen func(lang string, fam *flows.DangerPattern, src, cleared string)) Finding {
	if msg.Empty() {
		return Finding{}
	}
	r := d.read(msg)
	cands := r.candidates(prefer)
	if len(cands) == 0 {
		return Finding{}
	}
	order := cands
	if seen == nil {
		// By weight; of two alike, the one found first.
		order = slices.Clone(cands)
		slices.SortStableFunc(order, func(a, b candidate) int { return b.rank - a.rank })
	}
	best, bestRank, cleared, lastCleared := -1, -1, "", -1
	for k, c := range order {
		if seen == nil && best >= 0 {
			break
		}
		rule := r.cleared(c)
		if seen != nil {
			seen(d.langs[c.at], c.fam, r.langs[c.at].cm.M.Source(c.m.Pattern), rule)
		}
		if rule == "" && c.rank > bestRank {
			best, bestRank = k, c.rank
		}
		// What cleared the match found last is told when nothing is
		// found, whatever order they were cleared in.
		if rule != "" && c.idx > lastCleared {
			cleared, lastCleared = rule, c.idx
		}
	}
	if best < 0 {
		return Finding{Cleared: cleared}
	}
	return r.finding(order[best])
}

// finding is what match c tells: its tier, kind, and whose danger it is.
func (r *reading) finding(c candidate) Finding {
	d, fam, lr := r.d, c.fam, &r.langs[c.at]
	who, named := fam.Who, true
	if who == "" || who == flows.WhoAny {
		who = lr.whose(c.m)
	}
	if who == "" {
		who, named = flows.WhoSelf, false
	}
	return Finding{Tier: fam.Tier, Kind: fam.Kind, Who: who, Named: named, Reply: d.set.Crisis.ReplyFor(fam, who), Lang: lr.code,
		Matched: fam.Name, Pattern: lr.cm.M.Source(c.m.Pattern)}
}

// counting, when set, has the danger check count in reads what it reads
// of a message besides finding its patterns (matches, tokens), so that a
// test can tell that it grows with the length of a message and no faster.
// Only tests set it.
var (
	counting atomic.Bool
	reads    atomic.Int64
)

// tally counts n things read, when counting.
func tally(n int) {
	if counting.Load() {
		reads.Add(int64(n))
	}
}
