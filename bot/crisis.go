package bot

import (
	"helpline/flows"
	"helpline/flows/text"
)

// Detector finds words of danger in a message. It is stateless and touches
// no store, so it answers even when Redis is down.
type Detector struct {
	set   *flows.Set
	langs []string // English first, so a phrase shared by two languages is English
}

// NewDetector returns a detector for the crisis phrases of set.
func NewDetector(set *flows.Set) (*Detector, error) {
	d := &Detector{set: set, langs: []string{"en"}}
	for _, l := range set.Languages() {
		if l != "en" {
			d.langs = append(d.langs, l)
		}
	}
	return d, nil
}

// Check returns the kind of danger in text and the language of the phrase
// that matched, or "" when there is none. Kinds are tried in the order of
// the crisis file, then languages, English first.
func (d *Detector) Check(s string) (kind, lang string) {
	pieces := text.Split(s)
	if len(pieces) == 0 {
		return "", ""
	}
	best := -1
	for _, code := range d.langs {
		cm := d.set.Crisis.Match(code)
		if cm == nil {
			continue
		}
		doc := d.set.Lang(code).ReadPieces(s, pieces)
		ignored := cm.Ignore.Find(doc)
		for _, h := range cm.M.Find(doc) {
			if inside(h, ignored) {
				continue
			}
			if k := d.rank(h.Name); best < 0 || k < best {
				best, kind, lang = k, h.Name, code
			}
		}
	}
	return kind, lang
}

func (d *Detector) rank(kind string) int {
	for i, k := range d.set.Crisis.Kinds {
		if k.Kind == kind {
			return i
		}
	}
	return len(d.set.Crisis.Kinds)
}

// inside reports whether match h lies within one of spans.
func inside(h text.Match, spans []text.Match) bool {
	for _, s := range spans {
		if s.From <= h.From && h.To <= s.To {
			return true
		}
	}
	return false
}
