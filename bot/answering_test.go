package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"helpline/bot"
)

// A clarify question always lists its candidates: numbered, one a line, or
// for a scale its points named in the question; "all of them" shown to be
// confirmed is listed as what was understood. Every unclear row of both
// answer tables is checked.
func TestClarifyListsItsCandidates(t *testing.T) {
	t.Parallel()
	st, _ := miniStore(t)
	e := newEngine(t, st)
	for _, file := range []string{"testdata/answers.tsv", "testdata/answers_more.tsv"} {
		for _, r := range readAnswers(t, file) {
			got, err := e.Try(r.step, r.lang, r.for_, r.text)
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != bot.HandledClarify {
				continue
			}
			if len(got.Candidates) == 0 || !listed(got.Replies, got.Candidates, r.step == "readiness") {
				t.Errorf("%s:%d %s %q: clarify %v does not list its candidates: %q", file, r.line, r.step, r.text, got.Candidates, got.Replies)
			}
		}
	}
}

// listed reports whether a reply lists n candidates: numbered lines 1 to n,
// a scale's points in its text, or what was understood to be confirmed.
func listed(replies, cands []string, scale bool) bool {
	for _, reply := range replies {
		switch {
		case strings.HasPrefix(reply, "So far I have:") || strings.HasPrefix(reply, "Tengo anotado:"):
			return true
		case scale:
			all := true
			for _, c := range cands {
				all = all && strings.Contains(reply, c)
			}
			if all && strings.Contains(reply, "?") {
				return true
			}
		default:
			all := true
			for i := range cands {
				all = all && strings.Contains(reply, fmt.Sprintf("\n%d ", i+1))
			}
			if all {
				return true
			}
		}
	}
	return false
}

// Whole texts read in context, over several turns: what each conversation
// records, and what it says back.
func TestAnswersInContext(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		texts []string
		want  map[string]string
		says  []string // replies that must be said, in order
	}{{
		// "the ones for anxiety" picks benzos, alcohol kept; "3 or 4 nights
		// a week" is asked about; "the first one" is not a drink; "change
		// it" changes the drinks; "all of them" is shown, then taken with yes.
		name: "en",
		texts: []string{"hey so i been drinking like 6 beers at a time", "yes", "yes and pills sometimes",
			"idk the ones for anxiety", "like 3 or 4 nights a week", "the first one", "the fourth one",
			"the first one, but honestly its more like 2 beers", "change it", "no", "not at all", "not at all", "no",
			"never been", "all of them", "yes", "kinda? idk", "3"},
		want: map[string]string{"concern": "alcohol,benzos", "audit1": "2to3week", "audit2": "1to2", "audit3": "weekly",
			"use": "daily", "situation": "home,people,ride,obligations,court", "readiness": "3"},
		says: []string{"Got it: alcohol and benzos or sedatives.", "Just to be sure, which is closest?\n1 2-3 times a week\n2 4 or more times a week",
			"Got it: using or drinking every day.", "Earlier I noted five or six. Should I change it to one or two?",
			"So far I have: a safe place to live, support, a ride to sessions, work or caregiving duties and a court order.",
			"Just to be sure, which is closest: 2 or 3?"},
	}, {
		// A parent: a plain no qualified by what they know is no; "hace 2
		// años" changes no frequency; a checklist with a negation is said
		// back with what was not taken.
		name: "es",
		texts: []string{"hola, mi hijo toma como 6 cervezas diario", "si", "si", "cada semana", "la primera", "no",
			"ningun dia", "ningun dia", "no que yo sepa", "estuvo en un anexo hace 2 años",
			"vive con nosotros y lo apoyamos, pero no tiene carro", "mas o menos"},
		want: map[string]string{"who": "other", "audit1": "4week", "audit2": "5to6", "use": "daily", "safety": "no",
			"treatment": "inpatient", "situation": "home,people", "readiness": "3"},
		says: []string{"Entendido: un hogar seguro y apoyo, pero no transporte."},
	}, {
		// "keep it" to "should I change it?" keeps the earlier answer; "the
		// second one" is one option.
		name: "en keep",
		texts: []string{"hey so i been drinking like 6 beers at a time", "yes", "yes", "every day", "weekly",
			"the first one but its more like 2 beers", "keep it", "the second one"},
		want: map[string]string{"audit1": "4week", "audit2": "5to6", "audit3": "weekly", "use": "daily", "medical": "no"},
		says: []string{"Should I change it to one or two?\n1 Yes, change it\n2 No, keep it"},
	}, {
		// "nope" to a checklist shown with what was understood says it is
		// not right, not "none of these" (or "mental health only"): the
		// question comes again.
		name:  "en not all",
		texts: []string{"hey i been drinking every day", "yes", "nope"},
		want:  map[string]string{"concern": ""},
		says:  []string{"So far I have: alcohol.", "Sorry, I didn't catch that.", "So far I have: alcohol."},
	}, {
		// "yes" to a checklist shown with what was understood takes it;
		// "1 2" answers by number and is not said back.
		name:  "en numbers",
		texts: []string{"hi", "yes", "for my son", "1 2", "every day"},
		want:  map[string]string{"who": "other", "concern": "alcohol,opioids", "audit1": "4week"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, _ := miniStore(t)
			e := newEngine(t, st)
			ctx := context.Background()
			key := bot.Key("context-" + tc.name)
			var said []string
			for i, text := range tc.texts {
				out, err := e.Handle(ctx, bot.Inbound{Key: key, Text: text, MessageID: fmt.Sprint(i), Time: time.Now()})
				if err != nil {
					t.Fatal(err)
				}
				said = append(said, out.Texts()...)
				if tc.name == "en numbers" && strings.HasPrefix(strings.Join(out.Texts(), "\n"), "Got it: alcohol") {
					t.Errorf("%q: a checklist picked by number is said back: %q", text, out.Texts())
				}
			}
			s, err := st.Load(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			for step, v := range tc.want {
				if s.Answers[step] != v {
					t.Errorf("%s = %q, want %q", step, s.Answers[step], v)
				}
			}
			all := strings.Join(said, "\n\n")
			at := 0
			for _, want := range tc.says {
				i := strings.Index(all[at:], want)
				if i < 0 {
					t.Errorf("never said (in order): %q\nsaid:\n%s", want, all)
					break
				}
				at += i + len(want)
			}
		})
	}
}
