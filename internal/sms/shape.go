package sms

import (
	"strings"
	"unicode/utf8"

	"helpline/flows"
)

// Limits of one outgoing message.
const (
	// MaxBody is Twilio's limit for one message body.
	MaxBody = 1600
	// MaxSegments is the most one message may take; longer ones are split.
	MaxSegments = flows.SummarySegments
)

// translit maps characters outside GSM-7 to their closest GSM-7 form.
// Accented capitals and lower-case letters that GSM-7 lacks lose their
// accent; typographic punctuation becomes plain.
var translit = strings.NewReplacer(
	"‘", "'", "’", "'", "‚", "'", "‛", "'", "“", `"`, "”", `"`, "„", `"`, "«", `"`, "»", `"`,
	"–", "-", "—", "-", "‒", "-", "−", "-", "…", "...", "•", "-", "·", "-",
	"\u00a0", " ", "\u2009", " ", "\u200b", "",
	"á", "a", "í", "i", "ó", "o", "ú", "u", "â", "a", "ê", "e", "î", "i", "ô", "o", "û", "u",
	"ã", "a", "õ", "o", "ë", "e", "ï", "i", "ç", "c", "ý", "y", "ÿ", "y",
	"Á", "A", "À", "A", "Â", "A", "Ã", "A", "Í", "I", "Ì", "I", "Î", "I", "Ó", "O", "Ò", "O", "Ô", "O", "Õ", "O",
	"Ú", "U", "Ù", "U", "Û", "U", "È", "E", "Ê", "E", "Ë", "E", "Ï", "I", "Ý", "Y",
)

// Transliterate returns s with every character outside GSM-7 replaced by
// its closest GSM-7 form, or dropped when it has none (emoji).
func Transliterate(s string) string {
	if flows.GSM7(s) {
		return s
	}
	s = translit.Replace(s)
	if flows.GSM7(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if flows.GSM7(string(r)) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Shape makes replies fit SMS: GSM-7 unless unicode is set, and no message
// over MaxSegments segments or MaxBody characters; a longer one is split at
// sentence boundaries (or, for one endless sentence, at spaces).
func Shape(replies []string, unicode bool) []string {
	out := make([]string, 0, len(replies))
	for _, r := range replies {
		if !unicode {
			r = Transliterate(r)
		}
		out = append(out, split(strings.TrimSpace(r))...)
	}
	return out
}

// fits reports whether s is within one message's limits.
func fits(s string) bool {
	return flows.Segments(s) <= MaxSegments && utf8.RuneCountInString(s) <= MaxBody
}

func split(s string) []string {
	if fits(s) {
		return []string{s}
	}
	var out []string
	cur := ""
	for _, piece := range pieces(s) {
		next := cur + piece
		if cur != "" && !fits(strings.TrimSpace(next)) {
			out = append(out, strings.TrimSpace(cur))
			next = piece
		}
		cur = next
		for !fits(strings.TrimSpace(cur)) {
			// One piece alone is too long: cut it at the last space that fits.
			head, tail := cutToFit(strings.TrimSpace(cur))
			out = append(out, head)
			cur = tail
		}
	}
	if strings.TrimSpace(cur) != "" {
		out = append(out, strings.TrimSpace(cur))
	}
	return out
}

// pieces splits s after each sentence end (". ", "? ", "! ", newline).
func pieces(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		end := s[i] == '\n' || ((s[i] == '.' || s[i] == '?' || s[i] == '!') && i+1 < len(s) && s[i+1] == ' ')
		if end {
			out = append(out, s[start:i+1])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func cutToFit(s string) (string, string) {
	runes := []rune(s)
	lo, hi := 1, len(runes)
	for lo < hi { // the longest prefix that fits
		mid := (lo + hi + 1) / 2
		if fits(string(runes[:mid])) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	head := string(runes[:lo])
	if i := strings.LastIndexByte(head, ' '); i > len(head)/2 {
		head = head[:i]
	}
	return strings.TrimSpace(head), strings.TrimSpace(string(runes[len([]rune(head)):]))
}
