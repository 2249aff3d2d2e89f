package bot

import (
	"fmt"

	"strings"
	"time"

	"helpline/bot/understand"
	"helpline/flows"
)

// Tried is what the engine makes of one text at one step, for flow authors
// (helpline flows try) and for the tests of understanding.
type Tried struct {
	Text string `json:"text"`
	Step string `json:"step"`
	Lang string `json:"lang"`
	// Outcome is what became of the text.
	Outcome Handled `json:"outcome"`
	// Answers maps each step the text filled to its value: a string, or
	// for a multi step always a list of values.
	Answers map[string]any `json:"answers"`
	// Intent is what the text asked (a category of question, or
	// "person"), and IntentProb the model's probability of it.
	Intent     string  `json:"intent,omitempty"`
	IntentProb float64 `json:"intent_prob,omitempty"`
	// Candidates are the values a clarify offers.
	Candidates []string `json:"candidates"`
	Replies    []string `json:"replies"`
	// Why says what was found in the text, for people reading it.
	Why []string `json:"-"`
}

// Handled is what became of a message, for flow authors.
type Handled string

// What becomes of a message.
const (
	HandledNone     Handled = ""
	HandledAnswered Handled = "answered"  // an answer to its step
	HandledClarify  Handled = "clarify"   // it fit two or more options: which?
	HandledAskAgain Handled = "ask_again" // it fit nothing: asked again
	HandledDanger   Handled = "danger"    // words of danger, answered as such
	HandledKeyword  Handled = "keyword"   // a keyword, or anything else
	HandledAsked    Handled = "asked"     // a question answered, or a person asked for
)

// Try shows what the engine makes of text at step in a fresh conversation
// in lang, asked for "self" or "other". It touches no store.
func (e *Engine) Try(step, lang, audience, text string) (Tried, error) {
	f := e.flow
	st := f.Step(step)
	if st == nil {
		ids := make([]string, len(f.Steps))
		for i, s := range f.Steps {
			ids[i] = s.ID
		}
		return Tried{}, fmt.Errorf("no step %q; the steps are %s", step, strings.Join(ids, ", "))
	}
	if e.pickLang(lang) != lang {
		return Tried{}, fmt.Errorf("no language %q; the flows speak %s", lang, strings.Join(f.Languages, ", "))
	}
	tr := Tried{Text: text, Step: step, Lang: lang, Answers: map[string]any{}, Candidates: []string{}, Replies: []string{}}
	if f := e.crisis.Check(text, lang); f.Tier == flows.TierUrgent {
		out := e.dangerOutcome(f, lang)
		tr.Outcome, tr.Replies = HandledDanger, append(tr.Replies, out.Texts()...)
		tr.Why = []string{fmt.Sprintf("danger: %s, %s (%s)", f.Kind, f.Tier, why(f))}
		if st.Safety {
			// Danger in answer to the safety question is its yes.
			tr.Answers[st.ID] = "yes"
		}
		return tr, nil
	}
	now := time.Now()
	s := &Session{
		Screening: Screening{Flow: f.ID, FlowVersion: f.Version, Step: step, Answers: map[string]string{}, Started: now.Unix()},
		Lang:      lang, Status: StatusActive, Replay: Replay{Updated: now.Unix()},
	}
	if audience == flows.WhoOther && f.Audience != "" && f.Index(step) > f.Index(f.Audience) {
		// Asked about someone else: the question that says so is behind.
		if a := f.Step(f.Audience); a != nil && a.Option(flows.WhoOther) != nil {
			s.Answers[f.Audience] = flows.WhoOther
		}
	}
	var out Outcome
	var why []string
	t := turn{e: e, s: s, in: Inbound{Channel: "try", Text: text, Time: now, Lang: lang}, out: &out,
		msg: understand.NewMessage(e.flows, text, lang), answers: map[string]string{}, why: &why, danger: e.crisis.Check(text, lang)}
	t.run()
	tr.Why = why
	in := t.asks()
	tr.Intent, tr.IntentProb = in.Category, in.Prob
	tr.Outcome = t.handled
	if tr.Outcome == HandledNone {
		tr.Outcome = HandledKeyword
	}
	for id, v := range t.answers {
		if st := f.Step(id); st != nil && st.Kind == flows.KindMulti {
			tr.Answers[id] = flows.Values(v)
			continue
		}
		tr.Answers[id] = v
	}
	tr.Candidates = append(tr.Candidates, t.cands...)
	tr.Replies = append(tr.Replies, out.Texts()...)
	return tr, nil
}

// why names what decided a danger reading: the pattern, or the model and
// its probability.
func why(f understand.DangerReading) string {
	if f.Layer == understand.LayerModel {
		return fmt.Sprintf("model %.2f", f.Prob)
	}
	return f.Pattern
}
