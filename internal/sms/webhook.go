// Package sms is the SMS channel: Twilio's incoming-message webhook
// decoded into the one channel path, replies shaped to SMS rules (GSM-7,
// segments), and the same shaping for what staff text a texter.
package sms

import (
	"context"
	"net/http"
	"strings"
	"time"

	"helpline/bot"
	"helpline/internal/channel"
	"helpline/internal/twilio"
)

// Channel is this channel's name on the path, in metrics and statistics.
const Channel = "sms"

// Handler serves Twilio's incoming-message webhook for SMS.
type Handler struct {
	twilio.Webhook
	Path *channel.Path
	// Unicode sends characters outside GSM-7 as they are.
	Unicode bool
}

// ServeHTTP reads the signed webhook, takes the text through the path and
// answers with the replies as TwiML. A message from another of Twilio's
// channels ("whatsapp:+1...") is refused: its sender's webhook points at
// the wrong route, and taken here it would be shaped and answered as SMS.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m, ok := h.Read(w, r)
	if !ok {
		return
	}
	if prefix, _, found := strings.Cut(m.From, ":"); found {
		h.Log.Warn("sms webhook: sender is not a phone number; point that sender's webhook at its own route",
			"path", r.URL.Path, "channel", prefix)
		http.Error(w, "not an SMS message", http.StatusBadRequest)
		return
	}
	t := h.Path.Handle(r.Context(), Channel, m.From, bot.Inbound{
		Text: m.Body, MessageID: m.SID, Media: m.Media, CarrierReplied: m.OptOut,
	})
	twilio.Reply(w, Shape(t.Outcome.Texts(), h.Unicode), h.Log)
}

// Texter texts a texter on SMS what the system starts (staff replies,
// handoff notices), shaped as the assistant's own replies are.
type Texter struct {
	Sender  *twilio.Sender
	Unicode bool
}

// Shape splits text into the messages SMS sends.
func (t Texter) Shape(text string) []string { return Shape([]string{text}, t.Unicode) }

// Send texts one message to the number to.
func (t Texter) Send(ctx context.Context, to, body string) error {
	return t.Sender.Send(ctx, to, body)
}

// Window is how long after the texter's last message they may be texted:
// SMS has no such limit.
func (Texter) Window() time.Duration { return 0 }
