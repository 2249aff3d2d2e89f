package learn

import (
	"math"
	"slices"
	"strings"

	"helpline/flows/text"
)

// hashSeed is mixed into the FNV-1a offset basis of every feature's hash.
// Changing it changes every bucket: every model must then be retrained.
const hashSeed uint32 = 0x6c62272e

const (
	fnvOffset uint32 = 2166136261
	fnvPrime  uint32 = 16777619
)

// Feature groups. Each hashes its own prefix first, so a word and a
// character n-gram with the same letters fall in different buckets.
const (
	groupWord = iota // a word as the text layer folds it, "!" before it when negated
	groupPair        // two neighbouring words
	groupChar        // 3 to 5 characters of the words joined by spaces
	groupLang        // the language the text was read in
	groupMark        // a question mark in what the span covers as written
	groups
)

var groupPrefix = [groups]string{"w:", "b:", "c:", "l:", "m:"}

// groupStart is the hash of each group's prefix.
var groupStart = func() (h [groups]uint32) {
	for g, p := range groupPrefix {
		h[g] = hashString(fnvOffset^hashSeed, p)
	}
	return h
}()

func hashString(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= fnvPrime
	}
	return h
}

func hashBytes(h uint32, s []byte) uint32 {
	for _, c := range s {
		h ^= uint32(c)
		h *= fnvPrime
	}
	return h
}

func hashByte(h uint32, c byte) uint32 { return (h ^ uint32(c)) * fnvPrime }

// numberWord stands for any number, beside the number itself, so "took 40"
// and "took 25" share a feature.
const numberWord = "<n>"

// Character n-grams run from minGram to maxGram runes.
const (
	minGram = 3
	maxGram = 5
)

// logCount[c] is 1+ln(c): a feature seen c times in a span weighs that.
var logCount = func() (t [64]float32) {
	for c := 1; c < len(t); c++ {
		t[c] = float32(1 + math.Log(float64(c)))
	}
	return t
}()

// hasher turns spans of a Doc into hashed, L2-normalised feature vectors.
type hasher struct {
	bits uint
	mask uint32
	// weight of each group's features before normalisation.
	weight [groups]float32
}

func newHasher(bits int, charWeight float64) hasher {
	x := hasher{bits: uint(bits), mask: 1<<uint(bits) - 1}
	x.weight = [groups]float32{1, 1, float32(charWeight), 1, 1}
	return x
}

func (x *hasher) bucket(h uint32) uint32 { return (h ^ h>>x.bits) & x.mask }

// feat is one feature of a span: its bucket and value.
type feat struct {
	bucket uint32
	val    float32
}

// scratch is the memory one reading needs, reused through a pool.
type scratch struct {
	keys   []uint64
	feats  []feat
	buf    []byte
	starts []int32
	spans  []span
	z      []float64
	// featKeys are the keys of feats, counts how often each was seen,
	// and table finds them.
	featKeys []uint64
	counts   []int
	table    []int32
	// What logitsAll uses besides (see fast.go).
	occs  []uint64
	cross []uint64
	ends  []int
	acc   []int32
	nrow  []int32
	lanes []uint64
	pend  []int32
	slots []uint32
	first []uint16
	gen   uint32
	dups  []uint64
	norms []float64
}

// span is a run of tokens [from, to) of a Doc.
type span struct{ from, to int }

// window is the most tokens a span holds; a longer clause is read in
// windows of this many tokens, each starting half a window after the last.
const window = 40

// spans returns the parts of d that are scored: the whole text first,
// then each clause (a run of tokens with the same Token.Clause) or, for a
// long clause, its windows. A text of one short clause is one span.
func spans(d *text.Doc, dst []span) []span {
	n := len(d.Tokens)
	dst = append(dst[:0], span{0, n})
	start := 0
	for i := 1; i <= n; i++ {
		if i < n && d.Tokens[i].Clause == d.Tokens[start].Clause {
			continue
		}
		switch {
		case start == 0 && i == n && n <= window:
		case i-start <= window:
			dst = append(dst, span{start, i})
		default:
			for from := start; ; from += window / 2 {
				to := min(from+window, i)
				dst = append(dst, span{from, to})
				if to == i {
					break
				}
			}
		}
		start = i
	}
	return dst
}

// text returns what s covers of the message as written.
func (s span) text(d *text.Doc) string {
	if s.from >= s.to {
		return d.Text
	}
	return d.Text[d.Tokens[s.from].From:d.Tokens[s.to-1].To]
}

// features appends to sc.feats the features of span s of d and returns
// them. When names is not nil, it also records a readable name for each
// feature key (for Why).
func (x *hasher) features(d *text.Doc, s span, sc *scratch, names map[uint64]string) []feat {
	keys := x.markKeys(d, s, sc.keys[:0], names)
	keys = x.wordKeys(d, s, keys, names)
	keys = x.charKeys(d, s, sc, keys, names)

	// Count each key (in the order first seen), weigh it by its group and
	// the log of its count, and normalise the whole.
	feats, counts, fkeys := countKeys(keys, sc)
	var norm float32
	for i := range feats {
		v := x.weight[fkeys[i]>>32] * logCount[min(counts[i], len(logCount)-1)]
		feats[i].val = v
		norm += v * v
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(float64(norm)))
		for i := range feats {
			feats[i].val *= inv
		}
	}
	sc.keys, sc.feats, sc.counts, sc.featKeys = keys, feats, counts, fkeys
	return feats
}

// key returns the key of a feature of group g that hashes to h.
func (x *hasher) key(g int, h uint32) uint64 { return uint64(g)<<32 | uint64(x.bucket(h)) }

// markKeys appends to keys the key of the language d was read in and,
// when what span s covers as written holds one, of a question mark,
// naming them in names when it is not nil.
func (x *hasher) markKeys(d *text.Doc, s span, keys []uint64, names map[uint64]string) []uint64 {
	lang := ""
	if d.Lang != nil {
		lang = d.Lang.Code
	}
	k := x.key(groupLang, hashString(groupStart[groupLang], lang))
	keys = append(keys, k)
	if names != nil {
		names[k] = groupPrefix[groupLang] + lang
	}

	// The text layer drops punctuation, but a question mark tells a
	// question from an answer ("medicare?" from "medicare").
	if asks(d, s) {
		k := x.key(groupMark, hashString(groupStart[groupMark], "?"))
		keys = append(keys, k)
		if names != nil {
			names[k] = groupPrefix[groupMark] + "?"
		}
	}
	return keys
}

// wordKeys appends to keys the keys of the words of span s of d, the
// number word after each number, and of each pair of neighbouring words,
// naming them in names when it is not nil.
func (x *hasher) wordKeys(d *text.Doc, s span, keys []uint64, names map[uint64]string) []uint64 {
	var prev uint32 // the hash of the previous word, as a pair's first half
	for i := s.from; i < s.to; i++ {
		tk := &d.Tokens[i]
		h := groupStart[groupWord]
		if tk.Negated {
			h = hashByte(h, '!')
		}
		h = hashString(h, tk.Word)
		keys = append(keys, x.key(groupWord, h))
		if names != nil {
			names[x.key(groupWord, h)] = groupPrefix[groupWord] + mark(tk) + tk.Word
		}
		if tk.Kind == text.KindNumber {
			n := hashString(groupStart[groupWord], numberWord)
			keys = append(keys, x.key(groupWord, n))
			if names != nil {
				names[x.key(groupWord, n)] = groupPrefix[groupWord] + numberWord
			}
		}
		// A pair hashes the first word's mark and letters, a space,
		// then the second's.
		if i > s.from {
			p := prev
			p = hashByte(p, ' ')
			if tk.Negated {
				p = hashByte(p, '!')
			}
			p = hashString(p, tk.Word)
			keys = append(keys, x.key(groupPair, p))
			if names != nil {
				pt := &d.Tokens[i-1]
				names[x.key(groupPair, p)] = groupPrefix[groupPair] + mark(pt) + pt.Word + " " + mark(tk) + tk.Word
			}
		}
		prev = groupStart[groupPair]
		if tk.Negated {
			prev = hashByte(prev, '!')
		}
		prev = hashString(prev, tk.Word)
	}
	return keys
}

// charKeys appends to keys the keys of the character n-grams of span s of
// d over " word word word ", rune by rune, naming them in names when it is
// not nil. It keeps the words joined in sc.buf and where each rune begins
// in sc.starts.
func (x *hasher) charKeys(d *text.Doc, s span, sc *scratch, keys []uint64, names map[uint64]string) []uint64 {
	buf := append(sc.buf[:0], ' ')
	for i := s.from; i < s.to; i++ {
		buf = append(buf, d.Tokens[i].Word...)
		buf = append(buf, ' ')
	}
	starts := runeStarts(buf, sc.starts[:0])
	runes := len(starts) - 1
	for n := minGram; n <= maxGram; n++ {
		for i := 0; i+n <= runes; i++ {
			g := buf[starts[i]:starts[i+n]]
			k := x.key(groupChar, hashBytes(groupStart[groupChar], g))
			keys = append(keys, k)
			if names != nil {
				names[k] = groupPrefix[groupChar] + string(g)
			}
		}
	}
	sc.buf, sc.starts = buf, starts
	return keys
}

// countKeys returns, in sc's memory, a feature for each distinct key of
// keys in the order first seen, how often each was seen, and its key,
// counting them in a small open-addressing table kept in sc.table.
func countKeys(keys []uint64, sc *scratch) (feats []feat, counts []int, fkeys []uint64) {
	size := 64
	for size < 2*len(keys) {
		size *= 2
	}
	table := slices.Grow(sc.table[:0], size)[:size]
	clear(table)
	feats, counts, fkeys = sc.feats[:0], sc.counts[:0], sc.featKeys[:0]
	mask := uint32(size - 1)
	for _, k := range keys {
		h := (uint32(k) ^ uint32(k>>32)) * 0x9e3779b1 >> 7 & mask
		for {
			e := table[h]
			if e == 0 {
				table[h] = int32(len(feats)) + 1
				feats = append(feats, feat{bucket: uint32(k)})
				counts = append(counts, 1)
				fkeys = append(fkeys, k)
				break
			}
			if fkeys[e-1] == k {
				counts[e-1]++
				break
			}
			h = (h + 1) & mask
		}
	}
	sc.table = table
	return feats, counts, fkeys
}

// asks reports whether what span s of d covers as written, up to the
// next token, holds a question mark ("?" or "¿").
func asks(d *text.Doc, s span) bool {
	from, to := 0, len(d.Text)
	if s.from < len(d.Tokens) && s.from > 0 {
		from = d.Tokens[s.from].From
	}
	if s.to < len(d.Tokens) {
		to = d.Tokens[s.to].From
	}
	t := d.Text[from:to]
	return strings.IndexByte(t, '?') >= 0 || strings.Contains(t, "¿")
}

func mark(tk *text.Token) string {
	if tk.Negated {
		return "!"
	}
	return ""
}
