package bot

import "helpline/bot/understand"

// Texters ask while they answer: "how much does this cost", "is this
// confidential", "cuanto cuesta". A question is answered in a sentence or
// two from the flows' answers and the provider's facts, then the question
// waited for comes again: it is neither an answer nor a miss, and nothing
// is erased. A text that also answers ("every day. is this confidential?")
// has its answer taken too. Asking for a person, in any words, is CALL.

// asking answers what the texter asks, when they ask something.
func (t *turn) asking() bool {
	s := t.s
	in := t.asks()
	switch in.Category {
	case "":
		return false
	case understand.IntentPerson:
		t.handled = HandledAsked
		t.keyword(understand.Call, "")
		return true
	}
	t.handled = HandledAsked
	t.sayAnswer(in.Category)
	if s.Status == StatusCompleted {
		sum := t.e.summarize(s)
		t.say(Reply{Kind: ReplyMessage, Name: "next_step", Text: sum.NextStep})
		return true
	}
	if s.For == WaitClarify {
		s.Wait.done() // the step's own question comes again
	}
	st := t.e.flow.Step(s.Step)
	if in.Rest != "" && st != nil && st.Question() {
		rest := understand.NewMessage(t.e.flows, in.Rest, s.Lang)
		if r := understand.Read(t.e.flow, st, s.Lang, rest, false, nil); r.Result == understand.Answered {
			t.handled = HandledAnswered
			t.msg = rest
			t.take(st, r.Value)
			return true
		}
	}
	t.ask()
	return true
}

// answeredQuestion answers a question asked in reply to a question about
// danger ("is this confidential?"), which crisis lines answer first; the
// caller asks its question again. It reports false when the text asked
// nothing, or asked for a person (which is a yes to getting help, read as
// the caller reads it).
func (t *turn) answeredQuestion() bool {
	in := t.asks()
	if in.Category == "" || in.Category == understand.IntentPerson {
		return false
	}
	t.handled = HandledAsked
	t.sayAnswer(in.Category)
	return true
}

// sayAnswer says the answer to a question of category.
func (t *turn) sayAnswer(category string) {
	s := t.s
	t.say(Reply{Kind: ReplyMessage, Name: "answer." + category, Text: t.e.flows.AnswerFor(category, s.Lang, t.e.provider, t.e.vars(s))})
}

// asks returns what the message asks, read once in the turn's language.
func (t *turn) asks() understand.Intent {
	if !t.intentRead {
		t.intent, t.intentRead = t.e.intents.Read(t.msg, t.s.Lang), true
	}
	return t.intent
}
