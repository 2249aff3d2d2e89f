package text

import (
	"sort"
	"strconv"
)

// Phrase lists of a language ("yes", "no", "hedges", "all", "continue",
// "detect") are compared with a document word by word, after texting
// forms, with no stems and no typos: they are short and exact.

// List names a phrase list of the language files. Only the lists declared
// below exist, and code names them by these variables, never by a string:
// a misspelt list does not compile, where a misspelt string matched nothing.
type List struct{ name string }

func (l List) String() string { return l.name }

// The phrase lists a Doc can be compared with, as the language files name
// them.
var (
	ListYes         = List{"yes"}
	ListNo          = List{"no"}
	ListHedges      = List{"hedges"}
	ListAll         = List{"all"}
	ListContinue    = List{"continue"}
	ListDetect      = List{"detect"}
	ListRanges      = List{"ranges"}
	ListBetween     = List{"between"}
	ListMore        = List{"more"}
	ListLess        = List{"less"}
	ListPer         = List{"per"}
	ListEvery       = List{"every"}
	ListPronouns    = List{"pronouns"}
	ListOthers      = List{"others"}
	ListSelf        = List{"self"}
	ListPossessives = List{"possessives"}
	ListQuestions   = List{"questions"}
	ListAlso        = List{"also"}
	ListUnsure      = List{"unsure"}
	ListAnd         = List{"and"}
	ListPast        = List{"past"}
	ListNotNow      = List{"not_now"}
	ListApprox      = List{"approx"}
)

// Lists are every phrase list, in the order the language files give them.
var Lists = []List{ListYes, ListNo, ListHedges, ListAll, ListContinue, ListDetect, ListRanges, ListBetween, ListMore, ListLess, ListPer, ListEvery, ListPronouns, ListOthers, ListSelf, ListPossessives, ListQuestions, ListAlso, ListUnsure, ListAnd, ListPast, ListNotNow, ListApprox}

// WordList names a list of single words of the language files, which
// Language.Is asks about one word.
type WordList struct{ name string }

// The word lists Language.Is knows.
var (
	WordNegation = WordList{"negation"}
	WordContrast = WordList{"contrast"}
	WordClause   = WordList{"clause"}
	WordFillers  = WordList{"fillers"}
	WordTimes    = WordList{"times"}
	WordApprox   = WordList{"approx"}
	WordOr       = WordList{"or"}
)

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
func (d *Doc) Is(list List) bool {
	idx := d.content()
	for _, p := range d.Lang.c.lists[list.name] {
		if len(p) == len(idx) && d.at(idx, 0, p) {
			return true
		}
	}
	return false
}

// StartsWith reports whether the message begins with a phrase of list
// followed by more ("yes but only once").
func (d *Doc) StartsWith(list List) bool {
	idx := d.content()
	for _, p := range d.Lang.c.lists[list.name] {
		if len(p) < len(idx) && d.at(idx, 0, p) {
			return true
		}
	}
	return false
}

// Find returns every place a phrase of list stands in the message.
func (d *Doc) Find(list List) []Span {
	idx := d.content()
	var out []Span
	for _, p := range d.Lang.c.lists[list.name] {
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
// Fillers before it are set aside: "honestly yes", "la verdad si".
func (d *Doc) Prefix(list List) int {
	idx := d.content()
	best := 0
	for start := 0; start < len(idx); start++ {
		for _, p := range d.Lang.c.lists[list.name] {
			if start+len(p) <= len(idx) && start+len(p) > best && d.at(idx, start, p) {
				best = start + len(p)
			}
		}
		if !d.Tokens[idx[start]].Filler {
			break
		}
	}
	return best
}

// Suffix returns how many words the longest phrase of list the message
// ends with takes, when it stands alone in its clause ("gracias a dios,
// no"; "honestly no"), or 0.
func (d *Doc) Suffix(list List) int {
	idx := d.content()
	best := 0
	for _, p := range d.Lang.c.lists[list.name] {
		start := len(idx) - len(p)
		if start <= 0 || len(p) <= best || !d.at(idx, start, p) {
			continue
		}
		// Only a word that ends the message and follows a clause break or
		// fillers: "gracias a dios no", not "i do not know".
		prev := d.Tokens[idx[start-1]]
		if prev.Clause != d.Tokens[idx[start]].Clause || prev.Filler || d.Lang.c.polite != nil && d.At(ListYes, idx[start-1]) == 0 && prev.Kind == KindWord && isPolite(d, idx[start-1]) {
			best = len(p)
		}
	}
	return best
}

func isPolite(d *Doc, i int) bool {
	for _, p := range d.Lang.c.polite {
		if len(p) == 1 && d.Tokens[i].Word == p[0] {
			return true
		}
	}
	return false
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

// At returns how many tokens the longest phrase of list starting at token
// i takes (fillers inside the message are not skipped), or 0.
func (d *Doc) At(list List, i int) int {
	best := 0
	for _, p := range d.Lang.c.lists[list.name] {
		if len(p) > best && d.matchAt(i, p) {
			best = len(p)
		}
	}
	return best
}

// EndsAt returns how many tokens the longest phrase of list ending right
// before token i takes, or 0.
func (d *Doc) EndsAt(list List, i int) int {
	best := 0
	for _, p := range d.Lang.c.lists[list.name] {
		if len(p) > best && i-len(p) >= 0 && d.matchAt(i-len(p), p) {
			best = len(p)
		}
	}
	return best
}

func (d *Doc) matchAt(i int, p []string) bool {
	if i < 0 || i+len(p) > len(d.Tokens) {
		return false
	}
	for j, w := range p {
		if d.Tokens[i+j].Word != w {
			return false
		}
	}
	return true
}

// OftenHit is a frequency phrase of the language found in a message.
type OftenHit struct {
	Rate     Rate
	From, To int
}

// Frequencies returns the language's frequency phrases in d ("every other day",
// "weeknds" with its typo), the longest where two overlap.
func (l *Language) Frequencies(d *Doc) []OftenHit {
	if l.c == nil || l.c.oftenM == nil {
		return nil
	}
	var all []OftenHit
	for _, m := range l.c.oftenM.Find(d) {
		i, _ := strconv.Atoi(m.Name)
		all = append(all, OftenHit{Rate: l.c.often[i].rate, From: m.From, To: m.To})
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].From != all[j].From {
			return all[i].From < all[j].From
		}
		return all[i].To-all[i].From > all[j].To-all[j].From
	})
	var out []OftenHit
	end := -1
	for _, o := range all {
		if o.From >= end {
			out = append(out, o)
			end = o.To
			continue
		}
		// Overlapping: keep the longer.
		if last := &out[len(out)-1]; o.To-o.From > last.To-last.From {
			*last = o
			end = o.To
		}
	}
	return out
}

// Weekday returns the number of the weekday token i names, or 0.
func (d *Doc) Weekday(i int) int { return d.Lang.c.weekdays[d.Tokens[i].Word] }
