package twilio

import (
	"cmp"
	"net/http"
	"strings"

	"helpline/bot"
	"helpline/internal/channel"
)

// Route serves the incoming-message webhook of one of Twilio's channels:
// it reads the signed request, refuses a sender of another channel, takes
// the message through the path and answers with the replies, shaped by
// the channel, as TwiML.
type Route struct {
	Webhook
	Path *channel.Path
	// Channel is the channel's name on the path.
	Channel string
	// Prefix starts every sender's address on the channel ("whatsapp:");
	// empty for SMS, whose senders are bare phone numbers.
	Prefix string
	// Shape makes the replies fit the channel's messages.
	Shape func(replies []string) []string
}

// ServeHTTP takes one message. A sender whose address is of another
// channel is answered 400 with a log line: its webhook points at the wrong
// route, and taken here it would be answered as this channel, in another
// conversation.
func (h *Route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m, ok := h.Read(w, r)
	if !ok {
		return
	}
	if prefix := addressPrefix(m.From); prefix != h.Prefix {
		h.Log.Warn("webhook: the sender is of another channel; point that sender's webhook at its own route",
			"path", r.URL.Path, "channel", h.Channel, "sender_channel", strings.TrimSuffix(cmp.Or(prefix, "sms:"), ":"))
		http.Error(w, "not a "+h.Channel+" message", http.StatusBadRequest)
		return
	}
	t := h.Path.Handle(r.Context(), h.Channel, m.From, bot.Inbound{
		Text: m.Body, MessageID: m.SID, Media: m.Media, CarrierReplied: m.OptOut,
	})
	Reply(w, h.Shape(t.Outcome.Texts()), h.Log)
}

// addressPrefix returns the channel prefix of a Twilio address through
// its colon ("whatsapp:"), or "" for a bare phone number.
func addressPrefix(from string) string {
	if i := strings.IndexByte(from, ':'); i >= 0 {
		return from[:i+1]
	}
	return ""
}
