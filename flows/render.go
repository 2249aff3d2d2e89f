package flows

import (
	"strconv"
	"strings"
	"unicode"
)

// Fill replaces the placeholders in s with vars (keys with their braces).
func Fill(s string, vars map[string]string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		key := s[i : i+j+1]
		if v, ok := vars[key]; ok {
			b.WriteString(v)
		} else {
			b.WriteString(key)
		}
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String()
}

// Asked is a step as it is asked, in parts: a text channel sends it as
// one message (String), a channel that draws shows the labels as buttons.
type Asked struct {
	// Progress is "Question 3 of 9:", or "" for the greeting.
	Progress string
	Text     string
	// Labels are the numbered choices, in order; none for a scale.
	Labels []string
	// Scale explains the ends of a scale; Offer is the other language
	// offered on the greeting.
	Scale, Offer string
}

// String lays a out as one text: progress and question, one numbered
// choice a line, then the ends of a scale and the language offer.
func (a Asked) String() string {
	var b strings.Builder
	if a.Progress != "" {
		b.WriteString(a.Progress)
		b.WriteByte(' ')
	}
	b.WriteString(a.Text)
	for i, label := range a.Labels {
		b.WriteByte('\n')
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteByte(' ')
		b.WriteString(label)
	}
	for _, s := range []string{a.Scale, a.Offer} {
		if s != "" {
			b.WriteByte('\n')
			b.WriteString(s)
		}
	}
	return b.String()
}

// Ask returns step st as it is asked in lang: progress (from vars "{n}"
// and "{m}"), the question and its choices.
func (f *Flow) Ask(st *Step, lang string, vars map[string]string) Asked {
	a := Asked{Text: Fill(st.Text.In(lang), vars)}
	if st.Question() {
		a.Progress = Fill(f.Text("question", lang), vars)
	}
	for _, label := range f.OptionLabels(st, lang) {
		a.Labels = append(a.Labels, Fill(label, vars))
	}
	if st.Kind == KindScale {
		a.Scale = Fill(f.Text("scale", lang), map[string]string{
			"{min}":  strconv.Itoa(st.Min),
			"{max}":  strconv.Itoa(st.Max),
			"{low}":  st.Low.In(lang),
			"{high}": st.High.In(lang),
		})
	}
	if st.Kind == KindIntro {
		a.Offer = f.Text(LangOffer, lang)
	}
	return a
}

// Prompt renders step st as a text channel sends it.
func (f *Flow) Prompt(st *Step, lang string, vars map[string]string) string {
	return f.Ask(st, lang, vars).String()
}

// LangOffer names the optional fixed text that ends the greeting, offering
// the other language in one short line ("Para español, responda ESPAÑOL.").
const LangOffer = "lang_offer"

// OptionLabels returns the numbered choices of st in order: its options, or
// Yes and No for a yes/no step; a scale has none.
func (f *Flow) OptionLabels(st *Step, lang string) []string {
	switch st.Kind {
	case KindScale:
		return nil
	case KindYesNo:
		return []string{f.Text("opt_yes", lang), f.Text("opt_no", lang)}
	}
	out := make([]string, len(st.Options))
	for i, o := range st.Options {
		out[i] = o.Text.In(lang)
	}
	return out
}

// Values returns the answer values of st's numbered choices, in order.
func (st *Step) Values() []string {
	switch st.Kind {
	case KindScale:
		out := make([]string, 0, st.Max-st.Min+1)
		for n := st.Min; n <= st.Max; n++ {
			out = append(out, strconv.Itoa(n))
		}
		return out
	case KindYesNo:
		return []string{"yes", "no"}
	}
	out := make([]string, len(st.Options))
	for i, o := range st.Options {
		out[i] = o.Value
	}
	return out
}

// Vars returns the placeholder values for a conversation in lang, for
// "self" or "other" as the audience.
func (f *Flow) Vars(audience, lang string, extra map[string]string) map[string]string {
	if audience != WhoOther {
		audience = WhoSelf
	}
	words := f.Pronouns[audience][lang]
	if words == nil {
		words = f.Pronouns[audience]["en"]
	}
	vars := make(map[string]string, 8+len(extra))
	for k, v := range words {
		vars["{"+k+"}"] = v
		vars["{"+capitalize(k)+"}"] = capitalize(v)
	}
	for k, v := range extra {
		vars[k] = v
	}
	return vars
}

func capitalize(s string) string { return withFirst(s, unicode.ToUpper) }

// LowerFirst lowers the first letter, for a sentence that follows a colon.
func LowerFirst(s string) string { return withFirst(s, unicode.ToLower) }

func withFirst(s string, f func(rune) rune) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = f(r[0])
	return string(r)
}
