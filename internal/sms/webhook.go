// Package sms is the SMS channel: Twilio's incoming-message webhook
// decoded into the one channel path, replies shaped to SMS rules (GSM-7,
// segments), and the same shaping for what staff text a texter.
package sms

import (
	"context"
	"time"

	"helpline/internal/channel"
	"helpline/internal/twilio"
)

// Channel is this channel's name on the path, in metrics and statistics.
const Channel = "sms"

// Handler serves Twilio's incoming-message webhook for SMS: senders are
// phone numbers, and replies are shaped to SMS segments, in GSM-7 unless
// unicode. A message from another of Twilio's channels ("whatsapp:+1...")
// is refused.
func Handler(hook twilio.Webhook, path *channel.Path, unicode bool) *twilio.Route {
	return &twilio.Route{Webhook: hook, Path: path, Channel: Channel,
		Shape: func(replies []string) []string { return Shape(replies, unicode) }}
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
