package text

// Phrase lists of a language ("yes", "no", "hedges", "all", "continue",
// "detect") are compared with a document word by word, after texting
// forms, with no stems and no typos: they are short and exact.

// Lists are the phrase lists a Doc can be compared with.
var Lists = []string{"yes", "no", "hedges", "all", "continue", "detect"}

// Span is a run of tokens, To exclusive.
type Span struct{ From, To int }

// content returns the indexes of d's words and numbers (not emoji or
// symbols), the tokens a phrase list is compared with.
func (d *Doc) content() []int {
	out := make([]int, 0, len(d.Tokens))
	for i, t := range d.Tokens {
		if t.Kind == KindWord || t.Kind == KindNumber {
			out = append(out, i)
		}
	}
	return out
}

// Is reports whether the whole message is one phrase of list in d's
// language ("yes": "yeah", "of course").
func (d *Doc) Is(list string) bool {
	idx := d.content()
	for _, p := range d.Lang.c.lists[list] {
		if len(p) == len(idx) && d.at(idx, 0, p) {
			return true
		}
	}
	return false
}

// StartsWith reports whether the message begins with a phrase of list
// followed by more ("yes but only once").
func (d *Doc) StartsWith(list string) bool {
	idx := d.content()
	for _, p := range d.Lang.c.lists[list] {
		if len(p) < len(idx) && d.at(idx, 0, p) {
			return true
		}
	}
	return false
}

// Find returns every place a phrase of list stands in the message.
func (d *Doc) Find(list string) []Span {
	idx := d.content()
	var out []Span
	for _, p := range d.Lang.c.lists[list] {
		for i := 0; i+len(p) <= len(idx); i++ {
			if d.at(idx, i, p) {
				out = append(out, Span{From: idx[i], To: idx[i+len(p)-1] + 1})
			}
		}
	}
	return out
}

func (d *Doc) at(idx []int, i int, p []string) bool {
	for j, w := range p {
		if d.Tokens[idx[i+j]].Word != w {
			return false
		}
	}
	return true
}

// Prefix returns how many words of the message the longest phrase of list
// it begins with takes, or 0: "i do not" is longer than "i do".
func (d *Doc) Prefix(list string) int {
	idx := d.content()
	best := 0
	for _, p := range d.Lang.c.lists[list] {
		if len(p) <= len(idx) && len(p) > best && d.at(idx, 0, p) {
			best = len(p)
		}
	}
	return best
}

// Content returns the indexes of the tokens that carry content: words
// that are not fillers, numbers and emoji.
func (d *Doc) Content() []int {
	out := make([]int, 0, len(d.Tokens))
	for i, t := range d.Tokens {
		if !t.Filler && t.Kind != KindSymbol {
			out = append(out, i)
		}
	}
	return out
}
