package flows

import (
	"strings"
	"testing"
)

// Every question and fixed text, rendered in every language for both
// audiences with the longest organisation name, fits QuestionSegments as
// written (UCS-2 when it has a character outside GSM-7), and every crisis
// reply fits SummarySegments.
func TestEveryTextWithinBudget(t *testing.T) {
	t.Parallel()
	set, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	f := set.Screening()
	if len(f.Languages) < 2 {
		t.Fatalf("languages %v: Spanish is missing", f.Languages)
	}
	for _, lang := range f.Languages {
		for _, aud := range []string{"self", "other"} {
			vars := f.Vars(aud, lang, map[string]string{
				"{org}": strings.Repeat("O", MaxOrgName), "{phone}": "1-800-000-0000", "{n}": "14", "{m}": "14",
			})
			for _, st := range f.Steps {
				msg := f.Prompt(st, lang, vars)
				if strings.Contains(msg, "{") {
					t.Errorf("%s %s step %q: unfilled placeholder in %q", lang, aud, st.ID, msg)
				}
				if n := Segments(msg); n > QuestionSegments {
					t.Errorf("%s %s step %q: %d segments, budget %d: %q", lang, aud, st.ID, n, QuestionSegments, msg)
				}
			}
			for _, key := range sortedKeys(f.Texts) {
				msg := Fill(f.Text(key, lang), vars)
				if n := Segments(msg); n > QuestionSegments {
					t.Errorf("%s %s text %q: %d segments, budget %d: %q", lang, aud, key, n, QuestionSegments, msg)
				}
			}
			for _, kind := range sortedKeys(set.Crisis.Reply) {
				msg := Fill(set.Crisis.Reply[kind].In(lang), vars)
				if n := Segments(msg); n > SummarySegments {
					t.Errorf("%s crisis reply %q: %d segments, budget %d", lang, kind, n, SummarySegments)
				}
			}
		}
	}
}
