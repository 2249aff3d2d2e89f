package understand

import (
	"strings"
	"unicode"

	"helpline/bot/understand/learn"
	"helpline/flows"
	"helpline/flows/text"
)

// IntentPerson is the intent of asking for a person ("can i talk to a
// real person", "me pueden llamar").
const IntentPerson = "person"

// intentOther is the model's class of a question it cannot place.
const intentOther = "other_question"

// Intent is what a texter asks of the line, beside or instead of an
// answer: a question of a category (flows.Categories) or a person.
type Intent struct {
	// Category is a category of flows.Categories (CategoryUnknown for a
	// question the model cannot place), IntentPerson, or "" for none.
	Category string
	// Prob is the model's probability of it.
	Prob float64
	// Rest is what the text says besides the question ("every day" of
	// "every day. is this confidential?"), to be read as an answer; ""
	// when the text is only the question.
	Rest string
}

// Intents reads what a texter asks: the model learned from examples,
// anchored by a rule where it is exact: a question is asked as one (a
// question mark, or a question word first), so an answer that names a
// topic ("medicaid", "my job") is never taken for a question about it.
type Intents struct {
	set   *flows.Set
	model *learn.Model
}

// NewIntents returns the intent reader for set, with the model the binary
// carries.
func NewIntents(set *flows.Set) (*Intents, error) {
	_, m, err := Models(set)
	if err != nil {
		return nil, err
	}
	return &Intents{set: set, model: m}, nil
}

// Model returns the learned layer.
func (in *Intents) Model() *learn.Model { return in.model }

// Read returns what msg asks, read in lang.
func (in *Intents) Read(msg *Message, lang string) Intent {
	p := in.model.Predict(msg.Doc(lang))
	switch {
	case p.Class == IntentPerson:
		return Intent{Category: IntentPerson, Prob: p.Prob}
	case p.Class == learn.None || p.Class == "":
		return Intent{}
	}
	asked, rest := questions(msg.raw, msg.Doc(lang).Lang)
	if asked == "" {
		return Intent{}
	}
	cat := p.Class
	if cat == intentOther || !contains(flows.Categories, cat) {
		cat = flows.CategoryUnknown
	}
	return Intent{Category: cat, Prob: p.Prob, Rest: rest}
}

// questions splits a text into the sentences asked as questions and the
// rest.
func questions(raw string, l *text.Language) (asked, rest string) {
	var q, r []string
	for _, s := range sentences(raw) {
		if isQuestion(s, l) {
			q = append(q, s)
		} else {
			r = append(r, s)
		}
	}
	return strings.Join(q, " "), strings.Join(r, " ")
}

// sentences cuts a text after each . ? ! or line break.
func sentences(raw string) []string {
	var out []string
	start := 0
	for i, c := range raw {
		if c == '.' || c == '?' || c == '!' || c == '\n' {
			if s := strings.TrimSpace(raw[start : i+1]); strings.IndexFunc(s, isWordRune) >= 0 {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(raw[start:]); strings.IndexFunc(s, isWordRune) >= 0 {
		out = append(out, s)
	}
	return out
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// isQuestion reports whether a sentence is asked: a question mark, or a
// question word of the language first ("how much", "do you", "cuanto").
func isQuestion(s string, l *text.Language) bool {
	if strings.ContainsAny(s, "?¿") {
		return true
	}
	d := l.Read(s)
	return d.StartsWith(text.ListQuestions)
}
