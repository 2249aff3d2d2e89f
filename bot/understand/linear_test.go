package understand

import (
	"strings"
	"testing"

	"helpline/flows"
)

// repeatTo returns unit repeated to n bytes.
func repeatTo(unit string, n int) string {
	return strings.Repeat(unit, n/len(unit)+1)[:n]
}

// TestDangerCheckReadsLinearly counts what the danger check reads of a
// message besides finding its patterns, at 1,600 and at 16,000
// characters: ten times the text may be read about ten times over, never
// a hundred (each match of danger looking through every match of a
// clearing context, each looking back to the start for a negation or a
// person). What is read is counted, not timed.
func TestDangerCheckReadsLinearly(t *testing.T) {
	set := shippedSet(t)
	d, err := NewDetector(set)
	if err != nil {
		t.Fatal(err)
	}
	for _, unit := range []string{
		"kill myself pills overdose ",
		"i took 30 pills and i cant breathe. ",
		"no self harm, just anxious, i want to die lol jk ",
		"had a seizure years ago, stopped drinking, no seizures now ",
		"quiero matarme pastillas ",
		"no me quiero matar, ya no tome pastillas hace años ",
		"suicde ovrdose kil myslef pils seziure ",
		"overdose seizure gun tonight ",
	} {
		// Every match is cleared or not, as for clinical review: a check
		// stops clearing matches once none can win.
		count := func(n int) (int64, Finding) {
			m := NewMessage(set, repeatTo(unit, n), "en")
			reads.Store(0)
			counting.Store(true)
			defer counting.Store(false)
			f := d.check(m, "en", func(string, *flows.DangerPattern, string, string) {})
			return reads.Load(), f
		}
		short, fs := count(1600)
		long, fl := count(16000)
		if long > 12*short+1000 {
			t.Errorf("%q: the check reads %d at 16,000 characters, %d at 1,600: more than ten times", unit, long, short)
		}
		if fs.Tier != fl.Tier || fs.Matched != fl.Matched {
			t.Errorf("%q: %s %s at 1,600 characters, %s %s at 16,000", unit, fs.Tier, fs.Matched, fl.Tier, fl.Matched)
		}
	}
}

// The detector reads a whole message,
// however long; it never stops short.
func TestDetectorReadsToTheEnd(t *testing.T) {
	d, err := NewDetector(shippedSet(t))
	if err != nil {
		t.Fatal(err)
	}
	day := repeatTo("had a long day at work and the bus was late, so i got home late and made soup lol. ", 60000)
	if f := d.Check(day); f.Tier != "" {
		t.Fatalf("a long day is %s %s (%q)", f.Tier, f.Kind, f.Pattern)
	}
	for _, end := range []string{"and tonight i want to kill myself", "y esta noche me quiero matar"} {
		if f := d.Check(day + end); f.Tier != flows.TierUrgent || f.Kind != "suicide" {
			t.Errorf("%q after 60,000 characters: %+v", end, f)
		}
	}
}
