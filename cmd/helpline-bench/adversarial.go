package main

import (
	"fmt"
	"strings"
	"time"

	"helpline/bot/understand"
	"helpline/flows"
)

// adversarialLen is the length of the texts built to be slow to read: a
// long text, as a texter can send one in a few SMS segments or one
// WhatsApp message.
const adversarialLen = 1600

// longLen is the length of the one text far longer than any texter sends,
// which must cost no more than its length says: 40 times the characters,
// about 40 times the time.
const longLen = 64000

// longDanger ends the long text: the danger check reads all of a text, so
// danger said last is found however much comes before it.
const longDanger = "and tonight i want to kill myself"

// adversary is a text built to be slow to read.
type adversary struct {
	name, text string
}

// adversaries returns the texts of about adversarialLen characters that
// once cost the most to read (one long word, emoji, danger words over
// and over in English and Spanish, every kind of typo, long numbers,
// negations, punctuation, fillers, words that begin hundreds of patterns,
// and a mix of all), and the long text, which says danger only at its end.
func adversaries() (short []adversary, long adversary) {
	for _, a := range []struct{ name, unit string }{
		{"one word of 1,600 letters", "a"},
		{"one word of 1,600 letters, two kinds", "ab"},
		{"one word of digits and letters", "a1"},
		{"1,600 emoji", "😭"},
		{"danger words, English", "kill myself pills overdose "},
		{"danger words, Spanish", "quiero matarme pastillas "},
		{"want to die", "i want to die "},
		{"every kind of typo", "suicde ovrdose kil myslef pils seziure "},
		{"long numbers", "123456789012345678901234567890 "},
		{"numbers in digits and words", "12 pills 3 4 5 twenty five a couple "},
		{"negations", "not no never dont "},
		{"punctuation", ".,;!?-- "},
		{"fillers", "the um like just "},
		{"a word hundreds of patterns begin with, English", "my "},
		{"a word hundreds of patterns begin with, Spanish", "me "},
		{"overdose said again and again", "i took 30 pills and i cant breathe. "},
		{"a mix of all", "i dont want to die 😭 kil myslef 12 pils!!! no quiero matarme, the um 3-4 "},
	} {
		n := adversarialLen
		if a.name == "1,600 emoji" {
			n *= len(a.unit) // 1,600 of them, four bytes each
		}
		short = append(short, adversary{a.name, repeatTo(a.unit, n)})
	}
	// A long day told at length, danger at its end, and the same at the
	// length of the others, to compare.
	short = append(short, adversary{"a long day, danger at its end", longDay(adversarialLen) + longDanger})
	long = adversary{"a long day, danger at its end", longDay(longLen) + longDanger}
	return short, long
}

// longDay returns a text that says no danger, of n characters less the
// danger that is to end it.
func longDay(n int) string {
	return repeatTo("had a long day at work and the bus was late, so i got home late and made soup lol. ", n-len(longDanger))
}

// repeatTo returns unit repeated to n bytes, cut at a whole character.
func repeatTo(unit string, n int) string {
	s := strings.Repeat(unit, n/len(unit)+1)[:n]
	return strings.ToValidUTF8(s, "")
}

// worst is the slowest text of the adversaries for one step, and the time
// of the long text.
type worst struct {
	step       string
	text       string
	d, long    time.Duration
	texts, max int // how many texts, and the longest of them in characters
}

// worstTexts times each step on every adversary and returns the worst,
// after checking that the danger at the end of the long text is found.
func worstTexts() ([]worst, understand.Finding, error) {
	set, err := flows.Default()
	if err != nil {
		return nil, understand.Finding{}, err
	}
	steps, err := textSteps(set)
	if err != nil {
		return nil, understand.Finding{}, err
	}
	d, err := understand.NewDetector(set)
	if err != nil {
		return nil, understand.Finding{}, err
	}
	short, long := adversaries()
	if f := d.Check(longDay(longLen)); f.Tier != "" {
		return nil, f, fmt.Errorf("the long text says danger before its end: %s %s (%q)", f.Tier, f.Kind, f.Pattern)
	}
	f := d.Check(long.text)
	if f.Tier == "" {
		return nil, f, fmt.Errorf("the danger at the end of %d characters was not found", len(long.text))
	}
	var ws []worst
	for _, st := range steps {
		w := worst{step: st.name, texts: len(short)}
		for _, a := range short {
			w.max = max(w.max, len([]rune(a.text)))
			if t := leastOf(a.text, st.fn); t > w.d {
				w.d, w.text = t, a.name
			}
		}
		w.long = leastOf(long.text, st.fn)
		ws = append(ws, w)
	}
	return ws, f, nil
}

// leastOf times fn on s a few times and returns the least: a text that
// takes milliseconds is timed once each time, and a collection or another
// process in the middle of it is no cost of the text.
func leastOf(s string, fn func(string)) time.Duration {
	least := timeText(s, fn)
	for range 4 {
		least = min(least, timeText(s, fn))
	}
	return least
}

func reportWorst(ws []worst, long understand.Finding) {
	if len(ws) == 0 {
		return
	}
	fmt.Printf("adversarial texts: the worst of %d of up to %d characters, and one of %d with danger at its end\n", ws[0].texts, ws[0].max, longLen)
	for _, w := range ws {
		fmt.Printf("%-52s worst %8s  (%s); %d characters %8s\n", w.step, w.d.Round(time.Microsecond), w.text, longLen, w.long.Round(10*time.Microsecond))
	}
	fmt.Printf("danger at the end of %d characters: %s %s (%q)\n\n", longLen, long.Tier, long.Kind, long.Pattern)
}
