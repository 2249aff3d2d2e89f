package sms

import (
	"strings"
	"unicode/utf8"

	"helpline/flows"
	"helpline/internal/twilio"
)

// Limits of one outgoing message.
const (
	// MaxBody is Twilio's limit for one message body.
	MaxBody = twilio.MaxBody
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
		out = append(out, twilio.Split(r, fits)...)
	}
	return out
}

// fits reports whether s is within one message's limits.
func fits(s string) bool {
	return flows.Segments(s) <= MaxSegments && utf8.RuneCountInString(s) <= MaxBody
}
