package flows

import "strings"

// The GSM 03.38 default alphabet and its extension table. A message made only
// of these is sent in 7-bit GSM encoding; one other character turns the whole
// message into UCS-2, which fits less than half as much in a segment.
const (
	gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Ext = "^{}\\[~]|€\f"
)

var gsm7Table = func() map[rune]int {
	m := map[rune]int{}
	for _, r := range gsm7Basic {
		m[r] = 1
	}
	for _, r := range gsm7Ext {
		m[r] = 2
	}
	return m
}()

// gsm7Cost returns how many septets r takes in GSM-7, or 0 if it has no GSM-7 form.
func gsm7Cost(r rune) int {
	if r < 0x80 && r >= ' ' && r != '`' && r != '^' && r != '{' && r != '}' && r != '\\' && r != '[' && r != ']' && r != '~' && r != '|' {
		return 1
	}
	return gsm7Table[r]
}

// NonGSM7 returns the first character of s that GSM-7 cannot carry, or "".
func NonGSM7(s string) string {
	for _, r := range s {
		if gsm7Cost(r) == 0 {
			return string(r)
		}
	}
	return ""
}

// Segments returns how many SMS segments s takes, counted as carriers split
// a long message: 160 GSM-7 septets in one, 153 a segment when split; 70
// UCS-2 code units in one, 67 a segment when split. A character that takes
// two units (a GSM-7 extension character such as { or €, escape and all, or
// a UTF-16 surrogate pair such as an emoji) is never cut across a boundary:
// when only one unit is left in a segment it starts the next one, and the
// unit left over is wasted.
func Segments(s string) int {
	if s == "" {
		return 0
	}
	single, per := 160, 153
	cost := gsm7Cost
	if !GSM7(s) {
		single, per, cost = 70, 67, utf16Units
	}
	total := 0
	for _, r := range s {
		total += cost(r)
	}
	if total <= single {
		return 1
	}
	n, used := 1, 0
	for _, r := range s {
		c := cost(r)
		if used+c > per {
			n, used = n+1, 0
		}
		used += c
	}
	return n
}

// utf16Units returns how many UCS-2 (UTF-16) code units r takes.
func utf16Units(r rune) int {
	if r > 0xFFFF {
		return 2
	}
	return 1
}

// GSM7 reports whether s can be sent in GSM-7.
func GSM7(s string) bool { return NonGSM7(s) == "" }

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
	if GSM7(s) {
		return s
	}
	s = translit.Replace(s)
	if GSM7(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if GSM7(string(r)) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
