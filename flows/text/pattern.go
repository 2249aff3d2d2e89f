package text

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Patterns are written over words as a language reads them:
//
//	kill myself            words in order, side by side (fillers between are skipped)
//	took .. pills          a gap of up to 3 words; ..6 up to 6
//	want to? die           ? makes the word before it optional
//	kill|hurt myself       any one of the words
//	=od                    exactly this word: no stem, no typo
//	@drugs                 any phrase of a named list
//	*                      any one word
//	#   #5+                a number (written in digits or words); 5 or more
//
// A word matches a token with the same stem (or, where the pattern allows
// typos and the word has MinTypoLen letters or more, one typo away from it);
// emoji match exactly. A pattern must begin with a word, a list or a number.

// A Matcher finds a set of patterns in documents of one language. It is
// safe for concurrent use once built.
type Matcher struct {
	lang  *Language
	typos bool
	lists map[string][]seq

	vocab  []vword // term id -> word
	byWord map[string][]int32
	byStem map[string][]int32
	byDel  map[string][]int32

	pats    []pattern
	anchors map[int32][]int // id of a possible first word -> patterns
	numbers []int           // patterns that begin with a number
}

type vword struct {
	word, stem string
	exact      bool
	// written matches the word as written or by typo, never by stem.
	written bool
}

type pattern struct {
	name string
	src  string
	seq  seq
}

type seq []term

type termKind uint8

const (
	tWords  termKind = iota // one of ids
	tList                   // any seq of a list
	tAny                    // any one token
	tGap                    // up to n tokens
	tNumber                 // a number of at least min
)

type term struct {
	kind     termKind
	ids      []int32
	list     string
	n        int
	min      float64
	optional bool
}

// Match is one place a pattern was found: tokens From to To (exclusive).
type Match struct {
	Pattern  int
	Name     string
	From, To int
}

// NewMatcher starts a matcher for l with named lists of phrases (each a
// pattern without lists). typos says whether words of MinTypoLen letters
// or more may match with one typo.
func (l *Language) NewMatcher(lists map[string][]string, typos bool) (*Matcher, error) {
	m := &Matcher{lang: l, typos: typos, lists: map[string][]seq{}, byWord: map[string][]int32{},
		byStem: map[string][]int32{}, byDel: map[string][]int32{}, anchors: map[int32][]int{}}
	var errs []string
	for _, name := range sortedNames(lists) {
		for _, item := range lists[name] {
			s, err := m.compile(item, false)
			if err != nil {
				errs = append(errs, fmt.Sprintf("list %s: %q: %v", name, item, err))
				continue
			}
			m.lists[name] = append(m.lists[name], s)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return m, nil
}

// Add compiles src and adds it under name; it returns the pattern's index.
func (m *Matcher) Add(name, src string) (int, error) {
	s, err := m.compile(src, true)
	if err != nil {
		return -1, err
	}
	if len(s) == 0 {
		return -1, fmt.Errorf("no words")
	}
	first := s[0]
	if first.optional || first.kind == tGap || first.kind == tAny {
		return -1, fmt.Errorf("must begin with a word, a list or a number")
	}
	i := len(m.pats)
	m.pats = append(m.pats, pattern{name: name, src: src, seq: s})
	for _, id := range m.firstIDs(first) {
		m.anchors[id] = append(m.anchors[id], i)
	}
	if m.startsWithNumber(first) {
		m.numbers = append(m.numbers, i)
	}
	return i, nil
}

// AddPhrase adds a plain phrase under name: an option label or a synonym,
// read exactly as the language reads a message, with no pattern syntax
// ("2-4 times a month", "Opioids (heroin, fentanyl, pain pills)"). Its
// words match by stem and with a typo in long words; with stems false,
// as written or with a typo only (a label "Weekly" is not "a week"). It
// returns the pattern's index.
func (m *Matcher) AddPhrase(name, phrase string, stems bool) (int, error) {
	// "=tomo": this word exactly ("tomo" is I drink; "toma" he drinks,
	// though Spanish stems them alike).
	exactWords := map[string]bool{}
	var plain []string
	for _, f := range strings.Fields(phrase) {
		if strings.HasPrefix(f, "=") && len(f) > 1 {
			for _, w := range words(f[1:]) {
				exactWords[w] = true
			}
			f = f[1:]
		}
		plain = append(plain, f)
	}
	d := m.lang.Read(strings.Join(plain, " "))
	var s seq
	for _, t := range d.Tokens {
		switch {
		case t.Kind != KindWord || exactWords[t.Word]:
			s = append(s, term{kind: tWords, ids: []int32{m.intern(t.Word, true)}})
		case stems:
			s = append(s, term{kind: tWords, ids: []int32{m.intern(t.Word, false)}})
		default:
			s = append(s, term{kind: tWords, ids: []int32{m.internAsWritten(t.Word)}})
		}
	}
	if len(s) == 0 {
		return -1, fmt.Errorf("no words")
	}
	i := len(m.pats)
	m.pats = append(m.pats, pattern{name: name, src: phrase, seq: s})
	for _, id := range s[0].ids {
		m.anchors[id] = append(m.anchors[id], i)
	}
	return i, nil
}

// Len returns how many patterns m holds.
func (m *Matcher) Len() int { return len(m.pats) }

// Name returns the name pattern i was added under.
func (m *Matcher) Name(i int) string { return m.pats[i].name }

// Source returns pattern i as written.
func (m *Matcher) Source(i int) string { return m.pats[i].src }

func (m *Matcher) firstIDs(t term) []int32 {
	switch t.kind {
	case tWords:
		return t.ids
	case tList:
		var out []int32
		for _, s := range m.lists[t.list] {
			if len(s) > 0 {
				out = append(out, m.firstIDs(s[0])...)
			}
		}
		return out
	}
	return nil
}

func (m *Matcher) startsWithNumber(t term) bool {
	switch t.kind {
	case tNumber:
		return true
	case tList:
		for _, s := range m.lists[t.list] {
			if len(s) > 0 && m.startsWithNumber(s[0]) {
				return true
			}
		}
	}
	return false
}

// compile parses src into terms; lists are allowed only in patterns.
func (m *Matcher) compile(src string, withLists bool) (seq, error) {
	var out seq
	for _, f := range strings.Fields(src) {
		optional := false
		if len(f) > 1 && strings.HasSuffix(f, "?") {
			optional, f = true, strings.TrimSuffix(f, "?")
		}
		var t term
		switch {
		case f == "*":
			t = term{kind: tAny}
		case strings.HasPrefix(f, ".."):
			n := 3
			if rest := strings.TrimPrefix(f, ".."); rest != "" {
				v, err := strconv.Atoi(rest)
				if err != nil || v < 1 || v > 12 {
					return nil, fmt.Errorf("%q: a gap is .. or ..N with N from 1 to 12", f)
				}
				n = v
			}
			t = term{kind: tGap, n: n}
		case f == "#" || strings.HasPrefix(f, "#") && strings.HasSuffix(f, "+"):
			t = term{kind: tNumber}
			if f != "#" {
				v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(f, "#"), "+"), 64)
				if err != nil {
					return nil, fmt.Errorf("%q: a number is # or #N+", f)
				}
				t.min = v
			}
		case strings.HasPrefix(f, "@"):
			if !withLists {
				return nil, fmt.Errorf("%q: a list item cannot name a list", f)
			}
			name := f[1:]
			if _, ok := m.lists[name]; !ok {
				return nil, fmt.Errorf("%q: no list named %s", f, name)
			}
			t = term{kind: tList, list: name}
		default:
			alts := strings.Split(f, "|")
			if len(alts) == 1 && !optional {
				// A texting form stands for its words: "dont" is "do not".
				exact := strings.HasPrefix(f, "=")
				ws := m.lang.c.expand(words(strings.TrimPrefix(f, "=")))
				if len(ws) == 0 {
					return nil, fmt.Errorf("%q has no word the language reads", f)
				}
				for _, w := range ws[:len(ws)-1] {
					out = append(out, term{kind: tWords, ids: []int32{m.intern(w, exact)}})
				}
				t.ids = []int32{m.intern(ws[len(ws)-1], exact)}
				break
			}
			for _, alt := range alts {
				exact := strings.HasPrefix(alt, "=")
				alt = strings.TrimPrefix(alt, "=")
				ws := m.lang.c.expand(words(alt))
				if len(ws) != 1 {
					return nil, fmt.Errorf("%q: %q is not one word as the language reads it (write it without | or ?)", f, alt)
				}
				t.ids = append(t.ids, m.intern(ws[0], exact))
			}
		}
		t.optional = optional
		if optional && (t.kind == tGap) {
			return nil, fmt.Errorf("%q: a gap is already optional", f)
		}
		out = append(out, t)
	}
	if n := len(out); n > 0 && (out[n-1].kind == tGap || out[n-1].optional && n == 1) {
		return nil, fmt.Errorf("cannot end with a gap")
	}
	return out, nil
}

// internAsWritten returns the id of word w matched as written or by typo.
func (m *Matcher) internAsWritten(w string) int32 {
	for _, id := range m.byWord[w] {
		if v := m.vocab[id]; v.written {
			return id
		}
	}
	id := int32(len(m.vocab))
	m.vocab = append(m.vocab, vword{word: w, stem: w, written: true})
	m.byWord[w] = append(m.byWord[w], id)
	m.indexTypos(id, w)
	return id
}

// indexTypos adds the deletions of form to the typo index.
func (m *Matcher) indexTypos(id int32, form string) {
	if !m.typos || len([]rune(form)) < MinTypoLen || numeric(form) {
		return
	}
	for _, del := range deletions(form) {
		m.byDel[del] = appendUnique(m.byDel[del], id)
	}
	m.byDel[form] = appendUnique(m.byDel[form], id)
}

// intern returns the id of word w (exact or by stem), adding it to the
// vocabulary and its indexes.
func (m *Matcher) intern(w string, exact bool) int32 {
	stem := w
	if !exact {
		stem = m.lang.Stem(w)
	}
	for _, id := range m.byWord[w] {
		if v := m.vocab[id]; v.exact == exact && !v.written {
			return id
		}
	}
	id := int32(len(m.vocab))
	m.vocab = append(m.vocab, vword{word: w, stem: stem, exact: exact})
	m.byWord[w] = append(m.byWord[w], id)
	if exact {
		return id
	}
	if stem != w {
		m.byStem[stem] = append(m.byStem[stem], id)
	}
	m.byStem[w] = append(m.byStem[w], id)
	m.indexTypos(id, w)
	if stem != w {
		m.indexTypos(id, stem)
	}
	return id
}

func appendUnique(s []int32, id int32) []int32 {
	for _, v := range s {
		if v == id {
			return s
		}
	}
	return append(s, id)
}

func numeric(w string) bool {
	for _, r := range w {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// deletions returns w with each one of its letters removed.
func deletions(w string) []string {
	r := []rune(w)
	out := make([]string, 0, len(r))
	for i := range r {
		out = append(out, string(r[:i])+string(r[i+1:]))
	}
	return out
}

// hits is what each token of a document matches in a matcher's vocabulary.
type hits struct {
	d   *Doc
	ids [][]int32
}

// annotate finds, for each token of d, the vocabulary words it matches.
func (m *Matcher) annotate(d *Doc) hits {
	h := hits{d: d, ids: make([][]int32, len(d.Tokens))}
	for i, t := range d.Tokens {
		var ids []int32
		add := func(list []int32, word bool) {
			for _, id := range list {
				v := m.vocab[id]
				if (v.exact || v.written) && !word {
					continue
				}
				ids = appendUnique(ids, id)
			}
		}
		add(m.byWord[t.Word], true)
		if t.Kind == KindWord {
			add(m.byStem[t.Stem], false)
			if t.Alt != "" {
				add(m.byWord[t.Alt], true)
				add(m.byStem[t.AltStem], false)
			}
		}
		exact := len(ids) > 0
		// A typo is forgiven only in a word the vocabulary and the flows do
		// not already know: "drunk" listed for one option is never "drink"
		// of another, "noche" is never "coche".
		if m.typos && !exact && t.Kind == KindWord && !m.lang.isNumberWord(t.Word) && !m.lang.known[t.Word] {
			ids = m.typoHits(ids, t.Word)
			if t.Stem != t.Word {
				ids = m.typoHits(ids, t.Stem)
			}
		}
		h.ids[i] = ids
	}
	return h
}

// typoHits adds the vocabulary words one typo away from w.
func (m *Matcher) typoHits(ids []int32, w string) []int32 {
	n := len([]rune(w))
	if n < MinTypoLen-1 {
		return ids
	}
	check := func(cands []int32) {
		for _, id := range cands {
			v := m.vocab[id]
			if Near(v.word, w) || Near(v.stem, w) {
				ids = appendUnique(ids, id)
			}
		}
	}
	check(m.byDel[w])
	r := []rune(w)
	buf := make([]rune, 0, len(r))
	for i := range r {
		buf = append(buf[:0], r[:i]...)
		buf = append(buf, r[i+1:]...)
		check(m.byDel[string(buf)])
	}
	return ids
}

// isNumberWord reports whether w is one of l's number words, which are
// never read as a typo of another word ("three" is not "there").
func (l *Language) isNumberWord(w string) bool {
	_, ok := l.c.numbers[w]
	return ok
}

// Find returns every place a pattern of m is found in d, at most one per
// pattern and starting token, in order of the starting token.
func (m *Matcher) Find(d *Doc) []Match {
	if d.Lang != m.lang {
		d = m.lang.ReadPieces(d.Text, Split(d.Text))
	}
	h := m.annotate(d)
	var out []Match
	tried := map[[2]int]bool{}
	try := func(p, i int) {
		if tried[[2]int{p, i}] {
			return
		}
		tried[[2]int{p, i}] = true
		if end, ok := m.match(h, m.pats[p].seq, 0, i); ok {
			out = append(out, Match{Pattern: p, Name: m.pats[p].name, From: i, To: end})
		}
	}
	for i := range d.Tokens {
		for _, id := range h.ids[i] {
			for _, p := range m.anchors[id] {
				try(p, i)
			}
		}
	}
	if len(m.numbers) > 0 {
		for _, n := range d.Numbers {
			for _, p := range m.numbers {
				try(p, n.From)
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].From != out[b].From {
			return out[a].From < out[b].From
		}
		return out[a].Pattern < out[b].Pattern
	})
	return out
}

// match matches terms s[k:] from token pos and returns where the match
// ends. Fillers between terms are skipped.
func (m *Matcher) match(h hits, s seq, k, pos int) (int, bool) {
	if k == len(s) {
		return pos, true
	}
	t := s[k]
	if t.optional {
		if end, ok := m.matchTerm(h, s, k, pos); ok {
			return end, true
		}
		return m.match(h, s, k+1, pos)
	}
	return m.matchTerm(h, s, k, pos)
}

func (m *Matcher) matchTerm(h hits, s seq, k, pos int) (int, bool) {
	t := s[k]
	toks := h.d.Tokens
	if t.kind == tGap {
		for skip, p := 0, pos; p <= len(toks); p++ {
			if end, ok := m.match(h, s, k+1, p); ok {
				return end, true
			}
			if p < len(toks) && !toks[p].Filler {
				skip++
			}
			if skip > t.n {
				break
			}
		}
		return 0, false
	}
	// Fillers may stand between two terms (not before the first).
	for p := pos; p < len(toks); p++ {
		if end, ok := m.one(h, s, k, p); ok {
			return end, true
		}
		if k == 0 || !toks[p].Filler {
			break
		}
	}
	return 0, false
}

// one matches term k exactly at token p, then the rest.
func (m *Matcher) one(h hits, s seq, k, p int) (int, bool) {
	t := s[k]
	switch t.kind {
	case tAny:
		if p < len(h.d.Tokens) {
			return m.match(h, s, k+1, p+1)
		}
	case tWords:
		if p < len(h.ids) && hasAny(h.ids[p], t.ids) {
			return m.match(h, s, k+1, p+1)
		}
	case tNumber:
		if n, ok := h.d.NumberAt(p); ok && n.Value >= t.min {
			return m.match(h, s, k+1, n.To)
		}
	case tList:
		for _, item := range m.lists[t.list] {
			if end, ok := m.match(h, item, 0, p); ok {
				if end2, ok := m.match(h, s, k+1, end); ok {
					return end2, true
				}
			}
		}
	}
	return 0, false
}

func hasAny(have, want []int32) bool {
	for _, a := range have {
		for _, b := range want {
			if a == b {
				return true
			}
		}
	}
	return false
}
