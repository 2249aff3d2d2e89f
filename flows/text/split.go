package text

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// A Piece is one word, number, emoji or symbol of a message as written,
// before any language reads it.
type Piece struct {
	Text string // folded: lower case, accents removed
	// From and To are its byte offsets in the message.
	From, To int
	Kind     Kind
	// Clause counts the clause breaks (. , ; : ! ? and new lines) before it.
	Clause int
}

// Kind says what a token is.
type Kind uint8

// Kinds of token.
const (
	KindWord   Kind = iota
	KindNumber      // digits, maybe with a decimal point ("2", "1.5")
	KindEmoji       // one pictograph: 💊, 😭
	KindSymbol      // "-" between two numbers (a range), "+" after one ("10+")
)

// folders remove every combining mark after compatibility decomposition,
// so á, ã, â, ê, õ, ä, ç and fullwidth letters all fold to plain ones. A
// chain keeps state between calls, so each call takes its own.
var folders = sync.Pool{New: func() any {
	return transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

// letters that decomposition leaves alone.
var special = strings.NewReplacer("ß", "ss", "æ", "ae", "œ", "oe", "ø", "o", "ł", "l", "đ", "d", "ı", "i", "ð", "d", "þ", "th")

// Fold lower-cases s and removes its accents: "Mañana ÉXITO" is "manana exito".
func Fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	f := folders.Get().(transform.Transformer)
	out, _, err := transform.String(f, strings.ToLower(s))
	folders.Put(f)
	if err != nil {
		out = strings.ToLower(s)
	}
	return special.Replace(out)
}

// Split cuts a message into pieces: words (letters, digits and the
// apostrophes and abbreviation dots inside them), emoji, and the symbols
// that matter between numbers. Everything else separates pieces, and
// sentence punctuation also starts a new clause.
func Split(s string) []Piece {
	var out []Piece
	clause := 0
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case wordRune(r):
			j := wordEnd(s, i)
			out = appendWord(out, s, i, j, clause)
			i = j
			continue
		case isEmoji(r):
			out = append(out, Piece{Text: string(r), From: i, To: i + size, Kind: KindEmoji, Clause: clause})
		case r == '-' || r == '–' || r == '—' || r == '~':
			// "3-4": a range. Anywhere else a dash separates words.
			if len(out) > 0 && out[len(out)-1].Kind == KindNumber && out[len(out)-1].To == i && i+size < len(s) && isDigit(s[i+size]) {
				out = append(out, Piece{Text: "-", From: i, To: i + size, Kind: KindSymbol, Clause: clause})
			} else if r != '-' && r != '~' {
				clause++ // a long dash breaks a clause like a comma
			}
		case r == '+':
			if len(out) > 0 && out[len(out)-1].Kind == KindNumber {
				out = append(out, Piece{Text: "+", From: i, To: i + size, Kind: KindSymbol, Clause: clause})
			}
		case clauseBreak(r):
			clause++
		}
		i += size
	}
	return joinSuffixes(out, s)
}

func wordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func clauseBreak(r rune) bool {
	switch r {
	case '.', ',', ';', ':', '!', '?', '\n', '¿', '¡', '(', ')', '…':
		return true
	}
	return false
}

func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == '‘' || r == '`' || r == 'ʼ' }

// wordEnd returns where the word starting at i ends: letters and digits,
// an apostrophe between letters ("don't", "od'd"), a dot between single
// letters ("o.d."), a decimal point between digits ("1.5").
func wordEnd(s string, i int) int {
	j := i
	// single says whether s[i:j] is letters separated by dots, one at a
	// time ("o", "o.d"), as in an abbreviation; run counts the letters
	// since the last dot. Both are kept as j grows, not read again at
	// every dot.
	run, single := 0, true
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		in := wordRune(r)
		if !in && j+size < len(s) {
			next, _ := utf8.DecodeRuneInString(s[j+size:])
			prev, _ := utf8.DecodeLastRuneInString(s[i:j])
			switch {
			case isApostrophe(r) && unicode.IsLetter(prev) && unicode.IsLetter(next):
				in = true
			case r == '.' && unicode.IsDigit(prev) && unicode.IsDigit(next):
				in = true
			case r == '.' && unicode.IsLetter(prev) && unicode.IsLetter(next) && single && singleAfter(s[j+size:]):
				in = true
			}
		}
		if !in {
			break
		}
		j += size
		if r == '.' {
			run = 0
		} else if run++; run > 1 {
			single = false
		}
	}
	// "o.d." keeps its last dot as part of the abbreviation, and "o.d.'d"
	// its ending.
	if j < len(s) && s[j] == '.' && strings.Contains(s[i:j], ".") {
		j++
		if j < len(s) {
			if r, size := utf8.DecodeRuneInString(s[j:]); isApostrophe(r) && j+size < len(s) {
				if next, _ := utf8.DecodeRuneInString(s[j+size:]); unicode.IsLetter(next) {
					k := j + size
					for k < len(s) {
						r, n := utf8.DecodeRuneInString(s[k:])
						if !unicode.IsLetter(r) {
							break
						}
						k += n
					}
					j = k
				}
			}
		}
	}
	return j
}

// singleAfter reports whether the text after a dot continues with one
// letter and then no other letter ("d." or "d" at the end, "d'd").
func singleAfter(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	if !unicode.IsLetter(r) {
		return false
	}
	next, _ := utf8.DecodeRuneInString(s[size:])
	return !unicode.IsLetter(next)
}

// appendWord adds the word s[i:j], folded, as one piece, or as a number and
// a word where digits and letters meet ("800mg", "3ish", "12pk").
func appendWord(out []Piece, s string, i, j, clause int) []Piece {
	w := Fold(s[i:j])
	w = strings.Map(func(r rune) rune {
		if isApostrophe(r) {
			return '\''
		}
		return r
	}, w)
	if strings.Contains(w, ".") && !isDecimal(w) {
		w = strings.ReplaceAll(w, ".", "") // "o.d." is "od"
	}
	if w == "" {
		return out
	}
	// Digits and letters side by side are cut apart, unless the whole is
	// a texting form the language knows ("b4", "2day"), which it reads later.
	if mixed(w) {
		out = append(out, Piece{Text: w, From: i, To: j, Kind: KindWord, Clause: clause})
		return out
	}
	kind := KindWord
	if isDecimal(w) {
		kind = KindNumber
	}
	return append(out, Piece{Text: w, From: i, To: j, Kind: kind, Clause: clause})
}

// mixed reports whether w has both digits and letters.
func mixed(w string) bool {
	d, l := false, false
	for _, r := range w {
		if unicode.IsDigit(r) {
			d = true
		} else if unicode.IsLetter(r) {
			l = true
		}
	}
	return d && l
}

// cutDigits splits a mixed word where digits and letters meet: "800mg" is
// "800" and "mg", "3ish" is "3" and "ish".
func cutDigits(p Piece) []Piece {
	var out []Piece
	start := 0
	w := p.Text
	for k, r := range w {
		if k == 0 {
			continue
		}
		prev, _ := utf8.DecodeLastRuneInString(w[:k])
		if unicode.IsDigit(prev) != unicode.IsDigit(r) && r != '.' && prev != '.' {
			out = append(out, piece(p, w[start:k]))
			start = k
		}
	}
	return append(out, piece(p, w[start:]))
}

func piece(p Piece, w string) Piece {
	kind := KindWord
	if isDecimal(w) {
		kind = KindNumber
	}
	return Piece{Text: w, From: p.From, To: p.To, Kind: kind, Clause: p.Clause}
}

func isDecimal(w string) bool {
	if w == "" || w[0] == '.' || w[len(w)-1] == '.' {
		return false
	}
	dots := 0
	for _, r := range w {
		switch {
		case r == '.':
			dots++
		case r < '0' || r > '9':
			return false
		}
	}
	return dots <= 1
}

// joinSuffixes joins a word cut by a hyphen from its ending ("od-ing",
// "od-ed"): the ending alone means nothing.
func joinSuffixes(ps []Piece, s string) []Piece {
	out := ps[:0]
	for _, p := range ps {
		if n := len(out); n > 0 && p.Kind == KindWord && out[n-1].Kind == KindWord && p.From == out[n-1].To+1 && s[out[n-1].To] == '-' {
			switch p.Text {
			case "ing", "in", "ed", "d", "s":
				out[n-1].Text += p.Text
				out[n-1].To = p.To
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

// isEmoji reports whether r is a pictograph worth keeping as a token.
// Modifiers, joiners and variation selectors are not: they only change how
// the one before looks.
func isEmoji(r rune) bool {
	switch {
	case r == 0x200D || r == 0xFE0F || r == 0xFE0E || (r >= 0x1F3FB && r <= 0x1F3FF):
		return false
	case r >= 0x1F000 && r <= 0x1FAFF, r >= 0x2600 && r <= 0x27BF, r >= 0x2B00 && r <= 0x2BFF:
		return true
	case r == 0x2764 || r == 0x2639 || r == 0x263A:
		return true
	}
	return unicode.Is(unicode.So, r)
}
