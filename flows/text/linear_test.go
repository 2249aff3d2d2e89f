package text_test

import (
	"strings"
	"testing"

	"helpline/flows"
	"helpline/flows/text"
)

// repeatTo returns unit repeated to n bytes.
func repeatTo(unit string, n int) string {
	return strings.Repeat(unit, n/len(unit)+1)[:n]
}

// TestFindWorkGrowsLinearly counts the work of finding the danger
// patterns in texts built to be slow to read, at 1,600 and at 16,000
// characters: ten times the text may cost about ten times the work, never
// a hundred (a typo looked up in every long word, a pattern walking the
// rest of the text from every filler it may begin at, the parts of "A & B"
// paired every one with every other). Work is counted, not timed.
func TestFindWorkGrowsLinearly(t *testing.T) {
	set, err := flows.Default()
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]func(n int) string{
		"one long word":   func(n int) string { return repeatTo("ab", n) },
		"digits, letters": func(n int) string { return repeatTo("a1", n) },
		"emoji":           func(n int) string { return strings.Repeat("😭", n/4) },
		"danger words":    func(n int) string { return repeatTo("kill myself pills overdose ", n) },
		"palabras":        func(n int) string { return repeatTo("quiero matarme pastillas ", n) },
		"want to die":     func(n int) string { return repeatTo("i want to die ", n) },
		"typos":           func(n int) string { return repeatTo("suicde ovrdose kil myslef pils seziure ", n) },
		"numbers":         func(n int) string { return repeatTo("12 pills 3 4 5 twenty five a couple ", n) },
		"negations":       func(n int) string { return repeatTo("not no never dont ", n) },
		"fillers":         func(n int) string { return "kill " + repeatTo("the ", n) + " myself" },
		"the, then words": func(n int) string { return repeatTo("the ", n) + " big bottle" },
		"i, then words":   func(n int) string { return repeatTo("i ", n) + " want to die" },
		"a, then words":   func(n int) string { return repeatTo("a ", n) + " lot of pills" },
		"my":              func(n int) string { return repeatTo("my ", n) },
		"me":              func(n int) string { return repeatTo("me ", n) },
		"overdose":        func(n int) string { return repeatTo("i took 30 pills and i cant breathe. ", n) },
		"parts far apart": func(n int) string { return repeatTo("seizure ", n/2) + repeatTo("stopped drinking ", n/2) },
	}
	for name, build := range texts {
		for _, code := range []string{"en", "es"} {
			l, m := set.Lang(code), set.Crisis.Match(code).M
			count := func(n int) (int, int) {
				d := l.Read(build(n))
				var found []text.Match
				w := text.CountWork(func() { found = m.Find(d) })
				return w.Attempts + w.Steps + w.Letters + w.Combined, len(found)
			}
			short, shortFound := count(1600)
			long, longFound := count(16000)
			if long > 12*short+1000 {
				t.Errorf("%s in %s: 16,000 characters take %d steps, 1,600 take %d: more than ten times", name, code, long, short)
			}
			if longFound < shortFound {
				t.Errorf("%s in %s: 16,000 characters find %d, 1,600 find %d", name, code, longFound, shortFound)
			}
		}
	}
}

// TestFillersAnyLength: fillers between the words of a pattern are
// skipped however many there are, and skipping them is not walked again
// from each.
func TestFillersAnyLength(t *testing.T) {
	set, err := flows.Default()
	if err != nil {
		t.Fatal(err)
	}
	en, m := set.Lang("en"), set.Crisis.Match("en").M
	for _, s := range []string{
		"i want to kill " + repeatTo("the ", 4000) + "myself",
		"i want to kill " + repeatTo("um like ", 4000) + "myself",
		"gonna jump " + repeatTo("lol ", 4000),
	} {
		if len(m.Find(en.Read(s))) == 0 {
			t.Errorf("nothing found in %q", s[:40]+"..."+s[len(s)-20:])
		}
	}
}
