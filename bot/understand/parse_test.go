package understand

import (
	"strings"
	"testing"

	"helpline/flows"
)

func screening(t testing.TB) *flows.Flow {
	return shippedSet(t).Screening()
}

func shippedSet(t testing.TB) *flows.Set {
	t.Helper()
	set, err := flows.Default()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// parse reads text as an answer to step in lang, as the engine does.
func parse(t testing.TB, step, lang, text string) (string, bool) {
	t.Helper()
	set := shippedSet(t)
	f := set.Screening()
	r := Read(f, f.Step(step), lang, NewMessage(set, text, lang), false, nil)
	return r.Value, r.Result == Answered
}

// keywordOf returns the Keyword text is, in any language.
func keywordOf(t testing.TB, text string) Keyword {
	kw, _ := NewMessage(shippedSet(t), text, "en").Keyword()
	return kw
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		step, text, want string
	}{
		{"start", "yes", "yes"},
		{"start", "Yeah!", "yes"},
		{"start", "1", "yes"},
		{"start", "ok lets go", "yes"},
		{"start", "not now", "later"},
		{"start", "nope", "later"},
		{"who", "2", "other"},
		{"who", "for my son", "other"},
		{"who", "me", "self"},
		{"who", "Myself", "self"},
		{"who", "my daugther", "other"}, // typo
		{"concern", "1 and 2", "alcohol,opioids"},
		{"concern", "1,3", "alcohol,stimulants"},
		{"concern", "13", "alcohol,stimulants"},
		{"concern", "#4", "benzos"},
		{"concern", "option two", "opioids"},
		{"concern", "drinking and xanax", "alcohol,benzos"},
		{"concern", "alchohol", "alcohol"}, // typo
		{"concern", "fentanyl", "opioids"},
		{"concern", "7", "mental_health"},
		{"audit1", "never", "never"},
		{"audit3", "weekly", "weekly"},
		{"audit3", "daily", "daily"},
		{"medical", "y", "yes"},
		{"medical", "yes but it's controlled", "yes"},
		{"medical", "Nope.", "no"},
		{"medical", "not really", "no"},
		{"medical", "2", "no"},
		{"medical", "si", "yes"},
		{"phq1", "nearly every day", "nearly_every"},
		{"phq1", "several days", "several"},
		{"situation", "1 2 3", "home,people,ride"},
		{"situation", "3 1", "home,ride"},
		{"situation", "none", "none"},
		{"situation", "no", "none"},
		{"use", "all", "daily,withdrawal"}, // all of two is both
		{"situation", "6", "none"},
		{"readiness", "4", "4"},
		{"readiness", "five", "5"},
		{"insurance", "medicaid", "public"},
		{"insurance", "idk", "unsure"},
	} {
		got, ok := parse(t, tc.step, "en", tc.text)
		if !ok || got != tc.want {
			t.Errorf("%s: Parse(%q) = %q, %v; want %q", tc.step, tc.text, got, ok, tc.want)
		}
	}
	for _, tc := range []struct {
		step, text, want string
	}{
		{"insurance", "no estoy seguro", "unsure"},
		{"insurance", "medicaid", "public"}, // an English word in a Spanish conversation
		{"medical", "sí", "yes"},
		{"medical", "nel", "no"},
	} {
		got, ok := parse(t, tc.step, "es", tc.text)
		if !ok || got != tc.want {
			t.Errorf("%s: Parse(%q) = %q, %v; want %q", tc.step, tc.text, got, ok, tc.want)
		}
	}
}

// "All of them" to a checklist of more than two that also has "none of
// these" (or a court order) is shown to be confirmed, never taken.
func TestAllIsConfirmed(t *testing.T) {
	t.Parallel()
	set := shippedSet(t)
	f := set.Screening()
	for _, tc := range []struct{ step, lang, text, want string }{
		{"situation", "en", "all", "home,people,ride,obligations,court"},
		{"situation", "en", "all of the above lol", "home,people,ride,obligations,court"},
		{"situation", "es", "todas", "home,people,ride,obligations,court"},
		{"concern", "en", "all of them", "alcohol,opioids,stimulants,benzos,cannabis,other_drugs"},
	} {
		r := Read(f, f.Step(tc.step), tc.lang, NewMessage(set, tc.text, tc.lang), false, nil)
		if r.Result != Clarify || !r.Confirm || strings.Join(r.Cands, ",") != tc.want {
			t.Errorf("%s: Read(%q) = %v %q %v confirm=%v; want %s shown to be confirmed", tc.step, tc.text, r.Result, r.Value, r.Cands, r.Confirm, tc.want)
		}
	}
}

// Read for another step, a text says only what it plainly says there: "the
// first one, i drink every day" counts no drinks, "hace 2 años" and "2 years
// ago" are when, not how often.
func TestReadForAnotherStep(t *testing.T) {
	t.Parallel()
	set := shippedSet(t)
	f := set.Screening()
	for _, tc := range []struct{ step, lang, text, want string }{
		{"audit2", "en", "the first one, i drink every day", ""},
		{"audit2", "en", "the first one i drink every day", ""},
		{"audit2", "en", "the second one", ""},
		{"audit2", "en", "like 6 beers", "5to6"},
		{"audit1", "es", "estuve en un anexo hace 2 años", ""},
		{"audit1", "en", "rehab 2 years ago", ""},
		{"audit1", "en", "been drinking for 10 years", ""},
		{"audit1", "en", "he drinks like 3 times a week", "2to3week"},
		{"audit1", "es", "toma 2 veces por semana", "2to3week"},
	} {
		r := Read(f, f.Step(tc.step), tc.lang, NewMessage(set, tc.text, tc.lang), true, nil)
		got := ""
		if r.Result == Answered {
			got = r.Value
		}
		if got != tc.want {
			t.Errorf("%s: Read(%q) for another step = %q, want %q", tc.step, tc.text, got, tc.want)
		}
	}
}

// A yes to a checklist shown with what was understood adds more only when
// it goes on by adding: "yes and pills", not "si, diario, ... nada de eso no".
func TestYesAdds(t *testing.T) {
	t.Parallel()
	set := shippedSet(t)
	for _, tc := range []struct {
		lang, text string
		want       bool
	}{
		{"en", "yes and pills sometimes", true},
		{"en", "yes, and weed", true},
		{"en", "yes also xanax", true},
		{"es", "si y tambien mota", true},
		{"es", "si, diario. si no me las tomo me siento horrible", false},
		{"en", "yes thats it", false},
		{"en", "yes", false},
		{"en", "and pills", false},
	} {
		if got := Adds(NewMessage(set, tc.text, tc.lang), tc.lang); got != tc.want {
			t.Errorf("Adds(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestParseMisses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ step, text string }{
		{"who", "banana"},
		{"who", "3"},
		{"concern", "0"},
		{"concern", "8"},
		{"concern", "1 7"}, // "mental health only" cannot stand with others
		{"medical", "maybe"},
		{"medical", "3"},
		{"readiness", "6"},
		{"readiness", "1 2"},
		{"situation", "1 6"},
		{"situation", "my family doesnt support me"}, // named to say there is none
		{"audit1", "3 or 4 nights a week"},           // 2-3 a week, or 4 or more?
		{"readiness", "ready i think"},
		{"insurance", "private and medicaid"},
		{"audit1", ""},
	} {
		if got, ok := parse(t, tc.step, "en", tc.text); ok {
			t.Errorf("%s: Parse(%q) = %q, want a miss", tc.step, tc.text, got)
		}
	}
}

func TestKeywords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text string
		want Keyword
	}{
		{"STOP", Stop},
		{"Stop.", Stop},
		{"unsubscribe", Stop},
		{"unsubscrbe", NoKeyword}, // keywords are never read through a typo
		{"please stop texting me now", Stop},
		{"can you stop sending me these", Stop},
		{"stop texting me", Stop},
		{"leave me alone", Stop},
		{"he won't leave me alone", NoKeyword},
		{"i cant stop drinking", NoKeyword},
		{"stop by tomorrow?", NoKeyword},
		{"ALTO", Stop},
		{"ya no me escriban", Stop},
		{"no puedo parar de tomar", NoKeyword},
		{"I want to stop drinking", NoKeyword},
		{"how do I stop using", NoKeyword},
		{"stop", Stop},
		{"cancer", NoKeyword},
		{"START", Start},
		{"help", Help},
		{"restart", Restart},
		{"start over", Restart},
		{"BACK", Back},
		{"summary", Summary},
		{"call me", Call},
		{"talk to someone", Call},
		{"delete", Delete},
		{"ESPANOL", Language},
		{"español", Language},
	} {
		if got := keywordOf(t, tc.text); got != tc.want {
			t.Errorf("keywordOf(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	fl := screening(f)
	for _, s := range []string{"1", "1 3", "13", "yes", "nope", "all", "none", "  ", "١", "9999999999999999999999", "1,,,3"} {
		f.Add(s)
	}
	set := shippedSet(f)
	f.Fuzz(func(t *testing.T, text string) {
		m := NewMessage(set, text, "en")
		for _, st := range fl.Steps {
			r := Read(fl, st, "en", m, false, nil)
			v := r.Value
			for _, c := range r.Cands {
				if !st.CanAnswer(c) {
					t.Fatalf("step %s: %q offers %q, not an answer the step has", st.ID, text, c)
				}
			}
			if r.Result != Answered {
				continue
			}
			for _, part := range strings.Split(v, ",") {
				if !st.CanAnswer(part) {
					t.Fatalf("step %s: Parse(%q) = %q, not an answer the step has", st.ID, text, v)
				}
			}
		}
		m.Keyword()
	})
}

// The answer to "are you having thoughts of killing yourself right now?":
// a no to "right now" is a no; a hedge is a yes (when in doubt, alarm).
func TestAnswerToRightNow(t *testing.T) {
	t.Parallel()
	set := shippedSet(t)
	for _, tc := range []struct {
		lang, text string
		yes, no    bool
	}{
		{"en", "2", false, true},
		{"en", "1", true, false},
		{"en", "no", false, true},
		{"en", "nah", false, true},
		{"en", "no not right now", false, true},
		{"en", "not right now", false, true},
		{"en", "nope im safe", false, true},
		{"en", "yes", true, false},
		{"en", "yeah kinda", true, false},
		{"en", "maybe", true, false},
		{"en", "idk", true, false},
		{"en", "not really", true, false}, // a hedge, not a no
		{"en", "sometimes", true, false},
		{"en", "yes right now", true, false},
		{"es", "no", false, true},
		{"es", "ahorita no", false, true},
		{"es", "si", true, false},
		{"es", "a veces", true, false},
		{"es", "mas o menos", true, false},
		{"en", "what do you mean", false, false},
	} {
		if yes, no := RightNow(NewMessage(set, tc.text, tc.lang), tc.lang); yes != tc.yes || no != tc.no {
			t.Errorf("%s %q: yes %v no %v, want yes %v no %v", tc.lang, tc.text, yes, no, tc.yes, tc.no)
		}
	}
}
