package bot_test

import (
	"testing"

	"helpline/bot"
	"helpline/flows"
)

// Random Spanish screenings, for both audiences: every message fits its
// budget as written (UCS-2 when it has á, í, ó or ú, as sent with
// HELPLINE_SMS_UNICODE=1) and as sent by default (transliterated to GSM-7),
// and none is left in English.
func TestSpanishScreeningsStayWithinBudget(t *testing.T) {
	t.Parallel()
	e := newEngine(t, newMemStore())
	set, _ := flows.Default()
	english := map[string]bool{}
	for _, txt := range set.Screening().Texts {
		english[txt["en"]] = true
	}
	crisis := map[string]bool{}
	for _, txt := range set.Crisis.Reply {
		crisis[txt["es"]] = true
	}
	extras := []string{"platano", "atras", "ayuda", "si", "no", "1 2", "resumen", "todos", "nada", "ni idea", "3", "2", "4", "nel", "claro"}
	most := 0
	completed := walk(t, e, 3, "hola", extras, func(text string, out bot.Outcome) {
		if out.Lang != "es" {
			t.Fatalf("%q answered in %q", text, out.Lang)
		}
		for _, r := range out.Texts() {
			if english[r] {
				t.Fatalf("%q answered in English: %q", text, r)
			}
			budget, asSent := flows.QuestionSegments, flows.QuestionSegments
			switch {
			case crisis[r]:
				budget, asSent = flows.SummarySegments, flows.SummarySegments
			case out.Summary() != nil:
				budget, asSent = flows.SummaryBudget(r), flows.SummarySegments
				most = max(most, flows.Segments(r))
			}
			if n := flows.Segments(r); n > budget {
				t.Fatalf("reply takes %d segments as written (budget %d): %q", n, budget, r)
			}
			if n := flows.Segments(flows.Transliterate(r)); n > asSent {
				t.Fatalf("reply takes %d segments in GSM-7 (budget %d): %q", n, asSent, r)
			}
		}
	})
	if completed < 100 {
		t.Fatalf("only %d of 300 random screenings reached the summary", completed)
	}
	t.Logf("longest Spanish summary message: %d segments as written", most)
}

// A first text written in Spanish with none of the greeting words ("hola")
// is answered in Spanish: the words the flows use only in Spanish decide; a
// mostly English text with a few Spanish words stays in English.
func TestFirstTextInSpanishSlang(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"vi el numero en instagram, esto es pa gente q fuma mucho": "es",
		"mi hijo toma mucho": "es",
		"my bf uses crystal todos los dias and i dont know what to do": "en",
		"yo i need help": "en",
	} {
		c := newConversation(t, nil)
		c.say(text)
		if got := c.session().Lang; got != want {
			t.Errorf("%q: conversation in %q, want %q", text, got, want)
		}
	}
}
