package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"helpline/flows"
)

func runCmd(t *testing.T, stdin string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

// The Quick start: a whole screening piped into `helpline chat` with no
// configuration at all, on the embedded store.
func TestChatPiped(t *testing.T) {
	t.Parallel()
	answers := "1\n1\n5\n2\n1\n1\n2\n1\n1 2 3\n4\n1\n"
	code, out, errb := runCmd(t, answers, nil, "chat")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, want := range []string{
		"Hi, this is Recovery Helpline.",
		"1 of 14: Who are you asking for?",
		"an Intensive Outpatient Program (IOP) looks like a good fit",
		"Next step: reply CALL",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("chat output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errb, "embedded in-process Redis") {
		t.Errorf("no warning that the embedded store is not durable: %q", errb)
	}
}

func TestChatRefusesBadConfig(t *testing.T) {
	t.Parallel()
	code, _, errb := runCmd(t, "", map[string]string{"HELPLINE_SESSION_TTL": "soon"}, "chat")
	if code == 0 || !strings.Contains(errb, "HELPLINE_SESSION_TTL") {
		t.Fatalf("exit %d, stderr %q", code, errb)
	}
	code, _, errb = runCmd(t, "", map[string]string{"HELPLINE_REQUIRE_REDIS": "1"}, "chat")
	if code == 0 || !strings.Contains(errb, "REDIS_URL") {
		t.Fatalf("exit %d, stderr %q", code, errb)
	}
}

func TestFlowsCheck(t *testing.T) {
	t.Parallel()
	code, out, _ := runCmd(t, "", nil, "flows", "check", "../../flows")
	if code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("shipped flows: exit %d, %q", code, out)
	}
	code, _, errb := runCmd(t, "", nil, "flows", "check", "../../flows/testdata/broken")
	if code != 1 {
		t.Fatalf("broken flows: exit %d", code)
	}
	for _, want := range []string{
		`flow.yaml:26: step "home": next "ending" is not defined`,
		`language_en.yaml:8: negation "dont care": must be one word`,
		"35 problem(s) in ../../flows/testdata/broken",
	} {
		if !strings.Contains(errb, want) {
			t.Errorf("flows check output lacks %q:\n%s", want, errb)
		}
	}
}

// An author's first mistakes in a copy of the flows: a misindented line in
// one file, a misspelt step and a missing translation in another, all
// named at once, each at its line.
func TestFlowsCheckFirstMistakes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	names, _ := filepath.Glob("../../flows/*.yaml")
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		switch filepath.Base(name) {
		case "criteria.yaml":
			s = strings.Replace(s, "\n    dimension: 1\n    when:\n      any:", "\n   dimension: 1\n    when:\n      any:", 1)
		case "screening.yaml":
			s = strings.Replace(s, "when: {step: audit1, not_in: [never]}", "when: {step: audit_1, not_in: [never]}", 1)
			s = strings.Replace(s, `, es: "¿{You} ha recibido tratamiento antes?"`, "", 1)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errb := runCmd(t, "", nil, "flows", "check", dir)
	if code != 1 {
		t.Fatalf("exit %d:\n%s", code, errb)
	}
	// lineIn returns the number of the line of file that holds text.
	lineIn := func(file, text string) string {
		b, _ := os.ReadFile(filepath.Join(dir, file))
		i := strings.Index(string(b), text)
		if i < 0 {
			t.Fatalf("no %q in %s", text, file)
		}
		return fmt.Sprint(strings.Count(string(b)[:i], "\n") + 1)
	}
	for _, want := range []string{
		"criteria.yaml:" + lineIn("criteria.yaml", "   dimension: 1\n    when:\n      any:") + ": indented 3 spaces",
		"screening.yaml:" + lineIn("screening.yaml", "step: audit_1") + `: step "audit2": when: step "audit_1" is not defined (did you mean "audit1"?)`,
		"screening.yaml:" + lineIn("screening.yaml", `text: {en: "Have {you} had treatment before?"}`) + `: step "treatment": no "es" text (missing translation)`,
		"3 problem(s) in " + dir,
	} {
		if !strings.Contains(errb, want) {
			t.Errorf("flows check lacks %q:\n%s", want, errb)
		}
	}
}

// flows check checks the provider file too, named by --provider (before
// or after the directory) or HELPLINE_PROVIDER_FILE, each problem at its
// line; a good one is reported with the facts it leaves to intake.
func TestFlowsCheckProvider(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "provider.yaml")
	if err := os.WriteFile(bad, []byte("hourz: 9am-5pm\nvisiting:\n  en: Sundays\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"flag", nil, []string{"flows", "check", "--provider", bad, "../../flows"}},
		{"flag after the directory", nil, []string{"flows", "check", "../../flows", "--provider", bad}},
		{"environment", map[string]string{"HELPLINE_PROVIDER_FILE": bad}, []string{"flows", "check", "../../flows"}},
	} {
		code, _, errb := runCmd(t, "", tc.env, tc.args...)
		if code != 1 {
			t.Fatalf("%s: exit %d:\n%s", tc.name, code, errb)
		}
		for _, want := range []string{
			bad + `:1: unknown field "hourz" (did you mean "hours"?)`,
			bad + `:2: visiting: no "es" wording`,
			"2 problem(s) in ../../flows and " + bad,
		} {
			if !strings.Contains(errb, want) {
				t.Errorf("%s: flows check lacks %q:\n%s", tc.name, want, errb)
			}
		}
	}
	code, out, errb := runCmd(t, "", nil, "flows", "check", "--provider", "../../flows/provider.example.yaml", "../../flows")
	if code != 0 || !strings.Contains(out, "provider.example.yaml: ok (every fact set)") {
		t.Fatalf("the example: exit %d\n%s%s", code, out, errb)
	}
}

func TestFlowsGraph(t *testing.T) {
	t.Parallel()
	code, out, errb := runCmd(t, "", nil, "flows", "graph")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, want := range []string{"flowchart TD", "concern -->|if concern is alcohol| audit1", "concern -.->|audit1 skipped| audit2",
		"audit1 -->|if audit1 is not never| audit2", "end((summary))"} {
		if !strings.Contains(out, want) {
			t.Errorf("graph lacks %q:\n%s", want, out)
		}
	}
}

// `helpline criteria` prints every criterion of the table the summary
// applies, in rule order.
func TestCriteria(t *testing.T) {
	t.Parallel()
	code, out, _ := runCmd(t, "", nil, "criteria")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	set, _ := flows.Default()
	for _, in := range set.Criteria.Indicators {
		used := false
		for _, r := range set.Criteria.Rules {
			for _, id := range append(append(append([]string{}, r.Any...), r.All...), r.Also...) {
				used = used || id == in.ID
			}
		}
		if used && !strings.Contains(out, in.Criterion.In("en")) {
			t.Errorf("criteria output lacks %q", in.Criterion.In("en"))
		}
	}
	if strings.Index(out, "Inpatient / residential, if any of") > strings.Index(out, "Intensive Outpatient Program (IOP), if all of") {
		t.Error("inpatient rule not printed before the IOP rule")
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	if code, _, errb := runCmd(t, "", nil, "frobnicate"); code != 2 || !strings.Contains(errb, "usage") {
		t.Fatalf("exit %d, %q", code, errb)
	}
}

// The usage text names every command and every flag each one takes, as
// the command's own flag set defines them.
func TestUsageListsEveryCommandAndFlag(t *testing.T) {
	t.Parallel()
	_, usage, _ := runCmd(t, "", nil, "help")
	flag := regexp.MustCompile(`(?m)^  -(\w+)`)
	for _, cmd := range [][]string{{"chat"}, {"serve"}, {"flows", "check"}, {"flows", "graph"}, {"flows", "try"}, {"criteria"}, {"crisis"}} {
		if !strings.Contains(usage, "helpline "+strings.Join(cmd, " ")) {
			t.Errorf("usage lacks the command %q", strings.Join(cmd, " "))
		}
		_, _, help := runCmd(t, "", nil, append(cmd, "-h")...)
		for _, m := range flag.FindAllStringSubmatch(help, -1) {
			line := usage[strings.Index(usage, "helpline "+strings.Join(cmd, " ")):]
			line = line[:strings.Index(line, "\n")]
			if !strings.Contains(line, "--"+m[1]) {
				t.Errorf("usage of %q lacks --%s", strings.Join(cmd, " "), m[1])
			}
		}
	}
}

// In chat the greeting comes before any text; a first line in Spanish
// switches to Spanish, and one that asks for help starts, as over SMS.
func TestChatFirstLine(t *testing.T) {
	t.Parallel()
	code, out, errb := runCmd(t, "hola, necesito ayuda\npara mi\n", nil, "chat")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, want := range []string{"1 de 14: ¿Para quién pregunta?", "¿Qué le preocupa?"} {
		if !strings.Contains(out, want) {
			t.Errorf("Spanish first line: output lacks %q:\n%s", want, out)
		}
	}
	code, out, errb = runCmd(t, "hey i need help for my son, he drinks every day\n", nil, "chat")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, want := range []string{"Got it: for someone close to you.", "What is their main concern?"} {
		if !strings.Contains(out, want) {
			t.Errorf("help-seeking first line: output lacks %q:\n%s", want, out)
		}
	}
}

// flows try shows what the assistant makes of each line at a step; with
// --json one object a line, as authors' tools read it.
func TestFlowsTry(t *testing.T) {
	t.Parallel()
	code, out, errb := runCmd(t, "yeah\n3 or 4\n", nil, "flows", "try", "--json", "audit2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines for 2 texts:\n%s", len(lines), out)
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"text", "step", "lang", "outcome", "answers", "candidates", "replies"} {
		if _, ok := first[k]; !ok {
			t.Errorf("no %q in %s", k, lines[0])
		}
	}
	if first["outcome"] != "ask_again" || second["outcome"] != "answered" || second["answers"].(map[string]any)["audit2"] != "3to4" {
		t.Errorf("flows try read %q as %v and %q as %v %v", "yeah", first["outcome"], "3 or 4", second["outcome"], second["answers"])
	}
	code, out, _ = runCmd(t, "", nil, "flows", "try", "--lang", "es", "--for", "other", "concern", "pastillas y alcohol")
	if code != 0 || !strings.Contains(out, "clarify between opioids, benzos, other_drugs") || !strings.Contains(out, "because: option alcohol") {
		t.Errorf("flows try in words:\n%s", out)
	}
	code, out, _ = runCmd(t, "", nil, "flows", "try", "--json", "situation", "1 2")
	if code != 0 || !strings.Contains(out, `"situation":["home","people"]`) {
		t.Errorf("a multi step's answer is not a list: %s", out)
	}
	if code, _, errb := runCmd(t, "", nil, "flows", "try", "nosuchstep", "hi"); code == 0 || !strings.Contains(errb, "no step") {
		t.Errorf("unknown step: exit %d, %q", code, errb)
	}
}
