package flows

import (
	"fmt"
	"math"
	"strings"

	"gopkg.in/yaml.v3"

	"helpline/flows/text"
)

// Text is one piece of wording in every language the service speaks, keyed
// by language code ("en", "es").
type Text map[string]string

// In returns the wording for lang, falling back to English.
func (t Text) In(lang string) string {
	if s, ok := t[lang]; ok && s != "" {
		return s
	}
	return t["en"]
}

// End is where a flow goes after its last step, to the summary; an
// author writes it as a step's next.
const End = "end"

// Step kinds.
const (
	KindIntro  = "intro"  // the greeting: a yes/no that is not counted as a question
	KindChoice = "choice" // one numbered option
	KindMulti  = "multi"  // every numbered option that applies
	KindYesNo  = "yesno"  // yes or no
	KindScale  = "scale"  // a number from Min to Max
	// KindCount is a number of things placed in the options' ranges (min
	// to max): a bare number up to the number of options is an option.
	KindCount = "count"
	// KindFrequency is how often, placed in the options' rates (often).
	KindFrequency = "frequency"
)

// Kinds are the step kinds a flow may use.
var Kinds = []string{KindIntro, KindChoice, KindMulti, KindYesNo, KindScale, KindCount, KindFrequency}

// Flow is a screening: an ordered list of steps, each asked in turn unless its
// When condition is false.
type Flow struct {
	Kind      string   `yaml:"kind"` // always "flow"
	ID        string   `yaml:"id"`
	Version   int      `yaml:"version"`
	Languages []string `yaml:"languages"`
	// Audience names the step whose answer "other" turns "you" into "they".
	Audience string `yaml:"audience"`
	// Pronouns are the words for {you}, {your} and {yourself}, by audience
	// ("self" or "other") and language; capitalised forms are derived.
	Pronouns map[string]map[string]map[string]string `yaml:"pronouns"`
	Steps    []*Step                                 `yaml:"steps"`
	Texts    map[string]Text                         `yaml:"texts"`

	File     string         `yaml:"-"`
	root     *yaml.Node     // the file's YAML, for the lines of problems
	index    map[string]int // step ID -> position
	dangling bool           // a next names no step (found while validating)
}

// Step is one question of a flow.
type Step struct {
	ID      string    `yaml:"id"`
	Kind    string    `yaml:"kind"`
	Text    Text      `yaml:"text"`
	Options []*Option `yaml:"options"`
	// When, if set, must hold for the step to be asked; otherwise it is skipped.
	When *Cond `yaml:"when"`
	// Next names the step that follows; by default the next one in the list.
	Next string `yaml:"next"`
	// Score names the instrument (e.g. "auditc") whose score this step's
	// option scores add to.
	Score string `yaml:"score"`
	// Min and Max bound a scale; Low and High label its ends.
	Min  int  `yaml:"min"`
	Max  int  `yaml:"max"`
	Low  Text `yaml:"low"`
	High Text `yaml:"high"`
	// Points are words for points of a scale, per language: "pretty
	// ready": "4"; a range ("ready": "4-5") is asked about.
	Points map[string]map[string]string `yaml:"points"`
	// Hint says what kind of answer fits, when one did not; by default the
	// fixed text hint_<kind>.
	Hint Text `yaml:"hint"`
	// Units are, per language, what a count step counts ("beers", "shots"):
	// a number with one of them is a count, not an option's number.
	Units map[string][]string `yaml:"units"`
	// Amounts are, per language, phrases that stand for a count ("a six
	// pack": 6, "a fifth": 17).
	Amounts map[string]map[string]float64 `yaml:"amounts"`
	// Window is the span a frequency step asks about ("fortnight" for the
	// last 2 weeks), in which "3 days" alone is counted.
	Window string `yaml:"window"`
	// Fill lets answers given in other texts ("my son drinks every day")
	// fill this step: a single-answer step is then skipped with a short
	// say-back, a checklist is asked showing what was understood.
	Fill bool `yaml:"fill"`
	// Safety marks the ASQ-modelled safety question: any hedge is yes, a
	// yes asks whether the thoughts are there right now.
	Safety bool `yaml:"safety"`

	Line int        `yaml:"-"` // where the step starts in its file
	node *yaml.Node // the step in its file

	// options holds, per language, the step's option labels and words
	// compiled for matching (see Options).
	options map[string]*Options
}

// Option is one numbered answer to a step.
type Option struct {
	Value string `yaml:"value"`
	Text  Text   `yaml:"text"`
	// Words are more ways of saying this option, per language, matched after
	// the text itself ("booze" for alcohol).
	Words map[string][]string `yaml:"words"`
	Score int                 `yaml:"score"`
	Next  string              `yaml:"next"`
	// Stay keeps the conversation on this step after replying Say.
	Stay bool `yaml:"stay"`
	Say  Text `yaml:"say"`
	// Only marks an option of a multi step that excludes every other ("none of these").
	Only bool `yaml:"only"`
	// Min and Max bound the count an option of a count step stands for;
	// no Max means no upper bound ("Ten or more").
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
	// Often is how often an option of a frequency step means ("2-3 a
	// week"; see text.ParseRate).
	Often string `yaml:"often"`
	// Unless are, per language, phrases that cancel this option when said
	// with it: "he lives with other users" is not a home where no one uses.
	// The option is then asked about.
	Unless map[string][]string `yaml:"unless"`
	// Said is how the answer is said back when it was taken from an
	// earlier text ("Got it: for someone close to you."); by default the
	// option's text.
	Said Text `yaml:"said"`

	rate text.Rate
	node *yaml.Node // the option in its file
}

// Rate returns how often a frequency option means.
func (o *Option) Rate() text.Rate { return o.rate }

// Range returns the counts an option of a count step stands for.
func (o *Option) Range() (lo, hi float64) {
	lo, hi = 0, math.Inf(1)
	if o.Min != nil {
		lo = *o.Min
	}
	if o.Max != nil {
		hi = *o.Max
	}
	return lo, hi
}

// Question reports whether the step counts towards progress ("3 of 12").
func (s *Step) Question() bool { return s.Kind != KindIntro }

// Step returns the step with the given ID, or nil.
func (f *Flow) Step(id string) *Step {
	i, ok := f.index[id]
	if !ok {
		return nil
	}
	return f.Steps[i]
}

// Index returns the position of step id in the flow, or -1.
func (f *Flow) Index(id string) int {
	i, ok := f.index[id]
	if !ok {
		return -1
	}
	return i
}

// Text returns the fixed text named key in lang.
func (f *Flow) Text(key, lang string) string { return f.Texts[key].In(lang) }

// Option returns the option of s with the given value, or nil.
func (s *Step) Option(value string) *Option {
	for _, o := range s.Options {
		if o.Value == value {
			return o
		}
	}
	return nil
}

// Cond is a condition on the answers given so far. Exactly one form is used:
// an answer (Step with In or NotIn), a score (Score with AtLeast), an
// indicator of the criteria table, or a combination (Any, All, Not).
type Cond struct {
	Step  string   `yaml:"step"`
	In    []string `yaml:"in"`     // the answer, or any part of a multi answer, is one of these
	NotIn []string `yaml:"not_in"` // the step was answered and no part of the answer is one of these

	Score   string `yaml:"score"`
	AtLeast *int   `yaml:"at_least"`

	Indicator string `yaml:"indicator"`

	Any []*Cond `yaml:"any"`
	All []*Cond `yaml:"all"`
	Not *Cond   `yaml:"not"`

	line int // where the condition is written
}

// UnmarshalYAML decodes a condition and keeps its line, so that a problem
// in a condition nested in another is named at its own line.
func (c *Cond) UnmarshalYAML(n *yaml.Node) error {
	type fields Cond
	if err := n.Decode((*fields)(c)); err != nil {
		return err
	}
	c.line = n.Line
	return nil
}

// Answers is what a conversation knows: the value given to each step (for a
// multi step, values joined by commas) and the indicators already derived.
type Answers interface {
	Answer(step string) (string, bool)
	Score(name string) int
	Indicator(id string) bool
}

// Holds evaluates c against a.
func (c *Cond) Holds(a Answers) bool {
	switch {
	case c == nil:
		return true
	case c.Step != "":
		v, ok := a.Answer(c.Step)
		if !ok {
			return false
		}
		if len(c.In) > 0 {
			return anyIn(v, c.In)
		}
		return !anyIn(v, c.NotIn)
	case c.Score != "":
		return c.AtLeast != nil && a.Score(c.Score) >= *c.AtLeast
	case c.Indicator != "":
		return a.Indicator(c.Indicator)
	case len(c.Any) > 0:
		for _, s := range c.Any {
			if s.Holds(a) {
				return true
			}
		}
		return false
	case len(c.All) > 0:
		for _, s := range c.All {
			if !s.Holds(a) {
				return false
			}
		}
		return true
	case c.Not != nil:
		return !c.Not.Holds(a)
	}
	return false
}

// Unknown reports whether c depends on a step that has not been answered
// yet. If a also has a Skipped(step) method, a step it reports as skipped is
// known to have no answer.
func (c *Cond) Unknown(a Answers) bool {
	if c == nil {
		return false
	}
	if c.Step != "" {
		if _, ok := a.Answer(c.Step); ok {
			return false
		}
		s, ok := a.(interface{ Skipped(step string) bool })
		return !ok || !s.Skipped(c.Step)
	}
	for _, s := range append(append([]*Cond{}, c.Any...), c.All...) {
		if s.Unknown(a) {
			return true
		}
	}
	return c.Not.Unknown(a)
}

// Values returns the values of an answer as stored: the options of a
// checklist (a multi step) are kept joined by commas, and this and
// JoinValues are the only places that know it.
func Values(answer string) []string {
	if answer == "" {
		return nil
	}
	return strings.Split(answer, ",")
}

// JoinValues returns the stored form of a checklist's values.
func JoinValues(values []string) string { return strings.Join(values, ",") }

func anyIn(answer string, set []string) bool {
	for _, part := range Values(answer) {
		for _, v := range set {
			if part == v {
				return true
			}
		}
	}
	return false
}

// Leans.
const (
	LeanInpatient = "inpatient"
	LeanIOP       = "iop"
	LeanEither    = "either"
)

// Criteria is the table that turns answers into a lean: indicators derived
// from answers, and rules tried in order of risk, the first that matches
// deciding. The texter's summary and the staff's criteria lookup both render
// from it.
type Criteria struct {
	Kind       string          `yaml:"kind"` // always "criteria"
	Flow       string          `yaml:"flow"`
	Indicators []*Indicator    `yaml:"indicators"`
	Rules      []*Rule         `yaml:"rules"`
	Leans      map[string]Lean `yaml:"leans"`
	Compare    []*Topic        `yaml:"compare"`
	// Strengths are indicators named as what is on the texter's side when
	// they hold and are not already a reason.
	Strengths []string `yaml:"strengths"`
	// InsuranceStep names the step whose answer picks the Insurance text
	// for the next step.
	InsuranceStep string          `yaml:"insurance_step"`
	Insurance     map[string]Text `yaml:"insurance"`
	Texts         map[string]Text `yaml:"texts"`
	// Instead are texts said in place of one of Texts when their condition
	// holds (the first that holds), so the summary speaks to the person's
	// situation: no "live at home" to a texter without a safe home.
	Instead []*Instead `yaml:"instead"`

	File string     `yaml:"-"`
	root *yaml.Node // the file's YAML, for the lines of problems
}

// Indicator is one finding derived from answers, in one of the six
// dimensions, with the wording staff and texters see.
type Indicator struct {
	ID        string `yaml:"id"`
	Dimension int    `yaml:"dimension"`
	When      *Cond  `yaml:"when"`
	// Criterion is what staff read in the criteria table.
	Criterion Text `yaml:"criterion"`
	// Reason is what the texter reads in the summary, with {you} and {your}.
	Reason Text `yaml:"reason"`
	// Urgent marks a finding that means getting medical help comes first.
	Urgent bool `yaml:"urgent"`

	Line int        `yaml:"-"`
	node *yaml.Node // the indicator in its file
}

// Rule gives Lean when any (or all) of its indicators hold; a rule with
// neither always matches and ends the list.
type Rule struct {
	Lean string   `yaml:"lean"`
	Any  []string `yaml:"any"`
	All  []string `yaml:"all"`
	// Also are indicators named as further reasons when they hold.
	Also []string `yaml:"also"`

	Line int        `yaml:"-"`
	node *yaml.Node // the rule in its file
}

// Lean is how a lean is announced.
type Lean struct {
	Title    Text `yaml:"title"`    // for staff: "Inpatient / residential"
	Headline Text `yaml:"headline"` // for the texter: the one plain sentence
	// StepDown says whether the texter's summary for this lean names
	// step-down care (texts step_down): where starting inpatient is in
	// question, not to a texter IOP already fits.
	StepDown bool `yaml:"step_down"`
}

// Instead is a text said in place of the fixed text Of when When holds.
type Instead struct {
	Of   string `yaml:"of"`
	When *Cond  `yaml:"when"`
	Text Text   `yaml:"text"`

	node *yaml.Node // the entry in its file
}

// Text returns the fixed text key as said to a texter whose answers are a:
// the first Instead of it whose condition holds, or else Texts[key].
func (c *Criteria) Text(key string, a Answers) Text {
	for _, in := range c.Instead {
		if in.Of == key && in.When.Holds(a) {
			return in.Text
		}
	}
	return c.Texts[key]
}

// Topic is one point of the IOP and inpatient comparison.
type Topic struct {
	ID        string `yaml:"id"`
	Title     Text   `yaml:"title"`
	IOP       Text   `yaml:"iop"`
	Inpatient Text   `yaml:"inpatient"`
	// Words are what staff might ask about this topic ("price" for cost).
	Words []string `yaml:"words"`
}

// Indicator returns the indicator with the given ID, or nil.
func (c *Criteria) Indicator(id string) *Indicator {
	for _, in := range c.Indicators {
		if in.ID == id {
			return in
		}
	}
	return nil
}

// CrisisKinds are the kinds of danger that metrics and staff alerts name.
var CrisisKinds = []string{"suicide", "selfharm", "overdose", "withdrawal", "violence", "other"}

// The flow as a graph: which values a step takes, and where each leads.

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
