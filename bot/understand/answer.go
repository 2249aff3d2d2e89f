package understand

import (
	"fmt"
	"slices"
	"sort"

	"helpline/flows"
	"helpline/flows/text"
)

// Each step kind reads answers with its own parser, in its own file
// (choice.go, multi.go, yesno.go, scale.go, count.go, frequency.go); they
// share what is below: the message as the text layer reads it, the
// options found in it, negation and contrast.

// Result says what a parser made of a message.
type Result int

const (
	AskAgain Result = iota // it fits nothing: ask again, saying what fits
	Answered               // one answer, value
	Clarify                // it fits two or more options: ask which
)

func (r Result) String() string {
	switch r {
	case Answered:
		return "answered"
	case Clarify:
		return "clarify"
	}
	return "ask_again"
}

// Values returns a reading's values: the options of a checklist, or the
// one value of another step.
func (r Reading) Values() []string { return flows.Values(r.Value) }

// Reading is what a parser made of a message.
type Reading struct {
	Result Result
	// Value is the answer: an option Value, "yes"/"no", a point of a
	// scale, or option values joined by commas for a multi step.
	Value string
	// Cands are the values a clarify offers, in the step's order; keep are
	// the values of a multi step already certain, kept through it.
	Cands []string
	Keep  []string
	// Confirm marks a clarify of a checklist that is likely as read but
	// weighs too much to take unasked ("all of them" to a list with "none"
	// or a court order): Cands are what was read, shown to be confirmed.
	Confirm bool
	// Not are the options of a checklist named only in a negation ("no
	// car"), said back with what was taken.
	Not []string
}

func Answer(v string) Reading { return Reading{Result: Answered, Value: v} }

// ask returns a clarify among cands (one candidate is an answer; none is
// ask again).
func ask(st *flows.Step, cands ...string) Reading {
	cands = inOrder(st, cands)
	switch len(cands) {
	case 0:
		return Reading{}
	case 1:
		return Answer(cands[0])
	}
	return Reading{Result: Clarify, Cands: cands}
}

// input is what a parser reads: the step, the message, and the message as
// the conversation's language reads it.
type input struct {
	flow *flows.Flow
	step *flows.Step
	lang string
	msg  *Message
	d    *text.Doc
	// strict is set when a text is read for a step other than the one
	// asked ("my son drinks every day" for who and how often): only plain
	// mentions count, never a bare number or a pronoun.
	strict bool
	// why collects what was found, for flows try.
	why *[]string
	// other is set when the texter answers about someone else: a hedged no
	// about another person is their no ("no, not that i know of").
	other bool
}

// because notes what a parser found, for flows try.
func (in *input) because(format string, args ...any) {
	if in.why != nil && !in.strict {
		*in.why = append(*in.why, fmt.Sprintf(format, args...))
	}
}

// parsers read answers, by step kind.
var parsers = map[string]func(*input) Reading{
	flows.KindIntro:     parseIntro,
	flows.KindChoice:    parseChoice,
	flows.KindMulti:     parseMulti,
	flows.KindYesNo:     parseYesNo,
	flows.KindScale:     parseScale,
	flows.KindCount:     parseCount,
	flows.KindFrequency: parseFrequency,
}

// Read reads m as an answer to st in lang, as from a texter speaking of
// themselves; why, if not nil, collects what was found.
func Read(f *flows.Flow, st *flows.Step, lang string, m *Message, strict bool, why *[]string) Reading {
	return ReadFor(f, st, lang, m, strict, false, why)
}

// ReadFor is Read for a texter who speaks of someone else when other is
// set: on the safety question their hedged no is a no ("no, not that i
// know of"), where a texter's hedge about themselves stays a yes.
func ReadFor(f *flows.Flow, st *flows.Step, lang string, m *Message, strict, other bool, why *[]string) Reading {
	in := &input{flow: f, step: st, lang: lang, msg: m, d: m.Doc(lang), strict: strict, why: why, other: other}
	if in.d.Empty() {
		return Reading{}
	}
	if in.d.Prefix(text.ListQuestions) > 0 {
		// "what are DTs", "q es eso de benzos": a question back, not an answer.
		in.because("a question back (%q)", in.d.Norm())
		return Reading{}
	}
	parse, ok := parsers[st.Kind]
	if !ok {
		return Reading{}
	}
	r := parse(in)
	if r.Result == Answered && !strict {
		r = in.caution(r)
	}
	return r
}

// caution asks about an answer the message also casts doubt on: an option
// cancelled by one of its unless phrases ("he lives with other users" is
// not a home where no one uses), or a frequency or checklist said about
// the past ("used to be daily, clean 2 weeks now").
func (in *input) caution(r Reading) Reading {
	st := in.step
	vs := r.Values()
	zero := onlyOption(st)
	if st.Kind == flows.KindFrequency {
		zero = zeroOption(st)
	}
	if o := st.Match(in.lang); o != nil && o.Unless != nil {
		for _, m := range o.Unless.Find(in.d) {
			v := o.Unless.Name(m.Pattern)
			if contains(vs, v) && !negatedHit(in.d, m.From, m.To) && !insideLonger(in.hits(), v, m.From, m.To) {
				in.because("option %s: %q says otherwise", v, o.Unless.Source(m.Pattern))
				rest := without(vs, v)
				if st.Kind == flows.KindMulti && len(rest) > 0 {
					// "i got 3 kids at home": the kids are certain, the home is not said.
					joined, _ := Combine(st, rest)
					return Answer(joined)
				}
				cands := []string{v}
				if st.Kind != flows.KindMulti {
					// "rehab, then went back to it": which is it?
					named, _ := positive(in.hits())
					cands = append(cands, named...)
				}
				if zero != "" && len(rest) == 0 && st.Kind == flows.KindMulti {
					cands = append(cands, zero)
				}
				if st.Kind != flows.KindMulti {
					rest = nil
				}
				return Reading{Result: Clarify, Cands: inOrder(st, uniq(cands)), Keep: rest}
			}
		}
	}
	past := len(in.d.Find(text.ListPast)) > 0
	if past && zero != "" && !contains(vs, zero) && (st.Kind == flows.KindFrequency || st.Kind == flows.KindMulti) {
		in.because("said about the past: is it still so?")
		if st.Kind == flows.KindMulti {
			return Reading{Result: Clarify, Cands: inOrder(st, append(vs, zero))}
		}
		return ask(st, vs[0], zero)
	}
	return r
}

// insideLonger reports whether tokens from..to lie inside a longer hit of
// option v: "i live at home" names a home, where "at home" alone ("3 kids
// at home") does not.
func insideLonger(hs []hit, v string, from, to int) bool {
	for _, h := range hs {
		if h.value == v && !h.negated && h.from <= from && to <= h.to && h.to-h.from > to-from {
			return true
		}
	}
	return false
}

// hit is an option found in a message.
type hit struct {
	value    string
	from, to int // tokens
	negated  bool
	label    bool
	// clause is the clause the hit stands in (clauses change at punctuation
	// and contrast words).
	clause int
	// weak marks a hit made only of pronouns: "he", "i".
	weak bool
	// possessive marks a hit that ends with a possessive ("para mi"): the
	// word after it is whose it is.
	possessive bool
}

// hits returns the options of in.step found in the message: in the
// conversation's language, or in English when none is (a Spanish texter
// may write "medicaid"). Where two hits overlap, the longer wins ("pain
// pills" over "pills"); hits of the same words for different options are
// all kept (an ambiguous word).
func (in *input) hits() []hit {
	out := in.hitsIn(in.lang, in.d)
	if in.lang == "en" || unsure(in.d) {
		return out
	}
	// English words the conversation's language does not know count too
	// ("weed y aveces coca"); with no hit of its own, any English word.
	en := in.msg.Doc("en")
	for _, h := range in.hitsIn("en", en) {
		foreign := len(out) == 0
		for i := h.from; i < h.to && !foreign; i++ {
			if t := en.Tokens[i]; !t.Filler && !in.d.Lang.Knows(t.Word) {
				foreign = true
			}
		}
		if h, ok := remap(en, h, in.d); foreign && ok {
			out = append(out, h)
		}
	}
	return longest(out)
}

// remap returns hit h of doc from as the tokens of doc to that cover the
// same text: every hit a parser weighs counts tokens of one reading, the
// conversation's, whichever language found it.
func remap(from *text.Doc, h hit, to *text.Doc) (hit, bool) {
	lo, hi := from.Tokens[h.from].From, from.Tokens[h.to-1].To
	first, last := -1, -1
	for i, t := range to.Tokens {
		if t.To > lo && t.From < hi {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return hit{}, false
	}
	h.from, h.to, h.clause = first, last+1, to.Tokens[first].Clause
	return h, true
}

func (in *input) hitsIn(lang string, d *text.Doc) []hit {
	o := in.step.Match(lang)
	if o == nil {
		return nil
	}
	// Words inside "I don't know" ("no se", "idk") are not option words,
	// unless an option is that whole phrase ("not sure").
	unsureTo := 0
	if u := d.Prefix(text.ListUnsure); u > 0 {
		unsureTo = d.Content()[min(u, len(d.Content()))-1] + 1
	}
	var out []hit
	for _, m := range o.M.Find(d) {
		if m.From < unsureTo && m.To < unsureTo {
			continue
		}
		h := hit{value: o.Value[m.Pattern], from: m.From, to: m.To, label: o.Label[m.Pattern],
			negated: negatedHit(d, m.From, m.To), clause: d.Tokens[m.From].Clause, weak: true}
		for i := m.From; i < m.To; i++ {
			if t := d.Tokens[i]; !t.Filler && d.At(text.ListPronouns, i) == 0 {
				h.weak = false
			}
		}
		h.possessive = d.At(text.ListPossessives, m.To-1) > 0
		if h.possessive && m.To < len(d.Tokens) && d.Tokens[m.To].Clause == d.Tokens[m.To-1].Clause && !d.Tokens[m.To].Filler {
			// "para mi sun", "for my cousin": the word after is whose.
			continue
		}
		what := "word"
		if h.label {
			what = "label"
		}
		neg := ""
		if h.negated {
			neg = ", in a negation"
		}
		in.because("option %s: %s %q%s", h.value, what, o.M.Source(m.Pattern), neg)
		out = append(out, h)
	}
	return longest(out)
}

// negated reports whether the match starting at token i stands in a
// negation's scope.
func negated(d *text.Doc, i int) bool { return i < len(d.Tokens) && d.Tokens[i].Negated }

// negatedHit reports whether the words from..to stand in a negation that
// is not their own: "para nada", "not at all" and "nobody would miss me"
// say what they say, whatever stands around them ("no, para nada").
func negatedHit(d *text.Doc, from, to int) bool {
	for i := from; i < to && i < len(d.Tokens); i++ {
		if d.Tokens[i].Neg {
			return false
		}
	}
	return negated(d, from)
}

// longest drops every hit that lies inside a longer one, and of two that
// overlap in part, the one that ends first ("para mi hijo": "mi hijo", not
// "para mi").
func longest(hs []hit) []hit {
	var out []hit
	near := byPosition(hs)
	for i, h := range hs {
		inside := false
		for _, j := range near.around(h.from, h.to) {
			o := hs[j]
			if i == j || o.value == h.value {
				continue
			}
			contained := o.from <= h.from && h.to <= o.to && o.to-o.from > h.to-h.from
			partial := o.from < h.to && h.from < o.to && !(o.from <= h.from && h.to <= o.to) && !(h.from <= o.from && o.to <= h.to) && o.to > h.to
			// "para mi jefa": "mi" is the jefa's, not the texter.
			possessive := o.from == h.to && h.possessive
			if contained || partial || possessive {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, h)
		}
	}
	return out
}

// hitIndex finds hits by where they stand, so that comparing each hit with
// its neighbours costs the number of neighbours, not of all the hits: a
// long text of option words is read in time that grows with its length.
type hitIndex struct {
	hs    []hit
	order []int // indexes of hs by first token
	span  int   // the longest hit, in tokens
}

func byPosition(hs []hit) hitIndex {
	x := hitIndex{hs: hs, order: make([]int, len(hs))}
	for i, h := range hs {
		x.order[i] = i
		x.span = max(x.span, h.to-h.from)
	}
	slices.SortStableFunc(x.order, func(a, b int) int { return hs[a].from - hs[b].from })
	return x
}

// around returns the indexes of the hits that overlap tokens from..to or
// start within reach of them (no further than to, no earlier than the
// longest hit before from).
func (x hitIndex) around(from, to int) []int {
	lo := sort.Search(len(x.order), func(i int) bool { return x.hs[x.order[i]].from >= from-x.span-2 })
	var out []int
	for i := lo; i < len(x.order) && x.hs[x.order[i]].from <= to+2; i++ {
		out = append(out, x.order[i])
	}
	return out
}

// positive returns the values of the hits that are not negated, and the
// values named only in a negation.
func positive(hs []hit) (yes, no []string) {
	for _, h := range hs {
		if h.negated {
			no = append(no, h.value)
		} else {
			yes = append(yes, h.value)
		}
	}
	yes = uniq(yes)
	var onlyNo []string
	for _, v := range uniq(no) {
		if !slices.Contains(yes, v) {
			onlyNo = append(onlyNo, v)
		}
	}
	return yes, onlyNo
}

// afterContrast returns the hits after the message's last contrast word
// ("not alcohol, but weed"), or all of them when there is none, nothing
// stands after it, or it adds rather than contrasts ("but also").
func afterContrast(d *text.Doc, hs []hit) []hit {
	last := lastContrast(d)
	if last < 0 || additive(d, last) {
		return hs
	}
	return after(hs, last, func(h hit) int { return h.from })
}

// after returns the found things that begin after token last, or all of
// them when none does.
func after[T any](found []T, last int, from func(T) int) []T {
	var out []T
	for _, f := range found {
		if from(f) > last {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return found
	}
	return out
}

// additive reports whether an "also" word follows the contrast word at i
// ("para mi pero tambien mi pareja": both).
func additive(d *text.Doc, i int) bool {
	for j := i + 1; j < len(d.Tokens); j++ {
		if d.At(text.ListAlso, j) > 0 {
			return true
		}
	}
	return false
}

// lastContrast returns the token index of the last contrast word, or -1.
func lastContrast(d *text.Doc) int {
	last := -1
	for i, t := range d.Tokens {
		if t.Contrast {
			last = i
		}
	}
	return last
}

// ambiguous groups hits of the same words for different options: each
// group with more than one value is an ambiguous word ("pills"), unless a
// plainly named option stands right beside it and settles it ("pastillas
// xanax", "the blue pills, fentanyl") rather than joined to it ("chiva y
// pastillas").
func ambiguous(hs []hit, d *text.Doc) (certain []string, groups [][]string) {
	seen := map[[2]int][]string{}
	var order [][2]int
	for _, h := range hs {
		k := [2]int{h.from, h.to}
		if _, ok := seen[k]; !ok {
			order = append(order, k)
		}
		seen[k] = uniq(append(seen[k], h.value))
	}
	for _, k := range order {
		if vs := seen[k]; len(vs) == 1 {
			certain = append(certain, vs[0])
		}
	}
	near := byPosition(hs)
	for _, k := range order {
		vs := seen[k]
		if len(vs) == 1 {
			continue
		}
		settled := ""
		for _, j := range near.around(k[0], k[1]) {
			h := hs[j]
			if contains(vs, h.value) && len(seen[[2]int{h.from, h.to}]) == 1 && beside(d, k, h) {
				settled = h.value
			}
		}
		if settled == "" {
			groups = append(groups, vs)
		}
	}
	return uniq(certain), groups
}

// beside reports whether hit h stands within two words of span k with no
// "and" between: the two describe one thing.
func beside(d *text.Doc, k [2]int, h hit) bool {
	a, b := k[1], h.from
	if h.to <= k[0] {
		a, b = h.to, k[0]
	}
	if b < a || b-a > 2 || d == nil {
		return false
	}
	for i := a; i < b; i++ {
		if d.At(text.ListAnd, i) > 0 {
			return false
		}
	}
	return true
}

// LeadingNumbers returns the option numbers a message begins with ("2",
// "1 3", "2 cause i have medicaid"), each from 1 to count, and whether
// the message is made of nothing else. A number followed by a noun ("2
// kids") is not an option number.
func LeadingNumbers(d *text.Doc, count int) (nums []int, only bool) {
	return optionNumbers(d, count, true)
}

// optionNumbers is leadingNumbers; split says whether "13" may be 1 and 3.
func optionNumbers(d *text.Doc, count int, split bool) (nums []int, only bool) {
	i := 0
	if y := d.Prefix(text.ListYes); y > 0 && y < len(d.Tokens) {
		i = y // "yes the first one", "si 2"
	}
	for i < len(d.Tokens) {
		t := d.Tokens[i]
		if pronounOne(d, i) {
			i++ // "the second one": one option, not options 2 and 1
			continue
		}
		if n, ok := d.NumberAt(i); ok {
			if n.Vague || n.Approx || n.Value != float64(int(n.Value)) {
				return nil, false
			}
			v := int(n.Value)
			switch {
			case v >= 1 && v <= count:
				nums = append(nums, v)
			case split && !n.Words && count < 10 && len(t.Word) <= count && len(t.Word) > 1:
				// "13" as 1 and 3, when no option could be 13.
				for _, r := range t.Word {
					k := int(r - '0')
					if k < 1 || k > count {
						return nil, false
					}
					nums = append(nums, k)
				}
			default:
				return nil, false
			}
			i = n.To
			continue
		}
		if t.Kind == text.KindEmoji || t.Filler || d.Lang.Is(text.WordOr, t.Word) {
			i++
			continue
		}
		break
	}
	if i == len(d.Tokens) {
		return nums, len(nums) > 0
	}
	// Words follow: the numbers stand for options only when the next word
	// begins a new clause ("1, alcohol", "2 because i have medicaid").
	if len(nums) > 0 && (d.Tokens[i].Clause > d.Tokens[0].Clause || d.Lang.Is(text.WordContrast, d.Tokens[i].Word) || d.Lang.Is(text.WordClause, d.Tokens[i].Word)) {
		return nums, false
	}
	return nil, false
}

// pronounOne reports whether token i is "one" standing for a thing just
// numbered ("the first one", "the 2nd one"): the number word 1 right after
// another number.
func pronounOne(d *text.Doc, i int) bool {
	n, ok := d.NumberAt(i)
	if !ok || !n.Words || n.Value != 1 || n.To-n.From != 1 || n.Vague {
		return false
	}
	k := sort.Search(len(d.Numbers), func(k int) bool { return d.Numbers[k].From >= i })
	return k > 0 && d.Numbers[k-1].To == i
}

// picks maps option numbers to values.
func picks(st *flows.Step, nums []int) []string {
	values := st.Values()
	out := make([]string, 0, len(nums))
	for _, n := range nums {
		out = append(out, values[n-1])
	}
	return uniq(out)
}

// inLabels returns the options whose label holds the whole message ("weekly"
// of "Weekly", "outpatient" of both outpatient options).
func inLabels(st *flows.Step, lang string, d *text.Doc) []string {
	o := st.Match(lang)
	if o == nil {
		return nil
	}
	var stems []string
	letters := 0
	for _, i := range d.Content() {
		stems = append(stems, d.Tokens[i].Stem)
		letters += len(d.Tokens[i].Word)
	}
	if letters < 3 {
		return nil // "no" is not part of "where no one is using"
	}
	var found []string
	for _, v := range st.Values() {
		for _, label := range o.Labels[v] {
			if containsSeq(label, stems) {
				found = append(found, v)
				break
			}
		}
	}
	return found
}

// containsSeq reports whether words appear in seq in order, side by side.
func containsSeq(seq, words []string) bool {
	for i := 0; i+len(words) <= len(seq); i++ {
		if slices.Equal(seq[i:i+len(words)], words) {
			return true
		}
	}
	return false
}

// YesNo reads d as yes or no: the longest phrase of the language's yes or
// no lists the message is, or begins with ("yes but only once" is yes, "i
// do not" is no rather than "i do").
func YesNo(d *text.Doc) (string, bool) {
	if unsure(d) {
		return "", false
	}
	y, n := d.Prefix(text.ListYes), d.Prefix(text.ListNo)
	switch {
	case y > n:
		return "yes", true
	case n > y:
		return "no", true
	}
	// "gracias a dios no", "honestly no": the last word says it.
	y, n = d.Suffix(text.ListYes), d.Suffix(text.ListNo)
	switch {
	case y > n:
		return "yes", true
	case n > y:
		return "no", true
	}
	return "", false
}

// unsure reports whether the message begins by saying "I don't know"
// ("idk", "no se"), which is never a no.
func unsure(d *text.Doc) bool {
	u := d.Prefix(text.ListUnsure)
	return u > 0 && u >= d.Prefix(text.ListNo) && u >= d.Prefix(text.ListYes)
}

// YesNoAny reads m as yes or no in the conversation's language, then in
// the others ("si" in an English conversation is yes); a message that
// says "I don't know" in its own language is neither.
func YesNoAny(m *Message) (string, bool) {
	for _, l := range m.Langs() {
		d := m.In(l)
		if unsure(d) {
			return "", false
		}
		if yn, ok := YesNo(d); ok {
			return yn, true
		}
	}
	return "", false
}

// Combine turns picked values into an answer: one for a single-answer
// step, a set for a multi step, where an only-option ("none of these")
// cannot stand with others.
func Combine(st *flows.Step, picked []string) (string, bool) {
	picked = uniq(picked)
	switch {
	case len(picked) == 0:
		return "", false
	case st.Kind != flows.KindMulti:
		if len(picked) != 1 {
			return "", false
		}
		return picked[0], true
	}
	for _, v := range picked {
		if o := st.Option(v); o != nil && o.Only && len(picked) > 1 {
			return "", false
		}
	}
	return flows.JoinValues(inOrder(st, picked)), true
}

// inOrder returns vs in the order of the step's values, without repeats,
// so answers compare equal.
func inOrder(st *flows.Step, vs []string) []string {
	var out []string
	for _, v := range st.Values() {
		if slices.Contains(vs, v) {
			out = append(out, v)
		}
	}
	return out
}

func uniq(vs []string) []string {
	var out []string
	for _, v := range vs {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Names reports whether m names an option of st in its words ("none",
// "nada"), where a bare "no" names none.
func Names(f *flows.Flow, st *flows.Step, lang string, m *Message) bool {
	in := &input{flow: f, step: st, lang: lang, msg: m, d: m.Doc(lang)}
	return len(in.hits()) > 0
}

// Adds reports whether m goes on, after the yes it begins with, by adding
// ("yes and pills", "si y tambien mota", "yes, also weed").
func Adds(m *Message, lang string) bool {
	d := m.Doc(lang)
	y := d.Prefix(text.ListYes) // in words and numbers
	if y == 0 {
		return false
	}
	i := 0
	for seen := 0; i < len(d.Tokens) && seen < y; i++ {
		if k := d.Tokens[i].Kind; k == text.KindWord || k == text.KindNumber {
			seen++
		}
	}
	for i < len(d.Tokens) && d.Tokens[i].Kind == text.KindSymbol {
		i++ // "yes, and weed"
	}
	return i < len(d.Tokens) && (d.At(text.ListAnd, i) > 0 || d.At(text.ListAlso, i) > 0)
}

// Within reports whether every word of m that carries content stands in
// phrase, as lang reads both: "change it" is within "Yes, change it".
func Within(m *Message, lang, phrase string) bool {
	d, p := m.Doc(lang), NewMessage(m.set, phrase, lang).Doc(lang)
	var have []string
	for _, i := range p.Content() {
		have = append(have, p.Tokens[i].Stem)
	}
	c := d.Content()
	for _, i := range c {
		if !slices.Contains(have, d.Tokens[i].Stem) {
			return false
		}
	}
	return len(c) > 0
}

// Defers reports whether a reply to the greeting step st names its "not
// now" option anywhere ("I need to speak with my husband first and get
// back to you"), which wins over what else it mentions.
func Defers(f *flows.Flow, st *flows.Step, lang string, m *Message) bool {
	in := &input{flow: f, step: st, lang: lang, msg: m, d: m.Doc(lang)}
	yes, _ := positive(in.hits())
	return len(st.Options) > 1 && contains(yes, st.Options[1].Value)
}
