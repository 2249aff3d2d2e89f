package bot

import (
	"slices"
	"strconv"
	"strings"

	"helpline/flows"
	"helpline/flows/text"
)

// yesNo reads d as yes or no: the longest phrase of the language's yes or
// no lists the message is, or begins with ("yes but only once" is yes, "i
// do not" is no rather than "i do").
func yesNo(d *text.Doc) (string, bool) {
	y, n := d.Prefix("yes"), d.Prefix("no")
	switch {
	case y > n:
		return "yes", true
	case n > y:
		return "no", true
	}
	return "", false
}

// yesNoAny reads m as yes or no in the conversation's language, then in
// the others ("si" in an English conversation is yes).
func yesNoAny(m *message) (string, bool) {
	for _, l := range m.langs() {
		if yn, ok := yesNo(m.in(l)); ok {
			return yn, true
		}
	}
	return "", false
}

// Parse reads message m as an answer to st in the conversation's language
// lang and returns the value to store: an option value, "yes"/"no", a
// number for a scale, or option values joined by commas for a multi step.
func Parse(f *flows.Flow, st *flows.Step, lang string, m *message) (string, bool) {
	d := m.doc(lang)
	if d.Empty() {
		return "", false
	}
	values := st.Values()
	if nums, ok := numbers(d, len(values)); ok {
		if st.Kind == flows.KindScale {
			if len(nums) != 1 {
				return "", false
			}
			return strconv.Itoa(st.Min + nums[0] - 1), true
		}
		picked := make([]string, 0, len(nums))
		for _, n := range nums {
			picked = append(picked, values[n-1])
		}
		if v, ok := combine(st, picked); ok {
			return v, true
		}
		// Number words that do not combine may be an option's own label:
		// "three or four", "tres o cuatro".
	}
	switch st.Kind {
	case flows.KindScale:
		return "", false
	case flows.KindYesNo:
		return yesNoAny(m)
	}
	if st.Kind == flows.KindMulti && d.Is("all") {
		var picked []string
		for _, o := range st.Options {
			if !o.Only {
				picked = append(picked, o.Value)
			}
		}
		return combine(st, picked)
	}
	picked := matchOptions(st, lang, m)
	if len(picked) == 0 {
		// "yes" to the greeting, "no" to "which of these do you have".
		if yn, ok := yesNoAny(m); ok {
			picked = yesNoOption(st, yn)
		}
	}
	if len(picked) == 0 {
		// "weekly" for "Weekly", "daily" for "Daily or almost daily".
		if v := inOneLabel(st, lang, d); v != "" {
			picked = []string{v}
		}
	}
	return combine(st, picked)
}

// yesNoOption maps a yes or no onto a step's options: an intro's first option
// is yes and its second no; a multi step's only-option ("none") is no.
func yesNoOption(st *flows.Step, yn string) []string {
	switch {
	case st.Kind == flows.KindIntro && yn == "yes":
		return []string{st.Options[0].Value}
	case st.Kind == flows.KindIntro:
		return []string{st.Options[1].Value}
	case yn == "no":
		for _, o := range st.Options {
			if o.Only {
				return []string{o.Value}
			}
		}
	}
	return nil
}

// combine turns picked values into an answer: one for a choice, a set for a
// multi step, where an only-option cannot stand with others.
func combine(st *flows.Step, picked []string) (string, bool) {
	picked = uniq(picked)
	switch {
	case len(picked) == 0:
		return "", false
	case st.Kind != flows.KindMulti:
		if len(picked) != 1 {
			return "", false
		}
		return picked[0], true
	}
	for _, v := range picked {
		if o := st.Option(v); o != nil && o.Only && len(picked) > 1 {
			return "", false
		}
	}
	// Keep the options' own order so answers compare equal.
	var out []string
	for _, v := range st.Values() {
		if slices.Contains(picked, v) {
			out = append(out, v)
		}
	}
	return strings.Join(out, ","), true
}

func uniq(vs []string) []string {
	var out []string
	for _, v := range vs {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// numbers reads a message made only of option numbers ("2", "#3", "1, 3",
// "1 and 3", "option two", "13" for 1 and 3 when there are fewer than ten
// options), fillers between. Every number must be between 1 and count.
func numbers(d *text.Doc, count int) ([]int, bool) {
	var out []int
	for i := 0; i < len(d.Tokens); {
		t := d.Tokens[i]
		if n, ok := d.NumberAt(i); ok {
			if n.Vague || n.Value != float64(int(n.Value)) {
				return nil, false
			}
			v := int(n.Value)
			switch {
			case v >= 1 && v <= count:
				out = append(out, v)
			case !n.Words && count < 10 && len(t.Word) <= count:
				// "13" as 1 and 3, when no option could be 13.
				for _, r := range t.Word {
					k := int(r - '0')
					if k < 1 || k > count {
						return nil, false
					}
					out = append(out, k)
				}
			default:
				return nil, false
			}
			i = n.To
			continue
		}
		if t.Kind == text.KindEmoji || t.Filler || d.Lang.Is("or", t.Word) {
			i++
			continue
		}
		return nil, false
	}
	return out, len(out) > 0
}

// matchOptions returns the options whose label or words appear in the
// message, in the conversation's language and, when none does, in
// English (a Spanish texter may write "medicaid").
func matchOptions(st *flows.Step, lang string, m *message) []string {
	picked := findOptions(st, lang, m)
	if len(picked) == 0 && lang != "en" {
		picked = findOptions(st, "en", m)
	}
	return picked
}

func findOptions(st *flows.Step, lang string, m *message) []string {
	o := st.Match(lang)
	if o == nil {
		return nil
	}
	d := m.doc(lang)
	var picked []string
	for _, h := range o.M.Find(d) {
		picked = append(picked, o.Value[h.Pattern])
	}
	return uniq(picked)
}

// inOneLabel returns the option whose label holds the whole message, when
// exactly one does.
func inOneLabel(st *flows.Step, lang string, d *text.Doc) string {
	o := st.Match(lang)
	if o == nil {
		return ""
	}
	var stems []string
	letters := 0
	for _, i := range d.Content() {
		stems = append(stems, d.Tokens[i].Stem)
		letters += len(d.Tokens[i].Word)
	}
	if letters < 3 {
		return "" // "no" is not part of "where no one is using"
	}
	found := ""
	for _, v := range st.Values() {
		for _, label := range o.Labels[v] {
			if containsSeq(label, stems) {
				if found != "" && found != v {
					return ""
				}
				found = v
			}
		}
	}
	return found
}

// containsSeq reports whether words appear in seq in order, side by side.
func containsSeq(seq, words []string) bool {
	for i := 0; i+len(words) <= len(seq); i++ {
		if slices.Equal(seq[i:i+len(words)], words) {
			return true
		}
	}
	return false
}
