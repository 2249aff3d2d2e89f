package bot_test

import "testing"

// An English text in a Spanish conversation is read at every step without a crash.
func TestEnglishTextInASpanishConversation(t *testing.T) {
	t.Parallel()
	e := newEngine(t, newMemStore())
	for _, st := range e.Flows().Screening().Steps {
		for _, text := range []string{"shes drunk most nights", "no not every day", "he drinks like every day but not on sundays", "nah never"} {
			if _, err := e.Try(st.ID, "es", "self", text); err != nil {
				t.Fatal(err)
			}
		}
	}
}
