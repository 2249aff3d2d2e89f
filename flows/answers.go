package flows

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Categories of texters' questions: the engine places a question in one of
// them and says its answer, then asks the pending question again.
const (
	CategoryCost          = "cost"
	CategoryInsurance     = "insurance" // Medicaid, Medicare, private plans, none
	CategoryConfidential  = "confidential"
	CategoryLocationHours = "location_hours"
	CategoryWhatIOP       = "what_iop"
	CategoryWhatInpatient = "what_inpatient"
	CategoryHowLong       = "how_long"
	CategoryWorkSchool    = "work_school"
	CategoryFamilyVisits  = "family_visits"
	CategoryMedication    = "medication" // MAT / MOUD, detox
	CategoryNextSteps     = "next_steps"
	CategoryBot           = "bot" // "is this a bot"
	CategoryMinors        = "minors"
	CategoryPhonePets     = "phone_pets"
	CategoryHowSoon       = "how_soon"
	// CategoryUnknown is a question the assistant cannot place: one honest
	// line sends it to intake staff.
	CategoryUnknown = "unknown"
)

// Categories are every category the answers file must answer.
var Categories = []string{
	CategoryCost, CategoryInsurance, CategoryConfidential, CategoryLocationHours, CategoryWhatIOP,
	CategoryWhatInpatient, CategoryHowLong, CategoryWorkSchool, CategoryFamilyVisits, CategoryMedication,
	CategoryNextSteps, CategoryBot, CategoryMinors, CategoryPhonePets, CategoryHowSoon, CategoryUnknown,
}

// AnswerSegments is the most SMS segments an answer may take, counted as
// the SMS channel sends it by default (transliterated to GSM-7). Aim for
// one: 160 characters.
const AnswerSegments = 2

// FAQ is the answers file: what the assistant says to a texter's question,
// by category, in every language. An answer is a list of parts; a part
// may name provider facts ({hours}), and where one of them is not set in
// the provider file the part says its unset text instead (or nothing),
// and the answer ends with the honest line: a provider fact is never
// invented.
type FAQ struct {
	Kind string `yaml:"kind"` // always "answers"
	// Honest ends an answer that lacks a provider fact: intake staff can
	// tell them (reply CALL, or the phone number).
	Honest Text `yaml:"honest"`
	// And joins the last two items of a list ("Aetna, Cigna and Humana").
	And Text `yaml:"and"`
	// Facts word each yes/no fact of the provider file, for its
	// placeholder ({medicaid}).
	Facts map[string]YesNo `yaml:"facts"`
	// Medications name, per language, each medication a provider file may
	// list (see Medications).
	Medications map[string]Text `yaml:"medications"`
	// Answers are the parts of each category's answer, said in order.
	Answers map[string][]*Part `yaml:"answers"`

	File string     `yaml:"-"`
	root *yaml.Node // the file's YAML, for the lines of problems
}

// YesNo words a yes/no provider fact both ways.
type YesNo struct {
	Yes Text `yaml:"yes"`
	No  Text `yaml:"no"`
}

// Part is one sentence of an answer.
type Part struct {
	// Text may name provider facts ({cost}); it is said when every fact it
	// names is set.
	Text Text `yaml:"text"`
	// Unset is said instead when one is not (general facts only); with no
	// unset text the part is left out. Either way the honest line ends
	// the answer.
	Unset Text `yaml:"unset"`
}

// AnswerFor returns the answer to a texter's question of category in lang,
// with the provider's facts (p may be nil: no facts are known) and vars
// for {org} and {phone} (the ones the other texts use). A category with no
// answer gets the unknown one. It returns "" only when the set has no
// answers file.
func (s *Set) AnswerFor(category, lang string, p *Provider, vars map[string]string) string {
	if s.FAQ == nil {
		return ""
	}
	return s.FAQ.Answer(category, lang, p, vars)
}

// Answer is AnswerFor on the answers file itself.
func (f *FAQ) Answer(category, lang string, p *Provider, vars map[string]string) string {
	parts := f.Answers[category]
	if len(parts) == 0 {
		parts = f.Answers[CategoryUnknown]
	}
	all := make(map[string]string, len(vars)+len(FactPlaceholders))
	for k, v := range vars {
		all[k] = v
	}
	if all["{phone}"] == "" && p != nil && p.IntakePhone != "" {
		all["{phone}"] = p.IntakePhone
	}
	for k, v := range p.facts(f, lang) {
		all[k] = v
	}
	var out []string
	lacking := false
	for _, pt := range parts {
		s := pt.Text.In(lang)
		if lacksFact(s, all) {
			lacking = true
			s = pt.Unset.In(lang)
		}
		if s = strings.TrimSpace(Fill(s, all)); s != "" {
			out = append(out, s)
		}
	}
	if lacking {
		out = append(out, strings.TrimSpace(Fill(f.Honest.In(lang), all)))
	}
	return strings.Join(out, " ")
}

// lacksFact reports whether s names a provider fact that facts lacks.
func lacksFact(s string, facts map[string]string) bool {
	for _, ph := range placeholderPattern.FindAllString(s, -1) {
		if _, fact := FactPlaceholders[ph]; !fact {
			continue
		}
		if facts[ph] == "" {
			return true
		}
	}
	return false
}

// joinList joins items as a sentence lists them: "a", "a and b", "a, b and c".
func joinList(items []string, and string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + and + " " + items[len(items)-1]
}

// answerVars are the placeholders every text of the answers file may use.
var answerVars = map[string]string{"{org}": Placeholders["{org}"], "{phone}": Placeholders["{phone}"]}

// factVars are the placeholders a part's text may use: answerVars and the
// provider facts.
func factVars() map[string]string {
	m := make(map[string]string, len(answerVars)+len(FactPlaceholders))
	for k, v := range answerVars {
		m[k] = v
	}
	for k, v := range FactPlaceholders {
		m[k] = v
	}
	return m
}

// validate checks the answers file: every category in every language,
// placeholders that exist, the yes/no facts and medications worded, and
// every answer within its SMS budget with no provider facts and with
// sample ones.
func (f *FAQ) validate(langs []string, p *problems) {
	at := func(path ...any) int { return rootLine(f.root, path...) }
	f.checkGeneral(f.Honest, langs, at("honest"), "honest", p)
	f.checkGeneral(f.And, langs, at("and"), "and", p)
	for _, name := range YesNoFacts {
		yn, ok := f.Facts[name]
		if !ok {
			p.add(f.File, at("facts"), "facts: %q is missing (its yes and no wording)", name)
			continue
		}
		f.checkGeneral(yn.Yes, langs, at("facts", name, "yes"), fmt.Sprintf("facts %q: yes", name), p)
		f.checkGeneral(yn.No, langs, at("facts", name, "no"), fmt.Sprintf("facts %q: no", name), p)
	}
	for _, name := range sortedKeys(f.Facts) {
		if !contains(YesNoFacts, name) {
			p.add(f.File, at("facts", name), "facts: %q is not a yes/no fact of the provider file, one of %v%s", name, YesNoFacts, didYouMean(name, YesNoFacts))
		}
	}
	for _, id := range Medications {
		if _, ok := f.Medications[id]; !ok {
			p.add(f.File, at("medications"), "medications: %q has no name", id)
			continue
		}
		f.checkGeneral(f.Medications[id], langs, at("medications", id), fmt.Sprintf("medications %q", id), p)
	}
	for _, id := range sortedKeys(f.Medications) {
		if !contains(Medications, id) {
			p.add(f.File, at("medications", id), "medications: %q is not one of %v%s", id, Medications, didYouMean(id, Medications))
		}
	}
	for _, cat := range Categories {
		if _, ok := f.Answers[cat]; !ok {
			p.add(f.File, at("answers"), "answers: no answer for %q", cat)
		}
	}
	for _, cat := range sortedKeys(f.Answers) {
		where := fmt.Sprintf("answers %q", cat)
		if !contains(Categories, cat) {
			p.add(f.File, at("answers", cat), "answers: %q is not a category%s", cat, didYouMean(cat, Categories))
			continue
		}
		parts := f.Answers[cat]
		if len(parts) == 0 {
			p.add(f.File, at("answers", cat), "%s: no parts (a list of text, each with en and es)", where)
			continue
		}
		for i, pt := range parts {
			pw := fmt.Sprintf("%s part %d", where, i+1)
			if pt == nil {
				p.add(f.File, at("answers", cat, i), "%s: empty", pw)
				continue
			}
			checkTextWith(pt.Text, langs, f.File, at("answers", cat, i, "text"), pw, factVars(), p)
			if len(pt.Unset) > 0 {
				f.checkGeneral(pt.Unset, langs, at("answers", cat, i, "unset"), pw+": unset", p)
			}
		}
		f.checkBudget(cat, langs, p)
	}
}

// checkGeneral checks a text that is said whatever the provider file
// holds: it cannot name a provider fact.
func (f *FAQ) checkGeneral(t Text, langs []string, line int, where string, p *problems) {
	for _, l := range sortedKeys(t) {
		for _, ph := range placeholderPattern.FindAllString(t[l], -1) {
			if _, fact := FactPlaceholders[ph]; fact {
				p.add(f.File, line, "%s: names the provider fact %s in %q text, but is said whatever the provider file holds", where, ph, l)
			}
		}
	}
	checkTextWith(t, langs, f.File, line, where, factVars(), p)
}

// checkBudget renders the category's answer in every language with no
// provider facts and with the sample ones, and reports any over
// AnswerSegments.
func (f *FAQ) checkBudget(cat string, langs []string, p *problems) {
	for _, l := range langs {
		for _, pv := range []*Provider{nil, sampleProvider} {
			msg := f.Answer(cat, l, pv, answerVars)
			if n := Segments(Transliterate(msg)); n > AnswerSegments {
				with := "with no provider facts"
				if pv != nil {
					with = "with sample provider facts"
				}
				p.add(f.File, rootLine(f.root, "answers", cat), "answers %q: the %q answer takes %d SMS segments %s (%d characters); the budget is %d", cat, l, n, with, len([]rune(msg)), AnswerSegments)
				break
			}
		}
	}
}
