package bot

import "helpline/flows"

// ReplyKind says what a reply means, so that each channel draws it in its
// own way: a text channel sends its words, Slack draws a question as
// buttons and a summary as a card.
type ReplyKind string

// Kinds of reply.
const (
	// ReplyMessage is one of the flow's fixed texts (Name says which): help,
	// the opt-out confirmation, "a person will text you", a say-back.
	ReplyMessage ReplyKind = "message"
	// ReplyQuestion is the step now waiting for an answer (Question).
	ReplyQuestion ReplyKind = "question"
	// ReplyClarify asks which of two or more options an answer meant
	// (Question, whose choices are the candidates).
	ReplyClarify ReplyKind = "clarify"
	// ReplySummary is the end of a screening (Summary).
	ReplySummary ReplyKind = "summary"
	// ReplyDanger is help for danger (Danger), or the direct question
	// about suicide right now (Question too, with a yes and a no).
	ReplyDanger ReplyKind = "danger"
	// ReplyConfirm asks the texter to confirm what they asked for: erase
	// everything, continue or start over, replace an earlier answer.
	ReplyConfirm ReplyKind = "confirmation"
)

// Reply is one thing the engine says. Text is always set: the reply as
// plain text, as a text channel sends it (a question with its numbered
// options, a summary as its messages joined). The typed parts are for
// channels that draw.
type Reply struct {
	Kind ReplyKind
	// Name is the fixed text the reply is, when it is one ("stop",
	// "call", "suicide").
	Name     string
	Text     string
	Question *Question
	Summary  *Summary
	Danger   *Danger
}

// Question is a question with its numbered choices.
type Question struct {
	// Step is the step the answer is for; "now" for the direct question
	// about suicide right now.
	Step string
	Kind string
	// Progress is "Question 3 of 9:", or "" for the greeting.
	Progress string
	// Text is the question alone, without progress or choices.
	Text    string
	Choices []Choice
	// Scale explains the ends of a scale ("0 = not at all, 10 = ...").
	Scale string
	// Offer is the other language offered on the greeting.
	Offer string
}

// Choice is one numbered answer: its number as a texter sends it, the
// option's value as a typed answer sends it, and what to show.
type Choice struct {
	Number int
	Value  string
	Label  string
}

// Danger says what help a danger reply gives and why.
type Danger struct {
	// Kind is the kind of danger (suicide, overdose, ...); Tier is
	// flows.TierUrgent or flows.TierConcern.
	Kind string
	Tier flows.Tier
}

// Answer is a typed answer from a channel that drew the choices (a Slack
// button): the step and the values picked, never words to be read.
type Answer struct {
	Step   string
	Values []string
}

// Messages returns the reply as a text channel sends it: the summary as its
// messages (each about an SMS long), anything else as its text.
func (r Reply) Messages() []string {
	if r.Summary != nil {
		return r.Summary.Messages
	}
	return []string{r.Text}
}

// Texts returns the replies as a text channel sends them, in order.
func (o Outcome) Texts() []string {
	out := make([]string, 0, len(o.Replies)+1)
	for _, r := range o.Replies {
		out = append(out, r.Messages()...)
	}
	return out
}

// Asked returns the question the replies end waiting for (a question, a
// clarification or the direct question), or nil.
func (o Outcome) Asked() *Question {
	for i := len(o.Replies) - 1; i >= 0; i-- {
		if q := o.Replies[i].Question; q != nil {
			return q
		}
	}
	return nil
}

// Summary returns the summary among the replies, or nil.
func (o Outcome) Summary() *Summary {
	for _, r := range o.Replies {
		if r.Summary != nil {
			return r.Summary
		}
	}
	return nil
}

// String renders q as a text channel sends it, laid out as the flows lay
// out every question (flows.Asked).
func (q *Question) String() string { return q.asked(q.Kind != flows.KindScale).String() }

// Heading renders q without its numbered choices, for a channel that draws
// them as buttons: progress, the question, the ends of a scale, the offer.
func (q *Question) Heading() string { return q.asked(false).String() }

// asked is q in the flows' layout, with its choices' labels or without.
func (q *Question) asked(labels bool) flows.Asked {
	a := flows.Asked{Progress: q.Progress, Text: q.Text, Scale: q.Scale, Offer: q.Offer}
	if labels {
		for _, ch := range q.Choices {
			a.Labels = append(a.Labels, ch.Label)
		}
	}
	return a
}
