// Package handoff brings a texter to a person: it posts handoff cards and
// crisis alerts to Slack, relays texts between the texter and the staff
// member who claimed them, and closes the handoff. Everything it sends goes
// through the outbox, so a Slack or Twilio outage delays messages and loses
// none; a crisis reply to the texter never waits for any of it. The one
// exception is a crisis alert the outbox cannot take (the store is down),
// which the process posts to Slack itself, best effort (direct.go).
//
// Privacy: Slack sees only the last four digits of a number. The full
// number, needed to relay staff replies, is kept encrypted under the
// conversation's hash tag, for as long as the session and no longer than
// the handoff; "Show number" reveals it only to the staff member who
// claimed the handoff, and records that it did (without the number).
package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
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
	Log            *slog.Logger
	Now            func() time.Time
	// Accessed is called when a full number is shown, for metrics.
	Accessed func()
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
	box.Lane(AlertLane, KindAlert, KindAlertAgain)
	return &Service{hs: hs, box: box, seal: s, engine: engine,
		AlertOpen: 24 * time.Hour, AgainEvery: 30 * time.Second, DirectBackoff: time.Second, direct: newDirectAlerts(),
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
	}
}

// Handoff states.
const (
	stateOpen    = "open"
	stateClaimed = "claimed"
	stateClosed  = "closed"
)

// Record is what a card shows.
type Record struct {
	Key       bot.Key
	Masked    string
	Lang      string
	Lean      string
	Findings  []string
	Where     string // "question 5 of 12", for an unfinished screening
	Requested time.Time
	State     string
	ClaimedBy string
	ClaimedAt time.Time
	// ClosedBy is the staff member who closed it; empty when the texter
	// ended it (STOP, DELETE).
	ClosedBy string
	// Via is the channel the texter writes on ("sms", "whatsapp").
	Via     string `json:",omitempty"`
	Channel string
	TS      string
}

// Subscribe registers the service with the channel path for the texters'
// channels: it raises crisis alerts, starts handoffs, relays texts to
// staff and forgets addresses on STOP and DELETE. It only enqueues; it
// never waits for Slack or Twilio. Turns on other channels (a staff
// member's screening in Slack, the terminal) are not texters: staff are
// not alerted of them and cannot reply to them.
func (s *Service) Subscribe(p *channel.Path, channels ...string) {
	if len(channels) == 0 {
		panic("handoff: Subscribe with no channels would raise no alert")
	}
	for kind, fn := range s.handlers() {
		p.On(kind, func(ctx context.Context, t *channel.Turn, ev bot.Event) {
			if !slices.Contains(channels, t.Channel) {
				return
			}
			if err := fn(ctx, t, ev); err != nil {
				s.Log.Error("handoff enqueue failed", "conv", string(t.Key), "event", string(kind), "err", err.Error())
			}
		})
	}
}

// handlers are what the service does on the events it is told of.
func (s *Service) handlers() map[bot.EventKind]func(context.Context, *channel.Turn, bot.Event) error {
	forget := func(ctx context.Context, t *channel.Turn, _ bot.Event) error { return s.Forget(ctx, t.Key) }
	return map[bot.EventKind]func(context.Context, *channel.Turn, bot.Event) error{
		bot.EventCrisis: s.onCrisis,
		bot.EventHandoff: func(ctx context.Context, t *channel.Turn, _ bot.Event) error {
			return s.open(ctx, t.Key, t.Channel, t.From, t.MessageID, t.Outcome.Handoff)
		},
		bot.EventRelayed: func(ctx context.Context, t *channel.Turn, _ bot.Event) error {
			return s.relay(ctx, t.Key, t.Channel, t.From, t.MessageID, t.Outcome.Relay)
		},
		bot.EventOptOut: forget,
		bot.EventErased: forget,
	}
}

// onCrisis raises an alert; staff already talking with the texter see the
// text in their thread too.
func (s *Service) onCrisis(ctx context.Context, t *channel.Turn, ev bot.Event) error {
	if err := s.raise(ctx, t.Key, t.Channel, t.From, t.MessageID, ev.Crisis, ev.Tier, ev.Lang); err != nil {
		// The store is failing: the alert went to Slack directly, and the
		// texter's answer should not wait on the store again.
		return err
	}
	if t.Outcome.Said == "" {
		return nil
	}
	if r, err := s.record(ctx, t.Key); err == nil && r != nil && r.State != stateClosed && r.TS != "" {
		return s.queueRelay(ctx, t.Key, "crisis-relay:"+string(t.Key)+":"+t.MessageID, t.Outcome.Said, nil)
	}
	return nil
}

// relay passes the texter's text to the handoff's thread and keeps the
// handoff alive while they write. A handoff that is gone (closed, or
// expired while the conversation went on) hands the texter back to the
// assistant and tells them, rather than relaying into nothing.
func (s *Service) relay(ctx context.Context, key bot.Key, via, number, msgID, text string) error {
	r, err := s.record(ctx, key)
	if err != nil {
		return err
	}
	if r == nil || r.State == stateClosed {
		notice, err := s.engine.EndHandoff(ctx, key)
		if err != nil || notice == "" {
			return err
		}
		if err := s.keepNumber(ctx, key, via, number); err != nil {
			return err
		}
		return s.enqueue(ctx, "orphan:"+string(key)+":"+msgID, KindText, toTexter{Key: key, Text: notice, Last: true})
	}
	// The texter is still writing: keep the handoff alive.
	return s.queueRelay(ctx, key, "relay:"+string(key)+":"+msgID, text, r)
}

// queueRelay adds a texter's text to the conversation's relay queue (and
// keeps the handoff alive, when given, in the same round trip) and asks the
// outbox to post the queue: the queue, not the order in which outbox
// messages happen to be delivered, keeps the texts in the order they were
// written.
func (s *Service) queueRelay(ctx context.Context, key bot.Key, id, text string, alive *Record) error {
	var err error
	if alive != nil {
		err = s.hs.QueueRelayKeepingAlive(ctx, key, text, alive.Channel, alive.TS)
	} else {
		err = s.hs.QueueRelay(ctx, key, text)
	}
	if err != nil {
		return err
	}
	return s.enqueue(ctx, id, KindThread, thread{Key: key})
}

// keepNumber keeps, sealed, the texter's address and the channel it is on,
// for replies to go back the way the texter wrote.
func (s *Service) keepNumber(ctx context.Context, key bot.Key, via, number string) error {
	if number == "" {
		return nil
	}
	sealed, err := s.seal.seal(via+addressSep+number, string(key))
	if err != nil {
		return err
	}
	return s.hs.KeepNumber(ctx, key, sealed)
}

func (s *Service) open(ctx context.Context, key bot.Key, via, number, msgID string, h *bot.Handoff) error {
	if err := s.keepNumber(ctx, key, via, number); err != nil {
		return err
	}
	rec := Record{Key: key, Masked: Mask(number), Via: via, Requested: s.Now(), State: stateOpen}
	if h != nil {
		rec.Lang, rec.Lean, rec.Findings = h.Lang, h.Lean, h.Findings
		if h.Lean == "" && h.M > 0 {
			rec.Where = fmt.Sprintf("stopped at question %d of %d", h.N, h.M)
		}
	}
	data, _ := json.Marshal(rec)
	if err := s.hs.SaveRecord(ctx, key, data); err != nil {
		return err
	}
	return s.enqueue(ctx, "card:"+string(key)+":"+msgID, KindCard, card{Key: key})
}

// Forget erases the number and what the card shows, and closes an open
// handoff, when the texter says STOP or DELETE.
func (s *Service) Forget(ctx context.Context, key bot.Key) error {
	if err := s.hs.Forget(ctx, key); err != nil {
		return err
	}
	r, err := s.record(ctx, key)
	if err != nil || r == nil || r.State == stateClosed {
		return err
	}
	r.State, r.ClosedBy, r.Findings, r.Lean, r.Where = stateClosed, "", nil, "", ""
	if err := s.saveRecord(ctx, r); err != nil {
		return err
	}
	return s.enqueue(ctx, fmt.Sprintf("update:%s:%d", key, s.Now().UnixNano()), KindUpdate, card{Key: key})
}

func (s *Service) enqueue(ctx context.Context, id, kind string, payload any) error {
	m, err := s.message(id, kind, payload)
	if err != nil {
		return err
	}
	return s.box.Enqueue(ctx, m)
}

func (s *Service) message(id, kind string, payload any) (outbox.Message, error) {
	data, err := json.Marshal(payload)
	return outbox.Message{ID: id, Kind: kind, Payload: data}, err
}

func (s *Service) record(ctx context.Context, key bot.Key) (*Record, error) {
	raw, err := s.hs.Record(ctx, key)
	if err != nil || raw == nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func (s *Service) saveRecord(ctx context.Context, r *Record) error {
	data, _ := json.Marshal(r)
	return s.hs.SaveRecord(ctx, r.Key, data)
}

// Payloads.
type card struct{ Key bot.Key }
type thread struct {
	Key bot.Key
	// Text is set only in messages enqueued before relays were queued in
	// order, which carry their text themselves.
	Text string `json:",omitempty"`
}

// toTexter is a text to send the texter, on the channel they write on.
type toTexter struct {
	Key  bot.Key
	Text string
	// Last erases the number once this text is sent (the close notice).
	Last bool
}

// payload decodes a message's payload; one that cannot be read never will be.
func payload[T any](m outbox.Message) (T, error) {
	var p T
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return p, outbox.Permanent(err)
	}
	return p, nil
}

func (s *Service) deliverCard(ctx context.Context, slack Slack, m outbox.Message) error {
	p, err := payload[card](m)
	if err != nil {
		return err
	}
	r, err := s.record(ctx, p.Key)
	if err != nil {
		return err
	}
	if r == nil {
		return outbox.Permanent(errors.New("handoff expired before its card was posted"))
	}
	if r.TS != "" {
		return nil // posted already
	}
	fallback, blocks := CardBlocks(r, s.Names)
	ts, err := slack.Post(ctx, s.IntakeChannel, "", fallback, blocks)
	if err != nil {
		return err
	}
	r.Channel, r.TS = s.IntakeChannel, ts
	if err := s.saveRecord(ctx, r); err != nil {
		return err
	}
	if err := s.hs.MapThread(ctx, r.Channel, ts, r.Key); err != nil {
		return err
	}
	// What the texter wrote while the card was on its way follows it at
	// once, in order; what fails here is posted by the relays' own messages.
	if err := s.flush(ctx, slack, r); err != nil {
		s.Log.Warn("relays after the card: left to their own messages", "conv", string(r.Key), "err", err)
	}
	return nil
}

// posted returns the handoff record once its card is in Slack; until then
// the message waits, and without a handoff it is dropped.
func (s *Service) posted(ctx context.Context, key bot.Key) (*Record, error) {
	r, err := s.record(ctx, key)
	switch {
	case err != nil:
		return nil, err
	case r == nil:
		return nil, outbox.Permanent(errors.New("no handoff (closed or expired)"))
	case r.TS == "":
		return nil, outbox.Later(errors.New("card not posted yet"), 2*time.Second)
	}
	return r, nil
}

func (s *Service) deliverThread(ctx context.Context, slack Slack, m outbox.Message) error {
	p, err := payload[thread](m)
	if err != nil {
		return err
	}
	r, err := s.posted(ctx, p.Key)
	if err != nil {
		return err
	}
	if p.Text != "" {
		fallback, blocks := RelayBlocks(p.Text)
		_, err = slack.Post(ctx, r.Channel, r.TS, fallback, blocks)
		return err
	}
	return s.flush(ctx, slack, r)
}

// maxFlush bounds the texts one delivery posts; the rest go in another.
const maxFlush = 50

// flush posts the texter's queued texts in the handoff's thread, oldest
// first, one worker at a time. A worker that finds another posting leaves
// the queue to it: the holder looks at the queue again after letting go,
// so a text queued meanwhile is not left behind.
func (s *Service) flush(ctx context.Context, slack Slack, r *Record) error {
	for posted := 0; ; {
		unlock, got, err := s.hs.LockRelay(ctx, r.Key)
		if err != nil || !got {
			return err
		}
		err = s.drain(ctx, slack, r, &posted)
		unlock()
		if err != nil {
			return err
		}
		left, err := s.hs.RelaysLeft(ctx, r.Key)
		if err != nil || left == 0 {
			return err
		}
		if posted >= maxFlush {
			return s.enqueue(ctx, fmt.Sprintf("relay-more:%s:%d", r.Key, s.Now().UnixNano()), KindThread, thread{Key: r.Key})
		}
	}
}

// drain posts queued texts until the queue is empty or maxFlush are
// posted. A text leaves the queue only once Slack has it.
func (s *Service) drain(ctx context.Context, slack Slack, r *Record, posted *int) error {
	for *posted < maxFlush {
		text, ok, err := s.hs.NextRelay(ctx, r.Key)
		if err != nil || !ok {
			return err
		}
		fallback, blocks := RelayBlocks(text)
		if _, err := slack.Post(ctx, r.Channel, r.TS, fallback, blocks); err != nil {
			return err
		}
		if err := s.hs.DropRelay(ctx, r.Key); err != nil {
			return err
		}
		*posted++
	}
	return nil
}

func (s *Service) deliverUpdate(ctx context.Context, slack Slack, m outbox.Message) error {
	p, err := payload[card](m)
	if err != nil {
		return err
	}
	r, err := s.posted(ctx, p.Key)
	if err != nil {
		return err
	}
	fallback, blocks := CardBlocks(r, s.Names)
	return slack.Update(ctx, r.Channel, r.TS, fallback, blocks)
}

// addressSep separates the channel from the address in what is sealed.
const addressSep = "|"

// address returns the channel and the address kept for key; an address
// kept before channels were recorded is an SMS number.
func (s *Service) address(ctx context.Context, key bot.Key) (via, number string, kept bool, err error) {
	sealed, kept, err := s.hs.Number(ctx, key)
	if err != nil || !kept {
		return "", "", kept, err
	}
	opened, err := s.seal.open(sealed, string(key))
	if err != nil {
		return "", "", true, err
	}
	via, number, found := strings.Cut(opened, addressSep)
	if !found {
		return "sms", opened, true, nil
	}
	return via, number, true, nil
}

// outsideWindow reports, for a texter on a channel with a window, how long
// since their last message when that is past it.
func (s *Service) outsideWindow(ctx context.Context, key bot.Key, via string, t Texter) (*OutsideWindow, error) {
	w := t.Window()
	if w <= 0 {
		return nil, nil
	}
	last, err := s.engine.LastHeard(ctx, key)
	if err != nil {
		return nil, err
	}
	if last.IsZero() {
		return &OutsideWindow{Channel: via, Window: w}, nil
	}
	if since := s.Now().Sub(last); since > w {
		return &OutsideWindow{Channel: via, Window: w, Since: since}, nil
	}
	return nil, nil
}

// texts delivers texts to texters; when one is given up, the staff in its
// thread are told, and a close notice still erases the number.
type texts struct{ s *Service }

func (t texts) Deliver(ctx context.Context, m outbox.Message) error { return t.s.deliverText(ctx, m) }

func (t texts) Abandon(ctx context.Context, m outbox.Message, err error) {
	s := t.s
	p, perr := payload[toTexter](m)
	if perr != nil {
		return
	}
	if p.Last {
		if ferr := s.Forget(ctx, p.Key); ferr != nil {
			s.Log.Error("close notice not sent, and the number not erased", "conv", string(p.Key), "err", ferr.Error())
		}
	}
	why := "it could not be delivered after a day of tries"
	var reason interface{ Reason() string }
	if errors.As(err, &reason) {
		why = reason.Reason()
	}
	if sent, err := s.hs.PartsSent(ctx, p.Key, m.ID); err == nil && sent > 0 {
		first := "its first message"
		if sent > 1 {
			first = fmt.Sprintf("its first %d messages", sent)
		}
		why = "only " + first + " went; then " + why
		_ = s.hs.ForgetPartsSent(ctx, p.Key, m.ID)
	}
	n := notSent{Key: p.Key, Text: p.Text, Why: why}
	if err := s.enqueue(ctx, "notsent:"+m.ID, KindNotSent, n); err != nil {
		s.Log.Error("staff not told a text was not sent", "conv", string(p.Key), "err", err.Error())
	}
}

// notSent tells a handoff's thread that Text did not reach the texter.
type notSent struct {
	Key       bot.Key
	Text, Why string
}

func (s *Service) deliverNotSent(ctx context.Context, slack Slack, m outbox.Message) error {
	p, err := payload[notSent](m)
	if err != nil {
		return err
	}
	r, err := s.posted(ctx, p.Key)
	if err != nil {
		return err
	}
	fallback, blocks := NotSentBlocks(p.Text, p.Why)
	_, err = slack.Post(ctx, r.Channel, r.TS, fallback, blocks)
	return err
}

// deliverText sends a text to the texter on their channel, shaped by its
// rules. What cannot be sent is a *NotSent or an *OutsideWindow, marked
// permanent.
func (s *Service) deliverText(ctx context.Context, m outbox.Message) error {
	p, err := payload[toTexter](m)
	if err != nil {
		return err
	}
	via, number, kept, err := s.address(ctx, p.Key)
	if err != nil && kept {
		return outbox.Permanent(errors.Join(&NotSent{Why: "the texter's number could not be read"}, err))
	}
	if err != nil {
		return err
	}
	if !kept {
		return outbox.Permanent(&NotSent{Why: notKept})
	}
	sender := s.Texters[via]
	if sender == nil {
		return outbox.Permanent(noSender(via))
	}
	closed := func(err error) error {
		s.Log.Warn("text to a texter not sent: outside the channel's window", "conv", string(p.Key), "channel", via)
		return outbox.Permanent(err)
	}
	if out, err := s.outsideWindow(ctx, p.Key, via, sender); err != nil || out != nil {
		if out != nil {
			return closed(out)
		}
		return err
	}
	// A staff reply can be as long as Slack allows: it goes as the
	// channel's messages, in order; a retry resumes after the last one sent.
	parts := sender.Shape(p.Text)
	start := 0
	if len(parts) > 1 {
		if start, err = s.hs.PartsSent(ctx, p.Key, m.ID); err != nil {
			return err
		}
	}
	for i := start; i < len(parts); i++ {
		err := sender.Send(ctx, number, parts[i])
		if errors.Is(err, ErrOptedOut) {
			s.Log.Warn("texter opted out at the carrier; marking the conversation", "conv", string(p.Key))
			if merr := s.engine.MarkOptedOut(ctx, p.Key); merr != nil {
				return merr
			}
			_ = s.Forget(ctx, p.Key)
			return outbox.Permanent(errors.Join(&NotSent{Why: "the texter has opted out at the carrier (STOP, or the number blocked)"}, err))
		}
		if errors.Is(err, ErrWindowClosed) {
			return closed(errors.Join(&NotSent{Why: via + " refused it as outside its window of " + hours(sender.Window()) + " since the texter's last message"}, err))
		}
		if err != nil {
			return err
		}
		if len(parts) > 1 && i+1 < len(parts) {
			if err := s.hs.MarkPartsSent(ctx, p.Key, m.ID, i+1); err != nil {
				return err
			}
		}
	}
	if len(parts) > 1 {
		_ = s.hs.ForgetPartsSent(ctx, p.Key, m.ID)
	}
	if p.Last {
		return s.Forget(ctx, p.Key)
	}
	return nil
}

// Claim gives the handoff to a staff member, if nobody has it yet, redraws
// the card and tells the texter a person will follow up. It reports whether
// user now holds it. Claiming a crisis alert (channel and ts are the
// alert's message) opens a handoff on the alert itself: replies in its
// thread reach the texter.
func (s *Service) Claim(ctx context.Context, key bot.Key, user, channel, ts string) (bool, error) {
	r, err := s.record(ctx, key)
	if err != nil {
		return false, err
	}
	if r == nil || (r.State == stateClosed && ts != "" && r.TS != ts) {
		// No handoff, or only an old closed one: a crisis alert being claimed.
		if r, err = s.fromAlert(ctx, key, channel, ts); err != nil || r == nil {
			return false, err
		}
	}
	if r.State == stateClosed {
		return false, nil
	}
	// Two staff clicking at once: one claim wins.
	won, err := s.hs.Claim(ctx, key, user)
	if err != nil {
		return false, err
	}
	if !won {
		holder, err := s.hs.Claimant(ctx, key)
		if err != nil || holder != user || r.State == stateClaimed {
			return err == nil && holder == user, err
		}
		// Their own earlier claim that failed half-way: finish it now.
	}
	r.State, r.ClaimedBy, r.ClaimedAt = stateClaimed, user, s.Now()
	if err := s.saveRecord(ctx, r); err != nil {
		return false, err
	}
	text, err := s.engine.Text(ctx, key, "handoff_claimed")
	if err != nil {
		return true, err
	}
	stamp := r.ClaimedAt.UnixNano()
	return true, errors.Join(
		s.enqueue(ctx, fmt.Sprintf("update:%s:%d", key, stamp), KindUpdate, card{Key: key}),
		s.enqueue(ctx, fmt.Sprintf("claimed:%s:%d", key, stamp), KindText, toTexter{Key: key, Text: text}),
	)
}

// fromAlert opens a handoff record for a claimed crisis alert, if the
// number is still kept.
func (s *Service) fromAlert(ctx context.Context, key bot.Key, channel, ts string) (*Record, error) {
	via, number, kept, err := s.address(ctx, key)
	if !kept || channel == "" || ts == "" || err != nil {
		return nil, err
	}
	if err := s.hs.Unclaim(ctx, key); err != nil {
		return nil, err
	}
	lang, _ := s.hs.Lang(ctx, key)
	if err := s.engine.BeginHandoff(ctx, key, lang); err != nil {
		return nil, err
	}
	r := &Record{Key: key, Masked: Mask(number), Via: via, Requested: s.Now(), State: stateOpen, Channel: channel, TS: ts}
	if err := s.hs.MapThread(ctx, channel, ts, key); err != nil {
		return nil, err
	}
	return r, nil
}

// Close ends the handoff: the texter is told and goes back to the
// assistant, the card is redrawn, and the number is erased.
func (s *Service) Close(ctx context.Context, key bot.Key, user string) error {
	r, err := s.record(ctx, key)
	if err != nil || r == nil || r.State == stateClosed {
		return err
	}
	// The conversation first, so a failure leaves the card open to try again.
	text, err := s.engine.EndHandoff(ctx, key)
	if err != nil {
		return err
	}
	r.State, r.ClosedBy = stateClosed, user
	if err := s.saveRecord(ctx, r); err != nil {
		return err
	}
	stamp := s.Now().UnixNano()
	var errs []error
	// The texter's alerts close with the handoff: danger after this is
	// alerted anew.
	errs = append(errs, s.hs.CloseAlerts(ctx, key))
	errs = append(errs, s.enqueue(ctx, fmt.Sprintf("update:%s:%d", key, stamp), KindUpdate, card{Key: key}))
	if text != "" {
		// The number is erased once the close notice is sent.
		errs = append(errs, s.enqueue(ctx, fmt.Sprintf("closed:%s:%d", key, stamp), KindText, toTexter{Key: key, Text: text, Last: true}))
	} else {
		errs = append(errs, s.hs.ForgetNumber(ctx, key))
	}
	return errors.Join(errs...)
}

// ShowNumber returns the texter's full number to the staff member who
// claimed the handoff, and logs that it was shown (without the number).
func (s *Service) ShowNumber(ctx context.Context, key bot.Key, user string) (string, error) {
	r, err := s.record(ctx, key)
	if err != nil {
		return "", err
	}
	if r == nil || r.ClaimedBy != user || r.State == stateClosed {
		return "", errors.New("only the staff member who claimed an open handoff can see the number")
	}
	_, number, kept, err := s.address(ctx, key)
	if err != nil {
		return "", fmt.Errorf("number no longer kept: %w", err)
	}
	if !kept {
		return "", errors.New("number no longer kept")
	}
	s.Log.Info("number shown to staff", "conv", string(key), "staff", user)
	if s.Accessed != nil {
		s.Accessed()
	}
	return number, nil
}

// StaffReply sends a staff member's reply in a card's thread to the
// texter, on their channel. It reports false when the thread is not an
// open handoff; an *OutsideWindow error when the texter's channel would
// not deliver it (WhatsApp, a day after their last message), and a
// *NotSent when it cannot be sent at all. A reply that fails later is
// told in the thread.
func (s *Service) StaffReply(ctx context.Context, channel, threadTS, eventID, text string) (bool, error) {
	key, ok, err := s.hs.ThreadOf(ctx, channel, threadTS)
	if err != nil || !ok {
		return false, err
	}
	r, err := s.record(ctx, key)
	if err != nil || r == nil || r.State == stateClosed {
		return false, err
	}
	via, _, kept, err := s.address(ctx, key)
	switch {
	case err == nil && !kept:
		return true, &NotSent{Why: notKept}
	case err == nil && s.Texters[via] == nil:
		return true, noSender(via)
	case err == nil:
		out, err := s.outsideWindow(ctx, key, via, s.Texters[via])
		if err != nil {
			return true, err
		}
		if out != nil {
			return true, out
		}
	}
	return true, s.enqueue(ctx, "reply:"+eventID, KindText, toTexter{Key: key, Text: text})
}
