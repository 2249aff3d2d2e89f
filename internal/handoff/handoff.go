// Package handoff brings a texter to a person: it posts handoff cards and
// crisis alerts to Slack, relays texts between the texter and the staff
// member who claimed them, and closes the handoff. Everything it sends goes
// through the outbox, so a Slack or Twilio outage delays messages and loses
// none; a crisis reply to the texter never waits for any of it. The one
// exception is a crisis alert the outbox cannot take (the store is down),
// which the process posts to Slack itself, best effort (direct.go).
//
// The files go by job: the record and the card (record.go), the texter's
// texts to staff (relay.go), staff's texts to the texter (texts.go),
// claims, closes and staff replies (claim.go), crisis alerts (alert.go,
// digest.go, direct.go), urgent alerts left unclaimed (repage.go), check
// questions left unanswered (check.go), STOP and DELETE (forget.go),
// sealing (seal.go) and Slack's blocks (blocks.go).
//
// Privacy: Slack sees only the last four digits of a number. The full
// number, needed to relay staff replies, is kept encrypted under the
// conversation's hash tag, for as long as the session and no longer than
// the handoff; "Show number" reveals it only to the staff member who
// claimed the handoff, and records that it did (without the number). What
// waits in Redis for Slack or Twilio is sealed too, and DELETE erases all
// of it.
package handoff

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"helpline/bot"
	"helpline/internal/channel"
	"helpline/internal/store"
	"helpline/internal/store/outbox"
)

// Outbox message kinds this package delivers.
const (
	KindCard  = "handoff.card"  // post the handoff card to the intake channel
	KindAlert = "handoff.alert" // post a crisis alert to the alert channel
	// KindAlertAgain tells an alert's thread how many texts of its kind came since.
	KindAlertAgain = "handoff.alert.again"
	KindThread     = "handoff.thread" // post the texter's queued texts in the card's thread, in order
	KindUpdate     = "handoff.update" // redraw the card after a claim or close
	// KindText sends the texter a text on their channel (claim notice, staff
	// reply, close). Its name is older than WhatsApp; entries already
	// queued under it are still delivered.
	KindText = "handoff.sms"
	// KindNotSent tells a handoff's thread that a text to the texter was
	// given up, and why.
	KindNotSent = "handoff.notsent"
	// KindNote tells a handoff's thread what happened (the texter sent STOP).
	KindNote = "handoff.note"
	// KindErased redraws a card whose texter erased their data, with
	// nothing of theirs left on it.
	KindErased = "handoff.erased"
	// KindDigest posts a minute's folded crisis alerts as one message.
	KindDigest = "handoff.digest"
	// KindRepage posts an urgent alert again, with @here, when nobody has
	// claimed it within RepageAfter.
	KindRepage = "handoff.alert.repage"
	// KindCheck raises a concern alert when a check question went
	// unanswered for CheckWait.
	KindCheck = "handoff.check"
)

// Slack is the part of the Slack Web API the handoff needs.
type Slack interface {
	Post(ctx context.Context, channel, threadTS, fallback string, blocks []Block) (ts string, err error)
	Update(ctx context.Context, channel, ts, fallback string, blocks []Block) error
}

// Texter sends what staff and the system send a texter, on the texter's
// own channel. An error wrapping ErrOptedOut means the carrier refuses:
// the texter opted out; one wrapping ErrWindowClosed means the channel
// refuses: the texter's window closed by its own clock. Shape splits a text into the messages the channel
// sends, by its own rules (SMS: GSM-7 unless configured otherwise, four
// segments; WhatsApp: accents kept, 1600 characters), as the assistant's
// own replies are. Window is how long after the texter's last message they
// may be sent anything (WhatsApp's 24 hours), or 0 for no limit.
type Texter interface {
	Send(ctx context.Context, to, body string) error
	Shape(text string) []string
	Window() time.Duration
}

// OutsideWindow is StaffReply's refusal of a reply the texter's channel
// would not deliver: their last message is older than its window.
type OutsideWindow struct {
	Channel string
	Window  time.Duration
	Since   time.Duration // since the texter's last message
}

func (e *OutsideWindow) Error() string { return "not sent: " + e.Reason() }

// Reason says why, for staff.
func (e *OutsideWindow) Reason() string {
	last := "their conversation has expired"
	if e.Since > 0 {
		last = "theirs was " + hours(e.Since) + " ago"
	}
	return fmt.Sprintf("%s delivers replies only within %s of the texter's last message, and %s", e.Channel, hours(e.Window), last)
}

// NotSent is why a text to a texter did not go, said for staff: the
// number is no longer kept, the channel has no sender configured, the
// texter opted out at the carrier, or the channel kept failing.
type NotSent struct{ Why string }

func (e *NotSent) Error() string { return "not sent: " + e.Why }

// Reason says why, for staff.
func (e *NotSent) Reason() string { return e.Why }

func hours(d time.Duration) string {
	if d < 2*time.Hour {
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	return fmt.Sprintf("%d hours", int(d.Hours()))
}

// notKept is why nothing can be sent once the number is erased.
const notKept = "the texter's number is no longer kept (the conversation expired, or they sent STOP or DELETE)"

// noSender is why nothing can be sent on a channel with no sender.
func noSender(via string) *NotSent {
	return &NotSent{Why: "this service has no sender configured for " + via + " (see the README's configuration)"}
}

// ErrOptedOut is what an SMS sender returns when the recipient opted out
// (Twilio error 21610).
var ErrOptedOut = errors.New("recipient opted out")

// ErrRejected is what a texter returns when the carrier refuses a text
// for good (a 4xx answer other than the two above: an empty body, a
// number that cannot receive): it is not retried, and staff are told.
var ErrRejected = errors.New("refused by the carrier")

// ErrWindowClosed is what a texter returns when the channel itself refuses
// a message outside the texter's window (WhatsApp, Twilio error 63016):
// its clock may close the window a little before ours. The text is not
// retried; it would reach them only if they wrote again, long after staff
// wrote it.
var ErrWindowClosed = errors.New("outside the channel's window")

// Engine is the part of the conversation engine the handoff needs.
type Engine interface {
	BeginHandoff(ctx context.Context, key bot.Key, lang string) error
	EndHandoff(ctx context.Context, key bot.Key) (string, error)
	Text(ctx context.Context, key bot.Key, name string) (string, error)
	MarkOptedOut(ctx context.Context, key bot.Key) error
	LastHeard(ctx context.Context, key bot.Key) (time.Time, error)
	// OptedOut reports whether the texter's last word was STOP, a STOP
	// the store has not recorded yet included: nothing may go to them.
	OptedOut(ctx context.Context, key bot.Key) (bool, error)
}

// Service runs handoffs. Fields are set before use.
type Service struct {
	hs     *store.Handoffs
	box    *outbox.Outbox
	seal   *sealer
	engine Engine
	direct *directAlerts

	IntakeChannel string
	AlertChannel  string
	// Texters send to texters, by the channel they write on ("sms",
	// "whatsapp"); a channel without one cannot be answered by staff.
	Texters map[string]Texter
	// Names are the flows' names of languages and leans, for cards.
	Names Names
	// AlertOpen is how long an alert stays open (one per conversation and
	// kind) unless its handoff is closed first; AgainEvery the least time
	// between two updates of its thread. 24 hours and 30 seconds.
	AlertOpen  time.Duration
	AgainEvery time.Duration
	// DirectObserved is told the result of each alert posted without the
	// outbox (DirectPosted, DirectFailed, DirectDropped), for metrics;
	// DirectBackoff is the wait before its second try (doubling after).
	DirectObserved func(result string)
	DirectBackoff  time.Duration
	// CrisisWait bounds the store work of a crisis alert while the texter
	// waits for their reply; 250 ms when zero (past it, the alert goes to
	// Slack directly).
	CrisisWait time.Duration
	Log        *slog.Logger
	Now        func() time.Time
	// Accessed is called when a full number is shown, for metrics.
	Accessed func()
	// AlertsPerMinute is how many crisis alerts a minute are posted one
	// by one; past it they are folded into one digest a minute. 10.
	AlertsPerMinute int
	// RepageAfter is how long an urgent alert may stay unclaimed before it
	// is posted again with @here (HELPLINE_ALERT_REPAGE); CheckWait how
	// long a check question may go unanswered before staff are told. Both
	// 5 minutes when zero.
	RepageAfter time.Duration
	CheckWait   time.Duration

	// pending holds what STOP and DELETE must still do, when the store
	// could not take it at once (forget.go).
	pending *pendingForgets
}

// AlertLane is the outbox lane crisis alerts travel in, apart from cards,
// relays and texts, so a flood of alerts from many texters never delays a
// handoff card.
const AlertLane = "alerts"

// New returns a Service keeping its records in hs, which keeps them for as
// long as a number may be kept for relays (the session TTL). secret is
// HELPLINE_SECRET. It gives crisis alerts a lane of their own in box.
func New(hs *store.Handoffs, box *outbox.Outbox, engine Engine, secret []byte) (*Service, error) {
	s, err := newSealer(secret)
	if err != nil {
		return nil, err
	}
	box.Lane(AlertLane, KindAlert, KindAlertAgain, KindDigest, KindRepage, KindCheck)
	return &Service{hs: hs, box: box, seal: s, engine: engine,
		AlertOpen: 24 * time.Hour, AgainEvery: 30 * time.Second, DirectBackoff: time.Second, direct: newDirectAlerts(),
		AlertsPerMinute: 10, pending: newPendingForgets(),
		Log: slog.New(slog.DiscardHandler), Now: time.Now}, nil
}

// Deliverers returns the outbox deliverers for this package's kinds.
func (s *Service) Deliverers(slack Slack) map[string]outbox.Deliverer {
	return map[string]outbox.Deliverer{
		KindCard:  outbox.DelivererFunc(func(ctx context.Context, m outbox.Message) error { return s.deliverCard(ctx, slack, m) }),
		KindAlert: outbox.DelivererFunc(func(ctx context.Context, m outbox.Message) error { return s.deliverAlert(ctx, slack, m) }),
		KindAlertAgain: outbox.DelivererFunc(func(ctx context.Context, m outbox.Message) error {
			return s.deliverAgain(ctx, slack, m)
		}),
		KindThread: outbox.DelivererFunc(func(ctx context.Context, m outbox.Message) error { return s.deliverThread(ctx, slack, m) }),
		KindUpdate: outbox.DelivererFunc(func(ctx context.Context, m outbox.Message) error { return s.deliverUpdate(ctx, slack, m) }),
		KindText:   texts{s},
		KindNotSent: outbox.DelivererFunc(func(ctx context.Context, m outbox.Message) error {
			return s.deliverNotSent(ctx, slack, m)
		}),
		KindNote:   outbox.DelivererFunc(func(ctx context.Context, m outbox.Message) error { return s.deliverNote(ctx, slack, m) }),
		KindErased: outbox.DelivererFunc(func(ctx context.Context, m outbox.Message) error { return s.deliverErased(ctx, slack, m) }),
		KindDigest: outbox.DelivererFunc(func(ctx context.Context, m outbox.Message) error { return s.deliverDigest(ctx, slack, m) }),
		KindRepage: outbox.DelivererFunc(func(ctx context.Context, m outbox.Message) error { return s.deliverRepage(ctx, slack, m) }),
		KindCheck:  outbox.DelivererFunc(s.deliverCheck),
	}
}

// How long the service waits on the store while a texter waits for their
// answer: a crisis alert's bookkeeping must not hold the crisis reply (an
// alert the store cannot take goes to Slack directly), and nothing else
// should hold a reply past a second.
const (
	crisisWait = 250 * time.Millisecond
	eventWait  = time.Second
)

// Subscribe registers the service with the channel path for the texters'
// channels: it raises crisis alerts, starts handoffs, relays texts to
// staff and forgets addresses on STOP and DELETE. It only enqueues; it
// never waits for Slack or Twilio, and waits on the store only for a
// moment. Turns on other channels (a staff member's screening in Slack,
// the terminal) are not texters: staff are not alerted of them and
// cannot reply to them.
func (s *Service) Subscribe(p *channel.Path, channels ...string) {
	if len(channels) == 0 {
		panic("handoff: Subscribe with no channels would raise no alert")
	}
	for kind, fn := range s.handlers() {
		wait := eventWait
		if kind == bot.EventCrisis || kind == bot.EventCheck {
			wait = crisisWait
			if s.CrisisWait > 0 {
				wait = s.CrisisWait
			}
		}
		p.On(kind, func(ctx context.Context, ev channel.Event) {
			if !slices.Contains(channels, ev.Channel) {
				return
			}
			ctx, cancel := context.WithTimeout(ctx, wait)
			defer cancel()
			if err := fn(ctx, ev); err != nil {
				s.Log.Error("handoff enqueue failed", "conv", string(ev.Key), "event", string(kind), "err", err.Error())
			}
		})
	}
}

// handlers are what the service does on the events it is told of.
func (s *Service) handlers() map[bot.EventKind]func(context.Context, channel.Event) error {
	return map[bot.EventKind]func(context.Context, channel.Event) error{
		bot.EventCrisis: s.onCrisis,
		bot.EventCheck:  s.onCheck,
		bot.EventHandoff: func(ctx context.Context, ev channel.Event) error {
			return s.open(ctx, ev.Key, ev.Channel, ev.From, ev.MessageID, ev.Handoff)
		},
		bot.EventRelayed: func(ctx context.Context, ev channel.Event) error {
			return s.relay(ctx, ev.Key, ev.Channel, ev.From, ev.MessageID, ev.Text)
		},
		bot.EventOptOut: func(ctx context.Context, ev channel.Event) error { return s.stopped(ctx, ev.Key) },
		bot.EventErased: func(ctx context.Context, ev channel.Event) error { return s.erased(ctx, ev.Key) },
	}
}

// enqueue adds a message to the outbox: named by a keyed hash of what it
// is (what), its payload sealed.
func (s *Service) enqueue(ctx context.Context, what, kind string, payload any) error {
	m, err := s.message(what, kind, payload)
	if err != nil {
		return err
	}
	return s.box.Enqueue(ctx, m)
}

// message is the outbox message for payload, named by what it is.
func (s *Service) message(what, kind string, payload any) (outbox.Message, error) {
	data, err := s.seal.sealPayload(kind, payload)
	return outbox.Message{ID: s.seal.id(what), Kind: kind, Payload: data}, err
}
