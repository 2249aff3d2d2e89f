package flows

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// answerTestVars are the {org} and {phone} the engine passes.
var answerTestVars = map[string]string{"{org}": "Riverside Recovery", "{phone}": "555-0100"}

// exampleProvider loads the commented example the README shows.
func exampleProvider(t *testing.T) *Provider {
	t.Helper()
	p, err := LoadProvider("provider.example.yaml")
	if err != nil {
		t.Fatalf("provider.example.yaml does not load:\n%v", err)
	}
	return p
}

// The shipped answers file answers every category in every language, with
// no provider facts and with the example's, each as one text message
// where it can be: only these take two.
func TestShippedAnswers(t *testing.T) {
	t.Parallel()
	set, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if set.FAQ == nil || len(set.FAQ.Answers) != len(Categories) {
		t.Fatalf("the shipped flows have no answers file, or not one answer per category")
	}
	twoSegments := map[string]bool{"confidential en": true, "confidential es": true, "minors es": true}
	honest := map[string]string{}
	for _, lang := range set.Languages() {
		honest[lang] = Fill(set.FAQ.Honest.In(lang), answerTestVars)
	}
	example := exampleProvider(t)
	for _, cat := range Categories {
		for _, lang := range set.Languages() {
			for _, p := range []*Provider{nil, example} {
				got := set.AnswerFor(cat, lang, p, answerTestVars)
				if got == "" || strings.ContainsAny(got, "{}") {
					t.Errorf("%s %s (provider %v): %q", cat, lang, p != nil, got)
				}
				if lang == "en" && !GSM7(got) {
					t.Errorf("%s en: %q is not GSM-7", cat, got)
				}
				n, limit := Segments(Transliterate(got)), 1
				if p != nil || twoSegments[cat+" "+lang] {
					limit = AnswerSegments
				}
				if n > limit {
					t.Errorf("%s %s (provider %v) takes %d segments, want at most %d: %q", cat, lang, p != nil, n, limit, got)
				}
				// The example sets every fact: no answer defers to intake
				// for want of one.
				if p != nil && strings.Contains(got, honest[lang]) {
					t.Errorf("%s %s: the example sets every fact, yet: %q", cat, lang, got)
				}
			}
		}
	}
	// With no provider facts, each answer that needs one says intake can tell them.
	for _, cat := range []string{CategoryCost, CategoryInsurance, CategoryLocationHours, CategoryFamilyVisits,
		CategoryMedication, CategoryMinors, CategoryPhonePets, CategoryHowSoon} {
		for _, lang := range set.Languages() {
			if got := set.AnswerFor(cat, lang, nil, answerTestVars); !strings.HasSuffix(got, honest[lang]) {
				t.Errorf("%s %s with no provider facts does not end with the honest line:\n%q", cat, lang, got)
			}
		}
	}
	if got := set.AnswerFor("weather", "es", nil, answerTestVars); got != set.AnswerFor(CategoryUnknown, "es", nil, answerTestVars) {
		t.Errorf("an unknown category got %q, not the unknown answer", got)
	}
}

// A fact that is not set is never made up: the part that needs it gives
// way to its general text, or to nothing, and the answer ends with the
// honest line. A fact that is set is said, in the texter's language.
func TestAnswerProviderFacts(t *testing.T) {
	t.Parallel()
	set, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	no := false
	p := &Provider{
		Address:     Wording{"": "12 Elm St"},
		Hours:       Wording{"en": "9am-5pm weekdays", "es": "de 9 a 17 h entre semana"},
		Medicaid:    &no,
		Insurers:    []string{"Aetna", "Cigna", "Humana"},
		Medications: []string{"buprenorphine", "methadone"},
		IntakePhone: "555-0199",
	}
	for _, tc := range []struct {
		name, cat, lang string
		p               *Provider
		vars            map[string]string
		want            string
	}{
		{"unset: honest line only", CategoryLocationHours, "en", nil, answerTestVars,
			"Our intake team can tell you: reply CALL or call 555-0100."},
		{"unset in Spanish", CategoryLocationHours, "es", nil, answerTestVars,
			"Nuestro equipo le informa: responda LLAMAR o llame al 555-0100."},
		{"unset: general text, then honest line", CategoryCost, "en", nil, answerTestVars,
			"Cost depends on the program and your insurance; IOP usually costs less than inpatient. Our intake team can tell you: reply CALL or call 555-0100."},
		{"set: one string for every language", CategoryLocationHours, "en", p, answerTestVars,
			"We're at 12 Elm St. Hours: 9am-5pm weekdays."},
		{"set: the Spanish wording", CategoryLocationHours, "es", p, answerTestVars,
			"Estamos en 12 Elm St. Horario: de 9 a 17 h entre semana."},
		{"set and unset together", CategoryInsurance, "en", p, answerTestVars,
			"We accept Aetna, Cigna and Humana. We don't accept Medicaid. It's worth checking with your insurer too. Our intake team can tell you: reply CALL or call 555-0100."},
		{"medications named in Spanish", CategoryMedication, "es", p, answerTestVars,
			"Los medicamentos para opioides o alcohol pueden empezar en el IOP o internado. Aquí ofrecemos buprenorfina (Suboxone) y metadona. Nuestro equipo le informa: responda LLAMAR o llame al 555-0100."},
		{"the provider's phone when no other is given", CategoryUnknown, "en", p, nil,
			"I can't answer that one here, but our intake team can: reply CALL or call 555-0199."},
		{"general facts need no provider", CategoryBot, "en", nil, answerTestVars,
			"Yes, I'm an automated assistant, not a person. If you reply CALL, someone from our intake team reads this chat and reaches out."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := set.AnswerFor(tc.cat, tc.lang, tc.p, tc.vars); got != tc.want {
				t.Errorf("AnswerFor(%s, %s):\n got %q\nwant %q", tc.cat, tc.lang, got, tc.want)
			}
		})
	}
}

// Mistakes in the answers file are reported at their lines, all at once,
// with a suggestion for a misspelt name.
func TestBrokenAnswers(t *testing.T) {
	t.Parallel()
	m := shippedWith(t,
		edit{"answers.yaml", `{en: "We're at {address}.", es: "Estamos en {address}."}`, `{en: "We're at {address}."}`},
		edit{"answers.yaml", "  what_iop:\n", "  what_iopp:\n"},
		edit{"answers.yaml", `{en: "Hours: {hours}.", es: "Horario: {hours}."}`, `{en: "Hours: {hour}.", es: "Horario: {hours}."}`},
		edit{"answers.yaml", `unset: {en: "Coverage depends on your plan."`, `unset: {en: "Coverage depends on {insurers}."`},
		edit{"answers.yaml", "  sliding_scale:\n", "  sliding_scal:\n"},
		edit{"answers.yaml", "  methadone: {en:", "  methadon: {en:"},
	)
	_, err := Load(m)
	if err == nil {
		t.Fatal("loaded without error")
	}
	data := string(m["answers.yaml"].Data)
	at := func(needle string) string { return "answers.yaml:" + lineOf(t, data, needle) + ": " }
	want := []string{
		at(`{en: "We're at {address}."}`) + `answers "location_hours" part 1: no "es" text (missing translation)`,
		at("what_iopp:") + `answers: "what_iopp" is not a category (did you mean "what_iop"?)`,
		at("answers:\n  cost:") + `answers: no answer for "what_iop"`,
		at(`{en: "Hours: {hour}."`) + `answers "location_hours" part 2: unknown placeholder {hour} in "en" text (did you mean "{hours}"?)`,
		at(`unset: {en: "Coverage depends on {insurers}."`) + `answers "insurance" part 1: unset: names the provider fact {insurers} in "en" text, but is said whatever the provider file holds`,
		at("sliding_scal:") + `facts: "sliding_scal" is not a yes/no fact of the provider file, one of [medicaid medicare sliding_scale detox] (did you mean "sliding_scale"?)`,
		at("facts:\n  medicaid:") + `facts: "sliding_scale" is missing (its yes and no wording)`,
		at("methadon:") + `medications: "methadon" is not one of [buprenorphine methadone naltrexone acamprosate disulfiram] (did you mean "methadone"?)`,
		at("medications:\n  buprenorphine:") + `medications: "methadone" has no name`,
	}
	got := strings.Split(err.Error(), "\n")
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("no message\n%s\namong:\n%s", w, err)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d messages, want %d:\n%s", len(got), len(want), err)
	}
}

// A directory of flows without an answers file still loads: the engine
// then has no answers to give.
func TestAnswersOptional(t *testing.T) {
	t.Parallel()
	m := shippedFS()
	delete(m, "answers.yaml")
	set, err := Load(m)
	if err != nil {
		t.Fatal(err)
	}
	if set.FAQ != nil || set.AnswerFor(CategoryCost, "en", nil, answerTestVars) != "" {
		t.Fatal("answers from nowhere")
	}
}

func TestExampleProvider(t *testing.T) {
	t.Parallel()
	set, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	p := exampleProvider(t)
	if err := set.CheckProvider(p); err != nil {
		t.Fatalf("the example provider file does not fit the flows:\n%v", err)
	}
	if unset := p.Unset(); len(unset) > 0 {
		t.Errorf("the example leaves out %v: it should show every fact", unset)
	}
	if got := (&Provider{Cost: Wording{"": "free"}}).Unset(); slices.Contains(got, "cost") || !slices.Contains(got, "hours") {
		t.Errorf("Unset() = %v", got)
	}
}

// A provider file's mistakes are each named at their line, with a
// suggestion for a misspelt field or medication.
func TestBrokenProvider(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file string
		want       []string
	}{
		{"misspelt field", "hourz: 9am-5pm\naddress: 12 Elm St\n",
			[]string{`provider.yaml:1: unknown field "hourz" (did you mean "hours"?)`}},
		{"misspelt medication", "medications: [buprenorphene, naltrexone]\n",
			[]string{`provider.yaml:1: medications: "buprenorphene" is not one of [buprenorphine methadone naltrexone acamprosate disulfiram] (did you mean "buprenorphine"?)`}},
		{"medicaid both ways", "insurers:\n  - Aetna\n  - Medicaid\nmedicaid: no\n",
			[]string{`provider.yaml:4: medicaid: no, but insurers lists Medicaid`}},
		{"not yes or no", "hours: 9-5\ndetox: sometimes\n",
			[]string{`provider.yaml:2: detox: yes or no, not "sometimes" (leave it out if you are not sure)`}},
		{"a brand for a medication", "medications: [Suboxone]\n",
			[]string{`provider.yaml:1: medications: "suboxone" is a brand of buprenorphine: write buprenorphine`}},
		{"a list for words", "hours: [9am, 5pm]\n",
			[]string{`provider.yaml:1: a fact in words is a string, or a map of language to string (en: ..., es: ...)`}},
		{"a language that is no code", "cost:\n  en: free\n  spanish: gratis\n",
			[]string{`provider.yaml:3: cost: "spanish" is not a language code (en, es)`}},
		{"curly quotes in English", "visiting:\n  en: \"Sundays, with staff’s OK\"\n  es: domingos\n",
			[]string{`provider.yaml:1: visiting: English wording has "’", which is not GSM-7 and would make the SMS cost 2-3 times more`}},
		{"misindented", "hours: 9-5\n  address: 12 Elm St\n",
			[]string{`provider.yaml:2:`}},
		{"empty", "# nothing yet\n",
			[]string{`provider.yaml: expected a mapping of provider facts`}},
		{"not a provider file", "kind: flow\nid: screening\n",
			[]string{`provider.yaml:1: kind must be provider (or left out), not "flow"`, `provider.yaml:2: unknown field "id"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParseProvider("provider.yaml", []byte(tc.file))
			if err == nil {
				t.Fatalf("parsed: %+v", p)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("no %q in:\n%v", w, err)
				}
			}
		})
	}
}

// Against the flows: a fact worded per language needs every language of
// the flows, and no fact may push an answer over its SMS budget.
func TestCheckProvider(t *testing.T) {
	t.Parallel()
	set, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	file := "address: 12 Elm St\nhours:\n  en: 9am-5pm\nvisiting:\n  en: " + strings.Repeat("only with the consent of the care team, ", 8) + "\n  es: domingos\n"
	p, err := ParseProvider("provider.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	err = set.CheckProvider(p)
	if err == nil {
		t.Fatal("no problems")
	}
	for _, w := range []string{
		`provider.yaml:2: hours: no "es" wording (missing translation; or write one string for every language)`,
		`provider.yaml:4: with these facts the "en" answer to "family_visits" takes 3 SMS segments`,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("no %q in:\n%v", w, err)
		}
	}
}

func TestLoadProviderMissingFile(t *testing.T) {
	t.Parallel()
	_, err := LoadProvider(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
}

// Whatever the provider file holds, reading it never panics and an answer
// never shows a placeholder.
func FuzzParseProvider(f *testing.F) {
	b, _ := os.ReadFile("provider.example.yaml")
	f.Add(string(b))
	f.Add("hours: {en: a, es: b}\nmedications: [methadone]\ninsurers: [x, y]\nmedicaid: yes\n")
	set, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data string) {
		p, err := ParseProvider("provider.yaml", []byte(data))
		if err != nil {
			return
		}
		_ = set.CheckProvider(p)
		for _, cat := range Categories {
			for _, lang := range []string{"en", "es"} {
				if got := set.AnswerFor(cat, lang, p, answerTestVars); placeholderPattern.MatchString(got) && !strings.ContainsAny(data, "{}") {
					t.Fatalf("%s %s: %q", cat, lang, got)
				}
			}
		}
	})
}

// Set.LoadProvider reports the file's own problems and those against the
// flows at once.
func TestSetLoadProvider(t *testing.T) {
	t.Parallel()
	set, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "provider.yaml")
	if err := os.WriteFile(path, []byte("hourz: 9am-5pm\nvisiting:\n  en: Sundays\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = set.LoadProvider(path)
	if err == nil {
		t.Fatal("no problems")
	}
	want := path + `:1: unknown field "hourz" (did you mean "hours"?)` + "\n" +
		path + `:2: visiting: no "es" wording (missing translation; or write one string for every language)`
	if err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
	if p, err := set.LoadProvider("provider.example.yaml"); err != nil || p.IntakePhone == "" {
		t.Errorf("the example: %v", err)
	}
}

// The README's "Provider facts" shows the example file as it is.
func TestReadmeShowsExampleProvider(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("provider.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Provider facts\n")
	_, block, ok2 := strings.Cut(section, "```yaml\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README.md has no Provider facts section with a yaml block")
	}
	_, body, _ := strings.Cut(string(example), "\nkind: provider\n")
	if want := "kind: provider\n" + body; block != want {
		t.Errorf("README.md's example differs from provider.example.yaml from its kind: line on; copy it again")
	}
}
