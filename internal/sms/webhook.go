// Package sms is the Twilio channel: the incoming-message webhook (signature
// check first, then the engine, then TwiML), the shaping of replies to SMS
// rules, and a REST sender for texts the system starts.
package sms

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/twilio/twilio-go/client"
	"github.com/twilio/twilio-go/twiml"

	"helpline/bot"
)

// MaxRequest bounds a webhook body: Twilio's own fields with a 1600
// character body fit under it even when every character is an emoji
// (about 19 KB once form-encoded).
const MaxRequest = 64 << 10

type engine interface {
	Handle(ctx context.Context, in bot.Inbound) (bot.Outcome, error)
	FixedText(name, lang string) string
	Urgent(text string) bool
	HelpText(text string) string
}

// recent is the part of the session store that knows, without a read,
// which conversations this process served lately.
type recent interface {
	Recent(key bot.Key) bool
}

// Observer is told about every turn, for metrics.
type Observer interface {
	Observe(channel string, out bot.Outcome, err error, took time.Duration)
}

// Handoffs receives every outcome with the texter's number, to start
// handoffs, raise crisis alerts and relay texts to staff.
type Handoffs interface {
	Observe(ctx context.Context, key bot.Key, number, msgID string, out bot.Outcome) error
}

// Handler serves Twilio's incoming-message webhook.
type Handler struct {
	Engine    engine
	AuthToken string
	// PublicURL is the base URL Twilio signed (HELPLINE_PUBLIC_URL); it
	// differs from r.Host behind a proxy.
	PublicURL string
	// Secret keys the HMAC of phone numbers.
	Secret []byte
	// Unicode sends characters outside GSM-7 as they are.
	Unicode bool
	// Insecure skips the signature check (helpline serve --dev only).
	Insecure bool
	// Global bounds the messages the whole line answers per second on this
	// process, and each number's share of it; nil for no bound.
	Global *Limiter
	// Recent reports, without a store read, whether this process served a
	// conversation lately: past the line's limit only those are told the
	// line is busy; a new number's text gets no answer at all (a refusal
	// is a billed text, which is what SMS pumping wants). Nil: none is.
	Recent   recent
	Log      *slog.Logger
	Metrics  Observer
	Handoffs Handoffs
}

// ServeHTTP checks the signature over the raw body before anything else,
// hands the text to the engine and answers with TwiML. It never answers 5xx:
// Twilio would retry, and the texter would hear nothing.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequest))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.Log.Warn("webhook body too large", "limit", MaxRequest)
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	if !h.Insecure {
		rv := client.NewRequestValidator(h.AuthToken)
		if !rv.ValidateBody(h.PublicURL+r.URL.RequestURI(), raw, r.Header.Get("X-Twilio-Signature")) {
			h.Log.Warn("webhook signature rejected", "path", r.URL.Path)
			http.Error(w, "invalid signature", http.StatusForbidden)
			return
		}
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	from := form.Get("From")
	if from == "" {
		http.Error(w, "no From", http.StatusBadRequest)
		return
	}
	key := bot.NewKey(h.Secret, from)
	sid := form.Get("MessageSid")
	if sid == "" {
		sid = form.Get("SmsSid")
	}
	media, _ := strconv.Atoi(form.Get("NumMedia"))
	in := bot.Inbound{
		Channel:        "sms",
		Key:            key,
		Text:           form.Get("Body"),
		MessageID:      sid,
		Time:           start,
		Media:          media,
		CarrierReplied: form.Get("OptOutType") != "",
	}

	// Danger and STOP always reach the engine and never spend the line's
	// budget; a number past its share of the budget goes to the engine's own
	// per-number limit without spending it either. Whether a text is danger
	// is asked only when the line is busy: otherwise the token it took is
	// given back once the engine has answered it as danger or STOP.
	admitted := false
	if h.Global != nil {
		switch h.Global.Admit(key) {
		case Busy:
			if !h.Engine.Urgent(in.Text) {
				h.refuse(w, key, in)
				return
			}
		case Admitted:
			admitted = true
		}
	}

	out, err := h.Engine.Handle(r.Context(), in)
	if admitted && urgentOutcome(out) {
		h.Global.Refund(key)
	}
	took := time.Since(start)
	if h.Metrics != nil {
		h.Metrics.Observe("sms", out, err, took)
	}
	attrs := []any{"conv", string(key), "took", took, "replies", len(out.Replies)}
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
	if err != nil {
		h.Log.Error("turn failed; apologised", append(attrs, "err", err.Error())...)
	} else {
		h.Log.Info("turn", attrs...)
	}
	if h.Handoffs != nil && !out.Duplicate {

		if err := h.Handoffs.Observe(context.WithoutCancel(r.Context()), key, from, sid, out); err != nil {
			h.Log.Error("handoff enqueue failed", "conv", string(key), "err", err.Error())
		}
	}
	h.write(w, out.Texts())
}

// refuse answers a text past the line's limit without touching the store:
// HELP gets its answer (carriers require it), a conversation this process
// served lately gets one polite line a minute, anyone else nothing.
func (h *Handler) refuse(w http.ResponseWriter, key bot.Key, in bot.Inbound) {
	var replies []string
	answer, help := "none", h.Engine.HelpText(in.Text)
	switch {
	case help != "":
		answer = "help"
		if !in.CarrierReplied {
			replies = []string{help}
		}
	case h.Recent != nil && h.Recent.Recent(key):
		answer = "busy"
		if h.Global.FirstRefusal(key) {
			replies = []string{h.Engine.FixedText("busy", "")}
		}
	}
	h.Log.Warn("global rate limit", "conv", string(key), "answer", answer)
	h.write(w, replies)
}

func (h *Handler) write(w http.ResponseWriter, replies []string) {
	shaped := Shape(replies, h.Unicode)
	elems := make([]twiml.Element, 0, len(shaped))
	for _, m := range shaped {
		elems = append(elems, &twiml.MessagingMessage{Body: m})
	}
	doc, err := twiml.Messages(elems)
	if err != nil {
		// A reply that cannot be rendered is still answered, emptily.
		h.Log.Error("render TwiML", "err", err.Error())
		doc = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	io.WriteString(w, doc)
}

// Limiter bounds how many texts a second this process answers for the
// whole line (SMS pumping is real), and how much of that one number may
// spend: a number's share a minute, so that one number, however fast it
// writes, cannot use the line up for everyone else. It also remembers
// which conversations were told the line is busy in the current minute.
// It holds at most maxTracked numbers a minute.
type Limiter struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
	share  int
	window int64
	spent  map[bot.Key]int // tokens each number took this minute
	told   map[bot.Key]struct{}
	// Now is the clock; time.Now by default.
	Now func() time.Time
}

// maxTracked bounds the numbers a Limiter counts in a minute; past it, new
// numbers are held to the line's budget alone.
const maxTracked = 100_000

// Verdicts of Admit.
type Verdict int

const (
	// Admitted: the text took one of the line's tokens.
	Admitted Verdict = iota
	// OverShare: the number spent its share of the line this minute; its
	// text goes on without spending the line's budget, to the engine's own
	// per-number limit.
	OverShare
	// Busy: the line's budget is spent.
	Busy
)

// NewLimiter allows perSecond texts a second, with bursts of twice that,
// of which one number may spend perNumber a minute (and never more than
// half a burst); perNumber 0 sets no share.
func NewLimiter(perSecond float64, perNumber int) *Limiter {
	share := perNumber
	if share > 0 {
		share = min(share, max(1, int(perSecond)))
	}
	return &Limiter{rate: perSecond, burst: 2 * perSecond, tokens: 2 * perSecond, share: share,
		spent: map[bot.Key]int{}, told: map[bot.Key]struct{}{}, Now: time.Now}
}

// Admit decides a text from key: it takes one of the line's tokens if the
// number has not spent its share this minute and one is left.
func (l *Limiter) Admit(key bot.Key) Verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	l.roll(now)
	if l.share > 0 && l.spent[key] >= l.share {
		return OverShare
	}
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	}
	l.last = now
	if l.tokens < 1 {
		return Busy
	}
	l.tokens--
	if _, ok := l.spent[key]; l.share > 0 && (ok || len(l.spent) < maxTracked) {
		l.spent[key]++
	}
	return Admitted
}

// Refund gives back the token key's text took: it turned out to be danger
// or STOP, which never spend the line's budget or the number's share.
func (l *Limiter) Refund(key bot.Key) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tokens = min(l.burst, l.tokens+1)
	if n, ok := l.spent[key]; ok && n > 0 {
		l.spent[key] = n - 1
	}
}

// urgentOutcome reports whether the engine answered a text as danger or
// STOP: what Engine.Urgent would have said of it.
func urgentOutcome(out bot.Outcome) bool {
	for _, ev := range out.Events {
		if ev.Kind == bot.EventCrisis || ev.Kind == bot.EventConcern || ev.Kind == bot.EventOptOut {
			return true
		}
	}
	return false
}

// roll starts a new minute's counts.
func (l *Limiter) roll(now time.Time) {
	if win := now.Unix() / 60; win != l.window {
		l.window, l.spent, l.told = win, map[bot.Key]int{}, map[bot.Key]struct{}{}
	}
}

// FirstRefusal reports whether key has not been told the line is busy in
// this minute, and remembers that it now has.
func (l *Limiter) FirstRefusal(key bot.Key) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(l.Now())
	if _, ok := l.told[key]; ok {
		return false
	}
	if len(l.told) < maxTracked {
		l.told[key] = struct{}{}
	}
	return true
}
