package text

// MinTypoLen is the shortest word in which a typo is forgiven: in shorter
// words one letter makes another word too easily ("weed", "meth", "pot").
const MinTypoLen = 5

// Distance is the Damerau-Levenshtein distance between a and b in runes, in
// its optimal string alignment form: an insertion, a deletion, a
// substitution or a swap of two neighbouring letters counts as one edit
// ("seziure" is one edit from "seizure").
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows suffice: the swap looks two rows back.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// Near reports whether typed is word or one typo away from it. A typo is
// forgiven only when word has at least MinTypoLen letters; shorter words
// must match exactly.
func Near(word, typed string) bool {
	if word == typed {
		return true
	}
	n := len([]rune(word))
	if n < MinTypoLen {
		return false
	}
	if d := len([]rune(typed)) - n; d > 1 || d < -1 {
		return false
	}
	return Distance(word, typed) <= 1
}
