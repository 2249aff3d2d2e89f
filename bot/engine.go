package bot

import (
	"context"
	"errors"
	"fmt"
	"helpline/flows/text"

	"slices"
	"strconv"
	"strings"

	"time"

	"helpline/bot/understand"
	"helpline/flows"
)

// Inbound is one message from a texter or a staff member, from any channel.
type Inbound struct {
	Channel string // "sms", "slack", "chat"
	Key     Key
	Text    string
	// MessageID is the channel's ID for the message; a message seen before
	// gets the replies recorded for it and changes nothing.
	MessageID string
	Time      time.Time
	// Media counts attachments; a message with media and no text gets a
	// polite "text only".
	Media int
	// CarrierReplied is set when the carrier already answered a STOP, START
	// or HELP (Twilio's Advanced Opt-Out), so it is not confirmed twice.
	CarrierReplied bool
	// Lang is the language to start a new conversation in; "" for English.
	Lang string
	// Answer is a typed answer (a button): it is taken as it is, for its
	// step, and never read as words.
	Answer *Answer
	// Command is a keyword sent by a button.
	Command Command
}

// Command is a keyword a channel's button sends, by the name the language
// files give it; the engine takes it whatever the message's words.
type Command string

// The commands channels send.
const (
	CommandRestart Command = "restart"
	CommandBack    Command = "back"
)

// Outcome is what the engine decided: the replies to send, in order, and what
// happened, for metrics and staff.
type Outcome struct {
	Replies []Reply
	Events  []Event
	// Handoff is set when the texter asked for a person: what staff need.
	Handoff *Handoff
	// Relay is a text for the staff member handling a handoff, instead of
	// an answer to the flow.
	Relay string
	// Said is the message itself, set only when it held words of danger,
	// so that staff already talking with the texter see it too.
	Said string
	// Duplicate is set when the message was handled before.
	Duplicate bool
	Lang      string
}

// heard keeps the texter's words of danger for staff: in Said, and in the
// text of every crisis event.
func (o *Outcome) heard(text string) {
	o.Said = text
	for i := range o.Events {
		if o.Events[i].Kind == EventCrisis {
			o.Events[i].Text = text
		}
	}
}

// EventKind names something that happened in a conversation.
type EventKind string

// Urgent reports whether a crisis event is danger now: staff are alerted
// and it counts as an escalation.
func (e Event) Urgent() bool { return e.Kind == EventCrisis && e.Tier.Urgent() }

// Events the engine reports. Only Text, for staff, carries words.
const (
	EventCrisis    EventKind = "crisis"    // Crisis names the kind, Tier the tier
	EventConcern   EventKind = "concern"   // the direct question was asked (ASQ)
	EventStarted   EventKind = "started"   // a screening began (first question asked)
	EventStep      EventKind = "step"      // Step was reached
	EventCompleted EventKind = "completed" // Lean is set
	EventHandoff   EventKind = "handoff"   // the texter asked for a person
	EventOptOut    EventKind = "opted_out"
	EventOptIn     EventKind = "opted_in"
	EventErased    EventKind = "erased"
	EventMiss      EventKind = "miss"    // an answer did not fit; Step is set
	EventRelayed   EventKind = "relayed" // a text went to staff (Outcome.Relay)
	EventStoreDown EventKind = "store_down"
	// EventCheck: the model read possible danger of kind Crisis, not sure
	// enough for the urgent answer, and a check question that fits the
	// kind was asked ("Is anyone in danger right now…?"). Staff are told
	// when it goes unanswered.
	EventCheck EventKind = "check"
)

// Layers of the danger check, for staff and metrics: which one decided.
const (
	LayerPatterns = "patterns"
	LayerModel    = "model"
)

// Event is one thing that happened, for metrics and for staff.
type Event struct {
	Kind   EventKind
	Crisis string
	// Tier of a crisis event: "urgent" (danger now, or yes to "right now"
	// after the safety question), "concern_yes" (words of concern, then yes
	// to the direct question), "non_acute" (yes to the safety question, no
	// to "right now") or "concern" (the direct question asked).
	Tier flows.Tier
	Lean string
	Flow string
	Step string
	Lang string
	// Layer is which layer of the danger check decided (LayerPatterns or
	// LayerModel) and Prob, for the model, its probability (EventCrisis,
	// EventCheck).
	Layer string
	Prob  float64
	// Handoff is what staff see of the conversation (EventHandoff).
	Handoff *Handoff
	// Text is the texter's own words, for staff only: the text relayed
	// (EventRelayed), or the words of danger (EventCrisis). It is never
	// counted, logged or stored.
	Text string
}

// Handoff is what staff see when a texter asks for a person: never the
// number, never free text.
type Handoff struct {
	Lang string
	// Lean is set when the screening was completed.
	Lean string
	// Findings are the criteria (in English, for staff) that hold so far.
	Findings []string
	// Step, N and M say where an unfinished screening stopped.
	Step string
	N, M int
}

// Config is what an Engine needs.
type Config struct {
	Flows   *flows.Set
	Store   Store
	OrgName string
	Phone   string
	// SessionTTL is how long an unfinished conversation is kept
	// (HELPLINE_SESSION_TTL); required.
	SessionTTL time.Duration
	// ResumeAfter is the quiet time after which a returning texter is
	// welcomed back with their place; 30 minutes if zero.
	ResumeAfter time.Duration
	// Handoffs is set when staff receive handoffs (Slack is configured):
	// CALL then opens a handoff, and the texter's texts go to staff until
	// it is closed.
	Handoffs bool
	// Provider holds the provider's own facts for answering texters'
	// questions (HELPLINE_PROVIDER_FILE); nil when none are set: those
	// answers then say intake staff can tell.
	Provider *flows.Provider
	// RatePerMinute bounds the messages one conversation may send in a
	// minute; past it the texter is told once to slow down, then nothing
	// is answered until the minute ends. Zero means no bound.
	RatePerMinute int
}

// Retention of what is not an ongoing screening.
const (
	// erasedTTL keeps only recent message IDs after DELETE, so a retried
	// message is still recognised.
	erasedTTL = time.Hour
)

// Engine runs conversations. It is safe for concurrent use.
type Engine struct {
	flows    *flows.Set
	flow     *flows.Flow
	store    Store
	crisis   *understand.Danger
	intents  *understand.Intents
	provider *flows.Provider
	org      string
	phone    string
	ttl      time.Duration
	resume   time.Duration
	locks    keyLocks
	stops    pendingStops
	firstQID string
	handoffs bool
	rate     int
}

// New returns an engine for the screening flow of cfg.Flows.
func New(cfg Config) (*Engine, error) {
	if cfg.Flows == nil || cfg.Store == nil || cfg.SessionTTL <= 0 {
		return nil, errors.New("bot: flows, store and the session TTL are required")
	}
	d, err := understand.NewDanger(cfg.Flows)
	if err != nil {
		return nil, err
	}
	in, err := understand.NewIntents(cfg.Flows)
	if err != nil {
		return nil, err
	}
	e := &Engine{
		intents:  in,
		provider: cfg.Provider,
		flows:    cfg.Flows,
		flow:     cfg.Flows.Screening(),
		store:    cfg.Store,
		crisis:   d,
		org:      cfg.OrgName,
		phone:    cfg.Phone,
		ttl:      cfg.SessionTTL,
		resume:   cfg.ResumeAfter,

		handoffs: cfg.Handoffs,
		rate:     cfg.RatePerMinute,
	}
	if e.resume <= 0 {
		e.resume = 30 * time.Minute
	}
	e.firstQID = e.flow.NextOf(e.flow.Steps[0], e.flow.Steps[0].Options[0].Value)
	return e, nil
}

// Models names the learned models the engine reads with, by the digest of
// their inputs (examples, language files, trainer settings), for the start
// log and /readyz.
func (e *Engine) Models() string {
	d, i := e.crisis.Model().Digest, e.intents.Model().Digest
	return fmt.Sprintf("danger %x intents %x", d[:6], i[:6])
}

// Flows returns the flow set the engine runs.
func (e *Engine) Flows() *flows.Set { return e.flows }

// Handle answers one inbound message. On a store failure it still returns an
// Outcome (an apology with the provider's number; for STOP, HELP and words
// of concern their own answer) along with the error; urgent danger is
// answered before the store is touched, and every store call runs under a
// deadline (deadline.go), so a hung store delays no answer for long.
func (e *Engine) Handle(ctx context.Context, in Inbound) (Outcome, error) {
	if in.Time.IsZero() {
		in.Time = time.Now()
	}
	// One reading of the whole text serves the danger check, keywords and
	// the answer: nothing is cut before danger is looked for, however long
	// the text (the reading's cost grows with its length, no faster).
	msg := understand.NewMessage(e.flows, in.Text, in.Lang)
	if kw, ok := understand.KeywordNamed(string(in.Command)); ok {
		// A button's command is the keyword, whatever the text.
		msg = msg.WithCommand(kw)
	}
	f := e.crisis.CheckMessage(msg, in.Lang)
	if f.Tier == flows.TierUrgent && f.Layer == understand.LayerPatterns {
		// Danger now is answered before the store is touched. The model's
		// reading is weighed against the question it may answer first
		// (weigh), within the danger deadline.
		out := e.dangerOutcome(f, e.pickLang(f.Lang, in.Lang))
		out.heard(in.Text)
		uctx, cancel := context.WithTimeout(ctx, urgentWait)
		e.afterUrgent(uctx, in, f, &out)
		cancel()
		return out, nil
	}
	kw, kwLang := msg.Keyword()
	wait := turnWait
	if f.Tier != "" || kw == understand.Stop || kw == understand.Help {
		wait = dangerWait
	}
	sctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var out Outcome
	unlock, err := e.locks.lock(sctx, in.Key)
	if err == nil {
		err = e.store.Update(sctx, in.Key, func(s *Session) error {
			out = Outcome{}
			e.handleTurn(s, in, msg, f, &out)
			return e.noWriteIfDuplicate(out)
		})
		unlock()
	}
	if err != nil {
		return e.storeDown(in, f, kw, kwLang), fmt.Errorf("update session: %w", err)
	}
	if kw == understand.Stop {
		e.stops.drop(in.Key, in.Time) // the opt-out is stored
	}
	return out, nil
}

// handleTurn handles one message against its loaded session s.
func (e *Engine) handleTurn(s *Session, in Inbound, msg *understand.Message, f understand.DangerReading, out *Outcome) {
	if s.seen(in.MessageID) {
		out.Duplicate = true
		if s.newest(in.MessageID) {
			e.replay(s, out)
		}
		return
	}
	t := turn{e: e, s: s, in: in, out: out, msg: msg.As(e.pickLang(s.Lang, in.Lang)), answers: map[string]string{}, danger: f}
	// STOP and words of danger are honoured even past the rate limit
	// (urgent danger was answered before the store was touched).
	if kw, _ := t.msg.Keyword(); kw == understand.Stop || f.Tier != "" || !t.limited() {
		t.run()
	}
	s.record(in.MessageID, out.Replies, t.tail, t.tailN)
	s.Updated = in.Time.Unix()
	switch {
	case s.Status == "":
		s.TTL = erasedTTL
	default:
		s.TTL = e.ttl
	}
	out.Lang = s.Lang
}

// noWriteIfDuplicate tells the store a retried message changes nothing.
func (e *Engine) noWriteIfDuplicate(out Outcome) error {
	if out.Duplicate {
		return ErrNoWrite
	}
	return nil
}

// storeDown answers a message the store could not take: words of concern
// get 988 in the same text (an answer to a question could not be tied to
// it); STOP is confirmed and kept by the process until the store records
// it; HELP is answered (carriers require it, and it needs no store);
// anything else gets the apology with the provider's number.
func (e *Engine) storeDown(in Inbound, f understand.DangerReading, kw understand.Keyword, kwLang string) Outcome {
	switch {
	case f.Tier == flows.TierUrgent:
		// The model's reading, with no question to weigh it against.
		out := e.dangerOutcome(f, e.pickLang(f.Lang, in.Lang))
		out.Events = append(out.Events, Event{Kind: EventStoreDown, Flow: e.flow.ID})
		out.heard(in.Text)
		return out
	case f.Tier == flows.TierConcern || f.Tier == flows.TierCheck:
		out := e.storeDownConcern(f, e.pickLang(f.Lang, in.Lang))
		out.heard(in.Text)
		return out
	case kw == understand.Stop:
		e.stops.add(in.Key, in.Time)
		lang := e.pickLang(kwLang, in.Lang)
		out := Outcome{Events: []Event{{Kind: EventOptOut, Flow: e.flow.ID, Lang: lang}, {Kind: EventStoreDown, Flow: e.flow.ID}}, Lang: lang}
		if !in.CarrierReplied {
			out.Replies = []Reply{{Kind: ReplyMessage, Name: "stop", Text: e.FixedText("stop", lang)}}
		}
		return out
	case kw == understand.Help:
		lang := e.pickLang(kwLang, in.Lang)
		out := Outcome{Events: []Event{{Kind: EventStoreDown, Flow: e.flow.ID}}, Lang: lang}
		if !in.CarrierReplied {
			out.Replies = []Reply{{Kind: ReplyMessage, Name: "help", Text: e.FixedText("help", lang)}}
		}
		return out
	}
	lang := e.pickLang(in.Lang, "en")
	return Outcome{
		Replies: []Reply{{Kind: ReplyMessage, Name: "store_down", Text: e.FixedText("store_down", lang)}},
		Events:  []Event{{Kind: EventStoreDown, Flow: e.flow.ID}},
		Lang:    lang,
	}
}

// RetryStops writes, every every until ctx ends, the opt-outs of texters
// who said STOP while the store could not take it.
func (e *Engine) RetryStops(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for k, at := range e.stops.list() {
			sctx, cancel := context.WithTimeout(ctx, turnWait)
			err := e.MarkOptedOut(sctx, k)
			cancel()
			if err != nil {
				break // the store is still away: try them all again later
			}
			e.stops.drop(k, at)
		}
	}
}

// OptedOut reports whether the texter at key said STOP last: nothing may
// be sent to them. A STOP the store has not recorded yet counts.
func (e *Engine) OptedOut(ctx context.Context, key Key) (bool, error) {
	if e.stops.has(key) {
		return true, nil
	}
	s, err := e.store.Load(ctx, key)
	if err != nil {
		return false, err
	}
	return s.Status == StatusOptedOut, nil
}

func (e *Engine) pickLang(langs ...string) string {
	for _, l := range langs {
		for _, have := range e.flow.Languages {
			if l == have {
				return l
			}
		}
	}
	return "en"
}

// detectLang returns the language a first message is clearly written in,
// or "": by the detect words of the language files ("hola", "necesito
// ayuda"), else by the words the flows use in only one language ("vi el
// numero, esto es pa gente q fuma mucho"): at least two of another
// language's, and more than twice as many as English's.
func (e *Engine) detectLang(m *understand.Message) string {
	en := e.flows.Lang("en")
	for _, code := range e.flow.Languages {
		if code == "en" {
			continue
		}
		if len(m.Doc(code).Find(text.ListDetect)) > 0 {
			return code
		}
		l := e.flows.Lang(code)
		theirs, ours := onlyKnown(m.Doc(code), l, en), onlyKnown(m.Doc("en"), en, l)
		if theirs >= 2 && theirs > 2*ours {
			return code
		}
	}
	return ""
}

// onlyKnown counts the words of d that the flows use in l and not in other.
func onlyKnown(d *text.Doc, l, other *text.Language) int {
	n := 0
	for _, tk := range d.Tokens {
		if l.Knows(tk.Word) && !other.Knows(tk.Word) {
			n++
		}
	}
	return n
}

// vars are the placeholder values for s.
func (e *Engine) vars(s *Session) map[string]string {
	return e.flow.Vars(s.Answers[e.flow.Audience], s.Lang, map[string]string{"{org}": e.org, "{phone}": e.phone})
}

// Summary renders the summary of a completed session, for SUMMARY and for
// staff.
func (e *Engine) Summary(s *Session) *Summary { return e.summarize(s) }

// turn is the handling of one message against one loaded session.
type turn struct {
	e   *Engine
	s   *Session
	in  Inbound
	out *Outcome
	msg *understand.Message
	// handled is what became of the message, for flows try; cands are a
	// clarify's candidates and answers every step the message filled.
	handled Handled
	cands   []string
	answers map[string]string
	// why collects what the parsers found, when someone asks (flows try).
	why *[]string
	// danger is what the danger check found in the message (urgent danger
	// never reaches a turn: it is answered before the store).
	danger understand.DangerReading
	// intent is what the texter asked, read once (asks).
	intent     understand.Intent
	intentRead bool
	// tail and tailN say that the last tailN replies are the current
	// question or the summary, which can be rendered again.
	tail  Tail
	tailN int
}

func (t *turn) say(r Reply) {
	t.out.Replies = append(t.out.Replies, r)
	t.tail, t.tailN = TailNone, 0
}

// tell says the flow's fixed text name.
func (t *turn) tell(name string) { t.say(Reply{Kind: ReplyMessage, Name: name, Text: t.text(name)}) }

// confirm asks the texter to confirm, with the fixed text name.
func (t *turn) confirm(name string) {
	t.say(Reply{Kind: ReplyConfirm, Name: name, Text: t.text(name)})
}

// replay puts in out the replies recorded for the newest message of s,
// rendering again the question or summary they ended with.
func (e *Engine) replay(s *Session, out *Outcome) {
	out.Replies = s.recorded()
	t := turn{e: e, s: s, out: out}
	switch s.LastTail {
	case TailQuestion:
		t.ask()
	case TailSummary:
		t.summary()
	}
}

func (t *turn) text(key string) string {
	vars := t.e.vars(t.s)
	n, m := t.e.progress(t.s, t.s.Step)
	vars["{n}"], vars["{m}"] = strconv.Itoa(n), strconv.Itoa(m)
	return flows.Fill(t.e.flow.Text(key, t.s.Lang), vars)
}

func (t *turn) event(ev Event) {
	ev.Flow = t.e.flow.ID
	ev.Lang = t.s.Lang
	t.out.Events = append(t.out.Events, ev)
}

// run handles the message in the order of precedence: carrier keywords,
// a handoff to staff, words of concern and the direct question, the first
// text of a conversation, the wait, assistant keywords, then the answer to
// the current step. Urgent danger never reaches a turn: it was answered
// before the session was loaded. Each case is its own function; the first
// that takes the message ends the turn.
func (t *turn) run() {
	t.fresh()
	t.weigh()
	for _, handle := range []func(*turn) bool{
		(*turn).carrier,
		(*turn).staff,
		(*turn).concerned,
		(*turn).opening,
		(*turn).attachment,
		(*turn).button,
		(*turn).waited,
		(*turn).keywords,
		(*turn).asking,
	} {
		if handle(t) {
			return
		}
	}
	t.answerStep()
}

// fresh starts afresh a stored conversation whose flow changed under it:
// its answers may no longer fit.
func (t *turn) fresh() {
	s, f := t.s, t.e.flow
	if s.Status != "" && (s.Flow != f.ID || s.FlowVersion != f.Version) && s.Status != StatusOptedOut && s.Status != StatusHandoff {
		lang := s.Lang
		s.erase()
		s.Lang = lang
	}
	if s.Answers == nil {
		s.Answers = map[string]string{}
	}
}

// carrier handles what carriers require: STOP, silence after it until
// START (or yes), and HELP.
func (t *turn) carrier() bool {
	s := t.s
	kw, _ := t.msg.Keyword()
	switch {
	case kw == understand.Stop && s.Status == StatusOptedOut:
		// One confirmation, then silence, even for another STOP.
	case kw == understand.Stop:
		t.optOut()
	case s.Status == StatusOptedOut:
		if kw == understand.Start || t.msg.Doc(s.Lang).Is(text.ListYes) {
			t.optIn()
		}
		// Otherwise silence: the texter said STOP.
	case kw == understand.Help:
		if s.Status == "" {
			t.begin()
		}
		if !t.in.CarrierReplied {
			t.tell("help")
		}
		t.ask()
	default:
		return false
	}
	return true
}

// staff passes the texts of a conversation in a handoff to staff, who also
// hear of words of concern; a DELETE, or the confirmation it waits for, is
// answered.
func (t *turn) staff() bool {
	s := t.s
	if kw, _ := t.msg.Keyword(); s.Status != StatusHandoff || kw == understand.Delete {
		return false
	}
	if t.danger.Tier == flows.TierConcern {
		t.event(Event{Kind: EventCrisis, Crisis: t.danger.Kind, Tier: flows.TierConcern, Layer: t.danger.Layer, Prob: t.danger.Prob})
		t.out.heard(t.in.Text)
	}
	if !t.waited() {
		t.relay()
	}
	return true
}

// concerned asks the direct question about words of concern (at the
// safety question they are its yes), and takes the answer to it.
func (t *turn) concerned() bool {
	s := t.s
	if t.danger.Tier == flows.TierUrgent {
		defer t.out.heard(t.in.Text)
		t.urgent(t.danger)
		return true
	}
	if t.danger.Tier == flows.TierCheck {
		if s.Status == "" {
			t.begin() // the question comes before the greeting
		}
		defer t.out.heard(t.in.Text)
		t.check(t.danger)
		return true
	}
	if t.danger.Tier != flows.TierConcern {
		kw, _ := t.msg.Keyword()
		switch {
		case kw != understand.NoKeyword:
			return false
		case s.For == WaitConcern || s.For == WaitNow:
			t.nowReply()
		case s.For == WaitCheck:
			t.checkReply()
		default:
			return false
		}
		return true
	}
	if s.Status == "" {
		t.begin() // the question comes before the greeting
	}
	defer t.out.heard(t.in.Text)
	if st := t.e.flow.Step(s.Step); st != nil && st.Safety && s.Status == StatusActive {
		// Words of concern in answer to the safety question are its yes.
		t.handled = HandledAnswered
		t.take(st, "yes")
		return true
	}
	t.concern(t.danger)
	return true
}

// opening greets a new conversation; what the first text says ("my son
// drinks every day") is kept for after the greeting.
func (t *turn) opening() bool {
	if t.s.Status != "" {
		return false
	}
	t.begin()
	t.note(nil)
	if t.in.Media > 0 && t.msg.Empty() {
		t.tell("media")
	}
	switch kw, asked := t.msg.Keyword(); kw {
	case understand.Call, understand.Delete, understand.Language:
		t.keyword(kw, asked)
	default:
		t.ask()
	}
	return true
}

// attachment answers a picture or a file with no words: text only.
func (t *turn) attachment() bool {
	if t.in.Media == 0 || !t.msg.Empty() {
		return false
	}
	t.tell("media")
	t.ask()
	return true
}

// button takes a typed answer.
func (t *turn) button() bool {
	if t.in.Answer == nil {
		return false
	}
	t.typed(t.in.Answer)
	return true
}

// waits are the replies to each kind of wait a confirmation starts; each
// reports whether the message was one. A clarify question is answered
// with the step (answerStep).
var waits = map[Waiting]func(*turn) bool{
	WaitDelete:  (*turn).deleteReply,
	WaitStart:   (*turn).startReply,
	WaitChange:  (*turn).changeReply,
	WaitConcern: func(*turn) bool { return false },
	WaitCheck:   func(*turn) bool { return false },
	WaitNow:     func(*turn) bool { return false },
}

// waited handles a reply to the confirmation the conversation waits for;
// a message that is not one drops the wait.
func (t *turn) waited() bool {
	reply, ok := waits[t.s.For]
	if !ok {
		return false
	}
	t.s.Wait.done()
	return reply(t)
}

// keywords handles START (continue or start over) and the assistant's
// keywords; after the summary, anything else gets the closing line.
func (t *turn) keywords() bool {
	s := t.s
	kw, asked := t.msg.Keyword()
	switch {
	case kw == understand.Start && len(s.History) > 0:
		s.Wait.wait(WaitStart)
		t.confirm("start")
	case kw != understand.NoKeyword && kw != understand.Start:
		t.keyword(kw, asked)
	case s.Status == StatusCompleted && t.asks().Category == "":
		t.tell("done")
	default:
		return false
	}
	return true
}

// answerStep reads the message as the answer to the current step; a reply
// to the greeting in another language switches to it.
func (t *turn) answerStep() {
	s := t.s
	if st := t.e.flow.Step(s.Step); st != nil && !st.Question() && len(s.History) == 0 {
		if lang := t.e.detectLang(t.msg); lang != "" && lang != s.Lang {
			s.Lang = lang
			t.msg = t.msg.As(lang)
		}
	}
	t.answer()
}

// typed takes a typed answer for the current step as it is. One for
// another step (a button of an older question) changes nothing: the
// current question is asked again.
func (t *turn) typed(a *Answer) {
	s := t.s
	st := t.e.flow.Step(s.Step)
	if s.Status == StatusCompleted {
		t.tell("done")
		return
	}
	if st == nil || a.Step != st.ID {
		t.ask()
		return
	}
	value, ok := typedValue(st, a.Values)
	if !ok {
		t.ask()
		return
	}
	s.Wait = Wait{}
	t.handled = HandledAnswered
	t.take(st, value)
}

// typedValue returns the answer values make for st, if they are its own.
func typedValue(st *flows.Step, values []string) (string, bool) {
	valid := st.Values()
	for _, v := range values {
		if !slices.Contains(valid, v) {
			return "", false
		}
	}
	if st.Kind == flows.KindMulti {
		return understand.Combine(st, values)
	}
	if len(values) != 1 {
		return "", false
	}
	return values[0], true
}

// limited counts the message against the conversation's rate and reports
// whether it is over: the first message over is answered with a request to
// slow down, the rest in that minute with nothing.
func (t *turn) limited() bool {
	s, rate := t.s, t.e.rate
	if rate <= 0 || s.Status == StatusOptedOut {
		return false
	}
	win := t.in.Time.Unix() / 60
	if s.RateWin != win {
		s.RateWin, s.RateN, s.RateWarned = win, 0, false
	}
	s.RateN++
	if s.RateN <= rate {
		return false
	}
	if s.Lang == "" {
		s.Lang = t.e.pickLang(t.in.Lang)
	}
	if !s.RateWarned {
		s.RateWarned = true
		t.tell("slow_down")
	}
	return true
}

// FixedText returns the flow's fixed text name in lang, for a channel that
// must answer without the store (the line is overloaded).
func (e *Engine) FixedText(name, lang string) string {
	return e.render(e.flow.Texts[name], lang, nil)
}

// render fills text's placeholders for the conversation s (nil for none)
// in lang, or in English when the flows do not speak lang: the one way a
// text the engine says gets its language and its values.
func (e *Engine) render(text flows.Text, lang string, s *Session) string {
	lang = e.pickLang(lang)
	v := Session{Lang: lang}
	if s != nil {
		v.Answers = s.Answers
	}
	return flows.Fill(text.In(lang), e.vars(&v))
}

// begin starts a new conversation at the greeting, in the language already
// chosen, the one the channel asks for, or the one the message is written in.
func (t *turn) begin() {
	s, f := t.s, t.e.flow
	lang := t.e.pickLang(s.Lang, t.in.Lang, t.e.detectLang(t.msg))
	*s = Session{
		Screening: Screening{Flow: f.ID, FlowVersion: f.Version, Step: f.Steps[0].ID, Answers: map[string]string{}, Started: t.in.Time.Unix()},
		Lang:      lang,
		Status:    StatusActive,
		Limits:    s.Limits,
		Replay:    Replay{IDs: s.IDs, Seen: s.Seen},
		Version:   s.Version,
	}
}

// optOut stops every message to the texter. The answers stay for the rest
// of the session TTL, so START can offer to continue; the carrier's own
// opt-out list is what blocks messages after that.
func (t *turn) optOut() {
	t.s.Status = StatusOptedOut
	t.s.Wait.done()
	if !t.in.CarrierReplied {
		t.tell("stop")
	}
	t.event(Event{Kind: EventOptOut})
}

// optIn welcomes a texter back after STOP and asks whether to continue or
// start over; it never resumes silently.
func (t *turn) optIn() {
	t.event(Event{Kind: EventOptIn})
	if !t.in.CarrierReplied {
		t.tell("subscribed")
	}
	if len(t.s.History) == 0 || t.s.Step == "" {
		t.begin()
		t.ask()
		return
	}
	t.s.Status = StatusActive
	t.s.Wait.wait(WaitStart)
	t.confirm("start")
}

// deleteReply takes the answer to "erase everything?".
func (t *turn) deleteReply() bool {
	s := t.s
	yn, ok := understand.YesNo(t.msg.Doc(s.Lang))
	if kw, _ := t.msg.Keyword(); !ok && kw == understand.Delete {
		yn, ok = "yes", true
	}
	switch {
	case !ok:
		return false
	case yn == "yes":
		lang := s.Lang
		s.erase()
		t.event(Event{Kind: EventErased})
		s.Lang = lang
		t.tell("deleted")
		s.Lang = ""
	default:
		t.tell("delete_kept")
		t.ask()
	}
	return true
}

// startReply takes the answer to "continue or start over?".
func (t *turn) startReply() bool {
	d := t.msg.Doc(t.s.Lang)
	nums, _ := understand.LeadingNumbers(d, 2)
	yn, _ := understand.YesNo(d)
	kw, _ := t.msg.Keyword()
	switch {
	case len(nums) == 1 && nums[0] == 1, yn == "yes", d.Is(text.ListContinue):
		t.welcomeBack()
	case len(nums) == 1 && nums[0] == 2, kw == understand.Restart:
		t.restart()
	default:
		return false
	}
	return true
}

func (t *turn) keyword(kw understand.Keyword, asked string) {
	s := t.s
	switch kw {
	case understand.Restart:
		t.restart()
	case understand.Back:
		if len(s.History) == 0 {
			t.tell("back_none")
			t.ask()
			return
		}
		last := s.History[len(s.History)-1]
		s.History = s.History[:len(s.History)-1]
		delete(s.Answers, last)
		s.Filled = slices.DeleteFunc(s.Filled, func(id string) bool { return id == last })
		s.Step, s.Status, s.Misses, s.Clarified = last, StatusActive, 0, ""
		s.Wait = Wait{}
		t.ask()
	case understand.Summary:
		if s.Status == StatusCompleted {
			t.summary()
			return
		}
		t.tell("summary_not_yet")
		t.ask()
	case understand.Call:
		s.Handoff = t.in.Time.Unix()
		t.out.Handoff = t.e.handoffInfo(s)
		t.event(Event{Kind: EventHandoff, Step: s.Step, Handoff: t.out.Handoff})
		if t.e.handoffs {
			s.Before, s.Relays, s.Status = s.Status, 0, StatusHandoff
		}
		t.tell("call")
	case understand.Delete:
		s.Wait.wait(WaitDelete)
		t.confirm("delete_confirm")
	case understand.Language:
		lang := asked
		if lang == "" || t.e.pickLang(lang) != lang {
			// A language the flows do not speak yet: read it as an answer.
			t.answer()
			return
		}
		s.Lang = lang
		if s.Status == StatusCompleted {
			t.summary()
			return
		}
		t.ask()
	}
}

// relay passes the texter's message to the staff member handling their
// handoff; the first is acknowledged, the rest go quietly.
func (t *turn) relay() {
	if t.in.Media > 0 && t.msg.Empty() {
		t.tell("media")
		return
	}
	t.out.Relay = t.in.Text
	t.event(Event{Kind: EventRelayed, Text: t.in.Text})
	t.s.Relays++
	if t.s.Relays == 1 {
		t.tell("relayed")
	}
}

// handoffInfo is what staff see of s.
func (e *Engine) handoffInfo(s *Session) *Handoff {
	h := &Handoff{Lang: s.Lang, Step: s.Step}
	as := Assess(e.flow, e.flows.Criteria, s.Answers)
	if s.Status == StatusCompleted {
		h.Lean = as.Lean
	} else {
		h.N, h.M = e.progress(s, s.Step)
	}
	for _, in := range as.Held {
		h.Findings = append(h.Findings, in.Criterion.In("en"))
	}
	return h
}

// EndHandoff hands the conversation back to the assistant after staff
// close a handoff, and returns the text to send the texter (in their
// language), or "" when no handoff was open.
func (e *Engine) EndHandoff(ctx context.Context, key Key) (string, error) {
	text := ""
	err := e.change(ctx, key, func(s *Session) bool {
		text = ""
		if s.Status != StatusHandoff {
			return false
		}
		s.Status, s.Before, s.Relays = s.Before, "", 0
		if s.Status == "" {
			s.Status = StatusActive
		}
		text = e.render(e.flow.Texts["handoff_closed"], s.Lang, s)
		return true
	})
	return text, err
}

// BeginHandoff puts the conversation in staff hands without a CALL (a staff
// member claimed a crisis alert): the texter's texts go to staff until the
// handoff is closed.
func (e *Engine) BeginHandoff(ctx context.Context, key Key, lang string) error {
	return e.change(ctx, key, func(s *Session) bool {
		if s.Status == StatusHandoff || s.Status == StatusOptedOut {
			return false
		}
		if s.Status == "" {
			*s = Session{
				Screening: Screening{Flow: e.flow.ID, FlowVersion: e.flow.Version, Step: e.flow.Steps[0].ID, Answers: map[string]string{}},
				Lang:      e.pickLang(lang), Status: StatusActive,
				Replay: Replay{IDs: s.IDs, Seen: s.Seen, Updated: s.Updated}, Version: s.Version,
			}
		}
		s.Wait.done()
		s.Staff = Staff{Before: s.Status}
		s.Status = StatusHandoff
		return true
	})
}

// Urgent reports whether text must be handled even when the line is
// flooded: danger, or a way of saying STOP.
func (e *Engine) Urgent(text string) bool {
	if e.crisis.Check(text, "").Tier != "" {
		return true
	}
	kw, _ := understand.NewMessage(e.flows, text, "en").Keyword()
	return kw == understand.Stop
}

// HelpText returns the answer to HELP when text is HELP in any language the
// flows speak (HELP, INFO, AYUDA), in that language, without the store; ""
// otherwise. Carriers require HELP answered even when the line is flooded.
func (e *Engine) HelpText(text string) string {
	kw, lang := understand.NewMessage(e.flows, text, "en").Keyword()
	if kw != understand.Help {
		return ""
	}
	return e.FixedText("help", lang)
}

// MarkOptedOut records that the carrier refuses messages to the texter
// (Twilio error 21610): they opted out outside the conversation.
func (e *Engine) MarkOptedOut(ctx context.Context, key Key) error {
	return e.change(ctx, key, func(s *Session) bool {
		if s.Status == StatusOptedOut {
			return false
		}
		s.Status = StatusOptedOut
		s.Wait.done()
		return true
	})
}

// LastHeard returns when the texter at key last wrote (zero if the
// conversation is gone), for channels that may only answer for a while
// after it (WhatsApp's 24 hours).
func (e *Engine) LastHeard(ctx context.Context, key Key) (time.Time, error) {
	s, err := e.store.Load(ctx, key)
	if err != nil || s.Updated == 0 {
		return time.Time{}, err
	}
	return time.Unix(s.Updated, 0), nil
}

// change applies fn to the session at key under the conversation's lock,
// writing only when fn reports a change.
func (e *Engine) change(ctx context.Context, key Key, fn func(*Session) bool) error {
	unlock, err := e.locks.lock(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	return e.store.Update(ctx, key, func(s *Session) error {
		if !fn(s) {
			return ErrNoWrite
		}
		s.TTL = e.ttl
		return nil
	})
}

// Text returns the fixed text key in the language of the conversation at
// key, for messages the system starts (a staff member claimed a handoff).
func (e *Engine) Text(ctx context.Context, key Key, name string) (string, error) {
	s, err := e.store.Load(ctx, key)
	if err != nil {
		return "", err
	}
	return e.render(e.flow.Texts[name], s.Lang, s), nil
}

// restart clears the answers and asks the first question again.
func (t *turn) restart() {
	s := t.s
	s.Screening.restart(t.e.firstQID)
	s.Wait = Wait{}
	s.Status = StatusActive
	t.tell("restart")
	t.event(Event{Kind: EventStarted})
	t.event(Event{Kind: EventStep, Step: s.Step}) // counted as reached, as after the greeting
	t.ask()
}

func (t *turn) welcomeBack() {
	if st := t.e.flow.Step(t.s.Step); st != nil && st.Question() {
		t.tell("welcome_back")
	}
	t.ask()
}

func (t *turn) summary() {
	sum := t.e.summarize(t.s)
	t.say(Reply{Kind: ReplySummary, Text: strings.Join(sum.Messages, "\n\n"), Summary: sum})
	t.tail, t.tailN = TailSummary, 1
}

// ask sends the current step's question, with progress.
func (t *turn) ask() {
	s, f := t.s, t.e.flow
	st := f.Step(s.Step)
	if st == nil {
		return
	}
	n, m := t.e.progress(s, st.ID)
	vars := t.e.vars(s)
	vars["{n}"], vars["{m}"] = strconv.Itoa(n), strconv.Itoa(m)
	if noted := s.Fill[st.ID]; noted != "" && st.Kind == flows.KindMulti {
		// Named in part earlier: shown, never taken as the whole answer.
		t.say(Reply{Kind: ReplyMessage, Name: "noted", Text: strings.ReplaceAll(t.text("noted"), "{answer}", t.said(st, noted))})
	}
	a := f.Ask(st, s.Lang, vars)
	q := &Question{Step: st.ID, Kind: st.Kind, Progress: a.Progress, Text: a.Text, Scale: a.Scale, Offer: a.Offer}
	for i, v := range st.Values() {
		label := v
		if i < len(a.Labels) {
			label = a.Labels[i]
		}
		q.Choices = append(q.Choices, Choice{Number: i + 1, Value: v, Label: label})
	}
	t.say(Reply{Kind: ReplyQuestion, Text: q.String(), Question: q})
	t.tail, t.tailN = TailQuestion, 1
}

// next returns the step after st answered with value, skipping steps whose
// condition does not hold, or "end".
func (e *Engine) next(s *Session, st *flows.Step, value string) string {
	a := newAnswers(e.flow, e.flows.Criteria, s.Answers)
	id := e.flow.NextOf(st, value)
	for guard := 0; guard <= len(e.flow.Steps); guard++ {
		cur := e.flow.Step(id)
		if cur == nil {
			return flows.End
		}
		if cur.When.Holds(a) {
			return id
		}
		id = e.flow.NextOf(cur, "")
	}
	return flows.End
}

// progress returns the position of step id among the questions that apply
// to s, and how many apply. A question whose condition is not known yet is
// counted, so the count only ever goes down.
func (e *Engine) progress(s *Session, id string) (n, m int) {
	f := e.flow
	a := newAnswers(f, e.flows.Criteria, s.Answers)
	a.skipped = map[string]bool{}
	cur := f.Steps[0].ID
	for guard := 0; guard <= len(f.Steps) && cur != flows.End; guard++ {
		st := f.Step(cur)
		if st == nil {
			break
		}
		applies := st.When.Unknown(a) || st.When.Holds(a)
		if !applies {
			a.skipped[st.ID] = true
		}
		if v, filled := s.Fill[st.ID]; filled && st.Kind != flows.KindMulti && st.ID != id || slices.Contains(s.Filled, st.ID) {
			// Answered in an earlier text: skipped, not counted.
			if !filled {
				v = s.Answers[st.ID]
			}
			cur = f.NextOf(st, v)
			continue
		}
		if applies && st.Question() {
			m++
			if st.ID == id {
				n = m
			}
		}
		v := ""
		if applies {
			v = s.Answers[st.ID]
		}
		cur = f.NextOf(st, v)
	}
	return n, m
}
