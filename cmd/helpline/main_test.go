package main

import (
	"bytes"
	"context"
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
		`flow.yaml:22: step "home": next "ending" is not defined`,
		`language_en.yaml:8: negation "dont care": must be one word`,
		"20 problem(s) in ../../flows/testdata/broken",
	} {
		if !strings.Contains(errb, want) {
			t.Errorf("flows check output lacks %q:\n%s", want, errb)
		}
	}
}

func TestFlowsGraph(t *testing.T) {
	t.Parallel()
	code, out, errb := runCmd(t, "", nil, "flows", "graph")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, want := range []string{"flowchart TD", "concern --> audit1", "end((summary))", "skipped unless concern is alcohol"} {
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
