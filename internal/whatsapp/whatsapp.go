// Package whatsapp is the WhatsApp channel, through Twilio: the same
// Messaging webhook as SMS with addresses written "whatsapp:+1...",
// decoded into the one channel path. Replies keep their accents and are
// not cut into SMS segments, only into messages of at most 1600
// characters; what staff send is held to WhatsApp's 24-hour customer
// service window.
package whatsapp

import (
	"context"
	"time"
	"unicode/utf8"

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

// Handler serves Twilio's incoming-message webhook for a WhatsApp sender:
// senders are "whatsapp:" addresses, and replies keep their accents. A
// message from a bare phone number is refused: it was posted to the wrong
// route, and its conversation would be the SMS one.
func Handler(hook twilio.Webhook, path *channel.Path) *twilio.Route {
	return &twilio.Route{Webhook: hook, Path: path, Channel: Channel, Prefix: Prefix, Shape: Shape}
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
