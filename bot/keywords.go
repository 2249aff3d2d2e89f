package bot

import (
	"slices"
	"strings"

	"helpline/flows"
)

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

// keywords maps whole messages, after Normalize, to what they ask for.
// Since 2025 any reasonable way of saying stop must be honoured, so the stop
// family includes phrases; none of them mentions drinking or using, so "I
// want to stop drinking" is an answer, not an opt-out.
var keywords = map[string]keyword{}

func init() {
	add := func(k keyword, phrases ...string) {
		for _, p := range phrases {
			keywords[flows.Normalize(p)] = k
		}
	}
	add(kwStop, "stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "opt out",
		"stop please", "please stop", "stop it", "stop now", "stop texting", "stop texting me", "stop messaging me",
		"stop sending", "stop sending me texts", "stop the texts", "dont text me", "do not text me", "dont text me anymore",
		"dont message me", "no more texts", "no more messages", "leave me alone", "remove me", "remove me from this list",
		"unsubscribe me", "alto", "parar", "cancelar", "basta", "no me escriban", "no mas mensajes")
	add(kwStart, "start", "unstop", "subscribe", "resubscribe", "comenzar", "iniciar")
	add(kwHelp, "help", "info", "information", "ayuda", "informacion")
	add(kwRestart, "restart", "menu", "start over", "reset", "begin again", "start again", "reiniciar", "empezar de nuevo")
	add(kwBack, "back", "go back", "undo", "previous", "change my answer", "atras", "volver", "regresar")
	add(kwSummary, "summary", "results", "result", "my results", "resumen", "resultados")
	add(kwCall, "call", "call me", "call back", "callback", "call me back", "agent", "human", "a person", "real person",
		"talk to someone", "talk to a person", "talk to a human", "speak to someone", "speak to a person",
		"talk to somebody", "operator", "representative", "counselor", "counsellor", "i want to talk to someone",
		"llamar", "llamame", "hablar con alguien", "una persona")
	add(kwDelete, "delete", "erase", "delete my data", "delete everything", "delete my info", "forget me",
		"erase my data", "borrar", "borrar todo", "borrar mis datos")
	add(kwLang, "espanol", "spanish", "en espanol", "english", "ingles", "en ingles")
}

// langKeywords maps a language keyword to its language.
var langKeywords = map[string]string{
	"espanol": "es", "spanish": "es", "en espanol": "es",
	"english": "en", "ingles": "en", "en ingles": "en",
}

// stopPhrases opt out wherever they stand in a message ("please stop
// texting me now"). Each is about the messages themselves, never about
// drinking or using.
var stopPhrases = [][]string{
	{"stop", "texting"}, {"stop", "messaging"}, {"stop", "sending"}, {"stop", "the", "texts"},
	{"stop", "contacting"}, {"dont", "text", "me"}, {"do", "not", "text", "me"}, {"dont", "message", "me"},
	{"no", "more", "texts"}, {"no", "more", "messages"}, {"unsubscribe"}, {"opt", "out"}, {"optout"},
	{"remove", "me", "from"}, {"leave", "me", "alone"}, {"no", "me", "escriban"}, {"no", "mas", "mensajes"},
	{"dejen", "de", "escribirme"},
}

// containsWords reports whether words appear in tokens in order, side by side.
func containsWords(tokens, words []string) bool {
	for i := 0; i+len(words) <= len(tokens); i++ {
		if slices.Equal(tokens[i:i+len(words)], words) {
			return true
		}
	}
	return false
}

// typoKeywords are the single-word keywords long enough that one typo
// cannot make another word ("cancel" is left out: one letter from "cancer").
var typoKeywords = []string{"restart", "resubscribe", "stopall", "summary", "unsubscribe"}

// keywordOf returns the keyword norm is, allowing one typo in the longer
// keywords ("unsubscrib", "restrat").
func keywordOf(norm string) keyword {
	if k, ok := keywords[norm]; ok {
		return k
	}
	tokens := strings.Fields(norm)
	for _, p := range stopPhrases {
		if containsWords(tokens, p) {
			return kwStop
		}
	}
	for _, word := range typoKeywords {
		if flows.Distance(word, norm) == 1 {
			return keywords[word]
		}
	}
	return kwNone
}
