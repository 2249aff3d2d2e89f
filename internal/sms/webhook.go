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
	// process; nil for no bound.
	Global   *Limiter
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

	if h.Global != nil && !h.Global.Allow() && !h.Engine.Urgent(in.Text) {
		// The line is flooded: one polite answer per number and minute,
		// without touching the store.
		var replies []string
		if h.Global.FirstRefusal(key, start) {
			replies = []string{h.Engine.FixedText("busy", "")}
		}
		h.Log.Warn("global rate limit", "conv", string(key))
		h.write(w, replies)
		return
	}

	out, err := h.Engine.Handle(r.Context(), in)
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
	h.write(w, out.Replies)
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

// Limiter bounds how many messages per second this process answers for the
// whole line (SMS pumping is real), and remembers which numbers were already
// told the line is busy in the current minute.
type Limiter struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
	told   map[bot.Key]struct{}
	window int64
	now    func() time.Time
}

// NewLimiter allows perSecond messages a second, with bursts of twice that.
func NewLimiter(perSecond float64) *Limiter {
	return &Limiter{rate: perSecond, burst: 2 * perSecond, tokens: 2 * perSecond, told: map[bot.Key]struct{}{}, now: time.Now}
}

// Allow takes one token if there is one.
func (l *Limiter) Allow() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	}
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}

// FirstRefusal reports whether key has not been told the line is busy in
// this minute, and remembers that it now has.
func (l *Limiter) FirstRefusal(key bot.Key, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	win := now.Unix() / 60
	if win != l.window {
		l.window, l.told = win, map[bot.Key]struct{}{}
	}
	if _, ok := l.told[key]; ok {
		return false
	}
	l.told[key] = struct{}{}
	return true
}
