package bot

type keyword int

const (
	kwNone keyword = iota
	kwStop
	kwStart
	kwHelp
	kwRestart
	kwBack
	kwSummary
	kwCall
	kwDelete
	kwLang
)

// keywordNames maps the keyword names of the language files to keywords.
var keywordNames = map[string]keyword{
	"stop": kwStop, "start": kwStart, "help": kwHelp, "restart": kwRestart, "back": kwBack,
	"summary": kwSummary, "call": kwCall, "delete": kwDelete, "language": kwLang,
}

// keywordOf returns the keyword a message is in any language the flows
// speak (STOP works in a Spanish conversation, ALTO in an English one),
// and for kwLang the language asked for. The message's own language is
// tried first. A keyword is the whole message (see text.Language.Keyword).
func (m *message) keyword() (keyword, string) {
	if m.cmd != kwNone {
		return m.cmd, ""
	}
	if m.kwDone {
		return m.kw, m.kwLang
	}
	m.kwDone = true
	for _, l := range m.langs() {
		if name := l.Keyword(m.in(l)); name != "" {
			m.kw, m.kwLang = keywordNames[name], l.Code
			return m.kw, m.kwLang
		}
	}
	return kwNone, ""
}
