// Package whatsapp is the WhatsApp channel, through Twilio: the same
// Messaging webhook as SMS with addresses written "whatsapp:+1...",
// decoded into the one channel path. Replies keep their accents and are
// not cut into SMS segments, only into messages of at most 1600
// characters; what staff send is held to WhatsApp's 24-hour customer
// service window.
package whatsapp

import (
	"context"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"helpline/bot"
	"helpline/internal/channel"
	"helpline/internal/twilio"
)

// Channel is this channel's name on the path, in metrics and statistics.
const Channel = "whatsapp"

// Prefix starts every WhatsApp address Twilio posts and sends to.
const Prefix = "whatsapp:"

// Window is WhatsApp's customer service window: a business may send
// free-form messages until 24 hours after the person's last message;
// after it only approved templates, which this service does not send.
const Window = 24 * time.Hour

// Handler serves Twilio's incoming-message webhook for a WhatsApp sender.
type Handler struct {
	twilio.Webhook
	Path *channel.Path
}

// ServeHTTP reads the signed webhook, takes the message through the path
// and answers with the replies as TwiML. A message whose sender is not a
// WhatsApp address is refused: it was posted to the wrong route, and its
// conversation would be the SMS one.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m, ok := h.Read(w, r)
	if !ok {
		return
	}
	if !strings.HasPrefix(m.From, Prefix) {
		h.Log.Warn("whatsapp webhook: sender is not a WhatsApp address", "path", r.URL.Path)
		http.Error(w, "not a WhatsApp message", http.StatusBadRequest)
		return
	}
	t := h.Path.Handle(r.Context(), Channel, m.From, bot.Inbound{Text: m.Body, MessageID: m.SID, Media: m.Media})
	twilio.Reply(w, Shape(t.Outcome.Texts()), h.Log)
}

// Shape makes replies fit WhatsApp: as written, accents and all, with a
// message over 1600 characters split at sentences.
func Shape(replies []string) []string {
	out := make([]string, 0, len(replies))
	for _, r := range replies {
		out = append(out, twilio.Split(r, fits)...)
	}
	return out
}

func fits(s string) bool { return utf8.RuneCountInString(s) <= twilio.MaxBody }

// Texter sends a texter on WhatsApp what the system starts (staff replies,
// handoff notices), shaped as the assistant's own replies are.
type Texter struct{ Sender *twilio.Sender }

// Shape splits text into the messages WhatsApp sends.
func (Texter) Shape(text string) []string { return Shape([]string{text}) }

// Send sends one message to the WhatsApp address to.
func (t Texter) Send(ctx context.Context, to, body string) error { return t.Sender.Send(ctx, to, body) }

// Window is how long after the texter's last message they may be sent a
// free-form message.
func (Texter) Window() time.Duration { return Window }
