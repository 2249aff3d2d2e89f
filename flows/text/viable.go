package text

// Before a pattern is tried word by word, Find rules out every pattern
// one of whose needed words is missing from the text, at once: the words
// of the text name the clauses they satisfy (a clause is a set of words
// one of which must be there, "@drug" or "took|swallowed"), and a pattern
// is looked at only when its key clause, the one of its clauses least
// likely to be in a text, is satisfied; it may match when every other
// clause of it is too. The work grows with the words of the text and the
// patterns keyed by them, not with the number of patterns: a message with
// no word of danger rules out nearly every pattern by reading its words
// once, and a word like "my" or "is", which many patterns need, is the key
// of few.

// viableIndex is what a Matcher keeps for ruling patterns out.
type viableIndex struct {
	// byWord holds, per vocabulary word, the clauses it satisfies; keyed,
	// per clause, the patterns it is the key clause of.
	byWord [][]int32
	keyed  [][]int32
	// free are the patterns that need no word.
	free []int32
	// parts, per combo, how many distinct parts it has.
	parts []uint8
}

// addClauseWords notes that the words of clause c satisfy it.
func (x *viableIndex) addClauseWords(c int, ids []int32) {
	for _, id := range ids {
		if int(id) >= len(x.byWord) {
			x.byWord = append(x.byWord, make([][]int32, int(id)+1-len(x.byWord))...)
		}
		x.byWord[id] = append(x.byWord[id], int32(c))
	}
	for len(x.keyed) <= c {
		x.keyed = append(x.keyed, nil)
	}
}

// addViable notes that pattern p needs clauses need, keying it by the
// one least likely to be in a text.
func (m *Matcher) addViable(p int, need []int) {
	x := &m.viable
	if len(need) == 0 {
		x.free = append(x.free, int32(p))
		return
	}
	key, cost := need[0], -1
	for _, c := range need {
		if k := m.clauseCost(c); cost < 0 || k < cost {
			key, cost = c, k
		}
	}
	x.keyed[key] = append(x.keyed[key], int32(p))
}

// clauseCost is how likely clause c is to be in a text, roughly: each of
// its words counts, a short word or a filler ("my", "is", "the", "de")
// fifty times.
func (m *Matcher) clauseCost(c int) int {
	n := 0
	for _, id := range m.clauses[c] {
		w := m.vocab[id].word
		if len(w) <= 3 || m.lang.Is(WordFillers, w) || m.lang.Is(WordNegation, w) {
			n += 50
		} else {
			n++
		}
	}
	return n
}

// addCombo notes that combo ci has parts.
func (x *viableIndex) addCombo(ci int, parts []int) {
	n := 0
	for k, p := range parts {
		dup := false
		for _, q := range parts[:k] {
			dup = dup || p == q
		}
		if !dup {
			n++
		}
	}
	for len(x.parts) <= ci {
		x.parts = append(x.parts, 0)
	}
	x.parts[ci] = uint8(n)
}

// viableScratch is what Find works out, per document, of the patterns
// that may match: viable is 1 for a pattern that may, 0 for one ruled
// out.
type viableScratch struct {
	sat    []bool  // per clause
	combo  []uint8 // per combo: its parts whose words are all there
	viable []uint8 // per pattern
	// clauses are the clauses satisfied, in the order found.
	clauses []int32
}

// size readies s for m's patterns.
func (s *viableScratch) size(m *Matcher) {
	if len(s.viable) != len(m.pats) || len(s.sat) != len(m.clauses) || len(s.combo) != len(m.combos) {
		*s = viableScratch{sat: make([]bool, len(m.clauses)), combo: make([]uint8, len(m.combos)), viable: make([]uint8, len(m.pats))}
	}
}

// reset empties s for the next document.
func (s *viableScratch) reset() {
	for _, c := range s.clauses {
		s.sat[c] = false
	}
	s.clauses = s.clauses[:0]
	clear(s.combo)
	clear(s.viable)
}

// markViable marks, in s, the patterns of m that may match the text whose
// tokens match the vocabulary words ids: those whose every needed clause
// is satisfied, and, for a part of "A & B" patterns, which stands in a
// combo whose every part is.
func (m *Matcher) markViable(s *viableScratch, ids [][]int32) {
	x := &m.viable
	for _, tok := range ids {
		for _, id := range tok {
			if int(id) >= len(x.byWord) {
				continue
			}
			for _, c := range x.byWord[id] {
				if !s.sat[c] {
					s.sat[c] = true
					s.clauses = append(s.clauses, c)
				}
			}
		}
	}
	for _, p := range x.free {
		m.needMet(s, int(p))
	}
	for _, c := range s.clauses {
		for _, p := range x.keyed[c] {
			if s.allSat(m.pats[p].need) {
				m.needMet(s, int(p))
			}
		}
	}
}

// allSat reports whether every clause of need is satisfied.
func (s *viableScratch) allSat(need []int) bool {
	for _, c := range need {
		if !s.sat[c] {
			return false
		}
	}
	return true
}

// needMet marks pattern p, whose needed words are all in the text, as one
// that may match; a part of "A & B" patterns only once a combo of it has
// every part so.
func (m *Matcher) needMet(s *viableScratch, p int) {
	if !m.pats[p].hidden {
		s.viable[p] = 1
		return
	}
	for _, ci := range m.byPart[p] {
		if s.combo[ci]++; s.combo[ci] == m.viable.parts[ci] {
			for _, q := range m.combos[ci].parts {
				s.viable[q] = 1
			}
		}
	}
}
