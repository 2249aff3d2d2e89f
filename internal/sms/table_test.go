package sms_test

import (
	"cmp"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/channel"
	"helpline/internal/channel/channeltest"
	"helpline/internal/sms"
	"helpline/internal/twilio"
	"helpline/internal/twilio/twiliotest"
)

// Request in, what the engine was handed and what Twilio is answered out,
// in the style of a channel handler's table.
func TestChannelTable(t *testing.T) {
	t.Parallel()
	secret := []byte("a-secret-of-at-least-32-characters!")
	msg := func(extra ...string) url.Values { return form(number, "yeah", "SM1", extra...) }
	// long is one reply of ten sentences of 72 characters: more than the
	// four GSM-7 segments (612 characters) one message may take.
	long := strings.Repeat("Intensive outpatient means about nine hours a week, three days or more. ", 10)
	for _, tc := range []struct {
		name    string
		method  string
		form    url.Values
		sig     string // "" signs the form for the SMS route (twiliotest.Post)
		unicode bool
		replies []bot.Reply
		status  int
		in      *bot.Inbound // what the engine is handed; nil for not called
		out     []string     // the TwiML's messages
	}{
		{name: "text", form: msg(), replies: []bot.Reply{{Kind: bot.ReplyMessage, Text: "Thanks."}},
			status: 200, in: &bot.Inbound{Channel: "sms", Text: "yeah", MessageID: "SM1"}, out: []string{"Thanks."}},
		{name: "a question, shaped to GSM-7", form: msg("Body", "si"),
			replies: []bot.Reply{{Kind: bot.ReplyQuestion, Text: "Pregunta 2 de 14: ¿Cuántas bebidas toma?\n1 Ninguna\n2 Más de 6",
				Question: &bot.Question{Step: "drinks"}}},
			status: 200, in: &bot.Inbound{Channel: "sms", Text: "si", MessageID: "SM1"},
			out: []string{"Pregunta 2 de 14: ¿Cuantas bebidas toma?\n1 Ninguna\n2 Mas de 6"}},
		{name: "accents kept when Unicode is on", form: msg(), unicode: true,
			replies: []bot.Reply{{Kind: bot.ReplyMessage, Text: "¿Cuántas?"}},
			status:  200, in: &bot.Inbound{Channel: "sms", Text: "yeah", MessageID: "SM1"}, out: []string{"¿Cuántas?"}},
		{name: "two replies, two messages", form: msg(),
			replies: []bot.Reply{{Kind: bot.ReplyMessage, Text: "Okay."}, {Kind: bot.ReplyQuestion, Text: "Who is this for?\n1 Me\n2 Someone else", Question: &bot.Question{Step: "who"}}},
			status:  200, in: &bot.Inbound{Channel: "sms", Text: "yeah", MessageID: "SM1"},
			out: []string{"Okay.", "Who is this for?\n1 Me\n2 Someone else"}},
		{name: "a long reply split at sentences", form: msg(), replies: []bot.Reply{{Kind: bot.ReplyMessage, Text: strings.TrimSpace(long)}},
			status: 200, in: &bot.Inbound{Channel: "sms", Text: "yeah", MessageID: "SM1"}, out: []string{
				strings.TrimSpace(strings.Repeat("Intensive outpatient means about nine hours a week, three days or more. ", 8)),
				strings.TrimSpace(strings.Repeat("Intensive outpatient means about nine hours a week, three days or more. ", 2))}},
		{name: "media only", form: msg("Body", "", "NumMedia", "2"), status: 200,
			in: &bot.Inbound{Channel: "sms", MessageID: "SM1", Media: 2}},
		{name: "a STOP the carrier already answered", form: msg("Body", "STOP", "OptOutType", "STOP"), status: 200,
			in: &bot.Inbound{Channel: "sms", Text: "STOP", MessageID: "SM1", CarrierReplied: true}},
		{name: "an old webhook's SmsSid", form: url.Values{"SmsSid": {"SM9"}, "From": {number}, "To": {"+18005550100"}, "Body": {"nah"}},
			status: 200, in: &bot.Inbound{Channel: "sms", Text: "nah", MessageID: "SM9"}},
		{name: "unsigned", form: msg(), sig: twiliotest.Unsigned, status: http.StatusForbidden},
		{name: "signed for another route", form: msg(), sig: sign(publicURL+"/twilio/whatsapp", msg()), status: http.StatusForbidden},
		{name: "a WhatsApp sender on the SMS route", form: msg("From", "whatsapp:"+number), status: http.StatusBadRequest},
		{name: "no sender", form: msg("From", ""), status: http.StatusBadRequest},
		{name: "GET", method: http.MethodGet, form: msg(), status: http.StatusMethodNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := &channeltest.Engine{Replies: tc.replies}
			h := sms.Handler(twilio.Webhook{AuthToken: token, PublicURL: publicURL, Log: slog.New(slog.DiscardHandler)},
				channel.New(e, secret, nil), tc.unicode)
			method := cmp.Or(tc.method, http.MethodPost)
			rec := twiliotest.Post(h, method, "/twilio/sms", tc.form, token, publicURL, tc.sig)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			e.Handed(t, tc.in, bot.NewKey(secret, tc.form.Get("From")))
			if tc.in == nil {
				return
			}
			out := twiliotest.Messages(t, rec.Body.Bytes())
			if !slices.Equal(out, tc.out) {
				t.Errorf("TwiML messages %q, want %q", out, tc.out)
			}
			for _, m := range out {
				if !tc.unicode && !flows.GSM7(m) {
					t.Errorf("not GSM-7: %q", m)
				}
				if n := flows.Segments(m); n > sms.MaxSegments {
					t.Errorf("%d segments in one message: %q", n, m)
				}
			}
		})
	}
}
