package bot

import (
	"slices"
	"strconv"
	"strings"

	"helpline/flows"
)

// Ways of saying yes and no, after Normalize. The first word decides ("yes
// but only once" is yes); whole phrases are checked first.
var (
	yesWords = set("y", "yes", "yeah", "yea", "yeh", "ya", "yah", "yep", "yup", "yess", "yesss", "yse", "ye",
		"sure", "ok", "okay", "k", "kk", "correct", "right", "true", "affirmative", "absolutely",
		"definitely", "certainly", "mhm", "uhhuh", "si", "claro", "sip", "simon", "afirmativo", "aja")
	yesPhrases = set("i do", "i have", "i did", "i am", "uh huh", "of course", "yes please", "it is",
		"they do", "they have", "they did", "he does", "she does", "he has", "she has", "he did", "she did",
		"por supuesto", "si claro", "asi es")
	noWords = set("n", "no", "nope", "nah", "na", "naw", "nay", "never", "negative", "nop", "noo", "nooo",
		"nel", "nunca", "nada", "ninguno", "ninguna")
	noPhrases = set("not really", "no way", "i dont", "i do not", "i have not", "i havent", "i didnt", "i did not",
		"not at all", "no thanks", "no thank you", "they dont", "they havent", "they didnt", "he doesnt",
		"she doesnt", "he hasnt", "she hasnt", "he didnt", "she didnt", "para nada", "todavia no")
	numberWords = map[string]int{
		"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
		"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
		"uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
	}
	// fillers are dropped before numbers are read: "option 2", "number 3".
	fillers  = set("option", "number", "num", "answer", "opcion", "numero", "el", "la", "is", "its", "my", "i", "choose", "pick", "and", "y", "or", "o", "e", "both")
	allWords = set("all", "all of them", "all of these", "everything", "todos", "todas", "todo")
	// continueWords answer "continue or start over?" with continue.
	continueWords = set("continue", "seguir", "sigamos", "continuar", "continuemos")
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// yesNo reads norm as yes or no.
func yesNo(norm string) (string, bool) {
	switch {
	case yesPhrases[norm]:
		return "yes", true
	case noPhrases[norm]:
		return "no", true
	}
	first, _, _ := strings.Cut(norm, " ")
	switch {
	case yesWords[first]:
		return "yes", true
	case noWords[first]:
		return "no", true
	}
	for p := range noPhrases {
		if strings.HasPrefix(norm, p+" ") {
			return "no", true
		}
	}
	for p := range yesPhrases {
		if strings.HasPrefix(norm, p+" ") {
			return "yes", true
		}
	}
	return "", false
}

// Parse reads norm (a Normalize'd message) as an answer to st in lang and
// returns the value to store: an option value, "yes"/"no", a number for a
// scale, or option values joined by commas for a multi step.
func Parse(f *flows.Flow, st *flows.Step, lang, norm string) (string, bool) {
	if norm == "" {
		return "", false
	}
	values := st.Values()
	if nums, ok := numbers(norm, len(values)); ok {
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
		return yesNo(norm)
	}
	if st.Kind == flows.KindMulti && allWords[norm] {
		var picked []string
		for _, o := range st.Options {
			if !o.Only {
				picked = append(picked, o.Value)
			}
		}
		return combine(st, picked)
	}
	picked := matchOptions(f, st, lang, norm)
	if len(picked) == 0 {
		// "yes" to the greeting, "no" to "which of these do you have".
		if yn, ok := yesNo(norm); ok {
			picked = yesNoOption(st, yn)
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
// options). Every number must be between 1 and count.
func numbers(norm string, count int) ([]int, bool) {
	var out []int
	for _, w := range strings.Fields(norm) {
		if fillers[w] {
			continue
		}
		if n, ok := numberWords[w]; ok {
			out = append(out, n)
			continue
		}
		n, err := strconv.Atoi(w)
		if err != nil {
			return nil, false
		}
		if n >= 1 && n <= count {
			out = append(out, n)
			continue
		}
		// "13" as 1 and 3, when no option could be 13.
		if count >= 10 || len(w) > count {
			return nil, false
		}
		for _, d := range w {
			k := int(d - '0')
			if k < 1 || k > count {
				return nil, false
			}
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return nil, false
	}
	for _, n := range out {
		if n < 1 || n > count {
			return nil, false
		}
	}
	return out, true
}

// matchOptions returns the options whose label or words appear in norm,
// allowing small typos in longer words.
func matchOptions(f *flows.Flow, st *flows.Step, lang, norm string) []string {
	tokens := strings.Fields(norm)
	var inLabel []string
	for _, o := range st.Options {
		label := flows.Normalize(flows.Fill(o.Text.In(lang), f.Vars("self", lang, nil)))
		if norm == label {
			return []string{o.Value}
		}
		if len(norm) >= 3 && phraseIn(norm, strings.Fields(label)) {
			inLabel = append(inLabel, o.Value)
		}
	}
	picked := matchWords(st, lang, tokens)
	if len(picked) == 0 && lang != "en" {
		// A Spanish texter may still write an English word; their own
		// language is tried first, so "no estoy seguro" is not also "no".
		picked = matchWords(st, "en", tokens)
	}
	if len(picked) == 0 && len(inLabel) == 1 {
		// "weekly" for "Weekly", "daily" for "Daily or almost daily".
		return inLabel
	}
	return picked
}

// matchWords returns the options with a word in lang among tokens.
func matchWords(st *flows.Step, lang string, tokens []string) []string {
	var picked []string
	for _, o := range st.Options {
		for _, w := range o.Words[lang] {
			if phraseIn(flows.Normalize(w), tokens) {
				picked = append(picked, o.Value)
				break
			}
		}
	}
	return picked
}

// phraseIn reports whether the words of phrase appear in tokens in order,
// each word allowed a typo when long enough.
func phraseIn(phrase string, tokens []string) bool {
	pw := strings.Fields(phrase)
	if len(pw) == 0 || len(pw) > len(tokens) {
		return false
	}
	for i := 0; i+len(pw) <= len(tokens); i++ {
		ok := true
		for j, w := range pw {
			if !near(w, tokens[i+j]) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// near reports whether typed is word or a likely typo of it.
func near(word, typed string) bool {
	if word == typed {
		return true
	}
	n := len(word)
	switch {
	case n >= 8:
		return flows.Distance(word, typed) <= 2
	case n >= 4:
		return flows.Distance(word, typed) <= 1
	}
	return false
}
