package flows

import "helpline/flows/text"

// Options are a step's option labels and words in one language, compiled
// for matching over the text layer: every pattern found in a message names
// the option it belongs to and whether it is the option's label.
type Options struct {
	M *text.Matcher
	// Value and Label give, for each pattern of M, its option's value and
	// whether it is the option's label (not one of its words).
	Value []string
	Label []bool
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
				for _, aud := range []string{"self", "other"} {
					label := Fill(opt.Text.In(code), f.Vars(aud, code, nil))
					if label == "" {
						continue
					}
					if _, err := m.AddPhrase(opt.Value, label); err == nil {
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
					if _, err := m.AddPhrase(opt.Value, w); err != nil {
						p.add(f.File, st.Line, "step %q option %q: %s word %q cannot be matched: %v", st.ID, opt.Value, code, w, err)
						continue
					}
					o.Value, o.Label = append(o.Value, opt.Value), append(o.Label, false)
				}
			}
			st.options[code] = o
		}
	}
}
