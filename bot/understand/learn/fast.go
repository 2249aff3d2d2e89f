package learn

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"unicode/utf8"

	"helpline/flows/text"
)

// The reading Predict, Who and the trainer's validation make: the
// features of hasher.features and the sums of head.logits, but every span
// of a text at once, in integers.
//
// The features of a clause are those of the whole text read from its
// tokens alone: its words, the pairs inside it, and the character n-grams
// inside " word word ", which is part of the whole text's " w w w w ". So
// the text's features are hashed once, each occurrence marked with the
// clause it lies in (none when it straddles two), and its int8 row is
// added once, to that clause's integer sums; the whole text's sums are
// the sum of every clause's. There are two sums to a clause, one for the
// features of weight 1 (words, pairs, the language, the question mark)
// and one for the character n-grams (CharWeight), and each is scaled once
// a class, then divided by the span's norm. A feature seen more than once
// weighs the log of its count, which differs from span to span: those,
// few, are put right after the sums. Windows of a long clause overlap: a
// text that has them is read span by span, as is a text of more than
// maxOccs occurrences.

// An occurrence is packed in a uint64: its key in the low 32 bits, its
// bucket with its group above it, and the sum it goes to in the high 32
// bits, 2*clause plus 1 for a character n-gram, clause 0 being the whole
// text's own.
const (
	occGroupShift = 24 // Settings.Bits is at most 24
	occBucketMask = 1<<occGroupShift - 1
	// maxOccs is the most occurrences findDups numbers.
	maxOccs = 1 << 16
)

// numberHash is the hash of the word that stands for any number.
var numberHash = hashString(groupStart[groupWord], numberWord)

// logitsAll writes into z the logits of head h (before temperature) for
// every span of d in spans, k to a span. The spans are those spans
// returns, or the whole text alone.
func (m *Model) logitsAll(d *text.Doc, h *head, spans []span, sc *scratch, z []float64) {
	x := &m.hasher
	k := len(h.classes)
	ns := len(spans)
	slow := !clausesInOrder(d, spans)
	if !slow {
		x.occurrences(d, spans, sc)
		slow = len(sc.occs) > maxOccs
	}
	if slow {
		for i, s := range spans {
			h.logits(x.features(d, s, sc, nil), z[i*k:i*k+k])
		}
		return
	}
	acc, nrow := h.sumRows(sc, ns)

	// The whole text holds every clause.
	for s := 1; s < ns; s++ {
		for g := range 2 {
			nrow[g] += nrow[2*s+g]
			addSums(acc[g*k:g*k+k], acc[(2*s+g)*k:(2*s+g)*k+k])
		}
	}
	norms := x.spanSums(d, h, spans, acc, nrow, sc, z)

	// A feature seen n times in a span weighs gw·(1+ln n), not n·gw. Its
	// occurrences are in dups as its key and their sums.
	if dups := sc.dups; len(dups) > 0 {
		x.fixDups(h.w, k, dups, norms, z)
	}
	h.normLogits(z, norms)
}

// clausesInOrder reports whether spans[1:] are clauses, one after the
// other from the first token of d to the last, as occurrences needs;
// windows, which overlap, are not. A single span is.
func clausesInOrder(d *text.Doc, spans []span) bool {
	ns := len(spans)
	slow := ns > 1 && (spans[1].from != 0 || spans[ns-1].to != len(d.Tokens))
	for s := 2; s < ns && !slow; s++ {
		slow = spans[s].from != spans[s-1].to
	}
	return !slow
}

// spanSums writes into z each span's sums from acc, nrow counting their
// rows: those of weight 1 plus its language's row and, when written, its
// question mark's, and its characters' times CharWeight. It returns, in
// sc.norms, the square of each span's norm.
func (x *hasher) spanSums(d *text.Doc, h *head, spans []span, acc, nrow []int32, sc *scratch, z []float64) []float64 {
	k := len(h.classes)
	ns := len(spans)
	w := h.w
	lang := ""
	if d.Lang != nil {
		lang = d.Lang.Code
	}
	langRow := int(x.bucket(hashString(groupStart[groupLang], lang))) * k
	markRow := int(x.bucket(hashString(groupStart[groupMark], "?"))) * k
	cw := float64(x.weight[groupChar])
	norms := slices.Grow(sc.norms[:0], ns)[:ns]
	marked := ns == 1 || asks(d, span{0, len(d.Tokens)}) // in the text at all
	for s := range ns {
		aw, ac := acc[2*s*k:2*s*k+k], acc[(2*s+1)*k:(2*s+1)*k+k]
		addRow(aw, w[langRow:langRow+k])
		nw := nrow[2*s] + 1
		if marked && asks(d, spans[s]) {
			addRow(aw, w[markRow:markRow+k])
			nw++
		}
		norms[s] = float64(nw) + cw*cw*float64(nrow[2*s+1])
		zs := z[s*k : s*k+k]
		for c := range zs {
			zs[c] = float64(aw[c]) + cw*float64(ac[c])
		}
	}
	sc.norms = norms
	return norms
}

// fixDups puts right the sums in z and the squared norms of the features
// seen more than once in a span, whose occurrences dups holds as key and
// sum; w holds the head's rows, k to a row.
func (x *hasher) fixDups(w []byte, k int, dups []uint64, norms, z []float64) {
	slices.Sort(dups)
	for i := 0; i < len(dups); {
		key := uint32(dups[i] >> 32)
		j := i
		for j < len(dups) && uint32(dups[j]>>32) == key {
			j++
		}
		gw := float64(x.weight[key>>occGroupShift])
		off := int(key&occBucketMask) * k
		row := w[off : off+k]
		fixCount(row, gw, 0, j-i, norms, z)
		for a := i; a < j; {
			b := a
			for b < j && dups[b] == dups[a] {
				b++
			}
			if s := int(uint32(dups[a])) / 2; s > 0 {
				fixCount(row, gw, s, b-a, norms, z)
			}
			a = b
		}
		i = j
	}
}

// fixCount makes a feature of weight gw and row row, seen n times in span
// s, weigh gw·(1+ln n) in its sums and squared norm, not n·gw.
func fixCount(row []byte, gw float64, s, n int, norms, z []float64) {
	if n < 2 {
		return
	}
	k := len(row)
	v := gw * float64(logCount[min(n, len(logCount)-1)])
	norms[s] += v*v - float64(n)*gw*gw
	v -= float64(n) * gw
	zs := z[s*k : s*k+k]
	for c, b := range row {
		zs[c] += v * float64(weightOf(b))
	}
}

// normLogits turns each span's sums in z into its logits: divided by the
// span's norm, the square root of norms[s], times each class's scale,
// plus its bias.
func (h *head) normLogits(z, norms []float64) {
	k := len(h.classes)
	for s := range norms {
		inv := 1.0
		if norms[s] > 0 {
			inv = 1 / math.Sqrt(norms[s])
		}
		zs := z[s*k : s*k+k]
		for c := range zs {
			zs[c] = zs[c]*inv*float64(h.scale[c]) + float64(h.bias[c])
		}
	}
}

// occurrences sets sc.occs to every word, pair and character feature of
// the whole of d, each with the sum of the clause of spans it lies in:
// clause by clause, then those that straddle two clauses, so that the
// occurrences of a sum come in long runs.
func (x *hasher) occurrences(d *text.Doc, spans []span, sc *scratch) {
	ns := len(spans)
	bits, bmask := x.bits&31, x.mask
	occs, ends, buf, ascii := x.wordOccs(d.Tokens, spans, sc)

	// Character n-grams over " word word word ": those inside each
	// clause's " word word ", then those that straddle two.
	var starts []int32 // where each rune begins, when not every byte does
	if !ascii {
		starts = runeStarts(buf, sc.starts[:0])
		sc.starts = starts
	}
	runes := len(buf)
	if !ascii {
		runes = len(starts) - 1
	}
	from := 0
	for c, end := range ends {
		sum := uint32(1)
		if ns > 1 {
			sum = 2*uint32(c+1) + 1
		}
		if ascii {
			occs = charOccs(occs, buf[from:end+1], sum, bits, bmask)
		} else {
			occs = runeGrams(occs, buf, starts, runeAt(starts, from), runeAt(starts, end), 0, runeAt(starts, end), sum, bits, bmask)
		}
		from = end
	}
	from = 0
	for _, end := range ends[:len(ends)-1] {
		ra, re := runeAt(starts, from), runeAt(starts, end)
		occs = runeGrams(occs, buf, starts, max(ra, re-(maxGram-1)), re, re+1, runes-1, 1, bits, bmask)
		from = end
	}
	sc.occs, sc.ends, sc.buf = occs, ends, buf
}

// wordOccs returns the occurrences of the words and pairs of toks, hashed
// as hasher.features hashes them, clause by clause, then the pairs that
// straddle two clauses (kept in sc.cross); the words joined into
// " word word word " in buf, for the character n-grams; in ends the byte
// of buf that ends each clause, the space after its last word; and
// whether buf is all ASCII.
func (x *hasher) wordOccs(toks []text.Token, spans []span, sc *scratch) (occs []uint64, ends []int, buf []byte, ascii bool) {
	bits, bmask := x.bits&31, x.mask
	occs = sc.occs[:0]
	cross := sc.cross[:0]
	ends = sc.ends[:0]
	buf = append(sc.buf[:0], ' ')
	ascii = true
	numKey := groupWord<<occGroupShift | (numberHash^numberHash>>bits)&bmask
	var prev uint32 // the first half of a pair: the previous word
	clause, next := 0, len(toks)
	if len(spans) > 1 {
		clause, next = 1, spans[1].to
	}
	for i := range toks {
		first := false // the first word of a clause after the first
		if i == next {
			ends = append(ends, len(buf)-1)
			clause++
			next, first = spans[clause].to, true
		}
		tk := &toks[i]
		wd := tk.Word
		wh, ph, nh := tokenHashes(tk.Negated, prev)
		for j := 0; j < len(wd); j++ {
			c := uint32(wd[j])
			wh = (wh ^ c) * fnvPrime
			ph = (ph ^ c) * fnvPrime
			nh = (nh ^ c) * fnvPrime
			if c >= utf8.RuneSelf {
				ascii = false
			}
		}
		sum := uint64(clause) << 33 // 2*clause, in the high half
		occs = append(occs, sum|groupWord<<occGroupShift|uint64((wh^wh>>bits)&bmask))
		if tk.Kind == text.KindNumber {
			occs = append(occs, sum|uint64(numKey))
		}
		switch pair := groupPair<<occGroupShift | uint64((ph^ph>>bits)&bmask); {
		case first:
			cross = append(cross, pair) // the whole text's own
		case i > 0:
			occs = append(occs, sum|pair)
		}
		prev = nh
		buf = append(buf, wd...)
		buf = append(buf, ' ')
	}
	ends = append(ends, len(buf)-1)
	occs = append(occs, cross...)
	sc.cross = cross
	return occs, ends, buf, ascii
}

// tokenHashes returns the hashes a token's letters go on from: as a word
// (wh), as the second half of a pair whose first half hashed to prev (ph),
// and as the first half of the next pair (nh), each with the "!" of a
// negated word.
func tokenHashes(negated bool, prev uint32) (wh, ph, nh uint32) {
	wh = groupStart[groupWord]
	ph = hashByte(prev, ' ')
	nh = groupStart[groupPair]
	if negated {
		wh = hashByte(wh, '!')
		ph = hashByte(ph, '!')
		nh = hashByte(nh, '!')
	}
	return wh, ph, nh
}

// runeStarts appends to dst where each rune of buf begins, then the
// length of buf, and returns it.
func runeStarts(buf []byte, dst []int32) []int32 {
	for i := 0; i < len(buf); {
		dst = append(dst, int32(i))
		if buf[i] < utf8.RuneSelf {
			i++
			continue
		}
		_, size := utf8.DecodeRune(buf[i:])
		i += size
	}
	return append(dst, int32(len(buf)))
}

// runeAt returns the rune of a buffer at byte b, starts being as
// runeStarts returns, or nil when every byte is a rune.
func runeAt(starts []int32, b int) int {
	if starts == nil {
		return b
	}
	r, _ := slices.BinarySearch(starts, int32(b))
	return r
}

// charOccs appends the character n-grams of buf, all ASCII, to go to sum.
func charOccs(occs []uint64, buf []byte, sum uint32, bits uint, bmask uint32) []uint64 {
	n := len(buf)
	if n < minGram {
		return occs
	}
	i := len(occs)
	occs = slices.Grow(occs, 3*n)[:i+3*n]
	bits &= 31
	hi := uint64(sum)<<32 | groupChar<<occGroupShift
	a := 0
	for ; a+maxGram <= n; a++ {
		b := buf[a : a+maxGram : a+maxGram]
		h := hashByte(hashByte(hashByte(groupStart[groupChar], b[0]), b[1]), b[2])
		o := occs[i : i+3 : i+3]
		o[0] = hi | uint64((h^h>>bits)&bmask)
		h = hashByte(h, b[3])
		o[1] = hi | uint64((h^h>>bits)&bmask)
		h = hashByte(h, b[4])
		o[2] = hi | uint64((h^h>>bits)&bmask)
		i += 3
	}
	for ; a+minGram <= n; a++ {
		h := hashByte(hashByte(groupStart[groupChar], buf[a]), buf[a+1])
		for e := a + minGram - 1; e < n; e++ {
			h = hashByte(h, buf[e])
			occs[i] = hi | uint64((h^h>>bits)&bmask)
			i++
		}
	}
	return occs[:i]
}

// runeGrams appends, to go to sum, the character n-grams of buf that
// begin at a rune from r0 to r1 (exclusive) and end at a rune from e0 to
// e1 (inclusive). starts holds where each rune of buf begins and after
// the last; nil when every byte is a rune.
func runeGrams(occs []uint64, buf []byte, starts []int32, r0, r1, e0, e1 int, sum uint32, bits uint, bmask uint32) []uint64 {
	at := func(r int) int {
		if starts == nil {
			return r
		}
		return int(starts[r])
	}
	hi := uint64(sum)<<32 | groupChar<<occGroupShift
	bits &= 31
	for r := r0; r < r1; r++ {
		h := groupStart[groupChar]
		for e := r; e < r+maxGram && e <= e1; e++ {
			h = hashBytes(h, buf[at(e):at(e+1)])
			if e+1-r >= minGram && e >= e0 {
				occs = append(occs, hi|uint64((h^h>>bits)&bmask))
			}
		}
	}
	return occs
}

// sumRows adds the row of every occurrence in sc.occs once, to its sum,
// and sets sc.dups to the occurrences of the features seen more than
// once, to be put right. It returns the sums, k to a sum, two to a
// clause (its features of weight 1, then its characters), and how many
// rows each holds.
func (h *head) sumRows(sc *scratch, ns int) (acc, nrow []int32) {
	k := len(h.classes)
	acc = slices.Grow(sc.acc[:0], 2*ns*k)[:2*ns*k]
	clear(acc)
	nrow = slices.Grow(sc.nrow[:0], 2*ns)[:2*ns]
	clear(nrow)
	sc.acc, sc.nrow = acc, nrow
	findDups(sc)
	ls := laneSums{k: k, lw: 2 * ((k + 7) / 8), acc: acc, nrow: nrow}
	ls.lanes = slices.Grow(sc.lanes[:0], 2*ns*ls.lw)[:2*ns*ls.lw]
	clear(ls.lanes)
	ls.pend = slices.Grow(sc.pend[:0], 2*ns)[:2*ns]
	clear(ls.pend)
	sc.lanes, sc.pend = ls.lanes, ls.pend
	switch ls.lw {
	case 2, 4:
		sumRows2(h.w[:len(h.w)+wordPad], k, sc.occs, &ls)
	case 6:
		sumRows3(h.w[:len(h.w)+wordPad], k, sc.occs, &ls)
	default:
		for _, o := range sc.occs {
			g := int(o >> 32)
			nrow[g]++
			off := int(uint32(o)&occBucketMask) * k
			addRow(acc[g*k:g*k+k], h.w[off:off+k])
		}
	}
	for g := range ls.pend {
		ls.empty(g)
	}
	return acc, nrow
}

// findDups sets sc.dups to the occurrences in sc.occs (at most maxOccs)
// of the features seen more than once, each as its key in the high half
// and its sum in the low.
func findDups(sc *scratch) {
	occs := sc.occs
	// A slot holds a key (26 bits), slotDup once the key is seen again,
	// and the reading it belongs to in the top 5 bits: the slots are
	// cleared only when those wrap around or the slots are resized, to
	// 8 to 32 slots an occurrence. first holds the index of the key's
	// first occurrence.
	size := len(sc.slots)
	if size < max(8*len(occs), 64) || size > 32*max(len(occs), 8) || sc.gen == 1<<(32-slotGenShift)-1 {
		size = 64
		for size < 8*len(occs) {
			size *= 2
		}
		sc.slots = slices.Grow(sc.slots[:0], size)[:size]
		clear(sc.slots)
		sc.first = slices.Grow(sc.first[:0], size)[:size]
		sc.gen = 0
	}
	sc.gen++
	slots, first := sc.slots, sc.first[:len(sc.slots)]
	gen := sc.gen << slotGenShift
	smask := uint32(size - 1)
	shift := uint32(33 - bits.Len(uint(size))) // the top log2(size) bits
	dups := sc.dups[:0]
	for j, o := range occs {
		key := uint32(o)
		for i := key * 0x9e3779b1 >> (shift & 31); ; i = (i + 1) & smask {
			e := slots[i&smask]
			if e&^(1<<slotGenShift-1) != gen {
				slots[i&smask] = gen | key
				first[i&smask] = uint16(j)
				break
			}
			if e&slotKeyMask == key {
				if e&slotDup == 0 {
					slots[i&smask] |= slotDup
					dups = append(dups, uint64(key)<<32|occs[first[i&smask]]>>32)
				}
				dups = append(dups, uint64(key)<<32|o>>32)
				break
			}
		}
	}
	sc.dups = dups
}

const (
	slotKeyMask  = 1<<26 - 1
	slotDup      = 1 << 26
	slotGenShift = 27
)

// sumRows2 is sumRows's loop for heads of at most 16 classes: a row is
// read as two words of 8 weights (each plus 128), their even and odd
// bytes added to 16-bit lanes kept in registers while the occurrences go
// to the same sum, then to the sum's lanes in ls.
func sumRows2(w []byte, k int, occs []uint64, ls *laneSums) {
	for len(occs) > 0 {
		n := runLen(occs)
		l0, l1, l2, l3 := runRows2(w, k, occs[:n])
		ls.add(int(occs[0]>>32), int32(n), [6]uint64{l0, l1, l2, l3})
		occs = occs[n:]
	}
}

// sumRows3 is sumRows2 for heads of 17 to 24 classes.
func sumRows3(w []byte, k int, occs []uint64, ls *laneSums) {
	for len(occs) > 0 {
		n := runLen(occs)
		l0, l1, l2, l3, l4, l5 := runRows3(w, k, occs[:n])
		ls.add(int(occs[0]>>32), int32(n), [6]uint64{l0, l1, l2, l3, l4, l5})
		occs = occs[n:]
	}
}

// runLen returns how many occurrences from the first go to its sum, at
// most laneRun.
func runLen(occs []uint64) int {
	g := occs[0] >> 32
	occs = occs[:min(len(occs), laneRun)]
	for i, o := range occs {
		if o>>32 != g {
			return i
		}
	}
	return len(occs)
}

// runRows2 sums the rows of a run of two words each. It calls nothing,
// so its lanes stay in registers.
func runRows2(w []byte, k int, run []uint64) (l0, l1, l2, l3 uint64) {
	for _, o := range run {
		off := int(uint32(o)&occBucketMask) * k
		r := w[off : off+16]
		x := binary.LittleEndian.Uint64(r)
		e := x & lowBytes
		l0 += e
		l1 += (x ^ e) >> 8
		x = binary.LittleEndian.Uint64(r[8:])
		e = x & lowBytes
		l2 += e
		l3 += (x ^ e) >> 8
	}
	return
}

// runRows3 sums the rows of a run of three words each.
func runRows3(w []byte, k int, run []uint64) (l0, l1, l2, l3, l4, l5 uint64) {
	for _, o := range run {
		off := int(uint32(o)&occBucketMask) * k
		r := w[off : off+24]
		x := binary.LittleEndian.Uint64(r)
		e := x & lowBytes
		l0 += e
		l1 += (x ^ e) >> 8
		x = binary.LittleEndian.Uint64(r[8:])
		e = x & lowBytes
		l2 += e
		l3 += (x ^ e) >> 8
		x = binary.LittleEndian.Uint64(r[16:])
		e = x & lowBytes
		l4 += e
		l5 += (x ^ e) >> 8
	}
	return
}

// A 16-bit lane holds 257 rows of bytes: runs kept in registers are of
// at most laneRun rows, and a sum's lanes are emptied into acc once they
// hold laneRun rows or more, so that they never hold more than 2*laneRun.
const laneRun = 128

const lowBytes = 0x00ff00ff00ff00ff

// laneSums are the sums of sumRows: for sum g, lanes[g*lw:] are 16-bit
// lanes of rows not yet in acc[g*k:], pend how many rows they hold, nrow
// how many rows the sum holds in all. Word j of a row adds its even
// weights (classes 8j, 8j+2, ...) to lane 2j and its odd ones to 2j+1.
type laneSums struct {
	k, lw      int
	lanes      []uint64
	pend, nrow []int32
	acc        []int32
}

// add adds a run of n rows, its lanes l, to sum g.
func (ls *laneSums) add(g int, n int32, l [6]uint64) {
	lanes := ls.lanes[g*ls.lw : g*ls.lw+ls.lw]
	for i := range lanes {
		lanes[i] += l[i]
	}
	ls.nrow[g] += n
	if ls.pend[g] += n; ls.pend[g] >= laneRun {
		ls.empty(g)
	}
}

// empty adds sum g's lanes to acc, less 128 a row, and zeroes them.
func (ls *laneSums) empty(g int) {
	n := ls.pend[g]
	if n == 0 {
		return
	}
	k := ls.k
	lanes := ls.lanes[g*ls.lw : g*ls.lw+ls.lw]
	dst := ls.acc[g*k : g*k+k]
	bias := 128 * n
	for j, l := range lanes {
		// Lane j holds classes 8(j/2) + j%2 + 2i, i from 0 to 3.
		c := j/2*8 + j%2
		for end := min(c+8, len(dst)); c < end; c += 2 {
			dst[c] += int32(l&0xffff) - bias
			l >>= 16
		}
		lanes[j] = 0
	}
	ls.pend[g] = 0
}

// addRow adds a row of weights to integer sums.
func addRow(dst []int32, row []byte) {
	dst = dst[:len(row)]
	for c, b := range row {
		dst[c] += weightOf(b)
	}
}

func addSums(dst, src []int32) {
	dst = dst[:len(src)]
	for c, v := range src {
		dst[c] += v
	}
}
