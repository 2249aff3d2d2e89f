package bot

import (
	"fmt"

	"helpline/flows"
	"helpline/flows/text"
)

// Detector finds danger in a message, over the text layer, with the
// patterns, lists and clearing context of flows/crisis.yaml. It touches no
// store, so it answers even when Redis is down.
type Detector struct {
	set   *flows.Set
	langs []string // English first
}

// Finding is what the danger check made of a message.
type Finding struct {
	// Tier is "urgent", "concern" or "" for none.
	Tier string
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
	d.check(newMessage(d.set, s, ""), "", func(lang string, fam *flows.DangerPattern, src, cleared string) {
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
	return d.checkMessage(newMessage(d.set, s, prefer), prefer)
}

// checkMessage is CheckIn over a message whose readings the engine goes
// on to use for keywords and answers, so that a text is read once.
func (d *Detector) checkMessage(msg *message, prefer string) Finding {
	return d.check(msg, prefer, nil)
}

// check is checkMessage telling seen, when not nil, of every match.
func (d *Detector) check(msg *message, prefer string, seen func(lang string, fam *flows.DangerPattern, src, cleared string)) Finding {
	if msg.empty() {
		return Finding{}
	}
	docs := make([]*text.Doc, len(d.langs))
	for i, code := range d.langs {
		if d.set.Crisis.Match(code) != nil {
			docs[i] = msg.in(d.set.Lang(code))
		}
	}
	var best Finding
	bestRank := -1
	cleared := ""
	found := finds{}
	for i, code := range d.langs {
		doc := docs[i]
		if doc == nil {
			continue
		}
		cm := d.set.Crisis.Match(code)
		for _, m := range found.in(cm, doc) {
			fam := d.set.Crisis.Family(m.Name)
			if fam == nil {
				continue
			}
			rule := d.cleared(docs, i, fam, m, found)
			if seen != nil {
				seen(code, fam, cm.M.Source(m.Pattern), rule)
			}
			if rule != "" {
				cleared = rule
				continue
			}
			idx := familyIndex(d.set.Crisis, fam)
			rank := (len(d.set.Crisis.Patterns)-idx)*4 + 2
			if fam.Tier == flows.TierUrgent {
				rank += 4 * len(d.set.Crisis.Patterns)
			}
			if code == prefer {
				rank++
			}
			if rank <= bestRank {
				continue
			}
			who, named := fam.Who, true
			if who == "" || who == flows.WhoAny {
				who = whose(doc, m)
			}
			if who == "" {
				who, named = flows.WhoSelf, false
			}
			bestRank = rank
			best = Finding{Tier: fam.Tier, Kind: fam.Kind, Who: who, Named: named, Reply: d.set.Crisis.ReplyFor(fam, who), Lang: code,
				Matched: fam.Name, Pattern: cm.M.Source(m.Pattern)}
		}
	}
	if best.Tier == "" {
		best.Cleared = cleared
	}
	return best
}

func familyIndex(c *flows.Crisis, fam *flows.DangerPattern) int {
	for i, p := range c.Patterns {
		if p == fam {
			return i
		}
	}
	return len(c.Patterns)
}

// cleared returns the name of the first clear rule that removes match m
// of family fam, found in docs[at], or "". A rule's context is looked for
// in every language, since people mix them ("me dio una convulsion hace 5
// anos" matches the English "convulsing"); a negation only in the
// language that matched, whose reading of scope it is.
func (d *Detector) cleared(docs []*text.Doc, at int, fam *flows.DangerPattern, m text.Match, found finds) string {
	for i, r := range d.set.Crisis.Clear {
		if len(r.Kinds) > 0 && !contains(r.Kinds, fam.Kind) || len(r.Tiers) > 0 && !contains(r.Tiers, fam.Tier) || r.Soft && !fam.Soft {
			continue
		}
		applies, kept := false, false
		for j, doc := range docs {
			if doc == nil || r.Negated && j != at {
				continue
			}
			mm, ok := m, true
			if j != at {
				mm, ok = sameWords(docs[at], m, doc)
			}
			if ok {
				// The words that keep a match count in the language that
				// matched or that found the context, not in a third one
				// ("me" of "asked me" is no Spanish "me").
				a, k := d.clears(d.set.Crisis.Match(d.langs[j]), i, doc, mm, found)
				applies, kept = applies || a, kept || k && (a || j == at)
			}
		}
		if applies && !kept {
			return r.Name
		}
	}
	return ""
}

// finds keeps, for one message, what each language's crisis matcher
// found in its reading: danger and the contexts of the clear rules, found
// in one pass.
type finds map[*flows.CrisisMatch][]text.Match

// in returns what cm finds in doc.
func (f finds) in(cm *flows.CrisisMatch, doc *text.Doc) []text.Match {
	got, ok := f[cm]
	if !ok {
		got = cm.M.Find(doc)
		f[cm] = got
	}
	return got
}

// named returns what cm finds in doc under name, "" for nothing.
func (f finds) named(cm *flows.CrisisMatch, doc *text.Doc, name string) []text.Match {
	if name == "" {
		return nil
	}
	var out []text.Match
	for _, m := range f.in(cm, doc) {
		if m.Name == name {
			out = append(out, m)
		}
	}
	return out
}

// sameWords returns match m of doc from as the tokens of doc to that
// cover the same text.
func sameWords(from *text.Doc, m text.Match, to *text.Doc) (text.Match, bool) {
	lo, hi := from.Tokens[m.From].From, from.Tokens[m.To-1].To
	out := text.Match{Pattern: m.Pattern, Name: m.Name, From: -1}
	for i, t := range to.Tokens {
		if t.To > lo && t.From < hi {
			if out.From < 0 {
				out.From = i
			}
			out.To = i + 1
		}
	}
	return out, out.From >= 0
}

// clears reports whether the context of clear rule i, compiled in cm, is
// found around match m of doc, and whether one of its unless patterns is
// found near the match.
func (d *Detector) clears(cm *flows.CrisisMatch, i int, doc *text.Doc, m text.Match, found finds) (applies, kept bool) {
	if cm == nil || i >= len(cm.Clear) {
		return false, false
	}
	r, c := d.set.Crisis.Clear[i], cm.Clear[i]
	// The parts of "A & B", or the match itself. The first part is what
	// it is about: a negation or a start is read before it ("no self harm,
	// just anxious"); other contexts stand by any part ("had the dts back
	// in 2019 ... dont wanna quit alone").
	parts := m.Parts
	if len(parts) == 0 {
		parts = [][2]int{{m.From, m.To}}
	}
	core := parts[0]
	clause := doc.Tokens[core[0]].Clause
	near := func(x text.Match) bool {
		for _, p := range parts {
			pc := doc.Tokens[p[0]].Clause
			for _, c := range []int{doc.Tokens[x.From].Clause, doc.Tokens[x.To-1].Clause} {
				if c >= pc-1 && c <= pc+1 {
					return true
				}
			}
		}
		return false
	}
	switch {
	case r.Negated:
		// "no self harm, just anxious": what the match is about said
		// with no. The other parts only set the scene, and are often
		// negated in real danger ("wont come down", "no tengo inhalador").
		applies = negatedHit(doc, core[0], core[1]) && !negationInPart(doc, m, core[0])
	case c.Anywhere != "":
		applies = len(found.named(cm, doc, c.Anywhere)) > 0
	case c.Near != "":
		for _, x := range found.named(cm, doc, c.Near) {
			applies = applies || near(x)
		}
	case c.Before != "":
		for _, x := range found.named(cm, doc, c.Before) {
			xc := doc.Tokens[x.To-1].Clause
			for _, p := range parts {
				pc := doc.Tokens[p[0]].Clause
				applies = applies || x.To <= p[0] && p[0]-x.To <= 8 && (xc == pc || xc == pc-1)
			}
		}
	case c.Starts != "":
		for _, x := range found.named(cm, doc, c.Starts) {
			starts := x.From == 0 || doc.Tokens[x.From-1].Clause != doc.Tokens[x.From].Clause
			applies = applies || starts && x.From <= core[0] && doc.Tokens[x.From].Clause == clause
		}
	case c.Covers != "":
		for _, v := range found.named(cm, doc, c.Covers) {
			for _, p := range parts {
				applies = applies || v.From < p[1] && p[0] < v.To
			}
		}
	}
	if c.Unless != "" {
		// Words that keep the alarm count outside the context itself:
		// the "ahorita" of "ahorita estoy bien" is no danger now.
		var ctx []text.Match
		for _, name := range []string{c.Anywhere, c.Near, c.Before, c.Starts, c.Covers} {
			ctx = append(ctx, found.named(cm, doc, name)...)
		}
		for _, x := range found.named(cm, doc, c.Unless) {
			inside := false
			for _, y := range ctx {
				inside = inside || x.From >= y.From && x.To <= y.To
			}
			kept = kept || !inside && near(x) && !turnedAway(doc, clause, x)
		}
	}
	return applies, kept
}

// negationInPart reports whether the negation before from, where a part of
// match m begins, belongs to another part of it: "lleva 2 dias sin tomar y esta
// confundido" is not a negated confusion, "sin tomar" is a part.
func negationInPart(doc *text.Doc, m text.Match, from int) bool {
	j := from - 1
	for j >= 0 && !doc.Tokens[j].Neg {
		j--
	}
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

// turnedAway reports whether x stands in a clause next to the match's
// (clause) that begins with a contrast ("pero ahorita estoy bien"): such
// a clause turns away from the match, so its words do not keep it, unless
// x takes the contrast in ("but sometimes i think about it").
func turnedAway(doc *text.Doc, clause int, x text.Match) bool {
	c := doc.Tokens[x.From].Clause
	if c == clause {
		return false
	}
	first := x.From
	for first > 0 && doc.Tokens[first-1].Clause == c {
		first--
	}
	return doc.Tokens[first].Contrast && first < x.From
}

// whose reads whose danger a match is: someone else's when it starts with
// a word naming another person ("he took", "se quiere matar", "le dio"),
// else the texter's when a word inside it names them ("quitarme la vida"),
// else the nearest person named before it (before its first part, for
// "A & B"), the texter ("i", "yo", "se me") or another ("my son", "he",
// "le"); "" when no one is.
func whose(d *text.Doc, m text.Match) string {
	starts := []int{m.From}
	for k, p := range m.Parts {
		if k == 0 {
			starts = starts[:0]
		}
		starts = append(starts, p[0])
	}
	for _, i := range starts {
		// "my little brother ate", "la bebe se comio": past "my", "la".
		for i < m.To && (d.Tokens[i].Filler || d.At("possessives", i) > 0) && d.At("others", i) == 0 {
			i++
		}
		if i < m.To && d.At("others", i) > 0 && d.At("self", i) == 0 {
			return flows.WhoOther
		}
	}
	for i := m.From; i < m.To; i++ {
		if d.At("self", i) > 0 {
			return flows.WhoSelf // "quitarme la vida", "kill myself"
		}
	}
	for i := starts[0] - 1; i >= 0; i-- {
		switch {
		case d.At("self", i) > 0:
			return flows.WhoSelf
		case d.At("others", i) > 0:
			return flows.WhoOther
		}
	}
	return "" // no one named
}
