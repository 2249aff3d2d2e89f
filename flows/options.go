package flows

import (
	"strconv"

	"helpline/flows/text"
)

// Options are a step's option labels and words in one language, compiled
// for matching over the text layer: every pattern found in a message names
// the option it belongs to and whether it is the option's label.
type Options struct {
	M *text.Matcher
	// Value and Label give, for each pattern of M, its option's value and
	// whether it is the option's label (not one of its words).
	Value []string
	Label []bool
	// Unless finds the phrases that cancel an option, named by its value.
	Unless *text.Matcher
	// Units finds what a count step counts; Amounts the phrases that stand
	// for a count (named by the count); Points the words of a scale (named
	// by their point or range, "4-5").
	Units, Amounts, Points *text.Matcher
	// Labels holds the option labels, by option value, each as the stems
	// of its content words: a message that is only part of a label
	// ("weekly" of "Weekly", "daily" of "Daily or almost daily") is found
	// in them.
	Labels map[string][][]string
}

// Match returns the compiled labels and words of st in lang, or nil when
// the step has none in that language.
func (st *Step) Match(lang string) *Options { return st.options[lang] }

// compileOptions builds the matchers of every step in every language,
// reporting option words that cannot be matched.
func (f *Flow) compileOptions(langs map[string]*text.Language, p *problems) {
	for _, st := range f.Steps {
		st.options = map[string]*Options{}
		for _, code := range f.Languages {
			l := langs[code]
			if !l.Ready() {
				continue // its own problems are reported
			}
			m, err := l.NewMatcher(nil, true)
			if err != nil {
				p.add(f.File, st.Line, "step %q: %v", st.ID, err)
				continue
			}
			o := &Options{M: m, Labels: map[string][][]string{}}
			for _, opt := range st.Options {
				for _, aud := range []string{WhoSelf, WhoOther} {
					label := Fill(opt.Text.In(code), f.Vars(aud, code, nil))
					if label == "" {
						continue
					}
					if _, err := m.AddPhrase(opt.Value, label, false); err == nil {
						o.Value, o.Label = append(o.Value, opt.Value), append(o.Label, true)
						d := l.Read(label)
						var stems []string
						for _, i := range d.Content() {
							stems = append(stems, d.Tokens[i].Stem)
						}
						o.Labels[opt.Value] = append(o.Labels[opt.Value], stems)
					}
				}
				for _, w := range opt.Words[code] {
					if _, err := m.AddPhrase(opt.Value, w, true); err != nil {
						p.add(f.File, valueLine(mapValue(opt.node, "words"), w), "step %q option %q: %s word %q cannot be matched: %v", st.ID, opt.Value, code, w, err)
						continue
					}
					o.Value, o.Label = append(o.Value, opt.Value), append(o.Label, false)
				}
			}
			unless := map[string]string{}
			var ul []string
			for _, opt := range st.Options {
				for _, w := range opt.Unless[code] {
					unless[w] = opt.Value
					ul = append(ul, w)
				}
			}
			o.Unless = phrases(l, st, code, "unless", ul, unless, p, f.File)
			o.Units = phrases(l, st, code, "units", st.Units[code], nil, p, f.File)
			amounts := map[string]string{}
			for k, v := range st.Amounts[code] {
				amounts[k] = strconv.FormatFloat(v, 'f', -1, 64)
			}
			o.Amounts = phrases(l, st, code, "amounts", sortedKeys(amounts), amounts, p, f.File)
			o.Points = phrases(l, st, code, "points", sortedKeys(st.Points[code]), st.Points[code], p, f.File)
			st.options[code] = o
		}
	}
}

// phrases compiles a step's list of phrases in one language, each named
// by names[phrase] (or by the phrase itself).
func phrases(l *text.Language, st *Step, code, field string, list []string, names map[string]string, p *problems, file string) *text.Matcher {
	m, _ := l.NewMatcher(nil, true)
	for _, ph := range list {
		name := ph
		if names != nil {
			name = names[ph]
		}
		if _, err := m.AddPhrase(name, ph, true); err != nil {
			p.add(file, valueLine(mapValue(st.node, field), ph), "step %q: %s %s %q cannot be matched: %v", st.ID, code, field, ph, err)
		}
	}
	return m
}
