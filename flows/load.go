package flows

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"helpline/flows/text"
)

//go:embed *.yaml
var files embed.FS

// Set is everything loaded from one directory of flow files.
type Set struct {
	Flows    map[string]*Flow
	Criteria *Criteria
	Crisis   *Crisis
	// Langs are the languages the text layer reads, by code.
	Langs map[string]*text.Language

	// langDocs keeps each language file's YAML, to place its problems.
	langDocs map[string]langDoc
}

type langDoc struct {
	file string
	root *yaml.Node
}

// Lang returns the language with the given code, falling back to English.
func (s *Set) Lang(code string) *text.Language {
	if l, ok := s.Langs[code]; ok {
		return l
	}
	return s.Langs["en"]
}

// LangName names a language for staff, from its language file ("Spanish");
// "" is English, the language a conversation starts in.
func (s *Set) LangName(code string) string {
	if l := s.Lang(code); l != nil && (l.Code == code || code == "") && l.Name != "" {
		return l.Name
	}
	return code
}

// LeanTitle names a lean for staff, from the criteria file ("Inpatient /
// residential").
func (s *Set) LeanTitle(lean string) string {
	if l, ok := s.Criteria.Leans[lean]; ok {
		if t := l.Title.In("en"); t != "" {
			return t
		}
	}
	return lean
}

// Default loads the flows shipped in the binary. They are checked by the
// tests, so an error here means the binary itself is broken.
func Default() (*Set, error) { return Load(files) }

// Screening returns the main flow, the one the criteria table is written for.
func (s *Set) Screening() *Flow { return s.Flows[s.Criteria.Flow] }

// Languages returns the languages every text of the set must have.
func (s *Set) Languages() []string { return s.Screening().Languages }

// Load parses and validates every *.yaml file in fsys and reports all
// problems at once, each as "file:line: what is wrong".
func Load(fsys fs.FS) (*Set, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	set := &Set{Flows: map[string]*Flow{}, Langs: map[string]*text.Language{}, langDocs: map[string]langDoc{}}
	var p problems
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			p.add(name, 0, "%v", err)
			continue
		}
		set.decode(name, raw, &p)
	}
	if set.Criteria == nil {
		p.add("criteria.yaml", 0, "no file of kind criteria: the summary has nothing to apply")
	}
	if set.Crisis == nil {
		p.add("crisis.yaml", 0, "no file of kind crisis: danger would go unnoticed")
	}
	if len(p) == 0 {
		set.validate(&p)
	}
	if len(p) > 0 {
		return nil, p.err()
	}
	return set, nil
}

// problems collects every problem found, in order.
type problems []error

func (p *problems) add(file string, line int, format string, args ...any) {
	where := file
	if line > 0 {
		where = fmt.Sprintf("%s:%d", file, line)
	}
	*p = append(*p, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
}

func (p problems) err() error { return errors.Join(p...) }

func (s *Set) decode(name string, raw []byte, p *problems) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		p.add(name, 0, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		return
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		p.add(name, 0, "expected a mapping with a kind: flow, criteria, crisis or language")
		return
	}
	root := doc.Content[0]
	kind := ""
	if v := mapValue(root, "kind"); v != nil {
		kind = v.Value
	}
	if kind == "language" {
		// The language is a field of text.Language, not of the file.
		root = withoutKey(root, "kind")
	}
	var target any
	switch kind {
	case "flow":
		f := &Flow{File: name}
		target = f
		defer func() {
			if _, dup := s.Flows[f.ID]; dup {
				p.add(name, 0, "flow %q is defined twice", f.ID)
			}
			s.Flows[f.ID] = f
			lines(root, "steps", func(i, line int) { f.Steps[i].Line = line }, len(f.Steps))
		}()
	case "criteria":
		if s.Criteria != nil {
			p.add(name, root.Line, "a second criteria table (the first is in %s)", s.Criteria.File)
			return
		}
		c := &Criteria{File: name}
		target = c
		defer func() {
			s.Criteria = c
			lines(root, "indicators", func(i, line int) { c.Indicators[i].Line = line }, len(c.Indicators))
			lines(root, "rules", func(i, line int) { c.Rules[i].Line = line }, len(c.Rules))
		}()
	case "crisis":
		if s.Crisis != nil {
			p.add(name, root.Line, "a second crisis file (the first is in %s)", s.Crisis.File)
			return
		}
		c := &Crisis{File: name, lines: map[string]int{}}
		target = c
		defer func() {
			s.Crisis = c
			lines(root, "patterns", func(i, line int) { c.lines["patterns."+strconv.Itoa(i)] = line }, len(c.Patterns))
			lines(root, "clear", func(i, line int) { c.lines["clear."+strconv.Itoa(i)] = line }, len(c.Clear))
			if n := mapValue(root, "lists"); n != nil {
				c.lines["lists"] = n.Line
			}
		}()
	case "language":
		l := &text.Language{}
		target = l
		defer func() {
			if prev, dup := s.langDocs[l.Code]; dup {
				p.add(name, root.Line, "language %q is defined twice (first in %s)", l.Code, prev.file)
				return
			}
			s.Langs[l.Code] = l
			s.langDocs[l.Code] = langDoc{file: name, root: root}
		}()
	default:
		p.add(name, root.Line, "kind must be flow, criteria, crisis or language, not %q", kind)
		return
	}
	// Errors are collected; the deferred registration runs either way so
	// other files can refer to this one.
	strict(root, reflect.TypeOf(target), name, p)
	if err := root.Decode(target); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, e := range te.Errors {
				p.add(name, 0, "%s", e)
			}
		} else {
			p.add(name, 0, "%v", err)
		}
	}
}

// lines records the line of each item of the sequence under key.
func lines(root *yaml.Node, key string, set func(i, line int), n int) {
	seq := mapValue(root, key)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return
	}
	for i, item := range seq.Content {
		if i < n {
			set(i, item.Line)
		}
	}
}

// withoutKey returns a copy of mapping m without key.
func withoutKey(m *yaml.Node, key string) *yaml.Node {
	c := *m
	c.Content = nil
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			c.Content = append(c.Content, m.Content[i], m.Content[i+1])
		}
	}
	return &c
}

// entryLine returns the line of entry under field in mapping root: the key
// of a map, an item of a list, or the field itself when entry is not found.
func entryLine(root *yaml.Node, field, entry string) int {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != field {
			continue
		}
		v := root.Content[i+1]
		if line := findEntry(v, entry); line > 0 && entry != "" {
			return line
		}
		return root.Content[i].Line
	}
	return root.Line
}

func findEntry(n *yaml.Node, entry string) int {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == entry {
				return n.Content[i].Line
			}
			if line := findEntry(n.Content[i+1], entry); line > 0 {
				return line
			}
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			if item.Value == entry {
				return item.Line
			}
		}
	case yaml.ScalarNode:
		if n.Value == entry {
			return n.Line
		}
	}
	return 0
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// strict reports every mapping key in n that has no field in t, with its
// line, so that a misspelt field is never silently ignored.
func strict(n *yaml.Node, t reflect.Type, file string, p *problems) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := map[string]reflect.Type{}
		var inline reflect.Type // a map that takes every other key
		for i := 0; i < t.NumField(); i++ {
			tag, opts, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if tag == "" && opts == "inline" && t.Field(i).Type.Kind() == reflect.Map {
				inline = t.Field(i).Type.Elem()
				continue
			}
			if tag != "" && tag != "-" {
				fields[tag] = t.Field(i).Type
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok && inline != nil {
				ft, ok = inline, true
			}
			if !ok {
				p.add(file, k.Line, "unknown field %q%s", k.Value, suggest(k.Value, fields))
				continue
			}
			strict(n.Content[i+1], ft, file, p)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for _, item := range n.Content {
			strict(item, t.Elem(), file, p)
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			strict(n.Content[i+1], t.Elem(), file, p)
		}
	}
}

// suggestOf returns " (did you mean X?)" for the option closest to got, or
// "".
func suggestOf(got string, options []string) string {
	m := map[string]reflect.Type{}
	for _, o := range options {
		m[o] = nil
	}
	return suggest(got, m)
}

func suggest(got string, fields map[string]reflect.Type) string {
	best, bestD := "", 3
	for name := range fields {
		if d := text.Distance(got, name); d < bestD || (d == bestD && name < best) {
			best, bestD = name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

var (
	idPattern          = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	valuePattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)
	placeholderPattern = regexp.MustCompile(`\{[^{}]*\}`)
)

// Placeholders are the names a text may use in braces.
var Placeholders = map[string]string{
	"{you}":      "they",
	"{You}":      "They",
	"{them}":     "them",
	"{your}":     "their",
	"{Your}":     "Their",
	"{yourself}": "themselves",
	"{org}":      strings.Repeat("O", MaxOrgName),
	"{phone}":    "1-800-000-0000",
	"{n}":        "14",
	"{m}":        "14",
	"{min}":      "1",
	"{max}":      "5",
	"{low}":      "not ready at all",
	"{high}":     "very ready",
	"{hint}":     "Please reply with how often, like every day or twice a month, or a number from the list.",
	"{answer}":   "alcohol, opioids (heroin, fentanyl, pain pills), benzos or sedatives (Xanax, Valium)",
	"{old}":      "someone else (family, partner, friend)",
}

// MaxOrgName is the longest organisation name the segment budgets allow for.
const MaxOrgName = 30

// RequiredTexts are the fixed texts the engine says, which every flow must define.
var RequiredTexts = []string{
	"welcome_back", "question", "reprompt", "reprompt_call", "help", "stop", "start",
	"subscribed", "restart", "back_none", "summary_not_yet", "call", "delete_confirm",
	"deleted", "delete_kept", "store_down", "crisis_continue", "done",
	"opt_yes", "opt_no", "scale", "media", "relayed", "handoff_claimed", "handoff_closed",
	"slow_down", "busy", "hint_intro", "hint_choice", "hint_multi", "hint_yesno", "hint_scale", "hint_count",
	"hint_frequency", "clarify", "filled", "noted", "change", "skipped",
}

func (s *Set) validate(p *problems) {
	c := s.Criteria
	f := s.Flows[c.Flow]
	if f == nil {
		p.add(c.File, 0, "flow %q is not defined", c.Flow)
		return
	}
	langs := f.Languages
	s.compileLanguages(langs, p)
	for _, fl := range sortedFlows(s.Flows) {
		fl.know(s.Langs)
	}
	for _, fl := range sortedFlows(s.Flows) {
		fl.validate(p)
		fl.compileOptions(s.Langs, p)
	}
	c.validate(f, langs, p)
	s.Crisis.validate(s.Langs, langs, p)
	var ready []*text.Language
	for _, l := range s.Langs {
		if l.Ready() {
			for _, ws := range s.Crisis.Lists[l.Code] {
				l.Know(ws...) // never read as a typo of another word
			}
			ready = append(ready, l)
		}
	}
	text.ShareKnown(ready...)
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
// its entry, and reports a language of the flows that has no file.
func (s *Set) compileLanguages(langs []string, p *problems) {
	for _, code := range sortedKeys(s.Langs) {
		l, doc := s.Langs[code], s.langDocs[code]
		for _, pr := range l.Compile() {
			p.add(doc.file, entryLine(doc.root, pr.Field, pr.Entry), "%v", pr)
		}
	}
	for _, code := range langs {
		if s.Langs[code] == nil {
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
// English, a character that would turn an SMS into UCS-2.
func checkText(t Text, langs []string, file string, line int, where string, p *problems) {
	if len(t) == 0 {
		p.add(file, line, "%s: text is missing", where)
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
			if _, ok := Placeholders[ph]; !ok {
				p.add(file, line, "%s: unknown placeholder %s in %q text", where, ph, l)
			}
		}
	}
	if en := t["en"]; en != "" {
		if bad := NonGSM7(en); bad != "" {
			p.add(file, line, "%s: English text has %q, which is not GSM-7 and would make the SMS cost 2-3 times more", where, bad)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (f *Flow) validate(p *problems) {
	file := f.File
	if f.Kind != "flow" {
		p.add(file, 0, "kind must be flow")
	}
	if !idPattern.MatchString(f.ID) {
		p.add(file, 0, "id %q must be lower case letters, digits and _", f.ID)
	}
	if f.Version <= 0 {
		p.add(file, 0, "version must be a positive number (raise it when steps change)")
	}
	if !contains(f.Languages, "en") {
		p.add(file, 0, "languages must include en")
	}
	langs := f.Languages
	if len(f.Steps) == 0 {
		p.add(file, 0, "no steps")
		return
	}
	f.index = map[string]int{}
	for i, st := range f.Steps {
		if !idPattern.MatchString(st.ID) {
			p.add(file, st.Line, "step %q: id must be lower case letters, digits and _", st.ID)
		}
		if st.ID == End {
			p.add(file, st.Line, "step \"end\": end is reserved for the summary")
		}
		if j, dup := f.index[st.ID]; dup {
			p.add(file, st.Line, "step %q: defined twice (first at line %d)", st.ID, f.Steps[j].Line)
			continue
		}
		f.index[st.ID] = i
	}
	if f.Audience != "" && f.Step(f.Audience) == nil {
		p.add(file, 0, "audience: step %q is not defined", f.Audience)
	}
	for _, aud := range []string{WhoSelf, WhoOther} {
		for _, l := range langs {
			for _, w := range []string{"you", "them", "your", "yourself"} {
				if f.Pronouns[aud][l][w] == "" {
					p.add(file, 0, "pronouns: %s %s has no %q", aud, l, w)
				}
			}
		}
	}
	scores := f.scores()
	for i, st := range f.Steps {
		where := fmt.Sprintf("step %q", st.ID)
		checkText(st.Text, langs, file, st.Line, where, p)
		f.checkNext(st.Next, st.Line, where+": next", p)
		switch st.Kind {
		case KindChoice, KindMulti, KindIntro:
			if len(st.Options) < 2 {
				p.add(file, st.Line, "%s: a %s step needs at least two options", where, st.Kind)
			}
		case KindYesNo:
			for _, o := range st.Options {
				if o.Value != "yes" && o.Value != "no" {
					p.add(file, st.Line, "%s: a yesno step's options are yes and no, not %q", where, o.Value)
				}
			}
		case KindScale:
			if st.Min >= st.Max {
				p.add(file, st.Line, "%s: a scale needs min below max", where)
			}
			if st.Max > 10 {
				p.add(file, st.Line, "%s: a scale above 10 is too long to answer by text", where)
			}
			for _, l := range sortedKeys(st.Points) {
				for _, w := range sortedKeys(st.Points[l]) {
					lo, hi, err := text.ParseRange(st.Points[l][w])
					if err != nil || lo < float64(st.Min) || hi > float64(st.Max) || lo != float64(int(lo)) || hi != float64(int(hi)) {
						p.add(file, st.Line, "%s: points %s %q: %q is not a point or range from %d to %d", where, l, w, st.Points[l][w], st.Min, st.Max)
					}
				}
			}
		case KindCount:
			f.checkCounts(st, where, p)
		case KindFrequency:
			f.checkRates(st, where, p)
		default:
			p.add(file, st.Line, "%s: kind %q is not one of %s%s", where, st.Kind, strings.Join(Kinds, ", "),
				suggest(st.Kind, kindFields()))
		}
		if st.Kind != KindScale && len(st.Points) > 0 {
			p.add(file, st.Line, "%s: points apply only to scale steps", where)
		}
		if st.Kind != KindCount && (len(st.Units) > 0 || len(st.Amounts) > 0) {
			p.add(file, st.Line, "%s: units and amounts apply only to count steps", where)
		}
		if _, ok := text.PeriodNames[st.Window]; st.Window != "" && (!ok || st.Kind != KindFrequency) {
			p.add(file, st.Line, "%s: window %q: a frequency step's window is one of %v", where, st.Window, sortedKeys(text.PeriodNames))
		}
		if st.Safety && st.Kind != KindYesNo {
			p.add(file, st.Line, "%s: the safety question is a yesno step", where)
		}
		if len(st.Hint) > 0 {
			checkText(st.Hint, langs, file, st.Line, where+": hint", p)
		}
		if i == 0 && st.Kind != KindIntro {
			p.add(file, st.Line, "%s: the first step must be the intro (the greeting)", where)
		}
		if i > 0 && st.Kind == KindIntro {
			p.add(file, st.Line, "%s: only the first step may be an intro", where)
		}
		seen := map[string]bool{}
		for _, o := range st.Options {
			ow := fmt.Sprintf("%s option %q", where, o.Value)
			if !valuePattern.MatchString(o.Value) {
				p.add(file, st.Line, "%s: value must be lower case letters, digits and _", ow)
			}
			if seen[o.Value] {
				p.add(file, st.Line, "%s: defined twice", ow)
			}
			seen[o.Value] = true
			if st.Kind != KindYesNo || len(o.Text) > 0 {
				checkText(o.Text, langs, file, st.Line, ow, p)
			}
			for l := range o.Words {
				if !contains(langs, l) {
					p.add(file, st.Line, "%s: words in language %q, not one of %v", ow, l, langs)
				}
			}
			f.checkNext(o.Next, st.Line, ow+": next", p)
			if st.Safety && o.Score != 0 {
				p.add(file, st.Line, "%s: the safety question is never scored", ow)
			}
			if o.Stay && len(o.Say) == 0 {
				p.add(file, st.Line, "%s: stay needs a say text, or the texter hears nothing", ow)
			}
			if len(o.Say) > 0 {
				checkText(o.Say, langs, file, st.Line, ow+": say", p)
			}
			if o.Only && st.Kind != KindMulti {
				p.add(file, st.Line, "%s: only applies to multi steps", ow)
			}
			if o.Score != 0 && st.Score == "" {
				p.add(file, st.Line, "%s: has a score but the step names no score", ow)
			}
			if len(o.Said) > 0 {
				checkText(o.Said, langs, file, st.Line, ow+": said", p)
			}
			if st.Kind != KindCount && (o.Min != nil || o.Max != nil) {
				p.add(file, st.Line, "%s: min and max apply only to count steps", ow)
			}
			if st.Kind != KindFrequency && o.Often != "" {
				p.add(file, st.Line, "%s: often applies only to frequency steps", ow)
			}
		}
		if st.When != nil {
			for _, msg := range f.condProblems(st.When, i, scores) {
				p.add(file, st.Line, "%s: when: %s", where, msg)
			}
		}
		if st.Kind == KindScale && (len(st.Low) == 0 || len(st.High) == 0) {
			p.add(file, st.Line, "%s: a scale needs low and high labels", where)
		}
		if len(st.Low) > 0 {
			checkText(st.Low, langs, file, st.Line, where+": low", p)
		}
		if len(st.High) > 0 {
			checkText(st.High, langs, file, st.Line, where+": high", p)
		}
	}
	missingKeys(f.Texts, RequiredTexts, file, p)
	for _, key := range sortedKeys(f.Texts) {
		checkText(f.Texts[key], langs, file, 0, fmt.Sprintf("texts %q", key), p)
	}
	if !f.dangling {
		// With a dangling next, every step after it would be reported
		// unreachable too: one mistake, one message.
		f.checkReachable(p)
	}
	f.checkBudgets(p)
}

func kindFields() map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for _, k := range Kinds {
		m[k] = nil
	}
	return m
}

// checkCounts checks that a count step's options cover counts in order,
// without overlap.
func (f *Flow) checkCounts(st *Step, where string, p *problems) {
	if len(st.Options) < 2 {
		p.add(f.File, st.Line, "%s: a count step needs at least two options", where)
	}
	prev := math.Inf(-1)
	for i, o := range st.Options {
		ow := fmt.Sprintf("%s option %q", where, o.Value)
		switch {
		case o.Min == nil:
			p.add(f.File, st.Line, "%s: a count option needs min (and max, but for the last)", ow)
			continue
		case o.Max == nil && i != len(st.Options)-1:
			p.add(f.File, st.Line, "%s: only the last count option may leave out max", ow)
		}
		lo, hi := o.Range()
		if hi < lo {
			p.add(f.File, st.Line, "%s: max is below min", ow)
		}
		if lo <= prev {
			p.add(f.File, st.Line, "%s: min %v overlaps the option before (counts must go up)", ow, lo)
		}
		prev = hi
	}
}

// checkRates reads a frequency step's rates and checks they go up without
// overlap.
func (f *Flow) checkRates(st *Step, where string, p *problems) {
	if len(st.Options) < 2 {
		p.add(f.File, st.Line, "%s: a frequency step needs at least two options", where)
	}
	var prev *text.Rate
	for _, o := range st.Options {
		ow := fmt.Sprintf("%s option %q", where, o.Value)
		r, err := text.ParseRate(o.Often)
		switch {
		case o.Often == "":
			p.add(f.File, st.Line, "%s: a frequency option needs often (\"2-3 a week\", \"0\")", ow)
			continue
		case err != nil:
			p.add(f.File, st.Line, "%s: often %v", ow, err)
			continue
		case r.Vague:
			p.add(f.File, st.Line, "%s: often cannot be vague", ow)
			continue
		}
		o.rate = r
		// "0-1 a month" after "0" means more than never, up to once a month.
		afterNever := prev != nil && prev.IsNever() && r.Lo == 0 && r.Hi > 0
		if prev != nil && !afterNever && r.Lo <= prev.Hi {
			p.add(f.File, st.Line, "%s: often %q overlaps the option before (rates must go up)", ow, o.Often)
		}
		prev = &r
	}
}

func (f *Flow) checkNext(next string, line int, where string, p *problems) {
	if next != "" && next != End && f.Step(next) == nil {
		p.add(f.File, line, "%s %q is not defined", where, next)
		f.dangling = true
	}
}

// condProblems lists what is wrong with c. at is the position of the step
// that asks it (a condition may only name steps asked before), or -1 in the
// criteria table, where every step has been asked and indicators may be used.
func (f *Flow) condProblems(c *Cond, at int, scores map[string]bool) []string {
	var out []string
	forms := 0
	if c.Step != "" {
		forms++
		j := f.Index(c.Step)
		switch {
		case j < 0:
			out = append(out, fmt.Sprintf("step %q is not defined", c.Step))
		case at >= 0 && j >= at:
			out = append(out, fmt.Sprintf("step %q is not asked before this one", c.Step))
		default:
			st := f.Steps[j]
			if len(c.In) == 0 && len(c.NotIn) == 0 {
				out = append(out, fmt.Sprintf("step %q needs in or not_in", c.Step))
			}
			for _, v := range append(append([]string{}, c.In...), c.NotIn...) {
				if !st.CanAnswer(v) {
					out = append(out, fmt.Sprintf("step %q has no answer %q", c.Step, v))
				}
			}
		}
	}
	if c.Score != "" {
		forms++
		if !scores[c.Score] {
			out = append(out, fmt.Sprintf("no step adds to score %q", c.Score))
		}
		if c.AtLeast == nil {
			out = append(out, fmt.Sprintf("score %q needs at_least", c.Score))
		}
	}
	if c.Indicator != "" {
		forms++
		if at >= 0 {
			out = append(out, "a flow step cannot depend on an indicator")
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
		out = append(out, "a condition needs exactly one of step, score, indicator, any, all, not")
	}
	return out
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

// CanAnswer reports whether v is a value the step can be answered with.
func (s *Step) CanAnswer(v string) bool {
	switch s.Kind {
	case KindYesNo:
		return v == "yes" || v == "no"
	case KindScale:
		var n int
		_, err := fmt.Sscanf(v, "%d", &n)
		return err == nil && n >= s.Min && n <= s.Max
	}
	return s.Option(v) != nil
}

// NextOf returns the step that follows st when answered with value ("" for
// the end of the flow), before When conditions are applied.
func (f *Flow) NextOf(st *Step, value string) string {
	if o := st.Option(value); o != nil && o.Next != "" {
		return o.Next
	}
	if st.Next != "" {
		return st.Next
	}
	i := f.Index(st.ID)
	if i+1 < len(f.Steps) {
		return f.Steps[i+1].ID
	}
	return End
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

// Segment budgets: how many SMS segments one message may take.
const (
	QuestionSegments = 3 // a question with its options and progress
	SummarySegments  = 4 // each of the two summary messages
	// SummarySegmentsUCS2 is the budget of a summary message with a
	// character outside GSM-7 (Spanish á, í, ó, ú), counted as written. By
	// default the SMS channel transliterates such text and it must then fit
	// SummarySegments like any other; with HELPLINE_SMS_UNICODE=1 it goes
	// out as UCS-2, 67 characters a segment instead of 153. The Spanish
	// summary says what the English one says (the lean, up to four reasons
	// in the texter's own terms, "not a diagnosis") in about as many
	// characters, and "diagnóstico", "atención", "según" cannot be written
	// without accents, so it cannot fit four UCS-2 segments without dropping
	// reasons: the operator who turns Unicode on pays for the accents.
	SummarySegmentsUCS2 = 9
)

// SummaryBudget returns how many segments the summary message msg may take:
// SummarySegments in GSM-7, SummarySegmentsUCS2 when it needs UCS-2.
func SummaryBudget(msg string) int {
	if GSM7(msg) {
		return SummarySegments
	}
	return SummarySegmentsUCS2
}

// checkBudgets renders every question as the engine sends it, with the
// longest placeholders, and reports any over its segment budget. A text with
// a character outside GSM-7 (Spanish á, í, ó, ú) is counted as UCS-2, as it
// is sent when HELPLINE_SMS_UNICODE=1.
func (f *Flow) checkBudgets(p *problems) {
	for _, st := range f.Steps {
		for _, l := range f.Languages {
			msg := f.Prompt(st, l, f.LongestVars(l))
			if n := Segments(msg); n > QuestionSegments {
				p.add(f.File, st.Line, "step %q: the %q question takes %d SMS segments (%d characters); the budget is %d", st.ID, l, n, len([]rune(msg)), QuestionSegments)
			}
		}
	}
}

// LongestVars returns Placeholders with the pronouns of lang filled in by
// the longer of the two audiences' words ("esa persona" over "usted"), for
// checking segment budgets.
func (f *Flow) LongestVars(lang string) map[string]string {
	vars := make(map[string]string, len(Placeholders))
	for k, v := range Placeholders {
		vars[k] = v
	}
	for _, w := range []string{"you", "them", "your", "yourself"} {
		long := ""
		for _, aud := range []string{WhoSelf, WhoOther} {
			if v := f.Pronouns[aud][lang][w]; len([]rune(v)) > len([]rune(long)) {
				long = v
			}
		}
		if long != "" {
			vars["{"+w+"}"], vars["{"+capitalize(w)+"}"] = long, capitalize(long)
		}
	}
	return vars
}

// missingKeys reports, in one message, the required texts a file lacks.
func missingKeys(texts map[string]Text, required []string, file string, p *problems) {
	var missing []string
	for _, key := range required {
		if _, ok := texts[key]; !ok {
			missing = append(missing, strconv.Quote(key))
		}
	}
	if len(missing) > 0 {
		p.add(file, 0, "texts: missing %s", strings.Join(missing, ", "))
	}
}
