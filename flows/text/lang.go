package text

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/french"
	"github.com/kljensen/snowball/norwegian"
	"github.com/kljensen/snowball/russian"
	"github.com/kljensen/snowball/spanish"
	"github.com/kljensen/snowball/swedish"
)

// Language is what the text layer knows of one language. Package flows
// decodes it from a YAML file of kind language; Compile checks it and makes
// it ready to read text.
type Language struct {
	Code string `yaml:"lang"`
	// Name is how staff see the language named ("Spanish").
	Name string `yaml:"name"`
	// Stemmer names a Snowball stemmer (see Stemmers); empty for none, in
	// which case words match only as written (and by typo).
	Stemmer string `yaml:"stemmer"`
	// Forms are texting forms and what they stand for: "wanna": "want to",
	// "q": "que", "od'd": "overdosed". Keys are one word as written
	// (apostrophes allowed); values one or more words.
	Forms map[string]string `yaml:"forms"`
	// DroppedG reads a word ending in "in" also with a g ("cuttin" as
	// "cutting"); both readings are matched.
	DroppedG bool `yaml:"dropped_g"`
	// Numbers are number words and phrases and their value: "three": 3,
	// "a dozen": 12, "half": 0.5. Tens and units combine ("twenty five").
	Numbers map[string]float64 `yaml:"numbers"`
	// NumberJoin joins tens and units ("treinta y cinco": y).
	NumberJoin []string `yaml:"number_join"`
	// Vague are number words that are not exact, with the range they may
	// mean: "a couple": "2-3", "a few": "2-5".
	Vague map[string]string `yaml:"vague"`
	// Approx mark a number as an approximation: "about", "like", "ish".
	Approx []string `yaml:"approx"`
	// Negation words negate what follows them, up to the next contrast
	// word, clause word, clause break or MaxScope content words.
	Negation []string `yaml:"negation"`
	// Contrast words ("but", "pero", "though") end a negation's scope and
	// start a new clause; the part after them usually decides.
	Contrast []string `yaml:"contrast"`
	// Clause words start a new clause without punctuation (subject
	// pronouns, "just", "only"): a negation before them stops there.
	Clause []string `yaml:"clause"`
	// Release words end a negation and are not negated themselves: "cant
	// stop drinking" is about drinking.
	Release []string `yaml:"release"`
	// Or words continue a negation over a list: "no car or bus".
	Or []string `yaml:"or"`
	// Fillers carry no content: articles, "um", "lol", "option", "number".
	Fillers []string `yaml:"fillers"`
	// Yes and No are ways of saying yes and no; Hedges are the words of
	// "not sure, maybe, sometimes" that the safety question reads as yes.
	Yes    []string `yaml:"yes"`
	No     []string `yaml:"no"`
	Hedges []string `yaml:"hedges"`
	// All are ways of saying "all of them" to a checklist; Continue answer
	// "continue or start over?" with continue.
	All      []string `yaml:"all"`
	Continue []string `yaml:"continue"`
	// Polite words may stand before or after a keyword without making it
	// part of a sentence: "please stop", "stop now".
	Polite []string `yaml:"polite"`
	// Keywords are whole messages that ask for something, by name (see
	// KeywordNames): "stop": ["stop", "stop texting me", "leave me alone"].
	Keywords map[string][]string `yaml:"keywords"`
	// Detect are words and phrases that mark a first message as written in
	// this language ("hola", "necesito ayuda").
	Detect []string `yaml:"detect"`
	// Periods name spans of time for frequencies: day, week, month, year,
	// weekend, and the words for each ("dia", "semana").
	Periods map[string][]string `yaml:"periods"`
	// Times are the words of "3 times", "2 veces".
	Times []string `yaml:"times"`
	// Often are frequencies in words and their rate ("most days": "5-6 a
	// week", "sometimes": "vague"; see ParseRate).
	Often map[string]string `yaml:"often"`
	// Weekdays are the names of the days, by number ("fri": 5).
	Weekdays map[string]int `yaml:"weekdays"`
	// Ranges join two numbers into a range ("3 or 4", "3 to 4"); Between
	// opens one ("between 3 and 4"); More and Less bound a number ("more
	// than 10", "10 or more", "under 3").
	Ranges  []string `yaml:"ranges"`
	Between []string `yaml:"between"`
	More    []string `yaml:"more"`
	Less    []string `yaml:"less"`
	// Per join a count to its period ("3 times a week", "2 veces por
	// semana"); Every starts a period of several ("every 2 weeks").
	Per   []string `yaml:"per"`
	Every []string `yaml:"every"`
	// Pronouns say too little alone to answer a question they were not
	// asked for ("i", "he", "me").
	Pronouns []string `yaml:"pronouns"`
	// Others name someone other than the texter ("he", "my son", "se"):
	// danger said of them is theirs.
	Others []string `yaml:"others"`
	// Self name the texter ("i", "me", "yo"): the nearest of these or of
	// others before danger says whose it is.
	Self []string `yaml:"self"`
	// Possessives go with the word after them: "para mi jefa" is about
	// the jefa.
	Possessives []string `yaml:"possessives"`
	// Questions begin a question back ("what is", "q es"): such a message
	// is not an answer.
	Questions []string `yaml:"questions"`
	// Also turn a contrast into an addition: "para mi pero tambien mi pareja".
	Also []string `yaml:"also"`
	// Unsure are ways of saying "I don't know": never a no ("idk" is not
	// "i do not").
	Unsure []string `yaml:"unsure"`
	// And join two things said ("chiva y pastillas": two, not one).
	And []string `yaml:"and"`
	// Past mark an answer as about the past ("used to", "antes"): asked
	// about, never taken as now.
	Past []string `yaml:"past"`
	// NotNow say no to "right now" ("not right now", "ahorita no"): the
	// answer to the direct question that is a no, not a hedge.
	NotNow []string `yaml:"not_now"`

	c *compiled
	// known are words the flows use anywhere in this language; shared
	// holds those of every language. A word people write that is one of
	// them is never read as a typo of another ("noche" is not "coche",
	// English "suicidal" is not Spanish "suicida").
	known, shared map[string]bool
}

// MaxScope is how many content words a negation covers at most.
const MaxScope = 4

// KeywordNames are the keywords a language may define. stop, start and help
// are the carrier's; the rest are the assistant's; language asks for this
// language.
var KeywordNames = []string{"stop", "start", "help", "restart", "back", "summary", "call", "delete", "language"}

// PeriodNames are the spans of time a language may name, with their length
// in days.
var PeriodNames = map[string]float64{"day": 1, "night": 1, "week": 7, "weekend": 7, "fortnight": 14, "month": 30, "year": 365}

// Stemmers are the Snowball stemmers a language may name.
var Stemmers = map[string]func(string) string{
	"english":   func(w string) string { return english.Stem(w, false) },
	"spanish":   func(w string) string { return spanish.Stem(w, false) },
	"french":    func(w string) string { return french.Stem(w, false) },
	"russian":   func(w string) string { return russian.Stem(w, false) },
	"swedish":   func(w string) string { return swedish.Stem(w, false) },
	"norwegian": func(w string) string { return norwegian.Stem(w, false) },
}

// compiled is a Language made ready to read.
type compiled struct {
	stem     func(string) string
	cache    stemCache
	forms    map[string][]string
	numbers  map[string]float64 // single words
	numPhr   []numPhrase        // phrases, longest first
	join     set
	vague    map[string][2]float64 // phrase (words joined by spaces) -> range
	often    []often
	oftenM   *Matcher // the often phrases, named by their index
	weekdays map[string]int
	approx   set
	negation set
	contrast set
	clause   set
	release  set
	or       set
	fillers  set
	polite   [][]string
	keywords map[string]string // phrase (words joined by spaces) -> name
	lists    map[string][][]string
	periods  map[string]string // word -> period name
	times    set
	// keywordLen is the most words a keyword has.
	keywordLen int
}

type set map[string]bool

type often struct {
	words []string
	rate  Rate
}

type numPhrase struct {
	words []string
	value float64
}

// A Problem is one thing wrong with a Language, placed at a field and, for
// lists and maps, an entry, so that flows can name the file and line.
type Problem struct {
	Field string // "forms"
	Entry string // the key or item at fault; "" for the field itself
	Msg   string
}

func (p Problem) Error() string {
	if p.Entry != "" {
		return fmt.Sprintf("%s %q: %s", p.Field, p.Entry, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.Field, p.Msg)
}

// Compile checks l and prepares it for reading; it reports every problem.
// A Language must be compiled before use.
func (l *Language) Compile() []Problem {
	var ps []Problem
	bad := func(field, entry, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Entry: entry, Msg: fmt.Sprintf(format, args...)})
	}
	c := &compiled{forms: map[string][]string{}, numbers: map[string]float64{}, keywords: map[string]string{}, periods: map[string]string{}, lists: map[string][][]string{}}
	if l.Code == "" {
		bad("lang", "", "missing: the language code, like en or es")
	}
	if l.Stemmer != "" {
		s, ok := Stemmers[l.Stemmer]
		if !ok {
			bad("stemmer", l.Stemmer, "not one of %s (or leave it out)%s", strings.Join(sortedNames(Stemmers), ", "), DidYouMean(l.Stemmer, sortedNames(Stemmers)))
		}
		c.stem = s
	}
	for _, k := range sortedNames(l.Forms) {
		v := l.Forms[k]
		w := Split(k)
		if len(w) != 1 || w[0].Kind != KindWord && !mixed(w[0].Text) {
			bad("forms", k, "a texting form is one word as written")
			continue
		}
		exp := words(v)
		if len(exp) == 0 {
			bad("forms", k, "stands for nothing")
			continue
		}
		c.forms[w[0].Text] = exp
	}
	c.join = l.wordSet("number_join", l.NumberJoin, bad)
	for _, k := range sortedNames(l.Numbers) {
		ws := c.expand(words(k))
		switch {
		case len(ws) == 0:
			bad("numbers", k, "has no words")
		case l.Numbers[k] < 0:
			bad("numbers", k, "a number word cannot be negative")
		case len(ws) == 1:
			c.numbers[ws[0]] = l.Numbers[k]
		default:
			c.numPhr = append(c.numPhr, numPhrase{words: ws, value: l.Numbers[k]})
		}
	}
	sort.SliceStable(c.numPhr, func(i, j int) bool { return len(c.numPhr[i].words) > len(c.numPhr[j].words) })
	c.vague = map[string][2]float64{}
	for _, v := range sortedNames(l.Vague) {
		ws := c.expand(words(v))
		if _, ok := c.number(ws); !ok {
			bad("vague", v, "is not one of the numbers above")
			continue
		}
		lo, hi, err := parseRange(l.Vague[v])
		if err != nil {
			bad("vague", v, "%v: write the range it may mean, like 2-5", err)
			continue
		}
		c.vague[strings.Join(ws, " ")] = [2]float64{lo, hi}
	}
	for _, k := range sortedNames(l.Often) {
		ws := c.expand(words(k))
		r, err := ParseRate(l.Often[k])
		switch {
		case len(ws) == 0:
			bad("often", k, "has no words")
		case err != nil:
			bad("often", k, "%v", err)
		default:
			c.often = append(c.often, often{words: ws, rate: r})
		}
	}
	sort.SliceStable(c.often, func(i, j int) bool { return len(c.often[i].words) > len(c.often[j].words) })
	c.weekdays = map[string]int{}
	for _, k := range sortedNames(l.Weekdays) {
		ws := c.expand(words(k))
		if len(ws) != 1 || l.Weekdays[k] < 1 || l.Weekdays[k] > 7 {
			bad("weekdays", k, "a weekday is one word numbered 1 to 7")
			continue
		}
		c.weekdays[ws[0]] = l.Weekdays[k]
	}
	c.approx = c.phraseSet("approx", l.Approx, bad)
	for _, p := range l.Approx {
		if ws := c.expand(words(p)); len(ws) > 0 {
			c.lists["approx"] = append(c.lists["approx"], ws)
		}
	}
	c.negation = l.wordSet("negation", c.expandAll(l.Negation), bad)
	c.contrast = l.wordSet("contrast", c.expandAll(l.Contrast), bad)
	c.clause = l.wordSet("clause", c.expandAll(l.Clause), bad)
	c.release = l.wordSet("release", c.expandAll(l.Release), bad)
	c.or = l.wordSet("or", c.expandAll(l.Or), bad)
	c.fillers = l.wordSet("fillers", c.expandAll(l.Fillers), bad)
	l.c = c // for Know; cleared below if anything is wrong
	for _, list := range [][]string{l.Yes, l.No, l.Hedges, l.Detect, l.All, l.Continue, l.Fillers, l.Negation,
		l.Contrast, l.Clause, l.Release, l.Or, l.Polite, l.Approx, l.Times, l.Ranges, l.Between, l.More, l.Less,
		l.Per, l.Every, l.Pronouns, l.Others, l.Possessives, l.Questions, l.Also, l.Unsure, l.And, l.Past, sortedNames(l.Forms), sortedNames(l.Numbers),
		sortedNames(l.Often), sortedNames(l.Weekdays)} {
		l.Know(list...)
	}
	for _, ws := range l.Periods {
		l.Know(ws...)
	}
	for _, ws := range l.Keywords {
		l.Know(ws...)
	}
	for _, p := range l.Polite {
		ws := c.expand(words(p))
		if len(ws) == 0 {
			bad("polite", p, "has no words")
			continue
		}
		c.polite = append(c.polite, ws)
	}
	for _, field := range []struct {
		name string
		list []string
	}{{"yes", l.Yes}, {"no", l.No}, {"hedges", l.Hedges}, {"detect", l.Detect}, {"all", l.All}, {"continue", l.Continue},
		{"ranges", l.Ranges}, {"between", l.Between}, {"more", l.More}, {"less", l.Less}, {"per", l.Per}, {"every", l.Every},
		{"pronouns", l.Pronouns}, {"others", l.Others}, {"self", l.Self}, {"possessives", l.Possessives}, {"questions", l.Questions}, {"also", l.Also}, {"unsure", l.Unsure}, {"and", l.And}, {"past", l.Past}, {"not_now", l.NotNow}} {
		for _, p := range field.list {
			ws := c.expand(words(p))
			if len(ws) == 0 {
				bad(field.name, p, "has no words")
				continue
			}
			c.lists[field.name] = append(c.lists[field.name], ws)
		}
	}
	for _, name := range sortedNames(l.Keywords) {
		if !slices.Contains(KeywordNames, name) {
			bad("keywords", name, "not one of %s%s", strings.Join(KeywordNames, ", "), DidYouMean(name, KeywordNames))
			continue
		}
		for _, p := range l.Keywords[name] {
			ws := c.expand(words(p))
			if len(ws) == 0 {
				bad("keywords", p, "has no words")
				continue
			}
			key := strings.Join(ws, " ")
			if other, dup := c.keywords[key]; dup && other != name {
				bad("keywords", p, "is both %s and %s", other, name)
				continue
			}
			c.keywords[key] = name
			c.keywordLen = max(c.keywordLen, len(ws))
		}
	}
	for _, name := range sortedNames(l.Periods) {
		if _, ok := PeriodNames[name]; !ok {
			bad("periods", name, "not one of %s%s", strings.Join(sortedNames(PeriodNames), ", "), DidYouMean(name, sortedNames(PeriodNames)))
			continue
		}
		for _, w := range l.Periods[name] {
			ws := c.expand(words(w))
			if len(ws) != 1 {
				bad("periods", w, "a period is named by one word")
				continue
			}
			c.periods[ws[0]] = name
		}
	}
	c.times = l.wordSet("times", c.expandAll(l.Times), bad)
	if len(ps) > 0 {
		l.c = nil
		return ps
	}
	c.oftenM, _ = l.NewMatcher(nil, true)
	for i, o := range c.often {
		// As written, with typos, never by stem: "week" is not "weekly".
		if _, err := c.oftenM.AddPhrase(strconv.Itoa(i), strings.Join(o.words, " "), false); err != nil {
			bad("often", strings.Join(o.words, " "), "%v", err)
		}
	}
	if len(ps) > 0 {
		l.c = nil
	}
	return ps
}

// wordSet makes a set of single words, reporting entries of several words.
func (l *Language) wordSet(field string, list []string, bad func(field, entry, format string, args ...any)) set {
	s := set{}
	for _, w := range list {
		ws := words(w)
		if len(ws) != 1 {
			bad(field, w, "must be one word")
			continue
		}
		s[ws[0]] = true
	}
	return s
}

// phraseSet makes a set of phrases, each as its words joined by spaces.
func (c *compiled) phraseSet(field string, list []string, bad func(field, entry, format string, args ...any)) set {
	s := set{}
	for _, p := range list {
		ws := c.expand(words(p))
		if len(ws) == 0 {
			bad(field, p, "has no words")
			continue
		}
		s[strings.Join(ws, " ")] = true
	}
	return s
}

// expandAll reads each entry through the texting forms, one word at a
// time, so that a list entry "dont" means what "dont" in a message means.
func (c *compiled) expandAll(list []string) []string {
	var out []string
	for _, w := range list {
		ws := c.expand(words(w))
		if len(ws) == 1 {
			out = append(out, ws[0])
		} else {
			out = append(out, w) // reported as not one word
		}
	}
	return out
}

// expand applies the texting forms to words.
func (c *compiled) expand(ws []string) []string {
	var out []string
	for _, w := range ws {
		if exp, ok := c.forms[w]; ok {
			out = append(out, exp...)
			continue
		}
		out = append(out, w)
	}
	return out
}

// words folds and splits s into its words, numbers and emoji as written.
func words(s string) []string {
	ps := Split(s)
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Text)
	}
	return out
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Stem returns the stem of word (folded) in l, or word itself when l has
// no stemmer.
func (l *Language) Stem(word string) string {
	if l.c == nil || l.c.stem == nil {
		return word
	}
	return l.c.cache.get(word, l.c.stem)
}

// stemCacheSize bounds the stems remembered per language. Texters use few
// distinct words; a flood of random ones just starts the cache over.
const stemCacheSize = 1 << 14

// stemCache remembers stems: the stemmer costs about a microsecond a word,
// a lookup a few tens of nanoseconds.
type stemCache struct {
	m atomic.Pointer[sync.Map]
	n atomic.Int64
}

func (c *stemCache) get(w string, stem func(string) string) string {
	m := c.m.Load()
	if m == nil {
		m = &sync.Map{}
		if !c.m.CompareAndSwap(nil, m) {
			m = c.m.Load()
		}
	}
	if s, ok := m.Load(w); ok {
		return s.(string)
	}
	s := w
	if len(w) > 2 && !strings.ContainsFunc(w, func(r rune) bool { return r >= '0' && r <= '9' }) {
		s = stem(w)
	}
	if c.n.Add(1) > stemCacheSize {
		c.n.Store(0)
		c.m.Store(&sync.Map{})
		return s
	}
	m.Store(w, s)
	return s
}

// Is reports whether word (folded, after forms) is in the word list of l.
func (l *Language) Is(list WordList, word string) bool {
	if l.c == nil {
		return false
	}
	switch list.name {
	case "negation":
		return l.c.negation[word]
	case "contrast":
		return l.c.contrast[word]
	case "clause":
		return l.c.clause[word]
	case "fillers":
		return l.c.fillers[word]
	case "times":
		return l.c.times[word]
	case "approx":
		return l.c.approx[word]
	case "or":
		return l.c.or[word]
	}
	return false
}

// Period returns the period a word names ("week" for "semana"), or "".
func (l *Language) Period(word string) string {
	if l.c == nil {
		return ""
	}
	return l.c.periods[word]
}

// Know adds words (as written in flow files) to the words l knows, so they
// are never read as typos of others. Call it before l is used.
func (l *Language) Know(texts ...string) {
	if l.known == nil {
		l.known = map[string]bool{}
	}
	for _, t := range texts {
		for _, w := range words(t) {
			if l.c != nil {
				for _, e := range l.c.expand([]string{w}) {
					l.known[e] = true
				}
			}
			l.known[w] = true
		}
	}
}

// ShareKnown makes every language know the words of the others: a
// message is read in every language for danger, and an English word
// ("suicidal") is never a typo of a Spanish one ("suicida"). Call it once
// every language has been told its words.
func ShareKnown(langs ...*Language) {
	all := map[string]bool{}
	for _, l := range langs {
		for w := range l.known {
			all[w] = true
		}
	}
	for _, l := range langs {
		l.shared = all
	}
}

// typoSafe reports whether word may be read as a typo of another: it is
// not a word the flows already use, in any language.
func (l *Language) typoSafe(word string) bool {
	if l.shared != nil {
		return !l.shared[word]
	}
	return !l.known[word]
}

// Knows reports whether word is one the flows use in l.
func (l *Language) Knows(word string) bool { return l.known[word] }

// Ready reports whether l was compiled without problems.
func (l *Language) Ready() bool { return l != nil && l.c != nil }

// DidYouMean returns ` (did you mean "x"?)` for the one name close to got,
// or "": close is one edit in a short name, two in a name of six letters
// or more, and never more than a third of it; a name that is the start of
// the other counts as one edit. Two names as close say nothing, and
// neither does a name far off.
func DidYouMean(got string, names []string) string {
	n := len([]rune(got))
	limit := 1
	if n >= 6 {
		limit = 2
	}
	limit = min(limit, max(1, n/3))
	best, bestD, tie := "", limit+1, false
	for _, c := range names {
		if c == got {
			continue
		}
		d := Distance(got, c)
		if len(c) >= 4 && len(got) >= 4 && (strings.HasPrefix(got, c) || strings.HasPrefix(c, got)) {
			d = 1 // "holding" for "hold": the same name, grown
		}
		switch {
		case d < bestD:
			best, bestD, tie = c, d, false
		case d == bestD && c != best:
			tie = true
		}
	}
	if best == "" || tie {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
