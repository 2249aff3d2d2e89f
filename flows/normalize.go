package flows

import (
	"regexp"
	"strings"
	"unicode"
)

var fold = strings.NewReplacer(
	"á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ü", "u", "ñ", "n",
	"à", "a", "è", "e", "ì", "i", "ò", "o", "ù", "u", "ç", "c",
	"’", "", "'", "", "‘", "", "`", "",
)

// Normalize prepares text for matching: lower case, accents folded,
// apostrophes dropped, every other mark a space, spaces collapsed. "I'm
// NOT ok…" becomes "im not ok".
func Normalize(s string) string {
	s = fold.Replace(strings.ToLower(s))
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
			continue
		}
		if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// PhrasePattern turns a phrase of the crisis file into a regular expression
// over normalized text: whole words, "*" for any one word.
func PhrasePattern(phrase string) string {
	words := strings.Fields(phrase)
	parts := make([]string, 0, len(words))
	for _, w := range words {
		if w == "*" {
			parts = append(parts, `\S+`)
			continue
		}
		parts = append(parts, regexp.QuoteMeta(Normalize(w)))
	}
	return `\b` + strings.Join(parts, ` `) + `\b`
}
