package text

import (
	"slices"
	"sort"
)

// What Find keeps of one document as it goes, so that the work of
// reading a message grows with its length and no faster: where its fillers
// stand, where each list matches at a token, and where the parts of
// "A & B" patterns were found.

// fillers is where a document's fillers stand and what they match, so
// that the fillers between two terms are stepped over at once when the
// next term cannot match one: a message of a thousand "the"s or "my"s is
// tried at each of them, and each try would walk the rest.
type fillers struct {
	// next holds, per token and one past the last, the first token at or
	// after it that is no filler; last is the last word or number that is
	// no filler, -1 for none.
	next []int32
	last int
	// bits and ids are the vocabulary words that fillers match, as bits
	// by id and once each; number says whether a number starts at one.
	bits   []uint64
	ids    []int32
	number bool
}

// read notes where the fillers of h's document stand and what they
// match; bits must be empty and large enough for the vocabulary.
func (f *fillers) read(h hits) {
	toks := h.d.Tokens
	f.next = slices.Grow(f.next[:0], len(toks)+1)[:len(toks)+1]
	f.next[len(toks)] = int32(len(toks))
	f.last = -1
	for p := len(toks) - 1; p >= 0; p-- {
		f.next[p] = int32(p)
		if toks[p].Filler {
			f.next[p] = f.next[p+1]
			for _, id := range h.ids[p] {
				if !f.has(id) {
					f.bits[id/64] |= 1 << (id % 64)
					f.ids = append(f.ids, id)
				}
			}
			continue
		}
		if f.last < 0 && (toks[p].Kind == KindWord || toks[p].Kind == KindNumber) {
			f.last = p
		}
	}
	f.number = false
	for _, n := range h.d.Numbers {
		f.number = f.number || toks[n.From].Filler
	}
}

// has reports whether a filler of the document matches vocabulary word id.
func (f *fillers) has(id int32) bool { return f.bits[id/64]&(1<<(id%64)) != 0 }

// reset empties f for the next document.
func (f *fillers) reset() {
	for _, id := range f.ids {
		f.bits[id/64] = 0
	}
	f.ids = f.ids[:0]
}

// listMemo keeps, for one document, where the items of each list tried at
// a token end, so that a list is matched at a token once however many
// patterns use it there one after another (a list of a hundred farewells
// stands in dozens of patterns, and a long message may name them at every
// other word). It keeps the last token each list was tried at, and lives
// in a Matcher's scratch: a short message allocates nothing for it.
type listMemo struct {
	gen   uint32     // this document's; a slot of another is empty
	slots []memoSlot // by list id
	ends  []int      // the ends of every slot, one after another
	// stack holds the items being tried, of each list being matched.
	stack []int
}

// memoSlot is where a list ends at token p: ends[from:to] of its memo.
type memoSlot struct {
	gen      uint32
	p        int32
	from, to int32
	// atFiller says whether the list may match at a filler, when fillGen
	// is the memo's.
	fillGen  uint32
	atFiller bool
	// secondAtFiller says whether an item's second word may be at a
	// filler, when secondGen is the memo's.
	secondGen      uint32
	secondAtFiller bool
	// marked is the token the list was last marked at as one that may
	// match there (see markLists), when markGen is the memo's.
	markGen uint32
	marked  int32
}

// reset empties the memo for a document, for lists of ids below n.
func (lm *listMemo) reset(n int) {
	lm.gen++
	if lm.gen == 0 {
		clear(lm.slots)
		lm.gen = 1
	}
	if len(lm.slots) < n {
		lm.slots = append(lm.slots, make([]memoSlot, n-len(lm.slots))...)
	}
	lm.ends = lm.ends[:0]
	lm.stack = lm.stack[:0]
}

// get returns where list r ends at token p, and whether it was kept.
func (lm *listMemo) get(r *listRef, p int) ([]int, bool) {
	if x := lm.slots[r.id]; x.gen == lm.gen && int(x.p) == p {
		return lm.ends[x.from:x.to:x.to], true
	}
	return nil, false
}

// atFiller reports whether an item of list r may match at a filler of
// the document: one begins with a word a filler matches, or with no word.
func (lm *listMemo) atFiller(r *listRef, f *fillers) bool {
	x := &lm.slots[r.id]
	if x.fillGen != lm.gen {
		x.fillGen, x.atFiller = lm.gen, len(r.ix.rest) > 0
		for _, id := range f.ids {
			x.atFiller = x.atFiller || len(r.ix.byID[id]) > 0
		}
	}
	return x.atFiller
}

// markLists marks the lists with an item that begins with a word of token
// p, and, when it begins with two words, whose second follows (see
// mayMatch).
func (m *Matcher) markLists(h hits, p int) {
	lm := h.lists
	q := int(h.fill.next[p+1])
	for _, id := range h.ids[p] {
		if int(id) < len(m.listStarts) {
			for _, r := range m.listStarts[id] {
				lm.mark(r, p)
			}
		}
		if q == len(h.ids) {
			continue
		}
		for _, second := range h.ids[q] {
			for _, r := range m.listPairs[[2]int32{id, second}] {
				lm.mark(r, p)
			}
		}
	}
}

// mark marks list r as one that may match at token p.
func (lm *listMemo) mark(r *listRef, p int) {
	x := &lm.slots[r.id]
	x.markGen, x.marked = lm.gen, int32(p)
}

// mayMatch reports whether list r may match at token p, once the lists
// were marked there: only a marked list, one with an item that begins with
// no word, or one whose second word may stand among fillers can.
func (lm *listMemo) mayMatch(r *listRef, p int, f *fillers) bool {
	x := &lm.slots[r.id]
	return x.markGen == lm.gen && int(x.marked) == p || len(r.ix.rest) > 0 || lm.secondAtFiller(r, f)
}

// secondAtFiller reports whether an item of list r that begins with two
// words may have its second among the fillers after its first: a filler
// of the document matches a word such items may have second.
func (lm *listMemo) secondAtFiller(r *listRef, f *fillers) bool {
	x := &lm.slots[r.id]
	if x.secondGen != lm.gen {
		x.secondGen, x.secondAtFiller = lm.gen, false
		for _, id := range f.ids {
			x.secondAtFiller = x.secondAtFiller || r.ix.seconds[id]
		}
	}
	return x.secondAtFiller
}

// put keeps ends as where list r ends at token p, and returns the kept
// copy.
func (lm *listMemo) put(r *listRef, p int, ends []int) []int {
	from := len(lm.ends)
	lm.ends = append(lm.ends, ends...)
	to := len(lm.ends)
	x := &lm.slots[r.id]
	x.gen, x.p, x.from, x.to = lm.gen, int32(p), int32(from), int32(to)
	return lm.ends[from:to:to]
}

// partFound is where a hidden part of an "A & B" pattern was found.
type partFound struct {
	pattern int
	span    [2]int
}

// reach is the most tokens the parts of an "A & B" match may span.
const reach = max(Within+4, Sentence)

// partMatches are where one part of "A & B" patterns was found, in the
// order found, and indexed by where they start, so that the parts near a
// match of another part are found without trying every one: a long
// message may hold hundreds of each.
type partMatches struct {
	found  [][2]int
	byFrom []int // indexes into found, by where they start
}

// partSet is where the hidden parts of "A & B" patterns were found in one
// document, by pattern; it lives in a Matcher's scratch and is emptied
// after each document.
type partSet struct {
	slot  []int32 // by pattern: 1 + its index in pms; 0 when not found
	pms   []partMatches
	used  []int // the patterns found, in the order first found
	cands []int // the combos to try
}

// fill notes where parts were found and indexes them.
func (ps *partSet) fill(parts []partFound) {
	for _, f := range parts {
		s := ps.slot[f.pattern]
		if s == 0 {
			n := len(ps.pms)
			if n < cap(ps.pms) {
				ps.pms = ps.pms[:n+1]
				ps.pms[n].found = ps.pms[n].found[:0]
			} else {
				ps.pms = append(ps.pms, partMatches{})
			}
			s = int32(n + 1)
			ps.slot[f.pattern] = s
			ps.used = append(ps.used, f.pattern)
		}
		pm := &ps.pms[s-1]
		pm.found = append(pm.found, f.span)
	}
	for k := range ps.pms {
		ps.pms[k].index()
	}
}

// get returns where part p was found, or nil.
func (ps *partSet) get(p int) *partMatches {
	if s := ps.slot[p]; s > 0 {
		return &ps.pms[s-1]
	}
	return nil
}

// reset empties ps for the next document.
func (ps *partSet) reset() {
	for _, p := range ps.used {
		ps.slot[p] = 0
	}
	ps.used, ps.pms = ps.used[:0], ps.pms[:0]
}

// index orders the matches by where they start, those that start
// together in the order found.
func (pm *partMatches) index() {
	pm.byFrom = slices.Grow(pm.byFrom[:0], len(pm.found))[:len(pm.found)]
	for i := range pm.byFrom {
		pm.byFrom[i] = i
	}
	slices.SortStableFunc(pm.byFrom, func(a, b int) int { return pm.found[a][0] - pm.found[b][0] })
}

// starting appends to buf, in the order they were found, the indexes of
// the matches that start at token lo or after and before token hi.
func (pm *partMatches) starting(lo, hi int, buf []int) []int {
	k := sort.Search(len(pm.byFrom), func(k int) bool { return pm.found[pm.byFrom[k]][0] >= lo })
	for ; k < len(pm.byFrom) && pm.found[pm.byFrom[k]][0] < hi; k++ {
		buf = append(buf, pm.byFrom[k])
	}
	slices.Sort(buf)
	return buf
}

// probes, when set, counts the work Find does, so that a test can tell
// that it grows with the length of a message and no faster. Only tests
// set it, and never while another test reads.
var probes *findProbes

// findProbes are the counts of the steps of Find that a long message may
// repeat.
type findProbes struct {
	// Attempts counts patterns tried at a token, Steps terms tried at a
	// token, Letters the letters of the words made to look up typos,
	// Combined the parts of "A & B" patterns tried together.
	Attempts, Steps, Letters, Combined int
}
