package text

import "strings"

// Keyword returns the name of the keyword d is (see KeywordNames), or "".
// A keyword is the whole message, or the whole message once polite words
// before and after it are set aside ("please stop", "stop it now"): never a
// keyword found inside a sentence, so "he won't leave me alone" and "i cant
// stop drinking" are not STOP. Keywords match exactly, never by typo or
// stem: "cancer" is not "cancel".
func (l *Language) Keyword(d *Doc) string {
	c := l.c
	ws := make([]string, 0, len(d.Tokens))
	for _, t := range d.Tokens {
		if t.Kind == KindWord || t.Kind == KindNumber {
			ws = append(ws, t.Word)
		}
	}
	for {
		// Polite words are set aside one at a time, so a long message is
		// compared only once it is as short as a keyword.
		if len(ws) <= c.keywordLen {
			if name, ok := c.keywords[strings.Join(ws, " ")]; ok {
				return name
			}
		}
		trimmed := false
		for _, p := range c.polite {
			if len(p) < len(ws) && equalWords(ws[:len(p)], p) {
				ws, trimmed = ws[len(p):], true
				break
			}
			if len(p) < len(ws) && equalWords(ws[len(ws)-len(p):], p) {
				ws, trimmed = ws[:len(ws)-len(p)], true
				break
			}
		}
		if !trimmed {
			return ""
		}
	}
}

// HasKeyword reports whether l defines any phrase for keyword name.
func (l *Language) HasKeyword(name string) bool {
	for _, n := range l.c.keywords {
		if n == name {
			return true
		}
	}
	return false
}

func equalWords(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
