package bot_test

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"helpline/bot"
)

// row is one line of an answers table: a text as people send it at a step,
// and what it means.
type row struct {
	line               int
	step, lang, for_   string
	text, expect, also string
}

func readAnswers(t *testing.T, file string) []row {
	var rows []row
	for _, r := range readTable(t, file, 6) {
		rows = append(rows, row{r.line, r.c[0], r.c[1], r.c[2], r.c[3], r.c[4], r.c[5]})
	}
	return rows
}

// understanding runs every row of an answers table through the engine, at
// its step in a fresh conversation, and reports the first-try rate of the
// clear answers and every misread: an answer recorded with a value the
// person did not mean, or a guess where the answer was unclear.
func understanding(t *testing.T, file string) (rate float64, misreads []string) {
	st, _ := miniStore(t) // Try touches no store; the engine wants one
	e := newEngine(t, st)
	rows := readAnswers(t, file)
	clear, right := 0, 0
	unclearOK, unclear := 0, 0
	var missed []string
	perStep := map[string][2]int{}
	for _, r := range rows {
		got, err := e.Try(r.step, r.lang, r.for_, r.text)
		if err != nil {
			t.Fatalf("%s:%d: %v", file, r.line, err)
		}
		where := fmt.Sprintf("%s:%d %s/%s/%s %q", file, r.line, r.step, r.lang, r.for_, r.text)
		want, isValue := wantValue(r.expect)
		value := answerOf(got, r.step)
		ps := perStep[r.step]
		switch {
		case isValue:
			clear++
			ps[1]++
			switch {
			case got.Outcome == "answered" && value == want:
				right++
				ps[0]++
			case got.Outcome == "answered":
				misreads = append(misreads, fmt.Sprintf("%s: recorded %s, meant %s", where, value, want))
			default:
				missed = append(missed, fmt.Sprintf("%s: %s %v, meant %s", where, got.Outcome, got.Candidates, want))
			}
		default:
			unclear++
			if got.Outcome == "answered" {
				misreads = append(misreads, fmt.Sprintf("%s: recorded %s, but it is unclear (%s)", where, value, r.expect))
			} else {
				unclearOK++
			}
		}
		perStep[r.step] = ps
		for _, a := range strings.Fields(r.also) {
			step, v, _ := strings.Cut(a, "=")
			if g := answerOf(got, step); g != "" && g != v && got.Outcome == "answered" {
				misreads = append(misreads, fmt.Sprintf("%s: filled %s=%s, meant %s", where, step, g, v))
			} else if g == "" {
				missed = append(missed, fmt.Sprintf("%s: did not take %s=%s", where, step, v))
			}
		}
	}
	rate = float64(right) / float64(clear)
	t.Logf("%s: %d rows; clear answers understood on the first try: %d of %d (%.1f%%); unclear ones clarified or asked again: %d of %d; misreads: %d\nper step:%s",
		file, len(rows), right, clear, 100*rate, unclearOK, unclear, len(misreads), figures(perStep))
	if testing.Verbose() {
		for _, m := range missed {
			t.Log("not on the first try: " + m)
		}
	}
	return rate, misreads
}

// wantValue returns the value an expectation names, in the engine's form
// (a multi step's values joined by commas), or false for clarify and
// ask_again.
func wantValue(expect string) (string, bool) {
	if expect == "ask_again" || strings.HasPrefix(expect, "clarify") {
		return "", false
	}
	vs := strings.Split(expect, "+")
	return strings.Join(vs, ","), true
}

// answerOf returns the value recorded for step, a multi step's values
// joined by commas in the order the table writes them (sorted both ways).
func answerOf(got bot.Tried, step string) string {
	switch v := got.Answers[step].(type) {
	case string:
		return v
	case []string:
		return strings.Join(v, ",")
	}
	return ""
}

// Two tables of answers people text, written by two people who had not
// seen the flows' words: each must be read with no misread, and 97% of the
// clear answers on the first try.
func TestUnderstandingAnswers(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"testdata/answers.tsv", "testdata/answers_more.tsv"} {
		rate, misreads := understanding(t, file)
		for _, m := range misreads {
			t.Error("misread: " + m)
		}
		if rate < 0.97 {
			t.Errorf("%s: clear answers understood on the first try: %.1f%%, want 97%% or more", file, 100*rate)
		}
	}
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
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var rows []tableRow
	for n, line := range strings.Split(string(raw), "\n") {
		if n == 0 || strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != fields {
			t.Fatalf("%s:%d: %d fields, want %d", file, n+1, len(c), fields)
		}
		rows = append(rows, tableRow{n + 1, c})
	}
	return rows
}

// figures renders counts per key as " key right/all".
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
