package understand

import (
	"strconv"
	"strings"

	"helpline/flows"
	"helpline/flows/text"
)

// reading is one message as the danger check reads it, in every language
// the crisis file speaks: the danger found in each, and, found only when
// a rule asks, the contexts that may clear it.
type reading struct {
	d     *Detector
	langs []langReading // as d.langs
}

// langReading is a message read in one language.
type langReading struct {
	code   string
	cm     *flows.CrisisMatch // nil when the crisis file lacks the language
	slots  *contextSlots
	doc    *text.Doc
	danger []text.Match // in order of where they start
	// ctx are the contexts of the clear rules, found when first asked for.
	ctx *contexts
	// lastNeg holds, per token, the negation at or before it (-1 for
	// none), made when first asked for.
	lastNeg []int
	// person holds, per token, who the nearest word naming a person at or
	// before it names, once a search back passed it; "" before.
	person []string
}

// read reads msg in every language and finds its danger, reusing what the
// message has read already.
func (d *Detector) read(msg *Message) *reading {
	r := &reading{d: d, langs: make([]langReading, len(d.langs))}
	for i, code := range d.langs {
		lr := &r.langs[i]
		lr.code = code
		if lr.cm = d.set.Crisis.Match(code); lr.cm == nil {
			continue
		}
		lr.slots = d.slots[i]
		lr.doc = msg.In(d.set.Lang(code))
		lr.danger = lr.cm.M.Find(lr.doc)
	}
	return r
}

// candidates returns every match of danger with its family and weight, by
// language (English first) and where it starts.
func (r *reading) candidates(prefer string) []candidate {
	var out []candidate
	for i := range r.langs {
		lr := &r.langs[i]
		for _, m := range lr.danger {
			tally(1)
			idx, err := strconv.Atoi(m.Name)
			if err != nil || idx < 0 || idx >= len(r.d.rank) {
				continue
			}
			rank := r.d.rank[idx]
			if lr.code == prefer {
				rank++
			}
			out = append(out, candidate{at: i, idx: len(out), m: m, fam: r.d.set.Crisis.Patterns[idx], rank: rank})
		}
	}
	return out
}

// contexts returns the contexts found in lr, finding them the first time.
func (lr *langReading) contexts() *contexts {
	if lr.ctx == nil {
		clauses := 0
		if n := len(lr.doc.Tokens); n > 0 {
			clauses = lr.doc.Tokens[n-1].Clause + 1
		}
		lr.ctx = &contexts{doc: lr.doc, matches: lr.cm.Context.Find(lr.doc), slot: lr.slots.byPattern,
			keep: make([]keepers, len(lr.slots.rules)), clauses: clauses}
		lr.ctx.index(lr.slots.n)
	}
	return lr.ctx
}

// negationBefore returns the last negation before token i, or -1.
func (lr *langReading) negationBefore(i int) int {
	if lr.lastNeg == nil {
		tally(len(lr.doc.Tokens))
		lr.lastNeg = make([]int, len(lr.doc.Tokens))
		last := -1
		for j, t := range lr.doc.Tokens {
			if t.Neg {
				last = j
			}
			lr.lastNeg[j] = last
		}
	}
	if i <= 0 {
		return -1
	}
	return lr.lastNeg[i-1]
}

// whose reads whose danger a match is: someone else's when it (its first
// part, for "A & B") starts with a word naming another person ("he took", "se quiere matar", "le dio"),
// else someone else's when the crisis file's words of whose it is name
// them over it ("kill himself") or tell their words just before it ("he
// keeps saying"), else the texter's when a word inside it names them
// ("quitarme la vida") or the crisis file's words do ("without me"),
// else the nearest person named before it (before its first part, for
// "A & B"), the texter ("i", "yo", "se me") or another ("my son", "he",
// "le"); "" when no one is.
func (lr *langReading) whose(m text.Match) string {
	d := lr.doc
	starts := []int{m.From}
	first := m.From // where its earliest part starts
	for k, p := range m.Parts {
		if k == 0 {
			starts = starts[:0]
		}
		starts = append(starts, p[0])
		first = min(first, p[0])
	}
	// "my little brother ate", "la bebe se comio": past "my", "la". The
	// other parts of "A & B" may name anyone ("would be better off without
	// me & kids").
	i := starts[0]
	for i < m.To && (d.Tokens[i].Filler || d.At(text.ListPossessives, i) > 0) && d.At(text.ListOthers, i) == 0 {
		i++
	}
	selfWords := lr.contexts().named(lr.slots.self)
	if i < m.To && d.At(text.ListOthers, i) > 0 && d.At(text.ListSelf, i) == 0 && !selfWords.startsWithin(i, i+1) {
		return flows.WhoOther // not "le pido a dios", the texter's words
	}
	if lr.namedOver(m, lr.slots.other) {
		return flows.WhoOther // "kill himself", "cant wake him"
	}
	// Someone's words told just before it: "my friend keeps posting whats
	// the point", not "my wife says i just had a seizure".
	if e := lr.contexts().named(lr.slots.other).lastEndBefore(first); e >= 0 && !lr.indirect(e, first) {
		return flows.WhoOther
	}
	for i = m.From; i < m.To; i++ {
		// A subject pronoun inside words in order starts words of its own
		// ("swallowed my pills i think"); at their start, or in a part of
		// "A & B", it is the one who does it.
		if d.At(text.ListSelf, i) > 0 && (i == m.From || d.At(text.ListPronouns, i) == 0 || subjectOfPart(m, i)) {
			return flows.WhoSelf // "quitarme la vida", "kill myself"
		}
	}
	if selfWords.lastEndBefore(first) >= 0 || selfWords.startsWithin(m.From, m.To) {
		return flows.WhoSelf // "better off without me", "already gave my sister"
	}
	return lr.personBefore(starts[0]) // "" when no one is named
}

// subjectOfPart reports whether token i stands in a part of "A & B" match
// m, or just before one: a pronoun there is the subject of the part ("i
// know how & when"), one between the parts may be anyone's.
func subjectOfPart(m text.Match, i int) bool {
	for _, p := range m.Parts {
		if p[0] <= i+1 && i < p[1] {
			return true
		}
	}
	return false
}

// indirect reports whether what someone says, from token from on, is told
// in the texter's words: "my wife says i just had a seizure" has the
// texter say "i" with no quote marks between token e, where the saying
// ends, and from; "dad keeps saying "im not going to be around"" quotes
// the dad.
func (lr *langReading) indirect(e, from int) bool {
	d := lr.doc
	self := false
	for k := e; k < from && !self; k++ {
		self = d.At(text.ListSelf, k) > 0
	}
	if !self || e == 0 {
		return false
	}
	between := d.Text[d.Tokens[e-1].To:d.Tokens[from].From]
	return !strings.ContainsAny(between, "\"“”«»")
}

// namedOver reports whether a context of slot s starts inside match m (a
// part of it, for "A & B"), or on the word just before it and ends
// inside it ("my roommates asthma attack"): words that begin further
// before it tell who speaks, not of whom.
func (lr *langReading) namedOver(m text.Match, s int) bool {
	n := lr.contexts().named(s)
	spans := m.Parts
	if len(spans) == 0 {
		spans = [][2]int{{m.From, m.To}}
	}
	for _, p := range spans {
		if n.startsWithin(p[0], p[1]) || p[0] > 0 && n.startsWithin(p[0]-1, p[0]) && n.overlaps(p[0], p[1]) {
			return true
		}
	}
	return false
}

// personBefore returns who the nearest word naming a person before token
// i names: flows.WhoSelf, flows.WhoOther, or "" when none does. What a
// search back finds is kept for every token it passed, so that a long
// message with danger all along it is read back once, not once a match.
func (lr *langReading) personBefore(i int) string {
	if lr.person == nil {
		lr.person = make([]string, len(lr.doc.Tokens))
	}
	d, who, k := lr.doc, "", i-1
	people := lr.contexts().named(lr.slots.person)
	selfWords := lr.contexts().named(lr.slots.self)
	for ; k >= 0; k-- {
		tally(1)
		if lr.person[k] != "" {
			who = lr.person[k]
			break
		}
		// "sorry mom": the texter's words, whoever they name.
		if d.At(text.ListSelf, k) > 0 || selfWords.endsAt(k+1) {
			who = flows.WhoSelf
			break
		}
		if d.At(text.ListOthers, k) > 0 || people.endsAt(k+1) {
			who = flows.WhoOther
			break
		}
	}
	if who == "" {
		who = nobody
	}
	tally(i - max(k, 0))
	for j := max(k, 0); j < i; j++ {
		lr.person[j] = who
	}
	if who == nobody {
		return ""
	}
	return who
}

// nobody marks, in langReading.person, a token with no person named at or
// before it.
const nobody = "-"
