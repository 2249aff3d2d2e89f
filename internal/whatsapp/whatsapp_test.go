package whatsapp_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"helpline/bot"
	"helpline/internal/channel"
	"helpline/internal/channel/channeltest"
	"helpline/internal/twilio"
	"helpline/internal/twilio/twiliotest"
	"helpline/internal/whatsapp"
)

const (
	token     = "test-auth-token"
	publicURL = "https://helpline.example.org"
)

var secret = []byte("a-secret-of-at-least-32-characters!")

func serve(e *channeltest.Engine, form url.Values, sig string) *httptest.ResponseRecorder {
	h := whatsapp.Handler(twilio.Webhook{AuthToken: token, PublicURL: publicURL, Log: slog.New(slog.DiscardHandler)},
		channel.New(e, secret, nil))
	return twiliotest.Post(h, http.MethodPost, "/twilio/whatsapp", form, token, publicURL, sig)
}

// long is a reply of 1,900 characters in sentences, with accents.
var long = strings.Repeat("¿Cómo está usted hoy? ", 86)

// Request in, what the engine was handed and what Twilio is answered out,
// in the style of a channel handler's table: never the engine's wording.
func TestWebhook(t *testing.T) {
	t.Parallel()
	msg := func(extra ...string) url.Values {
		f := url.Values{"MessageSid": {"SM1"}, "AccountSid": {"AC1"}, "From": {"whatsapp:+15555550123"},
			"To": {"whatsapp:+14155238886"}, "Body": {"hola"}, "NumMedia": {"0"}, "ProfileName": {"Ana"}}
		for i := 0; i+1 < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		return f
	}
	for _, tc := range []struct {
		name    string
		form    url.Values
		sig     string // "" signs the form (twiliotest.Post)
		replies []bot.Reply
		status  int
		in      *bot.Inbound // what the engine is handed; nil for not called
		out     []string     // the TwiML's messages
	}{
		{name: "text", form: msg(), replies: []bot.Reply{{Kind: bot.ReplyMessage, Text: "Hola, ¿cómo está?"}},
			status: 200, in: &bot.Inbound{Channel: "whatsapp", Text: "hola", MessageID: "SM1"}, out: []string{"Hola, ¿cómo está?"}},
		{name: "question", form: msg("Body", "sí"), replies: []bot.Reply{{Kind: bot.ReplyQuestion, Text: "Pregunta 1 de 9: ¿Para quién?\n1 Para mí\n2 Para otra persona",
			Question: &bot.Question{Step: "who"}}},
			status: 200, in: &bot.Inbound{Channel: "whatsapp", Text: "sí", MessageID: "SM1"}, out: []string{"Pregunta 1 de 9: ¿Para quién?\n1 Para mí\n2 Para otra persona"}},
		{name: "long reply split at sentences, accents kept", form: msg(), replies: []bot.Reply{{Kind: bot.ReplyMessage, Text: long}},
			status: 200, in: &bot.Inbound{Channel: "whatsapp", Text: "hola", MessageID: "SM1"}, out: []string{
				strings.TrimSpace(strings.Repeat("¿Cómo está usted hoy? ", 72)), strings.TrimSpace(strings.Repeat("¿Cómo está usted hoy? ", 14))}},
		{name: "media", form: msg("Body", "", "NumMedia", "1"), status: 200, in: &bot.Inbound{Channel: "whatsapp", MessageID: "SM1", Media: 1}},
		{name: "a STOP Twilio already answered", form: msg("Body", "STOP", "OptOutType", "STOP"), status: 200,
			in: &bot.Inbound{Channel: "whatsapp", Text: "STOP", MessageID: "SM1", CarrierReplied: true}},
		{name: "unsigned", form: msg(), sig: twiliotest.Unsigned, status: 403},
		{name: "an SMS number on the WhatsApp route", form: msg("From", "+15555550123"), status: 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := &channeltest.Engine{Replies: tc.replies}
			rec := serve(e, tc.form, tc.sig)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			e.Handed(t, tc.in, bot.NewKey(secret, tc.form.Get("From")))
			if tc.in == nil {
				return
			}
			if out := twiliotest.Messages(t, rec.Body.Bytes()); !slices.Equal(out, tc.out) {
				t.Errorf("TwiML messages %q, want %q", out, tc.out)
			}
		})
	}
}

// The same number on WhatsApp and on SMS is two conversations: the
// WhatsApp route keys the conversation by the whole "whatsapp:" address.
func TestKeyDiffersFromSMS(t *testing.T) {
	e := &channeltest.Engine{}
	form := url.Values{"MessageSid": {"SM1"}, "From": {"whatsapp:+15555550123"}, "To": {"whatsapp:+14155238886"}, "Body": {"hola"}}
	if rec := serve(e, form, ""); rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	got := e.Got()
	if len(got) != 1 || got[0].Key == bot.NewKey(secret, "+15555550123") || got[0].Key != bot.NewKey(secret, "whatsapp:+15555550123") {
		t.Fatalf("handed %+v: the key is not the WhatsApp address's own", got)
	}
}

func TestShape(t *testing.T) {
	for _, in := range []string{"", "Sí", long, strings.Repeat("palabra ", 400)} {
		for _, m := range whatsapp.Shape([]string{in}) {
			if n := utf8.RuneCountInString(m); n > twilio.MaxBody {
				t.Errorf("a message of %d characters", n)
			}
		}
	}
	if got := whatsapp.Shape([]string{"Café — “ñ” 🙂"}); got[0] != "Café — “ñ” 🙂" {
		t.Errorf("transliterated: %q", got)
	}
}
