package bot

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"helpline/flows"
)

// Detector finds words of danger in a message. It is stateless and touches
// no store, so it answers even when Redis is down.
type Detector struct {
	kinds  []kindPattern
	ignore []*regexp.Regexp
}

type kindPattern struct {
	kind string
	lang string
	re   *regexp.Regexp
}

// odApostrophe catches "od'd" and "o.d.'d" before apostrophes are dropped,
// which would turn them into the harmless "odd".
var odApostrophe = regexp.MustCompile(`(?i)\bo\.?d\.?['’]d\b|\bo\.d\.?`)

// NewDetector compiles the phrases of c.
func NewDetector(c *flows.Crisis) (*Detector, error) {
	d := &Detector{}
	for _, k := range c.Kinds {
		for _, lang := range sortedLangs(k.Phrases) {
			re, err := alternation(k.Phrases[lang])
			if err != nil {
				return nil, fmt.Errorf("crisis kind %s (%s): %w", k.Kind, lang, err)
			}
			d.kinds = append(d.kinds, kindPattern{kind: k.Kind, lang: lang, re: re})
		}
	}
	for _, lang := range sortedLangs(c.Ignore) {
		re, err := alternation(c.Ignore[lang])
		if err != nil {
			return nil, fmt.Errorf("crisis ignore (%s): %w", lang, err)
		}
		d.ignore = append(d.ignore, re)
	}
	return d, nil
}

func alternation(phrases []string) (*regexp.Regexp, error) {
	parts := make([]string, len(phrases))
	for i, p := range phrases {
		parts[i] = "(?:" + flows.PhrasePattern(p) + ")"
	}
	return regexp.Compile(strings.Join(parts, "|"))
}

// Check returns the kind of danger in text and the language of the phrase
// that matched, or "" when there is none.
func (d *Detector) Check(text string) (kind, lang string) {
	text = odApostrophe.ReplaceAllString(text, " od ")
	norm := flows.Normalize(text)
	if norm == "" {
		return "", ""
	}
	for _, re := range d.ignore {
		norm = re.ReplaceAllString(norm, " ")
	}
	for _, k := range d.kinds {
		if k.re.MatchString(norm) {
			return k.kind, k.lang
		}
	}
	return "", ""
}

// sortedLangs lists the languages of m, English first, so a phrase shared by
// two languages is reported as English.
func sortedLangs(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for l := range m {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == "en":
			return -1
		case b == "en":
			return 1
		}
		return strings.Compare(a, b)
	})
	return out
}
