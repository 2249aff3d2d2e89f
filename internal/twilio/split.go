package twilio

import "strings"

// Split cuts s into messages that each fit (a channel's own limits): at
// sentence ends when it can, else, for one endless sentence, at the last
// space that fits.
func Split(s string, fits func(string) bool) []string {
	s = strings.TrimSpace(s)
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
			head, tail := cutToFit(strings.TrimSpace(cur), fits)
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

func cutToFit(s string, fits func(string) bool) (string, string) {
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
