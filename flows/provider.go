package flows

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Provider is the provider's own facts, from the file the operator fills
// (HELPLINE_PROVIDER_FILE). Every fact is optional: an answer that needs a
// fact that is not set says intake staff can tell them instead, so
// nothing about the provider is ever made up.
type Provider struct {
	Kind string `yaml:"kind"` // "provider", or left out
	// IntakePhone is the number texters are told to call; HELPLINE_PHONE,
	// when set, must be the same number.
	IntakePhone string  `yaml:"intake_phone"`
	Hours       Wording `yaml:"hours"`
	Address     Wording `yaml:"address"`
	// Insurers are the plans accepted, by name ("Aetna").
	Insurers []string `yaml:"insurers"`
	Medicaid *bool    `yaml:"medicaid"`
	Medicare *bool    `yaml:"medicare"`
	// Cost is what care costs, in words ("IOP is about $X a week before
	// insurance").
	Cost         Wording `yaml:"cost"`
	SlidingScale *bool   `yaml:"sliding_scale"`
	// Medications are the medications offered, each one of Medications.
	Medications []string `yaml:"medications"`
	// Detox is whether medically supervised withdrawal is offered on site.
	Detox *bool `yaml:"detox"`
	// ResidentialPhones and ResidentialPets are the rules of residential
	// care ("allowed in the evening after the first week").
	ResidentialPhones Wording `yaml:"residential_phones"`
	ResidentialPets   Wording `yaml:"residential_pets"`
	// Visiting is when family may visit someone in residential care.
	Visiting Wording `yaml:"visiting"`
	// Teens is whether and how people under 18 are seen.
	Teens Wording `yaml:"teens"`
	// IntakeWait is how soon intake can usually see someone ("within 48
	// hours").
	IntakeWait Wording `yaml:"intake_wait"`

	File string     `yaml:"-"`
	root *yaml.Node // the file's YAML, for the lines of problems
}

// Wording is a provider fact in words: one string, the same in every
// language (an address), or a string per language (hours).
type Wording map[string]string

// everyLanguage is the key of a Wording written as one string.
const everyLanguage = ""

// In returns the fact in lang: its own wording, else the one for every
// language, else English; "" when it is not set.
func (w Wording) In(lang string) string {
	for _, k := range []string{lang, everyLanguage, "en"} {
		if s := strings.TrimSpace(w[k]); s != "" {
			return s
		}
	}
	return ""
}

// UnmarshalYAML reads a string, or a map of language to string.
func (w *Wording) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*w = Wording{everyLanguage: n.Value}
		return nil
	case yaml.MappingNode:
		var m map[string]string
		if err := n.Decode(&m); err != nil {
			return err
		}
		*w = m
		return nil
	}
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: a fact in words is a string, or a map of language to string (en: ..., es: ...)", n.Line)}}
}

// Medications are the medications a provider file may list: for opioid use
// disorder (MOUD) buprenorphine, methadone (certified opioid treatment
// programs only) and naltrexone; for alcohol naltrexone, acamprosate and
// disulfiram. The answers file names each in every language.
var Medications = []string{"buprenorphine", "methadone", "naltrexone", "acamprosate", "disulfiram"}

// medicationBrands are brand names a provider may write for a medication.
var medicationBrands = map[string]string{
	"suboxone": "buprenorphine", "subutex": "buprenorphine", "sublocade": "buprenorphine", "zubsolv": "buprenorphine",
	"vivitrol": "naltrexone", "revia": "naltrexone", "campral": "acamprosate", "antabuse": "disulfiram",
}

// yesNoWords are the words YAML reads as yes or no.
var yesNoWords = map[string]bool{"yes": true, "no": true, "true": true, "false": true, "on": true, "off": true, "y": true, "n": true}

// YesNoFacts are the provider facts that are yes or no; the answers file
// words each both ways.
var YesNoFacts = []string{"medicaid", "medicare", "sliding_scale", "detox"}

// FactPlaceholders are the provider facts an answer may name, each with a
// sample of its length for checking SMS budgets.
var FactPlaceholders = map[string]string{
	"{hours}":              "Mon-Fri 8am-8pm, Sat 9am-1pm",
	"{address}":            "1200 Main St, Suite 300, Springfield",
	"{insurers}":           "Aetna, Cigna and Blue Cross",
	"{medicaid}":           "We accept Medicaid.",
	"{medicare}":           "We accept Medicare.",
	"{cost}":               "IOP is about $250 a week before insurance",
	"{sliding_scale}":      "We offer a sliding scale by income.",
	"{medications}":        "buprenorphine (Suboxone) and naltrexone (Vivitrol)",
	"{detox}":              "We offer medically supervised detox.",
	"{residential_phones}": "allowed in the evening after the first week",
	"{residential_pets}":   "not allowed, except service animals",
	"{visiting}":           "Sundays 1-4pm after the first week",
	"{teens}":              "we see ages 13 to 17 in a teen IOP",
	"{intake_wait}":        "within 1 to 2 business days",
}

// sampleProvider has every fact set, at about the length of
// FactPlaceholders, for checking the answers' SMS budgets.
var sampleProvider = func() *Provider {
	yes := true
	w := func(ph string) Wording { return Wording{everyLanguage: FactPlaceholders[ph]} }
	return &Provider{
		Hours: w("{hours}"), Address: w("{address}"), Insurers: []string{"Aetna", "Cigna", "Blue Cross"},
		Medicaid: &yes, Medicare: &yes, Cost: w("{cost}"), SlidingScale: &yes,
		Medications: []string{"buprenorphine", "naltrexone"}, Detox: &yes,
		ResidentialPhones: w("{residential_phones}"), ResidentialPets: w("{residential_pets}"),
		Visiting: w("{visiting}"), Teens: w("{teens}"), IntakeWait: w("{intake_wait}"),
	}
}()

// facts returns the placeholders of p's facts that are set, worded in lang
// from the answers file f. A nil p has none.
func (p *Provider) facts(f *FAQ, lang string) map[string]string {
	m := map[string]string{}
	if p == nil {
		return m
	}
	for name, w := range p.wordings() {
		if s := w.In(lang); s != "" {
			m["{"+name+"}"] = s
		}
	}
	for name, b := range p.yesNo() {
		if b == nil {
			continue
		}
		t := f.Facts[name].No
		if *b {
			t = f.Facts[name].Yes
		}
		if s := t.In(lang); s != "" {
			m["{"+name+"}"] = s
		}
	}
	if len(p.Insurers) > 0 {
		m["{insurers}"] = joinList(p.Insurers, f.And.In(lang))
	}
	if len(p.Medications) > 0 {
		names := make([]string, len(p.Medications))
		for i, id := range p.Medications {
			names[i] = id
			if s := f.Medications[id].In(lang); s != "" {
				names[i] = s
			}
		}
		m["{medications}"] = joinList(names, f.And.In(lang))
	}
	return m
}

func (p *Provider) wordings() map[string]Wording {
	return map[string]Wording{
		"hours": p.Hours, "address": p.Address, "cost": p.Cost,
		"residential_phones": p.ResidentialPhones, "residential_pets": p.ResidentialPets,
		"visiting": p.Visiting, "teens": p.Teens, "intake_wait": p.IntakeWait,
	}
}

func (p *Provider) yesNo() map[string]*bool {
	return map[string]*bool{"medicaid": p.Medicaid, "medicare": p.Medicare, "sliding_scale": p.SlidingScale, "detox": p.Detox}
}

// Unset lists the facts p does not set, by their names in the file: the
// answers that need them say intake staff can tell them. (intake_phone is
// not one: HELPLINE_PHONE stands for it.)
func (p *Provider) Unset() []string {
	var out []string
	for _, name := range p.fields() {
		if name != "intake_phone" && !p.isSet(name) {
			out = append(out, name)
		}
	}
	return out
}

// fields lists the provider file's fields in the order of Provider.
func (p *Provider) fields() []string {
	t := reflect.TypeOf(Provider{})
	var out []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" && name != "kind" {
			out = append(out, name)
		}
	}
	return out
}

func (p *Provider) isSet(name string) bool {
	if w, ok := p.wordings()[name]; ok {
		return w.In("en") != ""
	}
	if b, ok := p.yesNo()[name]; ok {
		return b != nil
	}
	switch name {
	case "intake_phone":
		return p.IntakePhone != ""
	case "insurers":
		return len(p.Insurers) > 0
	case "medications":
		return len(p.Medications) > 0
	}
	return false
}

// LoadProvider reads and checks the provider file at path. Every problem
// is reported at once, each as "path:line: what is wrong", with a
// suggestion for a misspelt field or medication. What depends on the
// flows (a wording for each of their languages, answers within their
// SMS budget) is checked by Set.CheckProvider, or by Set.LoadProvider,
// which does both.
func LoadProvider(path string) (*Provider, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read provider file: %w", err)
	}
	return ParseProvider(path, raw)
}

// ParseProvider is LoadProvider on the file's contents; name is the file
// the problems name.
func ParseProvider(name string, raw []byte) (*Provider, error) {
	var p problems
	pv := parseProvider(name, raw, &p)
	if len(p.list) > 0 {
		return nil, p.err()
	}
	return pv, nil
}

// LoadProvider reads the provider file at path and checks it on its own
// and against s, reporting every problem at once.
func (s *Set) LoadProvider(path string) (*Provider, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read provider file: %w", err)
	}
	var p problems
	pv := parseProvider(path, raw, &p)
	if pv != nil {
		s.checkProvider(pv, &p)
	}
	if len(p.list) > 0 {
		return nil, p.err()
	}
	return pv, nil
}

// parseProvider reads a provider file, adding its problems to p; it
// returns nil when the file cannot be read at all.
func parseProvider(name string, raw []byte, p *problems) *Provider {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		line, msg := splitLine(strings.TrimPrefix(err.Error(), "yaml: "))
		if at, why := misindented(string(raw)); at > 0 {
			line, msg = at, why
		}
		p.add(name, line, "%s; the file cannot be read until this is fixed", msg)
		return nil
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		p.add(name, 0, "expected a mapping of provider facts (hours:, address:, insurers:, ...); see flows/provider.example.yaml")
		return nil
	}
	root := doc.Content[0]
	pv := &Provider{File: name, root: root}
	strict(root, reflect.TypeOf(pv), name, p)
	// A yes/no fact that is neither is named as such, not as a decoding
	// error, and left out.
	decoded := root
	for _, fact := range YesNoFacts {
		if v := mapValue(root, fact); v != nil && v.Kind == yaml.ScalarNode && v.Tag != "!!null" && !yesNoWords[strings.ToLower(v.Value)] {
			p.add(name, v.Line, "%s: yes or no, not %q (leave it out if you are not sure)", fact, v.Value)
			decoded = withoutKey(decoded, fact)
		}
	}
	if err := decoded.Decode(pv); err != nil {
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
	pv.check(p)
	return pv
}

// check reports what is wrong with the facts on their own.
func (pv *Provider) check(p *problems) {
	at := func(path ...any) int { return lineAt(pv.root, path...) }
	if pv.Kind != "" && pv.Kind != "provider" {
		p.add(pv.File, at("kind"), "kind must be provider (or left out), not %q", pv.Kind)
	}
	if pv.IntakePhone != "" && !strings.ContainsFunc(pv.IntakePhone, unicode.IsDigit) {
		p.add(pv.File, at("intake_phone"), "intake_phone %q has no digits", pv.IntakePhone)
	}
	if s := NonGSM7(pv.IntakePhone); s != "" {
		p.add(pv.File, at("intake_phone"), "intake_phone has %q, which is not GSM-7", s)
	}
	for _, name := range sortedKeys(pv.wordings()) {
		w := pv.wordings()[name]
		for _, l := range sortedKeys(w) {
			if l != everyLanguage && !languageCode.MatchString(l) {
				p.add(pv.File, at(name, l), "%s: %q is not a language code (en, es)", name, l)
			}
			if strings.ContainsAny(w[l], "{}") {
				p.add(pv.File, at(name, l), "%s: a fact cannot hold { or }", name)
			}
		}
		if len(w) > 0 && w[everyLanguage] == "" && strings.TrimSpace(w["en"]) == "" {
			p.add(pv.File, at(name), "%s: no \"en\" wording", name)
		}
		for _, l := range []string{everyLanguage, "en"} {
			if bad := NonGSM7(w[l]); bad != "" {
				p.add(pv.File, at(name), "%s: English wording has %q, which is not GSM-7 and would make the SMS cost 2-3 times more", name, bad)
			}
		}
	}
	seen := map[string]bool{}
	for i, ins := range pv.Insurers {
		switch key := strings.ToLower(strings.TrimSpace(ins)); {
		case key == "":
			p.add(pv.File, at("insurers", i), "insurers: item %d is empty", i+1)
		case seen[key]:
			p.add(pv.File, at("insurers", i), "insurers: %q is listed twice", ins)
		default:
			seen[key] = true
		}
		if bad := NonGSM7(ins); bad != "" {
			p.add(pv.File, at("insurers", i), "insurers: %q has %q, which is not GSM-7", ins, bad)
		}
	}
	for fact, b := range map[string]*bool{"medicaid": pv.Medicaid, "medicare": pv.Medicare} {
		if b != nil && !*b && seen[fact] {
			p.add(pv.File, at(fact), "%s: no, but insurers lists %s", fact, capitalize(fact))
		}
	}
	seenMed := map[string]bool{}
	for i, m := range pv.Medications {
		m = strings.ToLower(strings.TrimSpace(m))
		pv.Medications[i] = m
		switch {
		case medicationBrands[m] != "":
			p.add(pv.File, at("medications", i), "medications: %q is a brand of %s: write %s", pv.Medications[i], medicationBrands[m], medicationBrands[m])
		case !contains(Medications, m):
			p.add(pv.File, at("medications", i), "medications: %q is not one of %v%s", m, Medications, didYouMean(m, Medications))
		case seenMed[m]:
			p.add(pv.File, at("medications", i), "medications: %q is listed twice", m)
		}
		seenMed[m] = true
	}
}

// CheckProvider checks pv against the set: a fact worded per language
// has a wording for each of the set's languages, and every answer, said
// with pv's facts, fits its SMS budget. Each problem names the provider
// file's line.
func (s *Set) CheckProvider(pv *Provider) error {
	var p problems
	s.checkProvider(pv, &p)
	return p.err()
}

func (s *Set) checkProvider(pv *Provider, p *problems) {
	langs := s.Languages()
	at := func(path ...any) int { return lineAt(pv.root, path...) }
	for _, name := range sortedKeys(pv.wordings()) {
		w := pv.wordings()[name]
		if len(w) == 0 || w[everyLanguage] != "" {
			continue
		}
		for _, l := range langs {
			if strings.TrimSpace(w[l]) == "" {
				p.add(pv.File, at(name), "%s: no %q wording (missing translation; or write one string for every language)", name, l)
			}
		}
		for _, l := range sortedKeys(w) {
			if !contains(langs, l) && languageCode.MatchString(l) {
				p.add(pv.File, at(name, l), "%s: language %q is not one of %v", name, l, langs)
			}
		}
	}
	if s.FAQ != nil {
		vars := map[string]string{"{org}": answerVars["{org}"], "{phone}": answerVars["{phone}"]}
		if pv.IntakePhone != "" {
			vars["{phone}"] = pv.IntakePhone
		}
		for _, cat := range Categories {
			for _, l := range langs {
				msg := s.FAQ.Answer(cat, l, pv, vars)
				if n := Segments(Transliterate(msg)); n > AnswerSegments {
					p.add(pv.File, at(s.FAQ.factsOf(cat, pv)...), "with these facts the %q answer to %q takes %d SMS segments (%d characters); the budget is %d: shorten them",
						l, cat, n, len([]rune(msg)), AnswerSegments)
				}
			}
		}
	}
}

// factsOf returns the path (for lineAt) of the first fact set in pv that
// the answer to cat names, or the file's first line.
func (f *FAQ) factsOf(cat string, pv *Provider) []any {
	for _, pt := range f.Answers[cat] {
		for _, ph := range placeholderPattern.FindAllString(pt.Text.In("en"), -1) {
			name := strings.Trim(ph, "{}")
			if _, fact := FactPlaceholders[ph]; fact && pv.isSet(name) {
				return []any{name}
			}
		}
	}
	return nil
}
