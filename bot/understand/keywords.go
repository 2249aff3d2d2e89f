package understand

type Keyword int

const (
	NoKeyword Keyword = iota
	Stop
	Start
	Help
	Restart
	Back
	Summary
	Call
	Delete
	Language
)

// keywordNames maps the keyword names of the language files to keywords.
var keywordNames = map[string]Keyword{
	"stop": Stop, "start": Start, "help": Help, "restart": Restart, "back": Back,
	"summary": Summary, "call": Call, "delete": Delete, "language": Language,
}

// keywordOf returns the Keyword a message is in any language the flows
// speak (STOP works in a Spanish conversation, ALTO in an English one),
// and for kwLang the language asked for. The message's own language is
// tried first. A Keyword is the whole message (see text.Language.Keyword).
func (m *Message) Keyword() (Keyword, string) {
	if m.cmd != NoKeyword {
		return m.cmd, ""
	}
	if m.kwDone {
		return m.kw, m.kwLang
	}
	m.kwDone = true
	for _, l := range m.Langs() {
		if name := l.Keyword(m.In(l)); name != "" {
			m.kw, m.kwLang = keywordNames[name], l.Code
			return m.kw, m.kwLang
		}
	}
	return NoKeyword, ""
}

// KeywordNamed returns the keyword the language files call name ("stop",
// "call"), as a channel's button sends it.
func KeywordNamed(name string) (Keyword, bool) {
	k, ok := keywordNames[name]
	return k, ok
}
