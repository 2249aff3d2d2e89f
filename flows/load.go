package flows

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"

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
	// FAQ answers texters' questions; nil when the directory has no
	// answers file.
	FAQ *FAQ
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

// Default returns the flows shipped in the binary, loaded once: a Set is
// never changed after it is loaded, so every caller can share it. They are
// checked by the tests, so an error here means the binary itself is broken.
func Default() (*Set, error) { return loadDefault() }

var loadDefault = sync.OnceValues(func() (*Set, error) { return Load(files) })

// Screening returns the main flow, the one the criteria table is written for.
func (s *Set) Screening() *Flow { return s.Flows[s.Criteria.Flow] }

// Languages returns the languages every text of the set must have.
func (s *Set) Languages() []string { return s.Screening().Languages }

// Load parses and validates every *.yaml file in fsys and reports all
// problems at once, each as "file:line: what is wrong", in file and line
// order. A file that does not parse is one problem, at the line of the
// mistake; every other file is still checked.
func Load(fsys fs.FS) (*Set, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	set := &Set{Flows: map[string]*Flow{}, Langs: map[string]*text.Language{}, langDocs: map[string]langDoc{}}
	var p problems
	// broken holds the kinds of the files that could not be read, whose
	// absence is then no news.
	broken := map[string]bool{}
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			p.add(name, 0, "%v", err)
			continue
		}
		if kind, ok := set.decode(name, raw, &p); !ok {
			broken[kind] = true
		}
	}
	if set.Criteria == nil && !broken["criteria"] {
		p.add("criteria.yaml", 0, "no file of kind criteria: the summary has nothing to apply")
	}
	if set.Crisis == nil && !broken["crisis"] {
		p.add("crisis.yaml", 0, "no file of kind crisis: danger would go unnoticed")
	}
	set.validate(&p, broken)
	if len(p.list) > 0 {
		return nil, p.err()
	}
	return set, nil
}

// problems collects every problem found.
type problems struct {
	list []problem
	// misspelt holds the mappings (file and line) with a misspelt field:
	// that field's absence is the same mistake, not another.
	misspelt map[problem]bool
}

type problem struct {
	file string
	line int
	msg  string
}

func (p *problems) add(file string, line int, format string, args ...any) {
	p.list = append(p.list, problem{file, line, fmt.Sprintf(format, args...)})
}

// misspell records that the mapping at file:line has a misspelt field.
func (p *problems) misspell(file string, line int) {
	if p.misspelt == nil {
		p.misspelt = map[problem]bool{}
	}
	p.misspelt[problem{file: file, line: line}] = true
}

// lacks reports a field missing from the mapping at file:line, unless a
// misspelt field was reported there: most likely the same one.
func (p *problems) lacks(file string, line int, format string, args ...any) {
	if !p.misspelt[problem{file: file, line: line}] {
		p.add(file, line, format, args...)
	}
}

// err joins the problems in file and line order, each once.
func (p *problems) err() error {
	list := p.list
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].file != list[j].file {
			return list[i].file < list[j].file
		}
		return list[i].line < list[j].line
	})
	var errs []error
	for i, pr := range list {
		if i > 0 && pr == list[i-1] {
			continue
		}
		where := pr.file
		if pr.line > 0 {
			where = fmt.Sprintf("%s:%d", pr.file, pr.line)
		}
		errs = append(errs, fmt.Errorf("%s: %s", where, pr.msg))
	}
	return errors.Join(errs...)
}

var kindLine = regexp.MustCompile(`(?m)^kind:[ \t]*["']?([a-z]+)`)

// decode reads one file into the set. It returns the file's kind and
// whether it could be read at all.
func (s *Set) decode(name string, raw []byte, p *problems) (kind string, ok bool) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		// Name the kind the file meant to be, from its text.
		if m := kindLine.FindSubmatch(raw); m != nil {
			kind = string(m[1])
		}
		line, msg := splitLine(strings.TrimPrefix(err.Error(), "yaml: "))
		if at, why := misindented(string(raw)); at > 0 {
			line, msg = at, why
		}
		p.add(name, line, "%s; the file cannot be read until this is fixed", msg)
		return kind, false
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		p.add(name, 0, "expected a mapping with a kind: flow, criteria, crisis, language or answers")
		return "", false
	}
	root := doc.Content[0]
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
		f := &Flow{File: name, root: root}
		target = f
		defer func() {
			if prev, dup := s.Flows[f.ID]; dup {
				p.add(name, rootLine(root, "id"), "flow %q is defined twice (first in %s)", f.ID, prev.File)
				return
			}
			s.Flows[f.ID] = f
			f.place()
		}()
	case "criteria":
		if s.Criteria != nil {
			p.add(name, root.Line, "a second criteria table (the first is in %s)", s.Criteria.File)
			return kind, true
		}
		c := &Criteria{File: name, root: root}
		target = c
		defer func() {
			s.Criteria = c
			c.place()
		}()
	case "crisis":
		if s.Crisis != nil {
			p.add(name, root.Line, "a second crisis file (the first is in %s)", s.Crisis.File)
			return kind, true
		}
		c := &Crisis{File: name, root: root}
		target = c
		defer func() {
			s.Crisis = c
			c.place()
		}()
	case "answers":
		if s.FAQ != nil {
			p.add(name, root.Line, "a second answers file (the first is in %s)", s.FAQ.File)
			return kind, true
		}
		a := &FAQ{File: name, root: root}
		target = a
		defer func() { s.FAQ = a }()
	case "provider":
		// A provider file beside the flows (provider.example.yaml) is the
		// operator's, checked with flows check --provider.
		return kind, true
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
		p.add(name, rootLine(root, "kind"), "kind must be flow, criteria, crisis, language or answers, not %q%s", kind,
			didYouMean(kind, []string{"flow", "criteria", "crisis", "language", "answers"}))
		return kind, false
	}
	// Errors are collected; the deferred registration runs either way so
	// other files can refer to this one.
	strict(root, reflect.TypeOf(target), name, p)
	if err := root.Decode(target); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, e := range te.Errors {
				line, msg := splitLine(e)
				p.add(name, line, "%s", msg)
			}
		} else {
			p.add(name, 0, "%v", err)
		}
	}
	return kind, true
}

// place gives each step and option of f its node in the file, for the
// lines of problems.
func (f *Flow) place() {
	for i, st := range f.Steps {
		if st == nil {
			continue
		}
		st.node = item(f.root, "steps", i)
		st.Line = lineAt(st.node)
		for j, o := range st.Options {
			if o != nil {
				o.node = item(st.node, "options", j)
			}
		}
	}
}

// place gives each indicator and rule of c its node in the file.
func (c *Criteria) place() {
	for i, in := range c.Indicators {
		if in != nil {
			in.node = item(c.root, "indicators", i)
			in.Line = lineAt(in.node)
		}
	}
	for i, r := range c.Rules {
		if r != nil {
			r.node = item(c.root, "rules", i)
			r.Line = lineAt(r.node)
		}
	}
	for i, in := range c.Instead {
		if in != nil {
			in.node = item(c.root, "instead", i)
		}
	}
}

// place gives each pattern and clear rule of c its node in the file.
func (c *Crisis) place() {
	for i, dp := range c.Patterns {
		if dp != nil {
			dp.node = item(c.root, "patterns", i)
		}
	}
	for i, r := range c.Clear {
		if r != nil {
			r.node = item(c.root, "clear", i)
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
				hint := unknownField(k.Value, fields)
				p.add(file, k.Line, "unknown field %q%s", k.Value, hint)
				if strings.HasPrefix(hint, " (did you mean") {
					p.misspell(file, n.Line)
				}
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

// unknownField says what a key that is no field probably is: a
// translation indented one level too far out, or a misspelt field.
func unknownField(key string, fields map[string]reflect.Type) string {
	if languageCode.MatchString(key) {
		return " (a translation? indent it under the text it translates)"
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	return didYouMean(key, names)
}

var languageCode = regexp.MustCompile(`^[a-z]{2}$`)

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
