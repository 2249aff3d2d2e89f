// Package channel is the one path every message takes, whatever channel
// it came by (SMS, WhatsApp, a Slack screening, the terminal): a channel
// decodes its request into an inbound message, the path derives the
// conversation key, applies the line's limits, hands the message to the
// engine, logs the turn and tells the subscribers registered at wiring
// (metrics, statistics, handoffs) what happened; the channel then renders
// the replies its own way.
package channel

import (
	"context"
	"log/slog"
	"time"

	"helpline/bot"
)

// Engine is the part of the conversation engine the path needs.
type Engine interface {
	Handle(ctx context.Context, in bot.Inbound) (bot.Outcome, error)
	FixedText(name, lang string) string
	Urgent(text string) bool
	HelpText(text string) string
}

// Recent reports, without a store read, whether this process served a
// conversation lately.
type Recent interface {
	Recent(key bot.Key) bool
}

// Turn is one message through the path and what became of it.
type Turn struct {
	Channel string
	Key     bot.Key
	// From is the sender's address on the channel ("+15551234567",
	// "whatsapp:+15551234567"), for handoffs to answer on; it is never
	// logged.
	From      string
	MessageID string
	Outcome   bot.Outcome
	Err       error
	Took      time.Duration
	// Refused is set when the line was over its limit and the engine was
	// not asked.
	Refused Refusal
}

// Refusal is how a message past the line's limit was answered.
type Refusal string

const (
	// RefusedHelp: HELP, answered anyway (carriers require it).
	RefusedHelp Refusal = "help"
	// RefusedBusy: a conversation served lately, told the line is busy
	// (once a minute).
	RefusedBusy Refusal = "busy"
	// RefusedSilently: anyone else, not answered.
	RefusedSilently Refusal = "none"
)

// Path runs every channel's messages. Subscribers are registered at wiring,
// before the first message.
type Path struct {
	engine Engine
	secret []byte
	log    *slog.Logger
	limits map[string]limit
	turns  []func(context.Context, *Turn)
	events map[bot.EventKind][]func(context.Context, Event)
}

// New returns a path to engine. secret keys the conversation keys (the
// HMAC of each sender's address).
func New(engine Engine, secret []byte, log *slog.Logger) *Path {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Path{engine: engine, secret: secret, log: log, limits: map[string]limit{},
		events: map[bot.EventKind][]func(context.Context, Event){}}
}

// Limit bounds the messages channels answer together with l (one phone
// line's budget); past it only conversations recent reports are told the
// line is busy. recent may be nil.
func (p *Path) Limit(l *Limiter, recent Recent, channels ...string) {
	for _, ch := range channels {
		p.limits[ch] = limit{l, recent}
	}
}

// limit is a channel's share of a line: its budget, and who is told the
// line is busy.
type limit struct {
	*Limiter
	recent Recent
}

// OnTurn registers fn to be told of every turn, duplicates and refusals
// included.
func (p *Path) OnTurn(fn func(ctx context.Context, t *Turn)) { p.turns = append(p.turns, fn) }

// Event is one thing that happened in a turn, with where it happened: all a
// subscriber is told.
type Event struct {
	bot.Event
	Channel string
	Key     bot.Key
	// From is the sender's address on the channel, for handoffs to answer
	// on; it is never logged.
	From      string
	MessageID string
}

// On registers fn to be told of every event of kind, once per message:
// a retried message tells nothing again.
func (p *Path) On(kind bot.EventKind, fn func(ctx context.Context, ev Event)) {
	p.events[kind] = append(p.events[kind], fn)
}

// Key returns the conversation key of a sender's address.
func (p *Path) Key(from string) bot.Key { return bot.NewKey(p.secret, from) }

// Handle takes one message from channel, sent from address from, through
// the path. in.Key and in.Channel are set here. Subscribers run before it
// returns, with a context that outlives the request: what they start (an
// alert, a relay) must not be cancelled when the channel has answered.
func (p *Path) Handle(ctx context.Context, channel, from string, in bot.Inbound) *Turn {
	start := time.Now()
	if in.Time.IsZero() {
		in.Time = start
	}
	in.Channel, in.Key = channel, p.Key(from)
	t := &Turn{Channel: channel, Key: in.Key, From: from, MessageID: in.MessageID}

	// Danger and STOP always reach the engine and never spend the line's
	// budget; a number past its share of the budget goes to the engine's
	// own per-conversation limit without spending it either. Whether a text
	// is danger is asked only when the line is busy: otherwise the token
	// it took is given back once the engine has answered it as danger or
	// STOP.
	admitted := false
	if l := p.limits[channel]; l.Limiter != nil {
		switch l.Admit(in.Key) {
		case Busy:
			if !p.engine.Urgent(in.Text) {
				p.refuse(t, l, in)
				t.Took = time.Since(start)
				p.tell(ctx, t)
				return t
			}
		case Admitted:
			admitted = true
		}
	}
	t.Outcome, t.Err = p.engine.Handle(ctx, in)
	if admitted && urgent(t.Outcome) {
		p.limits[channel].Refund(in.Key)
	}
	t.Took = time.Since(start)
	p.logTurn(t)
	p.tell(ctx, t)
	return t
}

// tell passes the turn to its subscribers.
func (p *Path) tell(ctx context.Context, t *Turn) {
	ctx = context.WithoutCancel(ctx)
	for _, fn := range p.turns {
		fn(ctx, t)
	}
	if t.Outcome.Duplicate {
		return
	}
	for _, ev := range t.Outcome.Events {
		for _, fn := range p.events[ev.Kind] {
			fn(ctx, Event{Event: ev, Channel: t.Channel, Key: t.Key, From: t.From, MessageID: t.MessageID})
		}
	}
}

// logTurn logs what happened, never the address or the text.
func (p *Path) logTurn(t *Turn) {
	out := t.Outcome
	attrs := []any{"channel", t.Channel, "conv", string(t.Key), "took", t.Took, "replies", len(out.Replies)}
	for _, ev := range out.Events {
		if ev.Kind == bot.EventStep || ev.Kind == bot.EventMiss {
			attrs = append(attrs, "step", ev.Step)
			continue
		}
		attrs = append(attrs, "event", string(ev.Kind))
		if ev.Crisis != "" {
			attrs = append(attrs, "crisis", ev.Crisis)
		}
	}
	if out.Duplicate {
		attrs = append(attrs, "duplicate", true)
	}
	if t.Err != nil {
		p.log.Error("turn failed; apologised", append(attrs, "err", t.Err.Error())...)
		return
	}
	p.log.Info("turn", attrs...)
}

// refuse answers a message past the line's limit without touching the
// store: HELP gets its answer (carriers require it), a conversation this
// process served lately gets one polite line a minute, anyone else
// nothing (a refusal is a billed text, which is what SMS pumping wants).
func (p *Path) refuse(t *Turn, l limit, in bot.Inbound) {
	t.Refused = RefusedSilently
	switch help := p.engine.HelpText(in.Text); {
	case help != "":
		t.Refused = RefusedHelp
		if !in.CarrierReplied {
			t.Outcome.Replies = []bot.Reply{{Kind: bot.ReplyMessage, Name: "help", Text: help}}
		}
	case l.recent != nil && l.recent.Recent(in.Key):
		t.Refused = RefusedBusy
		if l.FirstRefusal(in.Key) {
			t.Outcome.Replies = []bot.Reply{{Kind: bot.ReplyMessage, Name: "busy", Text: p.engine.FixedText("busy", "")}}
		}
	}
	p.log.Warn("global rate limit", "channel", t.Channel, "conv", string(in.Key), "answer", string(t.Refused))
}

// urgent reports whether the engine answered a message as danger or STOP:
// what Engine.Urgent would have said of it.
func urgent(out bot.Outcome) bool {
	for _, ev := range out.Events {
		if ev.Kind == bot.EventCrisis || ev.Kind == bot.EventConcern || ev.Kind == bot.EventOptOut {
			return true
		}
	}
	return false
}
