package flows

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"helpline/flows/text"
)

// validate checks every file against the others and reports each problem
// at the line of the field at fault. broken holds the kinds of the files
// that could not be read: what needs them is left unchecked rather than
// reported as missing.
func (s *Set) validate(p *problems, broken map[string]bool) {
	f := s.screening(p, broken["flow"])
	// The screening's languages; without it, those of the language files.
	langs := sortedKeys(s.Langs)
	if f != nil {
		langs = f.Languages
	} else if len(langs) == 0 {
		langs = []string{"en"}
	}
	s.compileLanguages(langs, p, broken["language"])
	flows := sortedFlows(s.Flows)
	for _, fl := range flows {
		fl.know(s.Langs)
	}
	for _, fl := range flows {
		fl.validate(p)
		fl.compileOptions(s.Langs, p)
	}
	if s.Criteria != nil && f != nil {
		s.Criteria.validate(f, langs, p)
	}
	if s.Crisis != nil {
		s.Crisis.validate(s.Langs, langs, p)
	}
	if s.FAQ != nil {
		s.FAQ.validate(langs, p)
	}
	var ready []*text.Language
	for _, l := range s.Langs {
		if l.Ready() {
			if s.Crisis != nil {
				for _, ws := range s.Crisis.Lists[l.Code] {
					l.Know(ws...) // never read as a typo of another word
				}
			}
			ready = append(ready, l)
		}
	}
	text.ShareKnown(ready...)
}

// screening returns the flow the criteria table is written for; with no
// such flow, the only flow there is, so its steps are still checked
// against the table. When a flow file could not be read, the flow may be
// in it: its absence is not reported.
func (s *Set) screening(p *problems, broken bool) *Flow {
	c := s.Criteria
	if c != nil {
		if f := s.Flows[c.Flow]; f != nil {
			return f
		}
		if !broken {
			p.add(c.File, rootLine(c.root, "flow"), "flow %q is not defined%s", c.Flow, didYouMean(c.Flow, sortedKeys(s.Flows)))
		}
	}
	if len(s.Flows) == 1 || c == nil {
		if flows := sortedFlows(s.Flows); len(flows) > 0 {
			return flows[0]
		}
	}
	return nil
}

// know tells each language the words f writes in it, so that people's
// words that are these are never read as typos of others.
func (f *Flow) know(ls map[string]*text.Language) {
	for code, l := range ls {
		if !l.Ready() {
			continue
		}
		for _, st := range f.Steps {
			l.Know(st.Text[code], st.Hint[code], st.Low[code], st.High[code])
			l.Know(st.Units[code]...)
			l.Know(sortedKeys(st.Amounts[code])...)
			l.Know(sortedKeys(st.Points[code])...)
			for _, o := range st.Options {
				l.Know(o.Text[code], o.Say[code], o.Said[code])
				l.Know(o.Words[code]...)
			}
		}
		for _, t := range f.Texts {
			l.Know(t[code])
		}
	}
}

// compileLanguages compiles every language file, placing each problem at
// its entry, and reports a language of the flows that has no file (unless
// a language file could not be read: it may be that one).
func (s *Set) compileLanguages(langs []string, p *problems, broken bool) {
	for _, code := range sortedKeys(s.Langs) {
		l, doc := s.Langs[code], s.langDocs[code]
		for _, pr := range l.Compile() {
			line := lineAt(doc.root, pr.Field)
			if pr.Entry != "" {
				if n := findEntry(deref(mapValue(doc.root, pr.Field)), pr.Entry); n > 0 {
					line = n
				}
			}
			p.add(doc.file, line, "%v", pr)
		}
	}
	for _, code := range langs {
		if s.Langs[code] == nil && !broken {
			p.add("language_"+code+".yaml", 0, "no file of kind language for %q: its keywords, yes and no, numbers and negation would be unknown", code)
		}
	}
}

func sortedFlows(m map[string]*Flow) []*Flow {
	out := make([]*Flow, 0, len(m))
	for _, f := range m {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// checkText reports a missing translation, an unknown placeholder or, in
// English, a character that would turn an SMS into UCS-2. line is the
// line of the text's field.
func checkText(t Text, langs []string, file string, line int, where string, p *problems) {
	checkTextWith(t, langs, file, line, where, Placeholders, p)
}

// checkTextWith is checkText with the placeholders known where the text
// is said.
func checkTextWith(t Text, langs []string, file string, line int, where string, known map[string]string, p *problems) {
	if len(t) == 0 {
		p.lacks(file, line, "%s: text is missing", where)
		return
	}
	for _, l := range langs {
		if strings.TrimSpace(t[l]) == "" {
			p.add(file, line, "%s: no %q text (missing translation)", where, l)
		}
	}
	for _, l := range sortedKeys(t) {
		if !contains(langs, l) {
			p.add(file, line, "%s: language %q is not one of %v", where, l, langs)
		}
		for _, ph := range placeholderPattern.FindAllString(t[l], -1) {
			if _, ok := known[ph]; !ok {
				p.add(file, line, "%s: unknown placeholder %s in %q text%s", where, ph, l, didYouMean(ph, sortedKeys(known)))
			}
		}
	}
	if en := t["en"]; en != "" {
		if bad := NonGSM7(en); bad != "" {
			p.add(file, line, "%s: English text has %q, which is not GSM-7 and would make the SMS cost 2-3 times more", where, bad)
		}
	}
}

// validate checks one flow: its header, every step and option, the fixed
// texts, that every step can be reached, and the segment budgets.
func (f *Flow) validate(p *problems) {
	f.checkHeader(p)
	for i := 0; i < len(f.Steps); i++ {
		if f.Steps[i] == nil {
			p.add(f.File, rootLine(f.root, "steps", i), "step %d is empty", i+1)
			f.Steps = append(f.Steps[:i], f.Steps[i+1:]...)
			i--
		}
	}
	if len(f.Steps) == 0 {
		p.add(f.File, rootLine(f.root, "steps"), "no steps")
		return
	}
	f.indexSteps(p)
	scores := f.scores()
	for i, st := range f.Steps {
		f.checkStep(i, st, scores, p)
	}
	missingKeys(f.Texts, RequiredTexts, f.File, rootLine(f.root, "texts"), p)
	for _, key := range sortedKeys(f.Texts) {
		checkText(f.Texts[key], f.Languages, f.File, rootLine(f.root, "texts", key), fmt.Sprintf("texts %q", key), p)
	}
	if !f.dangling {
		// With a dangling next, every step after it would be reported
		// unreachable too: one mistake, one message.
		f.checkReachable(p)
	}
	f.checkBudgets(p)
}

func (f *Flow) checkHeader(p *problems) {
	at := func(field string) int { return rootLine(f.root, field) }
	if f.Kind != "flow" {
		p.add(f.File, at("kind"), "kind must be flow")
	}
	if !idPattern.MatchString(f.ID) {
		p.add(f.File, at("id"), "id %q must be lower case letters, digits and _", f.ID)
	}
	if f.Version <= 0 {
		p.add(f.File, at("version"), "version must be a positive number (raise it when steps change)")
	}
	if !contains(f.Languages, "en") {
		p.add(f.File, at("languages"), "languages must include en")
	}
	for _, aud := range []string{WhoSelf, WhoOther} {
		for _, l := range f.Languages {
			for _, w := range []string{"you", "them", "your", "yourself"} {
				if f.Pronouns[aud][l][w] == "" {
					p.add(f.File, rootLine(f.root, "pronouns", aud, l), "pronouns: %s %s has no %q", aud, l, w)
				}
			}
		}
	}
}

// indexSteps checks the steps' ids and indexes them, so that conditions
// and nexts can name them.
func (f *Flow) indexSteps(p *problems) {
	f.index = map[string]int{}
	for i, st := range f.Steps {
		at := lineAt(st.node, "id")
		switch j, dup := f.index[st.ID]; {
		case !idPattern.MatchString(st.ID):
			p.add(f.File, at, "step %q: id must be lower case letters, digits and _", st.ID)
		case st.ID == End:
			p.add(f.File, at, "step \"end\": end is reserved for the summary")
		case dup:
			p.add(f.File, at, "step %q: defined twice (first at line %d)", st.ID, f.Steps[j].Line)
			continue
		}
		f.index[st.ID] = i
	}
	if f.Audience != "" && f.Step(f.Audience) == nil {
		p.add(f.File, rootLine(f.root, "audience"), "audience: step %q is not defined%s", f.Audience, didYouMean(f.Audience, f.stepIDs()))
	}
}

// checkStep checks step i: its kind and what the kind needs, its texts,
// its options and its condition.
func (f *Flow) checkStep(i int, st *Step, scores map[string]bool, p *problems) {
	where := fmt.Sprintf("step %q", st.ID)
	at := func(path ...any) int { return lineAt(st.node, path...) }
	checkText(st.Text, f.Languages, f.File, at("text"), where, p)
	f.checkNext(st.Next, at("next"), where+": next", p)
	f.checkKind(st, where, p)
	f.checkFields(i, st, where, p)
	seen := map[string]bool{}
	for _, o := range st.Options {
		ow := fmt.Sprintf("%s option %q", where, o.Value)
		if seen[o.Value] {
			p.add(f.File, lineAt(o.node, "value"), "%s: defined twice", ow)
		}
		seen[o.Value] = true
		f.checkOption(st, o, ow, p)
	}
	if st.When != nil {
		for _, pr := range f.condProblems(st.When, i, scores) {
			p.add(f.File, pr.line, "%s: when: %s", where, pr.msg)
		}
	}
}

// checkKind checks that the step's kind is known and has what it needs.
func (f *Flow) checkKind(st *Step, where string, p *problems) {
	at := func(path ...any) int { return lineAt(st.node, path...) }
	switch st.Kind {
	case KindChoice, KindMulti, KindIntro:
		if len(st.Options) < 2 {
			p.add(f.File, at("options"), "%s: a %s step needs at least two options", where, st.Kind)
		}
	case KindYesNo:
		for _, o := range st.Options {
			if o.Value != "yes" && o.Value != "no" {
				p.add(f.File, lineAt(o.node, "value"), "%s: a yesno step's options are yes and no, not %q", where, o.Value)
			}
		}
	case KindScale:
		f.checkScale(st, where, p)
	case KindCount:
		f.checkCounts(st, where, p)
	case KindFrequency:
		f.checkRates(st, where, p)
	default:
		p.add(f.File, at("kind"), "%s: kind %q is not one of %s%s", where, st.Kind, strings.Join(Kinds, ", "), didYouMean(st.Kind, Kinds))
	}
}

func (f *Flow) checkScale(st *Step, where string, p *problems) {
	at := func(path ...any) int { return lineAt(st.node, path...) }
	if st.Min >= st.Max {
		p.add(f.File, at("max"), "%s: a scale needs min below max", where)
	}
	if st.Max > 10 {
		p.add(f.File, at("max"), "%s: a scale above 10 is too long to answer by text", where)
	}
	for _, l := range sortedKeys(st.Points) {
		for _, w := range sortedKeys(st.Points[l]) {
			lo, hi, err := text.ParseRange(st.Points[l][w])
			if err != nil || lo < float64(st.Min) || hi > float64(st.Max) || lo != float64(int(lo)) || hi != float64(int(hi)) {
				p.add(f.File, at("points", l, w), "%s: points %s %q: %q is not a point or range from %d to %d", where, l, w, st.Points[l][w], st.Min, st.Max)
			}
		}
	}
	if len(st.Low) == 0 || len(st.High) == 0 {
		p.add(f.File, at("kind"), "%s: a scale needs low and high labels", where)
	}
}

// checkFields checks the fields that apply to some kinds only, the
// greeting's place and the step's other texts.
func (f *Flow) checkFields(i int, st *Step, where string, p *problems) {
	at := func(path ...any) int { return lineAt(st.node, path...) }
	langs := f.Languages
	if st.Kind != KindScale && len(st.Points) > 0 {
		p.add(f.File, at("points"), "%s: points apply only to scale steps", where)
	}
	if st.Kind != KindCount && len(st.Units) > 0 {
		p.add(f.File, at("units"), "%s: units and amounts apply only to count steps", where)
	}
	if st.Kind != KindCount && len(st.Amounts) > 0 {
		p.add(f.File, at("amounts"), "%s: units and amounts apply only to count steps", where)
	}
	if _, ok := text.PeriodNames[st.Window]; st.Window != "" && (!ok || st.Kind != KindFrequency) {
		p.add(f.File, at("window"), "%s: window %q: a frequency step's window is one of %v", where, st.Window, sortedKeys(text.PeriodNames))
	}
	if st.Safety && st.Kind != KindYesNo {
		p.add(f.File, at("safety"), "%s: the safety question is a yesno step", where)
	}
	if i == 0 && st.Kind != KindIntro {
		p.add(f.File, at("kind"), "%s: the first step must be the intro (the greeting)", where)
	}
	if i > 0 && st.Kind == KindIntro {
		p.add(f.File, at("kind"), "%s: only the first step may be an intro", where)
	}
	for field, t := range map[string]Text{"hint": st.Hint, "low": st.Low, "high": st.High} {
		if len(t) > 0 {
			checkText(t, langs, f.File, at(field), where+": "+field, p)
		}
	}
}

// checkOption checks one option of st.
func (f *Flow) checkOption(st *Step, o *Option, ow string, p *problems) {
	at := func(path ...any) int { return lineAt(o.node, path...) }
	langs := f.Languages
	if !valuePattern.MatchString(o.Value) {
		p.add(f.File, at("value"), "%s: value must be lower case letters, digits and _", ow)
	}
	if st.Kind != KindYesNo || len(o.Text) > 0 {
		checkText(o.Text, langs, f.File, at("text"), ow, p)
	}
	for _, l := range sortedKeys(o.Words) {
		if !contains(langs, l) {
			p.add(f.File, at("words", l), "%s: words in language %q, not one of %v", ow, l, langs)
		}
	}
	f.checkNext(o.Next, at("next"), ow+": next", p)
	if st.Safety && o.Score != 0 {
		p.add(f.File, at("score"), "%s: the safety question is never scored", ow)
	}
	if o.Stay && len(o.Say) == 0 {
		p.add(f.File, at("stay"), "%s: stay needs a say text, or the texter hears nothing", ow)
	}
	if o.Only && st.Kind != KindMulti {
		p.add(f.File, at("only"), "%s: only applies to multi steps", ow)
	}
	if o.Score != 0 && st.Score == "" {
		p.add(f.File, at("score"), "%s: has a score but the step names no score", ow)
	}
	for field, t := range map[string]Text{"say": o.Say, "said": o.Said} {
		if len(t) > 0 {
			checkText(t, langs, f.File, at(field), ow+": "+field, p)
		}
	}
	if st.Kind != KindCount && (o.Min != nil || o.Max != nil) {
		p.add(f.File, at("min"), "%s: min and max apply only to count steps", ow)
	}
	if st.Kind != KindFrequency && o.Often != "" {
		p.add(f.File, at("often"), "%s: often applies only to frequency steps", ow)
	}
}

// checkCounts checks that a count step's options cover counts in order,
// without overlap.
func (f *Flow) checkCounts(st *Step, where string, p *problems) {
	if len(st.Options) < 2 {
		p.add(f.File, lineAt(st.node, "options"), "%s: a count step needs at least two options", where)
	}
	prev := math.Inf(-1)
	for i, o := range st.Options {
		ow := fmt.Sprintf("%s option %q", where, o.Value)
		at := func(field string) int { return lineAt(o.node, field) }
		switch {
		case o.Min == nil:
			p.add(f.File, at("value"), "%s: a count option needs min (and max, but for the last)", ow)
			continue
		case o.Max == nil && i != len(st.Options)-1:
			p.add(f.File, at("min"), "%s: only the last count option may leave out max", ow)
		}
		lo, hi := o.Range()
		if hi < lo {
			p.add(f.File, at("max"), "%s: max is below min", ow)
		}
		if lo <= prev {
			p.add(f.File, at("min"), "%s: min %v overlaps the option before (counts must go up)", ow, lo)
		}
		prev = hi
	}
}

// checkRates reads a frequency step's rates and checks they go up without
// overlap.
func (f *Flow) checkRates(st *Step, where string, p *problems) {
	if len(st.Options) < 2 {
		p.add(f.File, lineAt(st.node, "options"), "%s: a frequency step needs at least two options", where)
	}
	var prev *text.Rate
	for _, o := range st.Options {
		ow := fmt.Sprintf("%s option %q", where, o.Value)
		at := lineAt(o.node, "often")
		r, err := text.ParseRate(o.Often)
		switch {
		case o.Often == "":
			p.add(f.File, at, "%s: a frequency option needs often (\"2-3 a week\", \"0\")", ow)
			continue
		case err != nil:
			p.add(f.File, at, "%s: often %v", ow, err)
			continue
		case r.Vague:
			p.add(f.File, at, "%s: often cannot be vague", ow)
			continue
		}
		o.rate = r
		// "0-1 a month" after "0" means more than never, up to once a month.
		afterNever := prev != nil && prev.IsNever() && r.Lo == 0 && r.Hi > 0
		if prev != nil && !afterNever && r.Lo <= prev.Hi {
			p.add(f.File, at, "%s: often %q overlaps the option before (rates must go up)", ow, o.Often)
		}
		prev = &r
	}
}

func (f *Flow) checkNext(next string, line int, where string, p *problems) {
	if next != "" && next != End && f.Step(next) == nil {
		p.add(f.File, line, "%s %q is not defined%s", where, next, didYouMean(next, append(f.stepIDs(), End)))
		f.dangling = true
	}
}

// condProblem is one thing wrong with a condition, at its line.
type condProblem struct {
	line int
	msg  string
}

// condProblems lists what is wrong with c. at is the position of the step
// that asks it (a condition may only name steps asked before), or -1 in the
// criteria table, where every step has been asked and indicators may be used.
func (f *Flow) condProblems(c *Cond, at int, scores map[string]bool) []condProblem {
	var out []condProblem
	add := func(format string, args ...any) {
		out = append(out, condProblem{c.line, fmt.Sprintf(format, args...)})
	}
	forms := 0
	if c.Step != "" {
		forms++
		f.condStep(c, at, add)
	}
	if c.Score != "" {
		forms++
		if !scores[c.Score] {
			add("no step adds to score %q%s", c.Score, didYouMean(c.Score, sortedKeys(scores)))
		}
		if c.AtLeast == nil {
			add("score %q needs at_least", c.Score)
		}
	}
	if c.Indicator != "" {
		forms++
		if at >= 0 {
			add("a flow step cannot depend on an indicator")
		}
	}
	for _, group := range [][]*Cond{c.Any, c.All} {
		if len(group) > 0 {
			forms++
		}
		for _, s := range group {
			out = append(out, f.condProblems(s, at, scores)...)
		}
	}
	if c.Not != nil {
		forms++
		out = append(out, f.condProblems(c.Not, at, scores)...)
	}
	if forms != 1 {
		add("a condition needs exactly one of step, score, indicator, any, all, not")
	}
	return out
}

// condStep checks a condition on a step's answer.
func (f *Flow) condStep(c *Cond, at int, add func(string, ...any)) {
	j := f.Index(c.Step)
	switch {
	case j < 0:
		add("step %q is not defined%s", c.Step, didYouMean(c.Step, f.stepIDs()))
		return
	case at >= 0 && j >= at:
		add("step %q is not asked before this one", c.Step)
		return
	}
	st := f.Steps[j]
	if len(c.In) == 0 && len(c.NotIn) == 0 {
		add("step %q needs in or not_in", c.Step)
	}
	for _, v := range append(append([]string{}, c.In...), c.NotIn...) {
		if !st.CanAnswer(v) {
			add("step %q has no answer %q%s", c.Step, v, didYouMean(v, st.Values()))
		}
	}
}

func (f *Flow) scores() map[string]bool {
	scores := map[string]bool{}
	for _, st := range f.Steps {
		if st.Score != "" {
			scores[st.Score] = true
		}
	}
	return scores
}

func (f *Flow) checkReachable(p *problems) {
	reached := map[string]bool{}
	var walk func(id string)
	walk = func(id string) {
		st := f.Step(id)
		if st == nil || reached[id] {
			return
		}
		reached[id] = true
		// A skipped step passes on to its default next, so both routes count.
		walk(f.NextOf(st, ""))
		for _, o := range st.Options {
			walk(f.NextOf(st, o.Value))
		}
	}
	walk(f.Steps[0].ID)
	for _, st := range f.Steps {
		if !reached[st.ID] {
			p.add(f.File, st.Line, "step %q: unreachable (no step leads to it)", st.ID)
		}
	}
}

// checkBudgets renders every question as the engine sends it, with the
// longest placeholders, and reports any over its segment budget. A text with
// a character outside GSM-7 (Spanish á, í, ó, ú) is counted as UCS-2, as it
// is sent when HELPLINE_SMS_UNICODE=1.
func (f *Flow) checkBudgets(p *problems) {
	for _, st := range f.Steps {
		for _, l := range f.Languages {
			if st.Text[l] == "" {
				continue // a missing translation is reported as such
			}
			msg := f.Prompt(st, l, f.LongestVars(l))
			if n := Segments(msg); n > QuestionSegments {
				p.add(f.File, lineAt(st.node, "text"), "step %q: the %q question takes %d SMS segments (%d characters); the budget is %d", st.ID, l, n, len([]rune(msg)), QuestionSegments)
			}
		}
	}
}

// missingKeys reports, in one message, the required texts a file lacks.
func missingKeys(texts map[string]Text, required []string, file string, line int, p *problems) {
	var missing []string
	for _, key := range required {
		if _, ok := texts[key]; !ok {
			missing = append(missing, strconv.Quote(key))
		}
	}
	if len(missing) > 0 {
		p.add(file, line, "texts: missing %s", strings.Join(missing, ", "))
	}
}
