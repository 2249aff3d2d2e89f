// Package twilio is what the SMS and WhatsApp channels share, both being
// Twilio Messaging: the incoming-message webhook (size, signature over the
// raw body, form), TwiML replies, splitting long replies at sentences, and
// a REST sender for messages the system starts.
package twilio

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/twilio/twilio-go/client"
	"github.com/twilio/twilio-go/twiml"
)

// MaxRequest bounds a webhook body: Twilio's own fields with a 1600
// character body fit under it even when every character is an emoji
// (about 19 KB once form-encoded).
const MaxRequest = 64 << 10

// MaxBody is Twilio's limit for one message body, in characters.
const MaxBody = 1600

// Message is an incoming message as Twilio's Messaging webhook posts it.
type Message struct {
	// From and To are E.164 numbers, or "whatsapp:+1..." on WhatsApp.
	From, To string
	Body     string
	SID      string
	Media    int
	// OptOut is set when Twilio's Advanced Opt-Out already answered a
	// STOP, START or HELP.
	OptOut bool
}

// Webhook reads Twilio's Messaging webhook requests.
type Webhook struct {
	AuthToken string
	// PublicURL is the base URL Twilio signed (HELPLINE_PUBLIC_URL); it
	// differs from r.Host behind a proxy.
	PublicURL string
	// Insecure skips the signature check (helpline serve --dev only).
	Insecure bool
	Log      *slog.Logger
}

// Read checks the signature over the raw body before anything else and
// decodes the message. When it reports false it has answered the request
// (405, 413, 400 or 403); Twilio is never answered 5xx, which it would
// retry.
func (h *Webhook) Read(w http.ResponseWriter, r *http.Request) (Message, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return Message{}, false
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequest))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.Log.Warn("webhook body too large", "limit", MaxRequest)
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return Message{}, false
		}
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return Message{}, false
	}
	if !h.Insecure {
		rv := client.NewRequestValidator(h.AuthToken)
		if !rv.ValidateBody(h.PublicURL+r.URL.RequestURI(), raw, r.Header.Get("X-Twilio-Signature")) {
			h.Log.Warn("webhook signature rejected", "path", r.URL.Path)
			http.Error(w, "invalid signature", http.StatusForbidden)
			return Message{}, false
		}
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return Message{}, false
	}
	m := Message{From: form.Get("From"), To: form.Get("To"), Body: form.Get("Body"), SID: form.Get("MessageSid"),
		OptOut: form.Get("OptOutType") != ""}
	if m.From == "" {
		http.Error(w, "no From", http.StatusBadRequest)
		return Message{}, false
	}
	if m.SID == "" {
		m.SID = form.Get("SmsSid")
	}
	m.Media, _ = strconv.Atoi(form.Get("NumMedia"))
	return m, true
}

// Reply answers the webhook with TwiML sending bodies, in order; none
// answers with an empty response (nothing is sent).
func Reply(w http.ResponseWriter, bodies []string, log *slog.Logger) {
	elems := make([]twiml.Element, 0, len(bodies))
	for _, b := range bodies {
		elems = append(elems, &twiml.MessagingMessage{Body: b})
	}
	doc, err := twiml.Messages(elems)
	if err != nil {
		// A reply that cannot be rendered is still answered, emptily.
		log.Error("render TwiML", "err", err.Error())
		doc = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	io.WriteString(w, doc)
}
