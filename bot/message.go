package bot

import (
	"sort"

	"helpline/flows"
	"helpline/flows/text"
)

// message is one inbound text as the text layer reads it: split once, and
// read in a language only when something asks for it.
type message struct {
	raw    string
	pieces []text.Piece
	set    *flows.Set
	// first is the conversation's language, read first.
	first string
	docs  map[string]*text.Doc

	// cmd is the keyword a button sent, whatever the text.
	cmd    keyword
	kwDone bool
	kw     keyword
	kwLang string
}

func newMessage(set *flows.Set, raw, lang string) *message {
	return &message{raw: raw, pieces: text.Split(raw), set: set, first: lang, docs: map[string]*text.Doc{}}
}

// as returns the message for a conversation in lang: the same reading,
// with what depends on the language asked afresh.
func (m *message) as(lang string) *message {
	return &message{raw: m.raw, pieces: m.pieces, set: m.set, first: lang, docs: m.docs, cmd: m.cmd}
}

// in returns the message as l reads it.
func (m *message) in(l *text.Language) *text.Doc {
	if d, ok := m.docs[l.Code]; ok {
		return d
	}
	d := l.ReadPieces(m.raw, m.pieces)
	m.docs[l.Code] = d
	return d
}

// doc returns the message as the language code reads it (English when the
// flows have no such language).
func (m *message) doc(code string) *text.Doc { return m.in(m.set.Lang(code)) }

// empty reports whether the message has no words, numbers or emoji.
func (m *message) empty() bool { return len(m.pieces) == 0 }

// langs returns every language, the message's own first, then English,
// then the rest by code.
func (m *message) langs() []*text.Language {
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
