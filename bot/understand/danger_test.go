package understand_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
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

// tableDecide reads a text of the danger tables as the product's danger
// check does: the patterns today. When the learned model joins them, the
// combined check goes here, and the rows left to it (below) can be made
// to fail too.
var tableDecide = func(text, lang string) understand.Finding { return tableDetector().CheckIn(text, lang) }

var tableDetector = sync.OnceValue(func() *understand.Detector {
	set, err := flows.Default()
	if err != nil {
		panic(err)
	}
	d, err := understand.NewDetector(set)
	if err != nil {
		panic(err)
	}
	return d
})

// tableCounts are what one danger table's rows were read as.
type tableCounts struct {
	rows, right, wrong int
	// missed are danger rows read as nothing, low urgent rows read as a
	// concern: left to the learned model.
	missed, low int
}

// dangerRows reads every row of a danger table with decide and returns
// what it counted and, one line each, the rows read wrong: an alarm on a
// harmless text, or danger read with another tier, kind or person. An
// urgent reading stands in the product, so a wrong kind or person there
// is a wrong reply; a concern read for urgent danger still asks, and a
// miss is for the model to catch: those are counted, not wrong.
func dangerRows(t *testing.T, decide func(text, lang string) understand.Finding, file string) (tableCounts, []string) {
	var c tableCounts
	var wrong []string
	for _, r := range readDanger(t, file) {
		c.rows++
		f := decide(r.text, r.lang)
		switch {
		case r.tier == "none" && f.Tier == "" || string(f.Tier) == r.tier && f.Kind == r.kind && (r.who == "-" || f.Who == r.who):
			c.right++
			continue
		case r.tier != "none" && f.Tier == "":
			c.missed++
			continue
		case r.tier == string(flows.TierUrgent) && f.Tier == flows.TierConcern:
			c.low++
			continue
		}
		c.wrong++
		wrong = append(wrong, fmt.Sprintf("%s:%d %s/%s/%s read as %s/%s/%s by %s %q: %q", file, r.line, r.tier, r.kind, r.who,
			or(string(f.Tier), "none"), or(f.Kind, "-"), or(f.Who, "-"), f.Matched, f.Pattern, r.text))
	}
	return c, wrong
}

func or(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// Most rows the patterns leave to the learned model today: a new miss is
// a drop in what the patterns catch, and fails.
const maxMissed, maxLow = 0, 12

// Texts written from how people in danger really text, and harmless ones
// that sound alarming, English and Spanish: each is read with its tier,
// kind and person, or, for danger, left to the learned model (counted).
func TestDangerTables(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/danger*.tsv")
	var all tableCounts
	for _, file := range files {
		c, wrong := dangerRows(t, tableDecide, file)
		for _, w := range wrong {
			t.Error(w)
		}
		t.Logf("%s: %d rows, %d read right, %d wrong; left to the model: %d missed, %d urgent read as concern", file, c.rows, c.right, c.wrong, c.missed, c.low)
		all.rows, all.right, all.wrong, all.missed, all.low = all.rows+c.rows, all.right+c.right, all.wrong+c.wrong, all.missed+c.missed, all.low+c.low
	}
	t.Logf("all tables: %d rows, %d read right, %d wrong; left to the model: %d missed, %d urgent read as concern", all.rows, all.right, all.wrong, all.missed, all.low)
	if all.missed > maxMissed || all.low > maxLow {
		t.Errorf("the patterns leave %d missed and %d urgent-as-concern rows to the model, want at most %d and %d", all.missed, all.low, maxMissed, maxLow)
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
		// A rule clears the kinds and tiers it names; another may still be
		// read ("i wish a car would hit me" is no violence, but asked
		// about; "ive thought about killing myself" is no plan, but asked
		// about).
		if got := d.Check(cleared); got.Tier != "" && (len(r.Kinds) == 0 || slices.Contains(r.Kinds, got.Kind)) && (len(r.Tiers) == 0 || slices.Contains(r.Tiers, got.Tier)) {
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
