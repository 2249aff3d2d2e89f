package text

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Token is one word, number, emoji or symbol of a message as a language
// reads it.
type Token struct {
	// Word is the word folded and after texting forms: "want" and "to"
	// for "wanna", "not" for the second half of "dont".
	Word string
	// Stem is Word's stem in the language ("drink" for "drinking").
	Stem string
	// Alt is a second reading, the word with a dropped g restored
	// ("cutting" for "cuttin"), and AltStem its stem; "" when none.
	Alt, AltStem string
	// From and To are the byte offsets in the message of what was written.
	From, To int
	Kind     Kind
	// Clause counts clause breaks and contrast words before the token.
	Clause int
	// Neg marks a negation word; Negated a token in a negation's scope.
	Neg, Negated bool
	// Contrast marks a contrast word ("but").
	Contrast bool
	// Filler marks a word that carries no content ("the", "um", "option").
	Filler bool
}

// Number is a number read from a message: from digits ("20", "1.5") or
// words ("three", "a couple", "treinta y cinco").
type Number struct {
	Value float64
	// From and To are the tokens it spans, To exclusive.
	From, To int
	// Words is set when it was written in words.
	Words bool
	// Vague marks a number word that is not exact ("a few"); Lo and Hi
	// are the range it may mean.
	Vague  bool
	Lo, Hi float64
	// Approx marks a number written as an approximation ("about 8", "3ish").
	Approx bool
}

// Doc is a message as one language reads it.
type Doc struct {
	Text    string
	Lang    *Language
	Tokens  []Token
	Numbers []Number
}

// Read reads s in l. l must be compiled.
func (l *Language) Read(s string) *Doc { return l.ReadPieces(s, Split(s)) }

// ReadPieces reads a message already split, so that one split serves
// every language a message is read in.
func (l *Language) ReadPieces(s string, pieces []Piece) *Doc {
	c := l.c
	d := &Doc{Text: s, Lang: l, Tokens: make([]Token, 0, len(pieces)+2)}
	for _, p := range pieces {
		if p.Kind != KindWord {
			d.Tokens = append(d.Tokens, Token{Word: p.Text, Stem: p.Text, From: p.From, To: p.To, Kind: p.Kind, Clause: p.Clause})
			continue
		}
		if exp, ok := c.form(p.Text); ok {
			for _, w := range exp {
				d.Tokens = append(d.Tokens, l.word(w, p))
			}
			continue
		}
		if mixed(p.Text) {
			parts := cutDigits(p)
			d.Tokens = slices.Grow(d.Tokens, len(parts))
			for _, part := range parts {
				if part.Kind == KindNumber {
					d.Tokens = append(d.Tokens, Token{Word: part.Text, Stem: part.Text, From: p.From, To: p.To, Kind: KindNumber, Clause: p.Clause})
					continue
				}
				if exp, ok := c.form(part.Text); ok {
					for _, w := range exp {
						d.Tokens = append(d.Tokens, l.word(w, p))
					}
					continue
				}
				d.Tokens = append(d.Tokens, l.word(part.Text, p))
			}
			continue
		}
		d.Tokens = append(d.Tokens, l.word(strings.ReplaceAll(p.Text, "'", ""), p))
	}
	d.mark()
	d.readNumbers()
	return d
}

// form returns the texting form of w as written, or without its
// apostrophes ("don't" and "dont" alike).
func (c *compiled) form(w string) ([]string, bool) {
	if exp, ok := c.forms[w]; ok {
		return exp, true
	}
	if strings.Contains(w, "'") {
		exp, ok := c.forms[strings.ReplaceAll(w, "'", "")]
		return exp, ok
	}
	return nil, false
}

// word makes the token for word w written at p.
func (l *Language) word(w string, p Piece) Token {
	kind := KindWord
	if isDecimal(w) {
		kind = KindNumber
	}
	t := Token{Word: w, Stem: w, From: p.From, To: p.To, Kind: kind, Clause: p.Clause}
	if kind != KindWord {
		return t
	}
	t.Stem = l.Stem(w)
	if l.DroppedG && len(w) >= 4 && strings.HasSuffix(w, "in") {
		t.Alt = w + "g"
		t.AltStem = l.Stem(t.Alt)
	}
	return t
}

// mark sets the filler, contrast and negation marks, and the scope of each
// negation.
func (d *Doc) mark() {
	c := d.Lang.c
	shift := 0
	for i := range d.Tokens {
		t := &d.Tokens[i]
		t.Clause += shift
		if t.Kind != KindWord {
			continue
		}
		t.Filler = c.fillers[t.Word]
		t.Neg = c.negation[t.Word]
		if c.contrast[t.Word] {
			t.Contrast = true
			shift++
			t.Clause++
		}
	}
	// A negation that ends a short clause of its own negates the words
	// before it ("drogas no", "alcohol no, weed yes"): no other negation in
	// the clause, at most two words before it.
	for i := range d.Tokens {
		t := d.Tokens[i]
		if !t.Neg || i == 0 || i+1 < len(d.Tokens) && d.Tokens[i+1].Clause == t.Clause {
			continue
		}
		var before []int
		other := false
		for j := i - 1; j >= 0 && d.Tokens[j].Clause == t.Clause; j-- {
			switch {
			case d.Tokens[j].Neg:
				other = true
			case !d.Tokens[j].Filler:
				before = append(before, j)
			}
		}
		if other || len(before) == 0 || len(before) > 2 {
			continue
		}
		for _, j := range before {
			d.Tokens[j].Negated = true
		}
	}
	open, count, clause := false, 0, 0
	for i := range d.Tokens {
		t := &d.Tokens[i]
		if t.Neg {
			open, count, clause = true, 0, t.Clause
			continue
		}
		if !open {
			continue
		}
		switch {
		case t.Clause != clause || t.Contrast || c.clause[t.Word] || c.release[t.Word]:
			open = false
			continue
		case c.or[t.Word]:
			count = 0
			continue
		}
		t.Negated = true
		if !t.Filler && t.Kind != KindEmoji {
			count++
			if count >= MaxScope {
				open = false
			}
		}
	}
}

// readNumbers finds the numbers in d.
func (d *Doc) readNumbers() {
	c := d.Lang.c
	toks := d.Tokens
	for i := 0; i < len(toks); {
		t := toks[i]
		if t.Kind == KindNumber {
			v, err := strconv.ParseFloat(t.Word, 64)
			if err == nil {
				d.Numbers = append(d.Numbers, Number{Value: v, From: i, To: i + 1})
			}
			i++
			continue
		}
		if t.Kind != KindWord {
			i++
			continue
		}
		n, ok := c.numberAt(toks, i)
		if !ok {
			i++
			continue
		}
		d.Numbers = append(d.Numbers, n)
		i = n.To
	}
	var buf []byte
	for k := range d.Numbers {
		n := &d.Numbers[k]
		if n.Words {
			buf = phrase(buf[:0], toks[n.From:n.To])
			if r, ok := c.vague[string(buf)]; ok {
				n.Vague, n.Lo, n.Hi = true, r[0], r[1]
			}
		}
		n.Approx = c.approxBefore(toks, n.From, &buf) || (n.To < len(toks) && c.approx[toks[n.To].Word])
	}
}

// phrase appends to buf the words of toks joined by spaces: a phrase as
// the sets of phrases hold it, made without a string for each number of a
// message that may hold hundreds.
func phrase(buf []byte, toks []Token) []byte {
	for k, t := range toks {
		if k > 0 {
			buf = append(buf, ' ')
		}
		buf = append(buf, t.Word...)
	}
	return buf
}

// numberAt reads a number written in words starting at token i: the
// longest number phrase, or a single number word, then tens and units
// ("twenty five", "treinta y cinco").
func (c *compiled) numberAt(toks []Token, i int) (Number, bool) {
	for _, p := range c.numPhr {
		if i+len(p.words) > len(toks) {
			continue
		}
		ok := true
		for j, w := range p.words {
			if toks[i+j].Word != w {
				ok = false
				break
			}
		}
		if ok {
			return Number{Value: p.value, From: i, To: i + len(p.words), Words: true}, true
		}
	}
	v, ok := c.numbers[toks[i].Word]
	if !ok {
		return Number{}, false
	}
	n := Number{Value: v, From: i, To: i + 1, Words: true}
	if v >= 20 && v < 100 && v == float64(int(v/10))*10 {
		j := i + 1
		if j < len(toks) && c.join[toks[j].Word] {
			j++
		}
		if j < len(toks) {
			if u, ok := c.numbers[toks[j].Word]; ok && u >= 1 && u <= 9 && u == float64(int(u)) {
				n.Value, n.To = v+u, j+1
			}
		}
	}
	return n, true
}

// number reads ws as one whole number word or phrase.
func (c *compiled) number(ws []string) (float64, bool) {
	if len(ws) == 1 {
		v, ok := c.numbers[ws[0]]
		return v, ok
	}
	for _, p := range c.numPhr {
		if strings.Join(p.words, " ") == strings.Join(ws, " ") {
			return p.value, true
		}
	}
	return 0, false
}

// approxBefore reports whether an approximation phrase ends right before
// token i (fillers between are skipped); buf is room to build phrases in.
func (c *compiled) approxBefore(toks []Token, i int, buf *[]byte) bool {
	end := i
	for end > 0 && toks[end-1].Filler && !c.approx[toks[end-1].Word] {
		end--
	}
	for n := 1; n <= 3 && end-n >= 0; n++ {
		*buf = phrase((*buf)[:0], toks[end-n:end])
		if c.approx[string(*buf)] {
			return true
		}
	}
	return false
}

// Words returns the words of d in order, fillers included.
func (d *Doc) Words() []string {
	out := make([]string, 0, len(d.Tokens))
	for _, t := range d.Tokens {
		out = append(out, t.Word)
	}
	return out
}

// Norm returns the words of d joined by single spaces: the message as a
// keyword or a whole-message answer is compared.
func (d *Doc) Norm() string { return strings.Join(d.Words(), " ") }

// Empty reports whether d has no words, numbers or emoji.
func (d *Doc) Empty() bool { return len(d.Tokens) == 0 }

// NumberAt returns the number that starts at token i. Numbers are read in
// order and never overlap, so it is found by halves: patterns ask at every
// token of a message that may hold hundreds of numbers.
func (d *Doc) NumberAt(i int) (Number, bool) {
	k := sort.Search(len(d.Numbers), func(k int) bool { return d.Numbers[k].From >= i })
	if k < len(d.Numbers) && d.Numbers[k].From == i {
		return d.Numbers[k], true
	}
	return Number{}, false
}
