package flows

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
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

// shipped returns the embedded flow files with one replacement applied to
// file, failing if the text to replace is not there.
func shipped(t *testing.T, file, old, new string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	names, _ := fs.Glob(files, "*.yaml")
	for _, n := range names {
		b, _ := fs.ReadFile(files, n)
		m[n] = &fstest.MapFile{Data: b}
	}
	if file != "" {
		data := string(m[file].Data)
		if !strings.Contains(data, old) {
			t.Fatalf("%s has no %q", file, old)
		}
		m[file] = &fstest.MapFile{Data: []byte(strings.Replace(data, old, new, 1))}
	}
	return m
}

// Each broken flow gives exactly these messages, so an author can find the
// file, the line and what to do.
func TestBrokenFlowMessages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file, old, new string
		want                 []string
	}{
		{"dangling next", "screening.yaml", "  - id: medical\n", "  - id: medical\n    next: hom\n",
			[]string{`screening.yaml:«- id: medical»: step "medical": next "hom" is not defined`}},
		{"misspelt field", "screening.yaml", "text:\n      en: \"Do {you} have a serious", "txet:\n      en: \"Do {you} have a serious",
			[]string{`screening.yaml:«txet»: unknown field "txet" (did you mean "text"?)`}},
		{"unknown step in condition", "screening.yaml", "when: {step: concern, in: [alcohol]}", "when: {step: concerns, in: [alcohol]}",
			[]string{`screening.yaml:«- id: audit1»: step "audit1": when: step "concerns" is not defined`}},
		{"impossible answer in condition", "screening.yaml", "when: {step: concern, in: [alcohol]}", "when: {step: concern, in: [alcohool]}",
			[]string{`screening.yaml:«- id: audit1»: step "audit1": when: step "concern" has no answer "alcohool"`}},
		{"condition on a later step", "screening.yaml", "when: {step: concern, in: [alcohol]}", "when: {step: insurance, in: [none]}",
			[]string{`screening.yaml:«- id: audit1»: step "audit1": when: step "insurance" is not asked before this one`}},
		{"not GSM-7", "screening.yaml", `en: "Who are you asking for?"`, `en: "Who are you asking for? “You” or someone else"`,
			[]string{`screening.yaml:«- id: who»: step "who": English text has "“", which is not GSM-7 and would make the SMS cost 2-3 times more`}},
		{"unknown placeholder", "screening.yaml", `en: "Who are you asking for?"`, `en: "Who are {yuo} asking for?"`,
			[]string{`screening.yaml:«- id: who»: step "who": unknown placeholder {yuo} in "en" text`}},
		{"missing Spanish question", "screening.yaml", `, es: "¿Para quién pregunta?"`, "",
			[]string{`screening.yaml:«- id: who»: step "who": no "es" text (missing translation)`}},
		{"missing Spanish option", "screening.yaml", `, es: "Ninguno"}`, "}",
			[]string{`screening.yaml:«- id: insurance»: step "insurance" option "none": no "es" text (missing translation)`}},
		{"missing Spanish reason", "criteria.yaml", `, es: "{You} tiene un hogar seguro y sin consumo"`, "",
			[]string{`criteria.yaml:«- id: safe_home»: indicator "safe_home": reason: no "es" text (missing translation)`}},
		{"missing Spanish crisis reply", "crisis.yaml", "    es: \"Si es una emergencia, llame", "    xx: \"Si es una emergencia, llame",
			[]string{`crisis.yaml: reply "default": no "es" text (missing translation)`, `crisis.yaml: reply "default": language "xx" is not one of [en es]`}},
		{"missing Spanish crisis patterns", "crisis.yaml", `    es: ["@kin|ella|alguien|ex|tipo|vato|wey ..4 @threat_kill"`, `    xx: ["@kin|ella|alguien|ex|tipo|vato|wey ..4 @threat_kill"`,
			[]string{`crisis.yaml:«- name: threatened»: pattern "threatened": no "es" patterns (missing translation)`}},
		{"crisis pattern names no list", "crisis.yaml", `"@means & @hold"`, `"@means & @holding"`,
			[]string{`crisis.yaml:«- name: kill_self»: pattern "kill_self": en "@means & @holding" cannot be matched: "@holding": no list named holding`}},
		{"crisis group not closed", "crisis.yaml", `"(by mistake|by accident|accidentally) & @drug`, `"(by mistake|by accident|accidentally & @drug`,
			[]string{`crisis.yaml:«- name: overdose_self»: pattern "overdose_self": en "(by mistake|by accident|accidentally & @drug|@amount|dose|twice" cannot be matched: "(by mistake|by accident|accidentally": ( without )`}},
		{"missing Spanish text", "screening.yaml", `, es: "De acuerdo, no se borró nada."`, "",
			[]string{`screening.yaml: texts "delete_kept": no "es" text (missing translation)`}},
		{"unreachable", "screening.yaml", "  - id: phq2\n", "  - id: phq2\n    next: treatment\n",
			[]string{`screening.yaml:«- id: safety»: step "safety": unreachable (no step leads to it)`}},
		{"over budget", "screening.yaml", `en: "Who are you asking for?"`, `en: "Who are you asking for?` + strings.Repeat(" Please say.", 40) + `"`,
			[]string{`screening.yaml:«- id: who»: step "who": the "en" question takes 4 SMS segments (563 characters); the budget is 3`}},
		{"undefined indicator in rule", "criteria.yaml", "any: [opioid_daily, low_mood, no_ride]", "any: [opioid_daily, low_mood, no_rides]",
			[]string{`criteria.yaml:«- lean: either»: rule 3: indicator "no_rides" is not defined`}},
		{"no catch-all rule", "criteria.yaml", "    all: [safe_home, has_support]\n    also: [obligations, outpatient_helped, low_readiness]\n  - lean: either\n", "    all: [safe_home, has_support]\n    also: [obligations, outpatient_helped, low_readiness]\n",
			[]string{`criteria.yaml: rules: the last rule must have no indicators, so every texter gets a lean`}},
		{"bad lean", "criteria.yaml", "  - lean: iop\n", "  - lean: outpatient\n",
			[]string{`criteria.yaml:«- lean: outpatient»: rule 2: lean "outpatient" is not one of inpatient, iop, either`}},
		{"bad crisis kind", "crisis.yaml", "  - name: emoji\n    kind: suicide", "  - name: emoji\n    kind: suicde",
			[]string{`crisis.yaml:«- name: emoji»: pattern "emoji": kind "suicde" is not one of [suicide overdose withdrawal violence other] (did you mean "suicide"?)`}},
		{"clear rule of two contexts", "crisis.yaml", "  - name: media\n", "  - name: media\n    covers: {en: [lol]}\n",
			[]string{`crisis.yaml:«- name: media»: clear "media": give only one of anywhere, near, starts, before or covers`}},
		{"yaml syntax", "criteria.yaml", "kind: criteria\n", "kind: criteria\n  bad: [\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(shipped(t, tc.file, tc.old, tc.new))
			if err == nil {
				t.Fatal("loaded without error")
			}
			got := strings.Split(err.Error(), "\n")
			data := string(shipped(t, tc.file, tc.old, tc.new)[tc.file].Data)
			for i, w := range tc.want {
				tc.want[i] = atLine.ReplaceAllStringFunc(w, func(m string) string { return lineOf(t, data, strings.TrimSuffix(strings.TrimPrefix(m, "«"), "»")) })
			}
			if tc.want == nil {
				return
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
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
