package understand

import (
	"fmt"
	"slices"
	"sort"
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

// check is checkMessage telling seen, when not nil, of every match.
func (d *Detector) check(msg *Message, prefer string, seen func(lang string, fam *flows.DangerPattern, src, cleared string)) Finding {
	if msg.Empty() {
		return Finding{}
	}
	docs := make([]*text.Doc, len(d.langs))
	for i, code := range d.langs {
		if d.set.Crisis.Match(code) != nil {
			docs[i] = msg.In(d.set.Lang(code))
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
			tally(1)
			fam := d.set.Crisis.Family(m.Name)
			if fam == nil {
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
			// A match that cannot win needs no clearing, unless someone
			// reviews every match: what cleared it is told only when
			// nothing was found.
			if rank <= bestRank && seen == nil {
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
			if rank <= bestRank {
				continue
			}
			who, named := fam.Who, true
			if who == "" || who == flows.WhoAny {
				who = whose(found.of(cm, doc), m)
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
	// The match in each reading, found once for every rule.
	same := make([]text.Match, len(docs))
	has := make([]bool, len(docs))
	for j, doc := range docs {
		switch {
		case doc == nil:
		case j == at:
			same[j], has[j] = m, true
		default:
			same[j], has[j] = sameWords(docs[at], m, doc)
		}
	}
	for i, r := range d.set.Crisis.Clear {
		if len(r.Kinds) > 0 && !contains(r.Kinds, fam.Kind) || len(r.Tiers) > 0 && !slices.Contains(r.Tiers, fam.Tier) || r.Soft && !fam.Soft {
			continue
		}
		applies, kept := false, false
		for j, doc := range docs {
			tally(1)
			if !has[j] || r.Negated && j != at {
				continue
			}
			// The words that keep a match count in the language that
			// matched or that found the context, not in a third one ("me"
			// of "asked me" is no Spanish "me").
			a, k := d.clears(d.set.Crisis.Match(d.langs[j]), i, doc, same[j], found)
			applies, kept = applies || a, kept || k && (a || j == at)
		}
		if applies && !kept {
			return r.Name
		}
	}
	return ""
}

// finds keeps, for one message, what each language's crisis matcher
// found in its reading: danger and the contexts of the clear rules, found
// in one pass, and indexed for the clear rules, which ask of every match
// of danger what stands near it: a long message may hold hundreds of both.
type finds map[*flows.CrisisMatch]*docFinds

// docFinds is what one crisis matcher found in one reading.
type docFinds struct {
	doc     *text.Doc
	matches []text.Match // in order of where they start
	byName  map[string]*named
	// keep holds, per clear rule, the matches of its unless patterns that
	// may keep an alarm; lastNeg, per token, the negation at or before it
	// (-1 for none). Both are made when first asked for.
	keep    map[int]*keepers
	lastNeg []int
	// person holds, per token, who the nearest word naming a person at or
	// before it names, once a search back passed it; "" before.
	person []string
}

// in returns what cm finds in doc.
func (f finds) in(cm *flows.CrisisMatch, doc *text.Doc) []text.Match {
	return f.of(cm, doc).matches
}

// of returns what cm finds in doc, finding it the first time.
func (f finds) of(cm *flows.CrisisMatch, doc *text.Doc) *docFinds {
	got, ok := f[cm]
	if !ok {
		got = &docFinds{doc: doc, matches: cm.M.Find(doc), byName: map[string]*named{}}
		f[cm] = got
	}
	return got
}

// named returns the matches under name, indexed the first time.
func (f *docFinds) named(name string) *named {
	if n, ok := f.byName[name]; ok {
		return n
	}
	n := &named{doc: f.doc, touched: map[int]bool{}}
	tally(len(f.matches))
	for _, m := range f.matches {
		if m.Name == name {
			n.add(m)
		}
	}
	slices.Sort(n.ends)
	n.ends = slices.Compact(n.ends)
	f.byName[name] = n
	return n
}

// named is the matches of one pattern name in a reading, in order of
// where they start, indexed for what the clear rules ask: a match near a
// clause, ending a few words before a token, starting a clause, or
// overlapping tokens. Clauses only grow along a message, which the
// indexes rely on. A nil named has no matches.
type named struct {
	doc     *text.Doc
	matches []text.Match
	// touched holds the clauses the matches begin or end in; ends the
	// tokens they end before, in order; starts the tokens where those
	// that start a clause start, in order; reach[k] the furthest any of
	// matches[:k+1] reaches.
	touched map[int]bool
	ends    []int
	starts  []int
	reach   []int
}

// add adds m, which starts at or after every match added before it.
func (n *named) add(m text.Match) {
	toks := n.doc.Tokens
	n.matches = append(n.matches, m)
	n.touched[toks[m.From].Clause] = true
	n.touched[toks[m.To-1].Clause] = true
	n.ends = append(n.ends, m.To) // sorted once all are in
	if m.From == 0 || toks[m.From-1].Clause != toks[m.From].Clause {
		n.starts = append(n.starts, m.From)
	}
	far := m.To
	if k := len(n.reach); k > 0 {
		far = max(far, n.reach[k-1])
	}
	n.reach = append(n.reach, far)
}

// any reports whether there is a match.
func (n *named) any() bool { return n != nil && len(n.matches) > 0 }

// nearClause reports whether a match begins or ends in clause c or one
// next to it.
func (n *named) nearClause(c int) bool {
	return n != nil && (n.touched[c-1] || n.touched[c] || n.touched[c+1])
}

// endsBefore reports whether a match ends at most eight tokens before
// token at, in its clause or the one before.
func (n *named) endsBefore(at int) bool {
	if n == nil {
		return false
	}
	c := n.doc.Tokens[at].Clause
	k, _ := slices.BinarySearch(n.ends, at-8)
	for ; k < len(n.ends) && n.ends[k] <= at; k++ {
		tally(1)
		if xc := n.doc.Tokens[n.ends[k]-1].Clause; xc == c || xc == c-1 {
			return true
		}
	}
	return false
}

// startsClause reports whether a match starts the clause of token at, at
// it or before it.
func (n *named) startsClause(at int) bool {
	if n == nil {
		return false
	}
	k, found := slices.BinarySearch(n.starts, at)
	if found {
		return true
	}
	return k > 0 && n.doc.Tokens[n.starts[k-1]].Clause == n.doc.Tokens[at].Clause
}

// overlaps reports whether a match overlaps tokens from to to (exclusive).
func (n *named) overlaps(from, to int) bool {
	if n == nil {
		return false
	}
	k := sort.Search(len(n.matches), func(k int) bool { return n.matches[k].From >= to })
	return k > 0 && n.reach[k-1] > from
}

// covers reports whether a match covers tokens from to to (exclusive).
func (n *named) covers(from, to int) bool {
	if n == nil {
		return false
	}
	k := sort.Search(len(n.matches), func(k int) bool { return n.matches[k].From > from })
	return k > 0 && n.reach[k-1] >= to
}

// keepers are the matches of a clear rule's unless patterns that stand
// outside the rule's own context, by clause. Any of them keeps an alarm
// that begins in the clause it begins in; one in a clause next to a part
// of the alarm keeps it too, unless that clause begins with a contrast
// before it ("pero ahorita estoy bien"): such a clause turns away from
// the alarm, unless the match takes the contrast in ("but sometimes i
// think about it").
type keepers struct {
	starts   map[int]bool // the clauses they begin in
	straight map[int]bool // the clauses those not turned away begin or end in
}

// keepersOf returns the keepers of clear rule i, compiled in cm as c.
func (f *docFinds) keepersOf(i int, c flows.ClearMatch) *keepers {
	if k, ok := f.keep[i]; ok {
		return k
	}
	var ctx []*named
	for _, name := range []string{c.Anywhere, c.Near, c.Before, c.Starts, c.Covers} {
		if name != "" {
			ctx = append(ctx, f.named(name))
		}
	}
	k := &keepers{starts: map[int]bool{}, straight: map[int]bool{}}
	toks := f.doc.Tokens
	for _, x := range f.named(c.Unless).matches {
		tally(1 + len(ctx))
		inside := false
		for _, y := range ctx {
			inside = inside || y.covers(x.From, x.To)
		}
		if inside {
			continue
		}
		xc := toks[x.From].Clause
		k.starts[xc] = true
		first := sort.Search(x.From, func(j int) bool { return toks[j].Clause >= xc })
		if !toks[first].Contrast || first == x.From {
			k.straight[xc] = true
			k.straight[toks[x.To-1].Clause] = true
		}
	}
	if f.keep == nil {
		f.keep = map[int]*keepers{}
	}
	f.keep[i] = k
	return k
}

// negationBefore returns the last negation before token i, or -1.
func (f *docFinds) negationBefore(i int) int {
	if f.lastNeg == nil {
		tally(len(f.doc.Tokens))
		f.lastNeg = make([]int, len(f.doc.Tokens))
		last := -1
		for j, t := range f.doc.Tokens {
			if t.Neg {
				last = j
			}
			f.lastNeg[j] = last
		}
	}
	if i <= 0 {
		return -1
	}
	return f.lastNeg[i-1]
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

// clears reports whether the context of clear rule i, compiled in cm, is
// found around match m of doc, and whether one of its unless patterns is
// found near the match.
func (d *Detector) clears(cm *flows.CrisisMatch, i int, doc *text.Doc, m text.Match, found finds) (applies, kept bool) {
	if cm == nil || i >= len(cm.Clear) {
		return false, false
	}
	r, c := d.set.Crisis.Clear[i], cm.Clear[i]
	f := found.of(cm, doc)
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
	// near reports whether x begins or ends in the clause of a part or
	// one next to it.
	near := func(x *named) bool {
		for _, p := range parts {
			if x.nearClause(doc.Tokens[p[0]].Clause) {
				return true
			}
		}
		return false
	}
	switch {
	case r.Negated:
		// "no self harm, just anxious": what the match is about said
		// with no. The other parts only set the scene, and are often
		// negated in real danger ("wont come down", "no tengo inhalador").
		applies = negatedHit(doc, core[0], core[1]) && !negationInPart(f, m, core[0])
	case c.Anywhere != "":
		applies = f.named(c.Anywhere).any()
	case c.Near != "":
		applies = near(f.named(c.Near))
	case c.Before != "":
		x := f.named(c.Before)
		for _, p := range parts {
			applies = applies || x.endsBefore(p[0])
		}
	case c.Starts != "":
		applies = f.named(c.Starts).startsClause(core[0])
	case c.Covers != "":
		v := f.named(c.Covers)
		for _, p := range parts {
			applies = applies || v.overlaps(p[0], p[1])
		}
	}
	if c.Unless != "" {
		// Words that keep the alarm count outside the context itself:
		// the "ahorita" of "ahorita estoy bien" is no danger now.
		k := f.keepersOf(i, c)
		kept = k.starts[clause]
		for _, p := range parts {
			pc := doc.Tokens[p[0]].Clause
			kept = kept || k.straight[pc-1] || k.straight[pc] || k.straight[pc+1]
		}
	}
	return applies, kept
}

// negationInPart reports whether the negation before from, where a part of
// match m begins, belongs to another part of it: "lleva 2 dias sin tomar y esta
// confundido" is not a negated confusion, "sin tomar" is a part.
func negationInPart(f *docFinds, m text.Match, from int) bool {
	j := f.negationBefore(from)
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

// whose reads whose danger a match is: someone else's when it starts with
// a word naming another person ("he took", "se quiere matar", "le dio"),
// else the texter's when a word inside it names them ("quitarme la vida"),
// else the nearest person named before it (before its first part, for
// "A & B"), the texter ("i", "yo", "se me") or another ("my son", "he",
// "le"); "" when no one is.
func whose(f *docFinds, m text.Match) string {
	d := f.doc
	starts := []int{m.From}
	for k, p := range m.Parts {
		if k == 0 {
			starts = starts[:0]
		}
		starts = append(starts, p[0])
	}
	for _, i := range starts {
		// "my little brother ate", "la bebe se comio": past "my", "la".
		for i < m.To && (d.Tokens[i].Filler || d.At(text.ListPossessives, i) > 0) && d.At(text.ListOthers, i) == 0 {
			i++
		}
		if i < m.To && d.At(text.ListOthers, i) > 0 && d.At(text.ListSelf, i) == 0 {
			return flows.WhoOther
		}
	}
	for i := m.From; i < m.To; i++ {
		if d.At(text.ListSelf, i) > 0 {
			return flows.WhoSelf // "quitarme la vida", "kill myself"
		}
	}
	return f.personBefore(starts[0]) // "" when no one is named
}

// personBefore returns who the nearest word naming a person before token
// i names: flows.WhoSelf, flows.WhoOther, or "" when none does. What a
// search back finds is kept for every token it passed, so that a long
// message with danger all along it is read back once, not once a match.
func (f *docFinds) personBefore(i int) string {
	if f.person == nil {
		f.person = make([]string, len(f.doc.Tokens))
	}
	d, who, k := f.doc, "", i-1
	for ; k >= 0; k-- {
		tally(1)
		if f.person[k] != "" {
			who = f.person[k]
			break
		}
		if d.At(text.ListSelf, k) > 0 {
			who = flows.WhoSelf
			break
		}
		if d.At(text.ListOthers, k) > 0 {
			who = flows.WhoOther
			break
		}
	}
	if who == "" {
		who = nobody
	}
	tally(i - max(k, 0))
	for j := max(k, 0); j < i; j++ {
		f.person[j] = who
	}
	if who == nobody {
		return ""
	}
	return who
}

// nobody marks, in docFinds.person, a token with no person named at or
// before it.
const nobody = "-"

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
