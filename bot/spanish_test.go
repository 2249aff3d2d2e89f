package bot_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"helpline/bot"
	"helpline/flows"
)

// gsm7 is what the SMS channel sends by default: the Spanish letters GSM-7
// lacks, without their accents.
var gsm7 = strings.NewReplacer("á", "a", "í", "i", "ó", "o", "ú", "u", "Á", "A", "Í", "I", "Ó", "O", "Ú", "U")

// Random Spanish screenings, for both audiences: every message fits its
// budget as written (UCS-2 when it has á, í, ó or ú, as sent with
// HELPLINE_SMS_UNICODE=1) and as sent by default (transliterated to GSM-7),
// and none is left in English.
func TestSpanishScreeningsStayWithinBudget(t *testing.T) {
	t.Parallel()
	st, _ := miniStore(t)
	e := newEngine(t, st)
	set, _ := flows.Default()
	english := map[string]bool{}
	for _, txt := range set.Screening().Texts {
		english[txt["en"]] = true
	}
	crisis := map[string]bool{}
	for _, txt := range set.Crisis.Reply {
		crisis[txt["es"]] = true
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	extras := []string{"platano", "atras", "ayuda", "si", "no", "1 2", "resumen", "todos", "nada", "ni idea", "3", "2", "4", "nel", "claro"}
	completed, most := 0, 0
	for run := 0; run < 300; run++ {
		key := bot.Key(fmt.Sprintf("es-walk-%d", run))
		text := "hola"
		for i := 0; i < 60; i++ {
			out, err := e.Handle(ctx, bot.Inbound{Key: key, Text: text, MessageID: fmt.Sprintf("%d-%d", run, i)})
			if err != nil {
				t.Fatal(err)
			}
			if out.Lang != "es" {
				t.Fatalf("run %d: %q answered in %q", run, text, out.Lang)
			}
			for _, r := range out.Replies {
				if english[r] {
					t.Fatalf("run %d: %q answered in English: %q", run, text, r)
				}
				budget, asSent := flows.QuestionSegments, flows.QuestionSegments
				switch {
				case crisis[r]:
					budget, asSent = flows.SummarySegments, flows.SummarySegments
				case out.Summary != nil:
					budget, asSent = flows.SummaryBudget(r), flows.SummarySegments
					most = max(most, flows.Segments(r))
				}
				if n := flows.Segments(r); n > budget {
					t.Fatalf("reply takes %d segments as written (budget %d): %q", n, budget, r)
				}
				if n := flows.Segments(gsm7.Replace(r)); n > asSent {
					t.Fatalf("reply takes %d segments in GSM-7 (budget %d): %q", n, asSent, r)
				}
			}
			if out.Summary != nil {
				completed++
				break
			}
			switch {
			case out.Prompt != nil && rng.IntN(5) > 0:
				text = out.Prompt.Choices[rng.IntN(len(out.Prompt.Choices))].Value
			default:
				text = extras[rng.IntN(len(extras))]
			}
		}
	}
	if completed < 100 {
		t.Fatalf("only %d of 300 random screenings reached the summary", completed)
	}
	t.Logf("longest Spanish summary message: %d segments as written", most)
}
