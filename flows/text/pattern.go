package text

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Patterns are written over words as a language reads them:
//
//	kill myself            words in order, side by side (fillers between are skipped)
//	took .. pills          a gap of up to 3 words; ..6 up to 6
//	want to? die           ? makes the word before it optional
//	kill|hurt myself       any one of the words
//	(in the car|alone)     any one of the phrases
//	=od                    exactly this word: no stem, no typo
//	@drugs                 any phrase of a named list
//	*                      any one word
//	#   #5+                a number (written in digits or words); 5 or more
//	took & pills           both parts, in any order, within Within words
//	gonna jump $           $ is the end of the message (emoji may follow)
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
	// bySqueeze holds words with a doubled letter by their form with it
	// single: "pils" is "pills", "kil" is "kill", "wana" is "wanna".
	bySqueeze map[string][]int32
	// longest is the length, in letters, of the longest word in byDel.
	longest int
	// index holds, per list, its items by the words they may begin with,
	// so a list of a hundred drugs is not tried item by item at every word.
	index map[string]*listIndex
	// refs are the lists as terms hold them, so matching a list looks up
	// no name: filled when the list is indexed.
	refs map[string]*listRef
	// scratch keeps Find's working memory between texts.
	scratch sync.Pool

	// anon are the lists made of a pattern's field ("(alone|in the car)",
	// "now|rn"), by the field as written.
	anon map[string]string
	// listStarts and listPairs are the lists by the words their items
	// begin with (see listIndex): at a word, the lists that may match are
	// found at once, not list by list.
	listStarts [][]*listRef // by word
	listPairs  map[[2]int32][]*listRef

	pats    []pattern
	hidden  map[string]int // the parts of "A & B" patterns, as written
	anchors [][]anchor     // by word
	// nAnchors counts the anchors made.
	nAnchors int
	// knowing is set while Know reads a pattern's words.
	knowing bool
	// known remembers what words matched in messages before. The hits
	// are shared: never to be changed.
	known wordCache[[]int32]
	// clauses are the sets of words patterns need (one of each set must
	// be in a text), each once however many patterns need it, by their
	// words written as a key: "@drug" in a hundred patterns is looked
	// for once in a text.
	clauses  [][]int32
	clauseOf map[string]int
	viable   viableIndex
	numbers  []int // patterns that begin with a number
	combos   []combo
	// byFirst holds, per hidden part, the combos it is the first part
	// of: only the combos whose first part was found are tried; byPart
	// the combos it is any part of: a part is looked for only when one of
	// them may match, its other parts' words being in the text too.
	byFirst [][]int
	byPart  [][]int
}

// Within is how many words apart the parts of an "A & B" pattern may be;
// in one sentence, up to Sentence tokens.
const (
	Within   = 12
	Sentence = 40
)

// combo is an "A & B" pattern: its parts are hidden patterns of their own.
type combo struct {
	pattern int   // the pattern it is reported as
	parts   []int // hidden patterns, each of which must be found
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
	// hidden marks a part of an "A & B" pattern: found, never reported.
	hidden bool
	// combo marks an "A & B" pattern: reported when all its parts are.
	combo bool
	// need holds, for each term that must match, the clause (see
	// Matcher.clauses) of the words one of which must be in a text for
	// the pattern to match at all: most patterns are ruled out by that
	// before they are tried word by word.
	need []int
	// number marks a pattern that may begin with a number; numIndex is
	// its place among them.
	number   bool
	numIndex int
}

type seq []term

type termKind uint8

const (
	tWords  termKind = iota // one of ids
	tList                   // any seq of a list
	tAny                    // any one token
	tGap                    // up to n tokens
	tNumber                 // a number of at least min
	tEnd                    // the end of the message
)

type term struct {
	kind     termKind
	ids      []int32
	list     string
	ref      *listRef
	n        int
	min      float64
	optional bool
}

// Match is one place a pattern was found: tokens From to To (exclusive).
type Match struct {
	Pattern  int
	Name     string
	From, To int
	// Parts are where the parts of an "A & B" match stand, [from, to) in
	// the order of the pattern; nil for other patterns.
	Parts [][2]int
}

// NewMatcher starts a matcher for l with named lists of phrases (each a
// pattern without lists). typos says whether words of MinTypoLen letters
// or more may match with one typo.
func (l *Language) NewMatcher(lists map[string][]string, typos bool) (*Matcher, error) {
	m := &Matcher{lang: l, typos: typos, lists: map[string][]seq{}, byWord: map[string][]int32{},
		byStem: map[string][]int32{}, byDel: map[string][]int32{}, bySqueeze: map[string][]int32{}, index: map[string]*listIndex{}, refs: map[string]*listRef{}, anon: map[string]string{}, listPairs: map[[2]int32][]*listRef{}, hidden: map[string]int{}}
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
	for name := range m.lists {
		m.indexList(name)
	}
	return m, nil
}

// Add compiles src and adds it under name; it returns the pattern's index.
func (m *Matcher) Add(name, src string) (int, error) {
	if parts := strings.Split(src, " & "); len(parts) > 1 {
		return m.addCombo(name, src, parts)
	}
	return m.add(name, src, false)
}

// addCombo adds "A & B": each part as a hidden pattern, the whole reported
// when every part is found within Within words. A part written alike in
// several patterns ("@drug & ...") is one hidden pattern, found once.
func (m *Matcher) addCombo(name, src string, parts []string) (int, error) {
	c := combo{}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		i, ok := m.hidden[p]
		if !ok {
			var err error
			if i, err = m.add(name, p, true); err != nil {
				return -1, err
			}
			m.hidden[p] = i
		}
		c.parts = append(c.parts, i)
	}
	c.pattern = len(m.pats)
	m.pats = append(m.pats, pattern{name: name, src: src, combo: true})
	if n := len(m.pats); len(m.byFirst) < n {
		m.byFirst = append(m.byFirst, make([][]int, n-len(m.byFirst))...)
		m.byPart = append(m.byPart, make([][]int, n-len(m.byPart))...)
	}
	m.byFirst[c.parts[0]] = append(m.byFirst[c.parts[0]], len(m.combos))
	m.viable.addCombo(len(m.combos), c.parts)
	for _, p := range c.parts {
		if ps := m.byPart[p]; len(ps) == 0 || ps[len(ps)-1] != len(m.combos) {
			m.byPart[p] = append(ps, len(m.combos))
		}
	}
	m.combos = append(m.combos, c)
	return c.pattern, nil
}

func (m *Matcher) add(name, src string, hidden bool) (int, error) {
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
	var need []int
	for _, t := range s {
		if ids, ok := m.required(t); ok {
			need = append(need, m.clause(ids))
		}
	}
	m.pats = append(m.pats, pattern{name: name, src: src, seq: s, hidden: hidden, need: need})
	m.addViable(i, need)
	for _, id := range m.firstIDs(first) {
		m.addAnchor(id, first.ref, i)
	}
	if m.startsWithNumber(first) {
		m.pats[i].number, m.pats[i].numIndex = true, len(m.numbers)
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
	m.addViable(i, nil)
	for _, id := range s[0].ids {
		m.addAnchor(id, nil, i)
	}
	return i, nil
}

// anchor is the patterns that may begin at a word, by the list they begin
// with (nil for a word): where the list matches nothing, none of them is
// tried. Hundreds of patterns may begin at one word ("my", "no").
type anchor struct {
	list *listRef
	pats []int
	id   int // in the order made, for what Find keeps of it
}

// addAnchor notes that pattern i, beginning with list (nil for a word), may
// begin at vocabulary word id.
func (m *Matcher) addAnchor(id int32, list *listRef, i int) {
	if int(id) >= len(m.anchors) {
		m.anchors = append(m.anchors, make([][]anchor, int(id)+1-len(m.anchors))...)
	}
	as := m.anchors[id]
	for k := range as {
		if as[k].list == list {
			as[k].pats = append(as[k].pats, i)
			return
		}
	}
	m.anchors[id] = append(as, anchor{list: list, pats: []int{i}, id: m.nAnchors})
	m.nAnchors++
}

// Know adds the words of pattern src to the words m knows, as Add would,
// without adding the pattern: a word m knows is matched as written or by
// stem, never as a typo of another word. Matchers that share a text's
// words between them (the danger patterns and the contexts that clear
// them) know each other's words, so that a word is read alike in both.
func (m *Matcher) Know(src string) error {
	m.knowing = true
	defer func() { m.knowing = false }()
	for _, part := range strings.Split(src, " & ") {
		if _, err := m.compile(strings.TrimSpace(part), true); err != nil {
			return err
		}
	}
	return nil
}

// Len returns how many patterns m holds, the hidden parts of "A & B"
// patterns included.
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

// required returns the words one of which a text must have for t to
// match, and false when t may match without any word (optional, a gap, a
// number, or a list with such an item).
func (m *Matcher) required(t term) ([]int32, bool) {
	if t.optional {
		return nil, false
	}
	switch t.kind {
	case tWords:
		return t.ids, len(t.ids) > 0
	case tList:
		var out []int32
		for _, item := range m.lists[t.list] {
			if len(item) == 0 {
				return nil, false
			}
			ids, ok := m.required(item[0])
			if !ok {
				return nil, false
			}
			for _, id := range ids {
				out = appendUnique(out, id)
			}
		}
		return out, len(out) > 0
	}
	return nil, false
}

// clause returns the index of the clause of words ids, made the first
// time.
func (m *Matcher) clause(ids []int32) int {
	key := fmt.Sprint(ids)
	if i, ok := m.clauseOf[key]; ok {
		return i
	}
	if m.clauseOf == nil {
		m.clauseOf = map[string]int{}
	}
	m.clauseOf[key] = len(m.clauses)
	m.viable.addClauseWords(len(m.clauses), ids)
	m.clauses = append(m.clauses, ids)
	return len(m.clauses) - 1
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
	fields, err := fields(src)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		optional := false
		if len(f) > 1 && strings.HasSuffix(f, "?") {
			optional, f = true, strings.TrimSuffix(f, "?")
		}
		var t term
		switch {
		case f == "*":
			t = term{kind: tAny}
		case f == "$":
			t = term{kind: tEnd}
		case strings.HasPrefix(f, "(") && strings.HasSuffix(f, ")"):
			// "(in the car|alone)": phrases, a list of their own.
			alts := strings.Split(strings.ReplaceAll(f[1:len(f)-1], "\x00", " "), "|")
			inline, err := m.phraseList(f, alts, withLists)
			if err != nil {
				return nil, err
			}
			t = term{kind: tList, list: inline, ref: m.ref(inline)}
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
		case strings.HasPrefix(f, "@") && !strings.Contains(f, "|"):
			if !withLists {
				return nil, fmt.Errorf("%q: a list item cannot name a list", f)
			}
			name := f[1:]
			if _, ok := m.lists[name]; !ok {
				return nil, fmt.Errorf("%q: no list named %s%s", f, name, DidYouMean(name, sortedNames(m.lists)))
			}
			t = term{kind: tList, list: name, ref: m.ref(name)}
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
			if inline, ok, err := m.inlineList(f, alts, withLists); err != nil {
				return nil, err
			} else if ok {
				// "now|rn|@when": a list of its own, since a texting form
				// may stand for several words.
				t = term{kind: tList, list: inline, ref: m.ref(inline)}
				break
			}
			for _, alt := range alts {
				exact := strings.HasPrefix(alt, "=")
				alt = strings.TrimPrefix(alt, "=")
				ws := m.lang.c.expand(words(alt))
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
	for i, t := range out {
		if t.kind == tEnd && (i != len(out)-1 || i == 0) {
			return nil, fmt.Errorf("$ must end the pattern, after a word")
		}
	}
	return out, nil
}

// fields splits a pattern into its fields, a parenthesised group of
// phrases being one field (its spaces kept as \x00).
func fields(src string) ([]string, error) {
	var out []string
	var b strings.Builder
	depth := 0
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range src {
		switch {
		case r == '(':
			if depth > 0 {
				return nil, fmt.Errorf("%q: groups do not nest", strings.ReplaceAll(b.String(), "\x00", " "))
			}
			depth++
			b.WriteRune(r)
		case r == ')':
			if depth == 0 {
				return nil, fmt.Errorf("%q: ) without (", b.String()+")")
			}
			depth--
			b.WriteRune(r)
		case r == ' ' && depth > 0:
			b.WriteString("\x00")
		case r == ' ' || r == '\t':
			flush()
		default:
			b.WriteRune(r)
		}
	}
	if depth > 0 {
		return nil, fmt.Errorf("%q: ( without )", strings.ReplaceAll(b.String(), "\x00", " "))
	}
	flush()
	return out, nil
}

// phraseList makes the phrases of group f a list of their own and returns
// its name. A phrase is words ("=word" exactly) or a list.
func (m *Matcher) phraseList(f string, alts []string, withLists bool) (string, error) {
	if name, ok := m.anon[f]; ok {
		return name, nil
	}
	var seqs []seq
	for _, a := range alts {
		a = strings.TrimSpace(a)
		if a == "" {
			return "", fmt.Errorf("%q: an empty phrase", f)
		}
		var sq seq
		for _, w := range strings.Fields(a) {
			if strings.HasPrefix(w, "@") {
				if !withLists {
					return "", fmt.Errorf("%q: a list item cannot name a list", f)
				}
				if _, ok := m.lists[w[1:]]; !ok {
					return "", fmt.Errorf("%q: no list named %s%s", f, w[1:], DidYouMean(w[1:], sortedNames(m.lists)))
				}
				sq = append(sq, term{kind: tList, list: w[1:], ref: m.ref(w[1:])})
				continue
			}
			exact := strings.HasPrefix(w, "=")
			ws := m.lang.c.expand(words(strings.TrimPrefix(w, "=")))
			if len(ws) == 0 {
				return "", fmt.Errorf("%q: %q has no word the language reads", f, w)
			}
			for _, x := range ws {
				sq = append(sq, term{kind: tWords, ids: []int32{m.intern(x, exact)}})
			}
		}
		seqs = append(seqs, sq)
	}
	return m.anonList(f, seqs), nil
}

// anonList adds seqs, written as field f, as a list of their own, indexed,
// and returns its name. A field written alike in several patterns is one
// list, matched once at a token for all of them.
func (m *Matcher) anonList(f string, seqs []seq) string {
	if m.knowing {
		return "" // its words are known; the list is not needed
	}
	name := fmt.Sprintf("|%d", len(m.lists))
	m.lists[name] = seqs
	m.indexList(name)
	m.anon[f] = name
	return name
}

// internAsWritten returns the id of word w matched as written or by typo.
func (m *Matcher) internAsWritten(w string) int32 {
	for _, id := range m.byWord[w] {
		if v := m.vocab[id]; v.written {
			return id
		}
	}
	id := int32(len(m.vocab))
	m.known.forget()
	m.vocab = append(m.vocab, vword{word: w, stem: w, written: true})
	m.byWord[w] = append(m.byWord[w], id)
	m.indexTypos(id, w)
	return id
}

// indexTypos adds the deletions of form to the typo index, and its
// squeezed form when it has a doubled letter.
func (m *Matcher) indexTypos(id int32, form string) {
	if !m.typos || numeric(form) {
		return
	}
	if sq := squeeze(form); sq != form && len([]rune(sq)) >= 3 {
		m.bySqueeze[sq] = appendUnique(m.bySqueeze[sq], id)
	}
	if len([]rune(form)) < MinTypoLen {
		return
	}
	m.longest = max(m.longest, utf8.RuneCountInString(form))
	for _, del := range deletions(form) {
		m.byDel[del] = appendUnique(m.byDel[del], id)
	}
	m.byDel[form] = appendUnique(m.byDel[form], id)
}

// inlineList makes the alternatives of field f a list of their own when one
// of them is a list or stands for several words ("rn" for "right now"),
// and returns its name; ok is false when plain alternatives will do.
func (m *Matcher) inlineList(f string, alts []string, withLists bool) (string, bool, error) {
	plain := true
	for _, a := range alts {
		a = strings.TrimPrefix(a, "=")
		if strings.HasPrefix(a, "@") || len(m.lang.c.expand(words(a))) != 1 {
			plain = false
		}
	}
	if plain {
		return "", false, nil
	}
	if name, ok := m.anon[f]; ok {
		return name, true, nil
	}
	var seqs []seq
	for _, a := range alts {
		if strings.HasPrefix(a, "@") {
			if !withLists {
				return "", false, fmt.Errorf("%q: a list item cannot name a list", f)
			}
			if _, ok := m.lists[a[1:]]; !ok {
				return "", false, fmt.Errorf("%q: no list named %s", f, a[1:])
			}
			seqs = append(seqs, seq{term{kind: tList, list: a[1:], ref: m.ref(a[1:])}})
			continue
		}
		exact := strings.HasPrefix(a, "=")
		ws := m.lang.c.expand(words(strings.TrimPrefix(a, "=")))
		if len(ws) == 0 {
			return "", false, fmt.Errorf("%q: %q has no word the language reads", f, a)
		}
		var sq seq
		for _, w := range ws {
			sq = append(sq, term{kind: tWords, ids: []int32{m.intern(w, exact)}})
		}
		seqs = append(seqs, sq)
	}
	return m.anonList(f, seqs), true, nil
}

// intern returns the id of word w (exact or by stem), adding it to the
// vocabulary and its indexes.
func (m *Matcher) intern(w string, exact bool) int32 {
	stem := w
	if !exact {
		stem = m.lang.Stem(w)
		if len([]rune(stem)) < 4 && len([]rune(w))-len([]rune(stem)) >= 3 {
			// "tirado" stems to "tir", as does English "tired": a stem cut
			// that short matches only the word as written.
			exact, stem = true, w
		}
	}
	for _, id := range m.byWord[w] {
		if v := m.vocab[id]; v.exact == exact && !v.written {
			return id
		}
	}
	id := int32(len(m.vocab))
	m.known.forget()
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
	// lists keeps where the lists tried at each token end; fill is where
	// the fillers stand.
	lists *listMemo
	fill  *fillers
}

// annotate finds, for each token of d, the vocabulary words it matches.
func (m *Matcher) annotate(d *Doc) hits {
	h := hits{d: d, ids: make([][]int32, len(d.Tokens))}
	var typos typoMemo
	for i, t := range d.Tokens {
		if t.Kind != KindWord {
			h.ids[i] = m.byWord[t.Word]
			continue
		}
		// What a word matches depends on the word alone: it is looked up
		// once, then remembered across messages.
		if ids, ok := m.known.get(t.Word); ok {
			h.ids[i] = ids
			continue
		}
		ids := m.wordHits(&typos, t)
		m.known.put(t.Word, ids)
		h.ids[i] = ids
	}
	return h
}

// wordHits returns the vocabulary words the word token t matches: as
// written or by stem, or, when it matches none, by a typo.
func (m *Matcher) wordHits(typos *typoMemo, t Token) []int32 {
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
	add(m.byStem[t.Stem], false)
	if t.Alt != "" {
		add(m.byWord[t.Alt], true)
		add(m.byStem[t.AltStem], false)
	}
	// A typo is forgiven only in a word the vocabulary and the flows do
	// not already know: "drunk" listed for one option is never "drink"
	// of another, "noche" is never "coche".
	if m.typos && len(ids) == 0 {
		ids = m.typoTokenHits(typos, t)
	}
	return slices.Clip(ids)
}

// typoMemo keeps, for one document, the typo hits of each distinct word,
// so that a word written a thousand times is looked up once.
type typoMemo map[[2]string][]int32

// typoTokenHits returns the vocabulary words the word token t is one typo
// away from, as written, stemmed or with a doubled letter squeezed. The
// hits are shared by every token of the same word: they are not to be
// changed.
func (m *Matcher) typoTokenHits(memo *typoMemo, t Token) []int32 {
	key := [2]string{t.Word, t.Stem}
	if ids, ok := (*memo)[key]; ok {
		return ids
	}
	var ids []int32
	if !m.lang.isNumberWord(t.Word) && m.lang.typoSafe(t.Word) {
		ids = m.typoHits(ids, t.Word)
		if t.Stem != t.Word {
			ids = m.typoHits(ids, t.Stem)
		}
		for _, id := range m.bySqueeze[t.Word] {
			ids = appendUnique(ids, id)
		}
	}
	if *memo == nil {
		*memo = typoMemo{}
	}
	(*memo)[key] = ids
	return ids
}

// typoHits adds the vocabulary words one typo away from w. A word more
// than one letter longer than the longest word the typo index holds is a
// typo of none, and is not looked up: a "word" of a thousand letters would
// cost a thousand lookups of a thousand letters each.
func (m *Matcher) typoHits(ids []int32, w string) []int32 {
	n := utf8.RuneCountInString(w)
	if n < MinTypoLen-1 || n > m.longest+1 {
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
	if probes != nil {
		probes.Letters += len(r) * (len(r) + 1)
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
	sc, _ := m.scratch.Get().(*findScratch)
	if sc == nil || len(sc.stamp) != len(m.pats) || len(sc.fill.bits) != (len(m.vocab)+63)/64 || len(sc.anchor) != m.nAnchors {
		sc = &findScratch{fill: fillers{bits: make([]uint64, (len(m.vocab)+63)/64)}, stamp: make([]int32, len(m.pats)),
			combos: partSet{slot: make([]int32, len(m.pats))}, anchor: make([]uint8, m.nAnchors)}
	}
	sc.v.size(m)
	defer func() {
		clear(sc.anchor)
		clear(sc.stamp)
		m.scratch.Put(sc)
	}()
	h := m.annotate(d)
	sc.lists.reset(len(m.refs))
	h.lists = &sc.lists
	sc.fill.read(h)
	defer sc.fill.reset()
	h.fill = &sc.fill
	sent := sentences(d)
	var out []Match
	// stamp is the token a pattern was last tried at, plus one.
	stamp := sc.stamp
	// tried holds, per pattern that may begin with a number, the tokens it
	// was tried at from a word, in order, so that it is not tried there
	// again from a number.
	tried := sc.tried
	if len(tried) < len(m.numbers) {
		tried = append(tried, make([][]int32, len(m.numbers)-len(tried))...)
	}
	tried = tried[:len(m.numbers)]
	for k := range tried {
		tried[k] = tried[k][:0]
	}
	sc.tried = tried
	parts := sc.parts[:0]
	m.markViable(&sc.v, h.ids)
	defer sc.v.reset()
	viable := sc.v.viable
	isViable := func(p int) bool { return viable[p] == 1 }
	// anyViable reports whether one of the patterns of anchor a may
	// match: the list they begin with is matched only then. What it
	// finds is kept for the document in sc.anchor: 1 yes, 2 no.
	anchorOK := sc.anchor
	anyViable := func(a *anchor) bool {
		if anchorOK[a.id] == 0 {
			anchorOK[a.id] = 2
			for _, p := range a.pats {
				if isViable(p) {
					anchorOK[a.id] = 1
					break
				}
			}
		}
		return anchorOK[a.id] == 1
	}
	try := func(p, i int) {
		if !isViable(p) {
			return
		}
		if stamp[p] == int32(i)+1 {
			return
		}
		stamp[p] = int32(i) + 1
		if probes != nil {
			probes.Attempts++
		}
		// A pattern's words stand in one sentence: "she was only 24.
		// fentanyl." is no number of pills.
		end, ok := m.match(h, m.pats[p].seq, 0, i)
		switch {
		case !ok || sent[i] != sent[max(i, end-1)]:
		case m.pats[p].hidden:
			parts = append(parts, partFound{pattern: p, span: [2]int{i, end}})
		default:
			out = append(out, Match{Pattern: p, Name: m.pats[p].name, From: i, To: end})
		}
	}
	for i := range d.Tokens {
		marked := false
		for _, id := range h.ids[i] {
			if int(id) >= len(m.anchors) {
				continue
			}
			as := m.anchors[id]
			for k := range as {
				a := &as[k]
				if !anyViable(a) {
					continue
				}
				if a.list != nil {
					if !marked {
						m.markLists(h, i)
						marked = true
					}
					if !h.lists.mayMatch(a.list, i, h.fill) || len(m.listEnds(h, a.list, i)) == 0 {
						continue
					}
				}
				for _, p := range a.pats {
					try(p, i)
					if pat := &m.pats[p]; pat.number && stamp[p] == int32(i)+1 {
						tried[pat.numIndex] = append(tried[pat.numIndex], int32(i))
					}
				}
			}
		}
	}
	if len(m.numbers) > 0 && len(d.Numbers) > 0 {
		at := make([]int, len(m.numbers)) // how far each of tried is read
		for _, n := range d.Numbers {
			for k, p := range m.numbers {
				t := tried[k]
				for at[k] < len(t) && int(t[at[k]]) < n.From {
					at[k]++
				}
				if at[k] == len(t) || int(t[at[k]]) != n.From {
					try(p, n.From)
				}
			}
		}
	}
	out = m.combine(out, parts, sent, &sc.combos)
	sc.parts = parts[:0]
	slices.SortStableFunc(out, func(a, b Match) int {
		if a.From != b.From {
			return a.From - b.From
		}
		return a.Pattern - b.Pattern
	})
	return out
}

// combine adds to found each "A & B" pattern whose parts were all found
// within Near words of each other; ps is where to keep the parts.
func (m *Matcher) combine(found []Match, parts []partFound, sentence []int, ps *partSet) []Match {
	if len(parts) == 0 {
		return found
	}
	ps.fill(parts)
	defer ps.reset()
	// Only a combo whose first part was found can match: those are tried,
	// each once, since a combo has one first part.
	cands := ps.cands[:0]
	for _, p := range ps.used {
		cands = append(cands, m.byFirst[p]...)
	}
	slices.Sort(cands)
	ps.cands = cands
	var buf [8][2]int
combos:
	for _, ci := range cands {
		c := m.combos[ci]
		for _, p := range c.parts[1:] {
			if ps.get(p) == nil {
				continue combos
			}
		}
		where := buf[:0]
		if len(c.parts) > len(buf) {
			where = make([][2]int, 0, len(c.parts))
		}
		where = where[:len(c.parts)]
		if span, ok := m.together(c.parts, ps, where, sentence); ok {
			found = append(found, Match{Pattern: c.pattern, Name: m.pats[c.pattern].name, From: span[0], To: span[1], Parts: slices.Clone(where)})
		}
	}
	return found
}

// together finds one match of each part, all within Within words or in one
// sentence of at most Sentence words, and returns the span they cover;
// where gets where each part stands. sentence holds the sentence of each
// token. Parts are tried in the order they were found, the first of them
// that fits winning; after the first part only those that start within
// reach of the span so far can fit, and only they are tried.
func (m *Matcher) together(parts []int, byPattern *partSet, where [][2]int, sentence []int) ([2]int, bool) {
	var walk func(k, from, to int) ([2]int, bool)
	walk = func(k, from, to int) ([2]int, bool) {
		if k == len(parts) {
			return [2]int{from, to}, true
		}
		pm := byPattern.get(parts[k])
		try := func(f [2]int) ([2]int, bool) {
			if probes != nil {
				probes.Combined++
			}
			lo, hi := f[0], f[1]
			if k > 0 {
				lo, hi = min(lo, from), max(hi, to)
			}
			if hi-lo > Within+4 && (hi-lo > Sentence || sentence[lo] != sentence[hi-1]) {
				return [2]int{}, false
			}
			if span, ok := walk(k+1, lo, hi); ok {
				where[k] = f
				return span, true
			}
			return [2]int{}, false
		}
		if k == 0 {
			for _, f := range pm.found {
				if span, ok := try(f); ok {
					return span, true
				}
			}
			return [2]int{}, false
		}
		var buf [2 * reach]int
		for _, i := range pm.starting(to-reach, from+reach, buf[:0]) {
			if span, ok := try(pm.found[i]); ok {
				return span, true
			}
		}
		return [2]int{}, false
	}
	return walk(0, 0, 0)
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
	if t.kind == tEnd {
		if h.fill.last >= pos {
			return 0, false
		}
		return len(toks), true
	}
	if t.kind == tGap {
		// After a filler the rest is tried again at the next token, unless
		// it cannot tell a filler from the token after the fillers.
		blind := m.blind(h, s, k+1)
		for skip, p := 0, pos; p <= len(toks); {
			if end, ok := m.match(h, s, k+1, p); ok {
				return end, true
			}
			switch {
			case p == len(toks):
				return 0, false
			case !toks[p].Filler:
				if skip++; skip > t.n {
					return 0, false
				}
				p++
			case blind:
				p = int(h.fill.next[p])
			default:
				p++
			}
		}
		return 0, false
	}
	// Fillers may stand between two terms (not before the first): when the
	// term cannot match a filler, only the token after them is tried.
	if k > 0 && !m.atFiller(h, t) {
		if q := int(h.fill.next[pos]); q < len(toks) {
			return m.one(h, s, k, q)
		}
		return 0, false
	}
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

// atFiller reports whether term t (a word, list, number or any word) may
// match at a filler of h's document.
func (m *Matcher) atFiller(h hits, t term) bool {
	switch t.kind {
	case tWords:
		for _, id := range t.ids {
			if h.fill.has(id) {
				return true
			}
		}
		return false
	case tList:
		return h.lists.atFiller(t.ref, h.fill)
	case tNumber:
		return h.fill.number
	}
	return true
}

// blind reports whether matching terms s[k:] (k > 0) from a filler ends
// as matching them from the first token after the fillers does: no term
// that must be tried there can match a filler.
func (m *Matcher) blind(h hits, s seq, k int) bool {
	if k == len(s) {
		return false // the match ends where it is tried
	}
	t := s[k]
	ok := false
	switch t.kind {
	case tEnd:
		ok = true
	case tGap:
		ok = m.blind(h, s, k+1)
	default:
		ok = !m.atFiller(h, t)
	}
	if t.optional {
		ok = ok && m.blind(h, s, k+1)
	}
	return ok
}

// one matches term k exactly at token p, then the rest.
func (m *Matcher) one(h hits, s seq, k, p int) (int, bool) {
	t := s[k]
	if probes != nil {
		probes.Steps++
	}
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
		for _, end := range m.listEnds(h, t.ref, p) {
			if end2, ok := m.match(h, s, k+1, end); ok {
				return end2, true
			}
		}
	}
	return 0, false
}

// listEnds returns where the items of list r that match at token p end,
// in the order of the list, each end once: the rest of a pattern is tried
// after each in turn, and after an end that failed it would fail again.
func (m *Matcher) listEnds(h hits, r *listRef, p int) []int {
	if ends, ok := h.lists.get(r, p); ok {
		return ends
	}
	// The candidates stand on the memo's stack, above those of the lists
	// being matched around this one.
	lm := h.lists
	from := len(lm.stack)
	lm.stack = r.ix.candidates(h, p, lm.stack)
	to := len(lm.stack)
	var endBuf [8]int
	ends := endBuf[:0]
	for c := from; c < to; c++ {
		if end, ok := m.match(h, r.items[lm.stack[c]], 0, p); ok && !slices.Contains(ends, end) {
			ends = append(ends, end)
		}
	}
	lm.stack = lm.stack[:from]
	// Kept only once found: the items may hold lists of their own, kept
	// meanwhile.
	return h.lists.put(r, p, ends)
}

// listIndex is a list's items by the words they may begin with; rest are
// the items that begin otherwise (a number, an optional word).
type listIndex struct {
	byID map[int32][]int
	rest []int
	// first holds the items again by their first word, those that begin
	// with two words ("me quiero matar", as most do) by their second too,
	// so that at "me" only the items whose second word follows are
	// tried; seconds are the words such items may have second.
	first   map[int32]*firstItems
	seconds map[int32]bool
}

// firstItems are the items of a list that begin with one word: in words
// those whose second term is not one word, in pairs the others, by their
// second word.
type firstItems struct {
	words []int
	pairs []pairItems
}

// pairItems are the items of a list that begin with a word and then
// second.
type pairItems struct {
	second int32
	items  []int
}

// of returns the items that begin with word id, made when first asked.
func (ix *listIndex) of(id int32) *firstItems {
	fi := ix.first[id]
	if fi == nil {
		fi = &firstItems{}
		ix.first[id] = fi
	}
	return fi
}

// addPair adds item i, beginning with word first and then second.
func (ix *listIndex) addPair(first, second int32, i int) {
	fi := ix.of(first)
	ix.seconds[second] = true
	for k := range fi.pairs {
		if fi.pairs[k].second == second {
			fi.pairs[k].items = appendItem(fi.pairs[k].items, i)
			return
		}
	}
	fi.pairs = append(fi.pairs, pairItems{second: second, items: []int{i}})
}

// indexList indexes list name; call it once its items are compiled.
func (m *Matcher) indexList(name string) {
	ix := &listIndex{byID: map[int32][]int{}, first: map[int32]*firstItems{}, seconds: map[int32]bool{}}
	for i, item := range m.lists[name] {
		var ids []int32
		if len(item) > 0 && !item[0].optional {
			ids = m.firstIDs(item[0])
		}
		if len(ids) == 0 {
			ix.rest = append(ix.rest, i)
			continue
		}
		if inner := item[0].ref; item[0].kind == tList && inner != nil && inner.ix != nil {
			ix.nest(i, inner.ix)
			continue
		}
		pair := len(item) > 1 && item[0].kind == tWords && item[1].kind == tWords && !item[1].optional
		for _, id := range ids {
			ix.byID[id] = appendItem(ix.byID[id], i)
			if !pair {
				fi := ix.of(id)
				fi.words = appendItem(fi.words, i)
				continue
			}
			for _, second := range item[1].ids {
				ix.addPair(id, second, i)
			}
		}
	}
	m.index[name] = ix
	r := m.ref(name)
	r.items, r.ix = m.lists[name], ix
	for id, fi := range ix.first {
		if len(fi.words) > 0 {
			if int(id) >= len(m.listStarts) {
				m.listStarts = append(m.listStarts, make([][]*listRef, int(id)+1-len(m.listStarts))...)
			}
			m.listStarts[id] = append(m.listStarts[id], r)
		}
		for _, pi := range fi.pairs {
			m.listPairs[[2]int32{id, pi.second}] = append(m.listPairs[[2]int32{id, pi.second}], r)
		}
	}
}

// nest indexes item i, which begins with a list indexed as inner ("(kid|
// @little)"), by the words the items of inner begin with: it is tried only
// where one of them may match. When inner has items that begin with no
// word ("#6+"), it is tried wherever one of its words stands.
func (ix *listIndex) nest(i int, inner *listIndex) {
	for id := range inner.byID {
		ix.byID[id] = appendItem(ix.byID[id], i)
		if len(inner.rest) > 0 {
			fi := ix.of(id)
			fi.words = appendItem(fi.words, i)
		}
	}
	if len(inner.rest) > 0 {
		return
	}
	for id, in := range inner.first {
		if len(in.words) > 0 {
			fi := ix.of(id)
			fi.words = appendItem(fi.words, i)
		}
		for _, pi := range in.pairs {
			ix.addPair(id, pi.second, i)
		}
	}
}

// appendItem appends item i to items, which end with the items before it,
// once.
func appendItem(items []int, i int) []int {
	if len(items) == 0 || items[len(items)-1] != i {
		items = append(items, i)
	}
	return items
}

// findScratch is what Find works in, kept for the next text.
type findScratch struct {
	present []uint64
	viable  []uint8
	stamp   []int32
	lists   listMemo
	fill    fillers
	parts   []partFound
	tried   [][]int32
	// v is which patterns may match (see markViable); combos where the
	// parts of "A & B" patterns were found.
	v      viableScratch
	combos partSet
	// anchor is, per anchor, whether one of its patterns may match.
	anchor []uint8
}

// listRef is a list as a term matches it: its items and their index.
type listRef struct {
	id    int // in the order made
	items []seq
	ix    *listIndex
}

// ref returns the one listRef of list name, to be filled when it is indexed.
func (m *Matcher) ref(name string) *listRef {
	r := m.refs[name]
	if r == nil {
		r = &listRef{id: len(m.refs)}
		m.refs[name] = r
	}
	return r
}

// candidates appends to buf, in list order and once each, the items that
// may match at token p.
func (ix *listIndex) candidates(h hits, p int, buf []int) []int {
	from := len(buf)
	buf = append(buf, ix.rest...)
	if p < len(h.ids) {
		// The second word of an item that begins with two stands right
		// after the fillers that follow the first, or is one of them.
		var next []int32
		if q := h.fill.next[p+1]; int(q) < len(h.ids) {
			next = h.ids[q]
		}
		for _, id := range h.ids[p] {
			fi := ix.first[id]
			if fi == nil {
				continue
			}
			buf = append(buf, fi.words...)
			for _, pi := range fi.pairs {
				if slices.Contains(next, pi.second) || h.fill.has(pi.second) {
					buf = append(buf, pi.items...)
				}
			}
		}
	}
	if len(buf)-from > 1 {
		slices.Sort(buf[from:])
		buf = buf[:from+len(slices.Compact(buf[from:]))]
	}
	return buf
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

// squeeze returns w with each run of one letter written once.
func squeeze(w string) string {
	var b strings.Builder
	var last rune = -1
	for _, r := range w {
		if r != last {
			b.WriteRune(r)
		}
		last = r
	}
	return b.String()
}

// sentences returns, for each token of d, the number of sentence breaks
// (. ! ? or a new line) before it; a dot inside a word or a number ("2.5",
// "a.fib") breaks nothing.
func sentences(d *Doc) []int {
	out := make([]int, len(d.Tokens))
	n, at := 0, 0
	for i, t := range d.Tokens {
		for ; at < t.From && at < len(d.Text); at++ {
			switch c := d.Text[at]; c {
			case '!', '?', '\n':
				n++
			case '.':
				if at+1 >= len(d.Text) || d.Text[at+1] == ' ' || d.Text[at+1] == '\n' {
					n++
				}
			}
		}
		if at < t.To {
			at = t.To
		}
		out[i] = n
	}
	return out
}
