package sms

import (
	"context"
	"errors"

	"helpline/bot"
	"helpline/flows"
)

// HelpAnswer answers HELP without the store, for texts past the line's
// limit: carriers require HELP (and STOP) to be answered always. It asks a
// second engine, running on a blank session that lives only for the call,
// what it makes of a text, so the engine stays the one place that knows
// its keywords, in every language, and nothing is read or written.
type HelpAnswer struct {
	eng  *bot.Engine
	help map[string]bool // the HELP answer in each language of the flows
}

// NewHelpAnswer returns a HelpAnswer for the flows in set, with the same
// organisation name and phone number as the engine that serves texters.
func NewHelpAnswer(set *flows.Set, org, phone string) (*HelpAnswer, error) {
	eng, err := bot.New(bot.Config{Flows: set, Store: blank{}, OrgName: org, Phone: phone})
	if err != nil {
		return nil, err
	}
	a := &HelpAnswer{eng: eng, help: map[string]bool{}}
	for _, lang := range set.Screening().Languages {
		a.help[eng.FixedText("help", lang)] = true
	}
	return a, nil
}

// Help returns the answer to text when it asks for HELP (HELP, INFO,
// AYUDA, ...), else "". key spreads the engine's per-conversation locks.
func (a *HelpAnswer) Help(key bot.Key, text string) string {
	out, err := a.eng.Handle(context.Background(), bot.Inbound{Channel: "sms", Key: key, Text: text})
	if err != nil || len(out.Replies) == 0 || !a.help[out.Replies[0]] {
		return ""
	}
	return out.Replies[0]
}

// blank is a store that has no sessions and keeps none.
type blank struct{}

func (blank) Update(_ context.Context, _ bot.Key, fn func(*bot.Session) error) error {
	if err := fn(&bot.Session{}); err != nil && !errors.Is(err, bot.ErrNoWrite) {
		return err
	}
	return nil
}

func (blank) Ping(context.Context) error { return nil }
