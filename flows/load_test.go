package flows

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

func TestShippedFlowsValid(t *testing.T) {
	if _, err := Default(); err != nil {
		t.Fatalf("shipped flows do not load:\n%v", err)
	}
}

// edit is one mistake made in a copy of the shipped flows.
type edit struct{ file, old, new string }

// shippedWith returns the embedded flow files with the edits made, failing
// if a text to replace is not there.
func shippedWith(t *testing.T, edits ...edit) fstest.MapFS {
	t.Helper()
	m := shippedFS()
	for _, e := range edits {
		data := string(m[e.file].Data)
		if !strings.Contains(data, e.old) {
			t.Fatalf("%s has no %q", e.file, e.old)
		}
		m[e.file] = &fstest.MapFile{Data: []byte(strings.Replace(data, e.old, e.new, 1))}
	}
	return m
}

// brokenCase is a mistake an author makes and what they are told: the
// file, the line of the field at fault («the text on that line») and what
// to do.
type brokenCase struct {
	name string
	edit
	want []string
}

// Every mistake of a group is made in one copy of the flows and every one
// is reported at once, each at the line of its field, with a suggestion
// where a name is close to one that exists. Mistakes that would hide one
// another are in different groups.
func TestBrokenFlowMessages(t *testing.T) {
	t.Parallel()
	groups := [][]brokenCase{{
		{"dangling next", edit{"screening.yaml", "  - id: medical\n", "  - id: medical\n    next: hom\n"},
			[]string{`screening.yaml:«next: hom»: step "medical": next "hom" is not defined`}},
		{"misspelt field", edit{"screening.yaml", "text:\n      en: \"Do {you} have a serious", "txet:\n      en: \"Do {you} have a serious"},
			[]string{`screening.yaml:«txet»: unknown field "txet" (did you mean "text"?)`}},
		{"unknown step in condition", edit{"screening.yaml", "when: {step: concern, in: [alcohol]}", "when: {step: concerns, in: [alcohol]}"},
			[]string{`screening.yaml:«step: concerns»: step "audit1": when: step "concerns" is not defined (did you mean "concern"?)`}},
		{"impossible answer in condition", edit{"screening.yaml", "when: {step: concern, in: [alcohol, benzos, opioids]}", "when: {step: concern, in: [alcohool, benzos, opioids]}"},
			[]string{`screening.yaml:«in: [alcohool»: step "use": when: step "concern" has no answer "alcohool" (did you mean "alcohol"?)`}},
		{"condition on a later step", edit{"screening.yaml", "when: {step: audit1, not_in: [never]}", "when: {step: insurance, not_in: [never]}"},
			[]string{`screening.yaml:«step: insurance, not_in»: step "audit2": when: step "insurance" is not asked before this one`}},
		{"missing Spanish option", edit{"screening.yaml", `, es: "Ninguno"}`, "}"},
			[]string{`screening.yaml:«text: {en: "None"}»: step "insurance" option "none": no "es" text (missing translation)`}},
		{"missing Spanish reason", edit{"criteria.yaml", `, es: "{You} tiene un hogar seguro y sin consumo"`, ""},
			[]string{`criteria.yaml:«reason: {en: "{You} have a safe»: indicator "safe_home": reason: no "es" text (missing translation)`}},
		{"missing Spanish crisis reply", edit{"crisis.yaml", "    es: \"Si es una emergencia, llame", "    xx: \"Si es una emergencia, llame"},
			[]string{`crisis.yaml:«  default:»: reply "default": no "es" text (missing translation)`, `crisis.yaml:«  default:»: reply "default": language "xx" is not one of [en es]`}},
		{"missing Spanish crisis patterns", edit{"crisis.yaml", `    es: ["@kin|ella|alguien|ex|tipo|vato|wey ..4 @threat_kill"`, `    xx: ["@kin|ella|alguien|ex|tipo|vato|wey ..4 @threat_kill"`},
			[]string{`crisis.yaml:«- name: threatened»: pattern "threatened": no "es" patterns (missing translation)`}},
		{"crisis pattern names no list", edit{"crisis.yaml", `"@means & @hold"`, `"@means & @holding"`},
			[]string{`crisis.yaml:«"@means & @holding"»: pattern "kill_self": en "@means & @holding" cannot be matched: "@holding": no list named holding (did you mean "hold"?)`}},
		{"crisis group not closed", edit{"crisis.yaml", `"(by mistake|by accident|accidentally) & @drug`, `"(by mistake|by accident|accidentally & @drug`},
			[]string{`crisis.yaml:«(by mistake|by accident|accidentally & @drug»: pattern "overdose_self": en "(by mistake|by accident|accidentally & @drug|@amount|dose|twice" cannot be matched: "(by mistake|by accident|accidentally": ( without )`}},
		{"missing Spanish text", edit{"screening.yaml", `, es: "De acuerdo, no se borró nada."`, ""},
			[]string{`screening.yaml:«delete_kept:»: texts "delete_kept": no "es" text (missing translation)`}},
		{"undefined indicator in rule", edit{"criteria.yaml", "any: [opioid_daily, mood_severe, no_ride]", "any: [opioid_daily, mood_severe, no_rides]"},
			[]string{`criteria.yaml:«any: [opioid_daily, mood_severe, no_rides]»: rule 3: indicator "no_rides" is not defined (did you mean "no_ride"?)`}},
		{"text instead of an unknown text", edit{"criteria.yaml", "  - of: compare_sms\n", "  - of: compare_sm\n"},
			[]string{`criteria.yaml:«- of: compare_sm»: instead 1: of: "compare_sm" is not one of the texts (did you mean "compare_sms"?)`}},
		{"text instead on an unknown indicator", edit{"criteria.yaml", "when: {not: {indicator: safe_home}}", "when: {not: {indicator: safe_hom}}"},
			[]string{`criteria.yaml:«indicator: safe_hom»: instead 1: when: indicator "safe_hom" is not defined (did you mean "safe_home"?)`}},
		{"bad lean", edit{"criteria.yaml", "  - lean: iop\n", "  - lean: outpatient\n"},
			[]string{`criteria.yaml:«- lean: outpatient»: rule 2: lean "outpatient" is not one of inpatient, iop, either`}},
		{"bad crisis kind", edit{"crisis.yaml", "  - name: emoji\n    kind: suicide", "  - name: emoji\n    kind: suicde"},
			[]string{`crisis.yaml:«kind: suicde»: pattern "emoji": kind "suicde" is not one of [suicide selfharm overdose withdrawal violence other] (did you mean "suicide"?)`}},
		{"clear rule of two contexts", edit{"crisis.yaml", "  - name: media\n", "  - name: media\n    covers: {en: [lol]}\n"},
			[]string{`crisis.yaml:«- name: media»: clear "media": give only one of anywhere, near, starts, before or covers`}},
		{"translation out of its text", edit{"screening.yaml", "      en: \"How many standard drinks did {you} have on a typical day when drinking?\"\n      es:", "      en: \"How many standard drinks did {you} have on a typical day when drinking?\"\n    es:"},
			[]string{`screening.yaml:«    es: "¿Cuántas bebidas estándar»: unknown field "es" (a translation? indent it under the text it translates)`,
				`screening.yaml:«text:\n      en: \"How many standard drinks did»: step "audit2": no "es" text (missing translation)`}},
	}, {
		{"not GSM-7", edit{"screening.yaml", `en: "Who are you asking for?"`, `en: "Who are {yuo} asking for? “You” or someone else` + strings.Repeat(" Please say.", 40) + `"`},
			[]string{`screening.yaml:«en: "Who are {yuo}»: step "who": English text has "“", which is not GSM-7 and would make the SMS cost 2-3 times more`,
				`screening.yaml:«en: "Who are {yuo}»: step "who": unknown placeholder {yuo} in "en" text (did you mean "{you}"?)`,
				`screening.yaml:«en: "Who are {yuo}»: step "who": the "en" question takes 9 SMS segments (587 characters); the budget is 3`}},
		{"missing Spanish question", edit{"screening.yaml", `, es: "¿Qué le preocupa? Puede elegir varios."`, ""},
			[]string{`screening.yaml:«text: {en: "What is {your} main concern?»: step "concern": no "es" text (missing translation)`}},
		{"unreachable", edit{"screening.yaml", "  - id: phq2\n", "  - id: phq2\n    next: treatment\n"},
			[]string{`screening.yaml:«- id: safety»: step "safety": unreachable (no step leads to it)`}},
		{"no catch-all rule", edit{"criteria.yaml", "    all: [safe_home, has_support]\n    also: [obligations, outpatient_helped, low_readiness]\n  - lean: either\n", "    all: [safe_home, has_support]\n    also: [obligations, outpatient_helped, low_readiness]\n"},
			[]string{`criteria.yaml:«rules:»: rules: the last rule must have no indicators, so every texter gets a lean`}},
	}}
	for _, group := range groups {
		var edits []edit
		for _, tc := range group {
			edits = append(edits, tc.edit)
		}
		m := shippedWith(t, edits...)
		_, err := Load(m)
		if err == nil {
			t.Fatal("loaded without error")
		}
		got := strings.Split(err.Error(), "\n")
		for _, tc := range group {
			data := string(m[tc.file].Data)
			for _, w := range tc.want {
				w = atLine.ReplaceAllStringFunc(w, func(m string) string {
					needle := strings.NewReplacer(`\n`, "\n", `\"`, `"`).Replace(strings.TrimSuffix(strings.TrimPrefix(m, "«"), "»"))
					return lineOf(t, data, needle)
				})
				if !slices.Contains(got, w) {
					t.Errorf("%s: no message\n%s\namong:\n%s", tc.name, w, err)
				}
			}
		}
		if want := countWanted(group); len(got) != want {
			t.Errorf("%d messages, want %d:\n%s", len(got), want, err)
		}
	}
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func countWanted(group []brokenCase) int {
	n := 0
	for _, tc := range group {
		n += len(tc.want)
	}
	return n
}

// An author's first mistakes, made together: a misindented line in one
// file does not hide the mistakes in the others, each is named at its own
// line, and a file that cannot be read is not also "missing".
func TestFirstMistakesAllAtOnce(t *testing.T) {
	t.Parallel()
	m := shippedWith(t,
		edit{"criteria.yaml", "    dimension: 1\n    when:\n      any:", "   dimension: 1\n    when:\n      any:"},
		edit{"screening.yaml", "when: {step: audit1, not_in: [never]}", "when: {step: audit_1, not_in: [never]}"},
		edit{"screening.yaml", `text: {en: "Have {you} had treatment before?", es: "¿{You} ha recibido tratamiento antes?"}`, `text: {en: "Have {you} had treatment before?"}`},
		edit{"language_es.yaml", "kind: language\n", "kind: language\nnegation: [no\n"},
	)
	_, err := Load(m)
	if err == nil {
		t.Fatal("loaded without error")
	}
	criteria, screening := string(m["criteria.yaml"].Data), string(m["screening.yaml"].Data)
	want := []string{
		"criteria.yaml:" + lineOf(t, criteria, "\n   dimension: 1")[0:0] + strconv.Itoa(mustAtoi(lineOf(t, criteria, "\n   dimension: 1"))+1) + ": indented 3 spaces",
		"screening.yaml:" + lineOf(t, screening, "step: audit_1") + `: step "audit2": when: step "audit_1" is not defined (did you mean "audit1"?)`,
		"screening.yaml:" + lineOf(t, screening, `text: {en: "Have {you} had treatment before?"}`) + `: step "treatment": no "es" text (missing translation)`,
		"language_es.yaml:",
	}
	msgs := err.Error()
	for _, w := range want {
		if !strings.Contains(msgs, w) {
			t.Errorf("no %q in:\n%s", w, msgs)
		}
	}
	for _, bad := range []string{"no file of kind", "not GSM-7"} {
		if strings.Contains(msgs, bad) {
			t.Errorf("%q reported as well:\n%s", bad, msgs)
		}
	}
}

// Misspelt names get the name meant; a name far from every other gets no
// guess.
func TestMisspeltNamesSuggested(t *testing.T) {
	t.Parallel()
	m := shippedWith(t,
		edit{"criteria.yaml", "when: {step: situation, not_in: [home]}", "when: {step: situaton, not_in: [home]}"},
		edit{"criteria.yaml", "in: [relapse_outpatient]}", "in: [relapse_outpatent]}"},
		edit{"criteria.yaml", "any: [withdrawal_history,", "any: [withdrawl_history,"},
		edit{"criteria.yaml", "when: {step: situation, not_in: [people]}", "when: {step: zebra, not_in: [people]}"},
	)
	_, err := Load(m)
	if err == nil {
		t.Fatal("loaded without error")
	}
	msgs := err.Error()
	for _, w := range []string{
		`step "situaton" is not defined (did you mean "situation"?)`,
		`step "treatment" has no answer "relapse_outpatent" (did you mean "relapse_outpatient"?)`,
		`indicator "withdrawl_history" is not defined (did you mean "withdrawal_history"?)`,
		`step "zebra" is not defined` + "\n",
	} {
		if !strings.Contains(msgs+"\n", w) {
			t.Errorf("no %q in:\n%s", w, msgs)
		}
	}
}

// atLine marks, in a wanted message, «the line where this text stands».
var atLine = regexp.MustCompile(`«[^»]+»`)

func lineOf(t *testing.T, data, needle string) string {
	i := strings.Index(data, needle)
	if i < 0 {
		t.Fatalf("no %q in the file", needle)
	}
	return strconv.Itoa(strings.Count(data[:i], "\n") + 1)
}

// The files in testdata/broken hold several mistakes at once; every one is
// reported, in file order, as testdata/broken/want.txt says.
func TestBrokenDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "broken")
	_, err := Load(os.DirFS(dir))
	if err == nil {
		t.Fatal("loaded without error")
	}
	want, rerr := os.ReadFile(filepath.Join(dir, "want.txt"))
	if rerr != nil {
		t.Fatal(rerr)
	}
	if strings.TrimSpace(err.Error()) != strings.TrimSpace(string(want)) {
		t.Fatalf("got:\n%v\nwant:\n%s", err, want)
	}
}

func TestSegments(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{strings.Repeat("a", 160), 1},
		{strings.Repeat("a", 161), 2},
		{strings.Repeat("a", 306), 2},
		{strings.Repeat("a", 307), 3},
		{strings.Repeat("a", 159) + "€", 2}, // the euro sign takes two septets
		{strings.Repeat("a", 70) + "í", 2},
		{strings.Repeat("a", 69) + "í", 1},
		{"Año: ñ is GSM-7", 1},
	} {
		if got := Segments(tc.s); got != tc.want {
			t.Errorf("Segments(%d chars ending %q) = %d, want %d", len(tc.s), tc.s[max(0, len(tc.s)-3):], got, tc.want)
		}
	}
}

func FuzzLoad(f *testing.F) {
	for _, name := range []string{"screening.yaml", "criteria.yaml", "crisis.yaml"} {
		b, _ := fs.ReadFile(files, name)
		f.Add(name, string(b))
	}
	f.Add("screening.yaml", "kind: flow\nsteps: [{id: a, kind: choice, options: [{value: x}, {value: x}]}]")
	f.Fuzz(func(t *testing.T, name, data string) {
		if !strings.HasSuffix(name, ".yaml") || strings.ContainsAny(name, "/\\") {
			return
		}
		m := shippedFS()
		m[name] = &fstest.MapFile{Data: []byte(data)}
		set, err := Load(m)
		if err == nil && set.Screening() == nil {
			t.Fatal("loaded a set with no screening flow")
		}
	})
}

func shippedFS() fstest.MapFS {
	m := fstest.MapFS{}
	names, _ := fs.Glob(files, "*.yaml")
	for _, n := range names {
		b, _ := fs.ReadFile(files, n)
		m[n] = &fstest.MapFile{Data: b}
	}
	return m
}
