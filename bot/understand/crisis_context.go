package understand

import (
	"slices"
	"sort"

	"helpline/flows"
	"helpline/flows/text"
)

// contexts are the contexts of the clear rules one language's crisis
// matcher found in its reading of a message, indexed for the clear
// rules, which ask of every match of danger what stands near it: a long
// message may hold hundreds of both.
type contexts struct {
	doc     *text.Doc
	matches []text.Match // in order of where they start
	// slot holds, per pattern of the matcher, the slot of its name (see
	// Detector.slots); groups the matches under each, indexed.
	slot   []int
	group  []int32 // per slot: 1 + its group in groups; 0 for none
	groups []named
	// keep holds, per clear rule, the matches of its unless patterns that
	// may keep an alarm, made when first asked for (until then, empty),
	// and bits what is left of the array they are carved from.
	keep []keepers
	bits []uint64
	// clauses is the number of clauses of the reading.
	clauses int
}

// named returns the matches under the name of slot s (-1: none), nil for
// none.
func (f *contexts) named(s int) *named {
	if s < 0 || f.group[s] == 0 {
		return nil
	}
	return &f.groups[f.group[s]-1]
}

// index groups the matches by slot and indexes each group, in two passes
// over them, carving every index out of one array.
func (f *contexts) index(slots int) {
	tally(len(f.matches))
	f.group = make([]int32, slots)
	var counts []int
	for _, m := range f.matches {
		s := f.slot[m.Pattern]
		if s < 0 {
			continue
		}
		if f.group[s] == 0 {
			counts = append(counts, 0)
			f.group[s] = int32(len(counts))
		}
		counts[f.group[s]-1]++
	}
	if len(counts) == 0 {
		return
	}
	f.groups = make([]named, len(counts))
	matches := make([]text.Match, 0, len(f.matches))
	ints := make([]int, 0, 5*len(f.matches))
	carve := func(k int) []int {
		at := len(ints)
		ints = ints[:at+k]
		return ints[at : at : at+k]
	}
	for k, n := range counts {
		g := &f.groups[k]
		g.doc = f.doc
		g.matches = matches[len(matches) : len(matches) : len(matches)+n]
		matches = matches[:len(matches)+n]
		g.touched, g.ends, g.starts, g.reach = carve(2*n), carve(n), carve(n), carve(n)
	}
	for _, m := range f.matches {
		if s := f.slot[m.Pattern]; s >= 0 {
			f.groups[f.group[s]-1].add(m)
		}
	}
	for k := range f.groups {
		g := &f.groups[k]
		slices.Sort(g.ends)
		g.ends = slices.Compact(g.ends)
		slices.Sort(g.touched)
		g.touched = slices.Compact(g.touched)
	}
}

// named is the matches of one pattern name in a reading, in order of
// where they start, indexed for what the clear rules ask: a match near a
// clause, ending a few words before a token, starting a clause, or
// overlapping tokens. Clauses only grow along a message, which the
// indexes rely on. A nil named has no matches.
type named struct {
	doc     *text.Doc
	matches []text.Match
	// touched holds the clauses the matches begin or end in, in order;
	// ends the tokens they end before, in order; starts the tokens where
	// those that start a clause start, in order; reach[k] the furthest
	// any of matches[:k+1] reaches.
	touched []int
	ends    []int
	starts  []int
	reach   []int
}

// add adds m, which starts at or after every match added before it.
func (n *named) add(m text.Match) {
	toks := n.doc.Tokens
	n.matches = append(n.matches, m)
	n.touched = append(n.touched, toks[m.From].Clause, toks[m.To-1].Clause) // sorted once all are in
	n.ends = append(n.ends, m.To)                                           // sorted once all are in
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
	if n == nil {
		return false
	}
	k, _ := slices.BinarySearch(n.touched, c-1)
	return k < len(n.touched) && n.touched[k] <= c+1
}

// endsBefore reports whether a match ends at most eight tokens before
// token at, in its clause or the one before.
func (n *named) endsBefore(at int) bool { return n.lastEndBefore(at) >= 0 }

// lastEndBefore returns the last token a match that ends at most eight
// tokens before token at, in its clause or the one before, ends before;
// -1 when none does.
func (n *named) lastEndBefore(at int) int {
	if n == nil {
		return -1
	}
	c := n.doc.Tokens[at].Clause
	k, _ := slices.BinarySearch(n.ends, at-8)
	last := -1
	for ; k < len(n.ends) && n.ends[k] <= at; k++ {
		tally(1)
		if xc := n.doc.Tokens[n.ends[k]-1].Clause; xc == c || xc == c-1 {
			last = n.ends[k]
		}
	}
	return last
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

// endsAt reports whether a match ends before token at (ends at at-1).
func (n *named) endsAt(at int) bool {
	if n == nil {
		return false
	}
	_, found := slices.BinarySearch(n.ends, at)
	return found
}

// startsWithin reports whether a match starts at a token from from to to
// (exclusive).
func (n *named) startsWithin(from, to int) bool {
	if n == nil {
		return false
	}
	k := sort.Search(len(n.matches), func(k int) bool { return n.matches[k].From >= from })
	return k < len(n.matches) && n.matches[k].From < to
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
	// starts holds, per clause, whether one begins in it; straight
	// whether one not turned away begins or ends in it. Both are bits
	// indexed by clause plus one, so that the clauses next to any can be
	// asked.
	starts, straight []uint64
}

// keepersOf returns the keepers of clear rule i, whose contexts stand in
// slots (see Detector.slots).
func (f *contexts) keepersOf(i int, slots ruleSlots) *keepers {
	k := &f.keep[i]
	if k.starts != nil {
		return k
	}
	words := (f.clauses + 2 + 63) / 64
	if len(f.bits) < 2*words {
		f.bits = make([]uint64, 2*words*len(f.keep))
	}
	k.starts, k.straight, f.bits = f.bits[:words:words], f.bits[words:2*words:2*words], f.bits[2*words:]
	var ctx []*named
	for _, s := range slots[:unlessSlot] {
		if s >= 0 {
			ctx = append(ctx, f.named(s))
		}
	}
	toks := f.doc.Tokens
	for _, x := range f.named(slots[unlessSlot]).matchesOrNone() {
		tally(1 + len(ctx))
		inside := false
		for _, y := range ctx {
			inside = inside || y.covers(x.From, x.To)
		}
		if inside {
			continue
		}
		xc := toks[x.From].Clause
		setBit(k.starts, xc+1)
		first := sort.Search(x.From, func(j int) bool { return toks[j].Clause >= xc })
		if !toks[first].Contrast || first == x.From {
			setBit(k.straight, xc+1)
			setBit(k.straight, toks[x.To-1].Clause+1)
		}
	}
	return k
}

func setBit(b []uint64, i int)      { b[i/64] |= 1 << (i % 64) }
func hasBit(b []uint64, i int) bool { return i >= 0 && i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0 }

// matchesOrNone returns the matches of n, none for a nil n.
func (n *named) matchesOrNone() []text.Match {
	if n == nil {
		return nil
	}
	return n.matches
}

// begins reports whether a keeper begins in clause c.
func (k *keepers) begins(c int) bool { return hasBit(k.starts, c+1) }

// nearStraight reports whether a keeper not turned away begins or ends in
// clause c or one next to it.
func (k *keepers) nearStraight(c int) bool {
	return hasBit(k.straight, c) || hasBit(k.straight, c+1) || hasBit(k.straight, c+2)
}

// ruleSlots are the slots of a clear rule's contexts in one language, in
// the order of flows.ClearMatch (anywhere, near, before, starts, covers,
// unless); -1 where the rule has none.
type ruleSlots [6]int

// The places in ruleSlots.
const (
	anywhereSlot = iota
	nearSlot
	beforeSlot
	startsSlot
	coversSlot
	unlessSlot
)

// contextSlots number the names of one language's contexts: a match of
// the context matcher falls in the slot of its name, and a clear rule asks
// for its contexts by slot, not by name.
type contextSlots struct {
	byPattern []int // per pattern of the context matcher
	rules     []ruleSlots
	n         int
	// self and other are the slots of the words that say whose danger a
	// match is, person of those that name someone else (-1: none).
	self, other, person int
}

// slotsOf numbers the contexts of cm.
func slotsOf(cm *flows.CrisisMatch) *contextSlots {
	cs := &contextSlots{}
	byName := map[string]int{}
	slot := func(name string) int {
		if name == "" {
			return -1
		}
		s, ok := byName[name]
		if !ok {
			s = cs.n
			byName[name] = s
			cs.n++
		}
		return s
	}
	for _, c := range cm.Clear {
		cs.rules = append(cs.rules, ruleSlots{slot(c.Anywhere), slot(c.Near), slot(c.Before), slot(c.Starts), slot(c.Covers), slot(c.Unless)})
	}
	cs.self, cs.other, cs.person = slot(cm.Whose[flows.WhoSelf]), slot(cm.Whose[flows.WhoOther]), slot(cm.Whose[flows.WhosePerson])
	for i := range cm.Context.Len() {
		s, ok := byName[cm.Context.Name(i)]
		if !ok {
			s = -1
		}
		cs.byPattern = append(cs.byPattern, s)
	}
	return cs
}
