package understand

import (
	"sort"

	"helpline/flows"
	"helpline/flows/text"
)

// Message is one inbound text as the text layer reads it: split once, and
// read in a language only when something asks for it.
type Message struct {
	raw    string
	pieces []text.Piece
	set    *flows.Set
	// first is the conversation's language, read first.
	first string
	docs  map[string]*text.Doc

	// cmd is the keyword a button sent, whatever the text.
	cmd    Keyword
	kwDone bool
	kw     Keyword
	kwLang string
}

func NewMessage(set *flows.Set, raw, lang string) *Message {
	return &Message{raw: raw, pieces: text.Split(raw), set: set, first: lang, docs: map[string]*text.Doc{}}
}

// As returns the message for a conversation in lang: the same reading,
// with what depends on the language asked afresh.
func (m *Message) As(lang string) *Message {
	return &Message{raw: m.raw, pieces: m.pieces, set: m.set, first: lang, docs: m.docs, cmd: m.cmd}
}

// In returns the message as l reads it.
func (m *Message) In(l *text.Language) *text.Doc {
	if d, ok := m.docs[l.Code]; ok {
		return d
	}
	d := l.ReadPieces(m.raw, m.pieces)
	m.docs[l.Code] = d
	return d
}

// Doc returns the message as the language code reads it (English when the
// flows have no such language).
func (m *Message) Doc(code string) *text.Doc { return m.In(m.set.Lang(code)) }

// Empty reports whether the message has no words, numbers or emoji.
func (m *Message) Empty() bool { return len(m.pieces) == 0 }

// Langs returns every language, the message's own first, then English,
// then the rest by code.
func (m *Message) Langs() []*text.Language {
	codes := make([]string, 0, len(m.set.Langs))
	for c := range m.set.Langs {
		codes = append(codes, c)
	}
	rank := func(c string) int {
		switch c {
		case m.first:
			return 0
		case "en":
			return 1
		}
		return 2
	}
	sort.Slice(codes, func(i, j int) bool {
		if ri, rj := rank(codes[i]), rank(codes[j]); ri != rj {
			return ri < rj
		}
		return codes[i] < codes[j]
	})
	out := make([]*text.Language, len(codes))
	for i, c := range codes {
		out[i] = m.set.Langs[c]
	}
	return out
}

// WithCommand returns m read as keyword k, whatever its words: the
// command of a button.
func (m *Message) WithCommand(k Keyword) *Message {
	c := m.As(m.first)
	c.cmd = k
	return c
}

// Raw returns the text as it was sent.
func (m *Message) Raw() string { return m.raw }
