package understand_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"helpline/bot/understand"
	"helpline/flows"
)

// dangerRow is one line of a danger table: a text, and the tier, kind and
// person it means.
type dangerRow struct {
	line                  int
	tier, kind, who, lang string
	text                  string
}

func readDanger(t testing.TB, file string) []dangerRow {
	var rows []dangerRow
	for _, r := range readTable(t, file, 5) {
		rows = append(rows, dangerRow{r.line, r.c[0], r.c[1], r.c[2], r.c[3], r.c[4]})
	}
	return rows
}

// figures writes counts of right and all by key, in key order:
// " alcohol 3/4 cannabis 2/2".
func figures(counts map[string][2]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " %s %d/%d", k, counts[k][0], counts[k][1])
	}
	return b.String()
}

// tableRow is one line of a tab-separated test table and its number.
type tableRow struct {
	line int
	c    []string
}

// readTable reads a table of tab-separated fields, each row with fields
// of them, past its header line, skipping comments and blank lines.
func readTable(t testing.TB, file string, fields int) []tableRow {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []tableRow
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 || strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != fields {
			t.Fatalf("%s:%d: %d fields, want %d", file, n, len(c), fields)
		}
		rows = append(rows, tableRow{n, c})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// dangerFigures checks every row of a danger table and returns the share
// of danger caught, the share of harmless texts alarmed on, and what went
// wrong.
func dangerFigures(t *testing.T, d *understand.Detector, file string) (caught, falseAlarms float64, missed, alarms, mismatched []string) {
	rows := readDanger(t, file)
	danger, harmless, hit, fa := 0, 0, 0, 0
	perKind := map[string][2]int{}
	for _, r := range rows {
		f := d.Check(r.text)
		where := fmt.Sprintf("%s:%d %s/%s/%s %q", file, r.line, r.tier, r.kind, r.lang, r.text)
		if r.tier == "none" {
			harmless++
			if f.Tier != "" {
				fa++
				alarms = append(alarms, fmt.Sprintf("%s: %s %s by %s %q", where, f.Tier, f.Kind, f.Matched, f.Pattern))
			}
			continue
		}
		danger++
		pk := perKind[r.kind]
		pk[1]++
		if f.Tier == "" {
			missed = append(missed, fmt.Sprintf("%s: missed (cleared by %q)", where, f.Cleared))
		} else {
			hit++
			pk[0]++
			if string(f.Tier) != r.tier || f.Kind != r.kind || r.who != "-" && f.Who != r.who {
				mismatched = append(mismatched, fmt.Sprintf("%s: %s %s %s by %s %q", where, f.Tier, f.Kind, f.Who, f.Matched, f.Pattern))
			}
		}
		perKind[r.kind] = pk
	}
	caught, falseAlarms = float64(hit)/float64(danger), float64(fa)/float64(harmless)
	t.Logf("%s: danger caught %d of %d (%.1f%%); false alarms on harmless texts %d of %d (%.1f%%); caught with another tier, kind or person: %d\nper kind:%s",
		file, hit, danger, 100*caught, fa, harmless, 100*falseAlarms, len(mismatched), figures(perKind))
	return
}

// Texts written from how people in danger really text, and harmless ones
// that sound alarming, English and Spanish: every danger text is caught,
// and no more than 2% of the harmless ones raise an alarm.
func TestDangerTables(t *testing.T) {
	t.Parallel()
	d := detector(t)
	for _, file := range []string{"testdata/danger.tsv", "testdata/danger_more.tsv", "testdata/danger_c.tsv", "testdata/danger_d.tsv", "testdata/danger_e.tsv", "testdata/danger_h.tsv", "testdata/danger_g.tsv", "testdata/danger_i.tsv", "testdata/danger_j.tsv", "testdata/danger_k.tsv", "testdata/danger_f.tsv"} {
		caught, fa, missed, alarms, mismatched := dangerFigures(t, d, file)
		for _, m := range missed {
			t.Error(m)
		}
		if caught < 1 {
			t.Errorf("%s: %.1f%% of danger caught, want all", file, 100*caught)
		}
		if fa > 0.02 {
			t.Errorf("%s: %.1f%% false alarms, want 2%% or fewer", file, 100*fa)
		}
		for _, a := range alarms {
			t.Log("false alarm: " + a)
		}
		if testing.Verbose() {
			for _, m := range mismatched {
				t.Log("caught as: " + m)
			}
		}
	}
}

// Every rule that clears a match is tested both ways: a text it clears,
// and a text near it that stays danger. Each rule of the crisis file has
// a row in English, and in Spanish when it has Spanish context.
func TestClearRulesBothWays(t *testing.T) {
	t.Parallel()
	d := detector(t)
	f, err := os.ReadFile("testdata/clears.tsv")
	if err != nil {
		t.Fatal(err)
	}
	set, err := flows.Default()
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]*flows.ClearRule{}
	for _, r := range set.Crisis.Clear {
		rules[r.Name] = r
	}
	tested := map[string]bool{}
	for n, line := range strings.Split(strings.TrimSpace(string(f)), "\n") {
		if n == 0 || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 4 {
			t.Fatalf("clears.tsv:%d: %d fields, want 4", n+1, len(c))
		}
		// c[1], the language, is for the reader: context is looked for in every language.
		rule, cleared, kept := c[0], c[2], c[3]
		tested[rule] = true
		r, ok := rules[rule]
		if !ok {
			t.Errorf("clears.tsv:%d: no clear rule %q in the crisis file", n+1, rule)
			continue
		}
		// A rule clears the kinds it names; another kind may still be
		// read ("i wish a car would hit me" is no violence, but asked about).
		if got := d.Check(cleared); got.Tier != "" && (len(r.Kinds) == 0 || slices.Contains(r.Kinds, got.Kind)) {
			t.Errorf("clears.tsv:%d %s: %q is %s %s by %q, want cleared", n+1, rule, cleared, got.Tier, got.Kind, got.Pattern)
		} else if why := strings.Join(d.Explain(cleared), "\n"); !strings.Contains(why, "cleared by "+rule) {
			t.Errorf("clears.tsv:%d %s: %q is not cleared by it:\n%s", n+1, rule, cleared, why)
		}
		if got := d.Check(kept); got.Tier == "" {
			t.Errorf("clears.tsv:%d %s: %q missed (cleared by %q), want danger", n+1, rule, kept, got.Cleared)
		}
	}
	for _, r := range set.Crisis.Clear {
		if !tested[r.Name] {
			t.Errorf("clear rule %q has no row in clears.tsv", r.Name)
		}
	}
}

// BenchmarkDangerCheck times the check over the texts of the danger
// tables (make bench reports the same per text, with percentiles).
func BenchmarkDangerCheck(b *testing.B) {
	d := detector(b)
	var texts []string
	files, _ := filepath.Glob("testdata/danger*.tsv")
	for _, f := range files {
		for _, r := range readDanger(b, f) {
			texts = append(texts, r.text)
		}
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		d.Check(texts[i%len(texts)])
	}
}
