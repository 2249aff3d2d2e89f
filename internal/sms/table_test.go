package sms_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/channel"
	"helpline/internal/sms"
	"helpline/internal/twilio"
)

// recording is an engine that records what the path hands it and answers
// with fixed replies, so the table below tests the channel, not wording.
type recording struct {
	mu      sync.Mutex
	got     []bot.Inbound
	replies []bot.Reply
}

func (e *recording) Handle(_ context.Context, in bot.Inbound) (bot.Outcome, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, in)
	return bot.Outcome{Replies: e.replies}, nil
}
func (*recording) FixedText(string, string) string { return "" }
func (*recording) Urgent(string) bool              { return false }
func (*recording) HelpText(string) string          { return "" }

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
		sig     string // "" signs the form for the SMS route; "-" sends none
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
		{name: "unsigned", form: msg(), sig: "-", status: http.StatusForbidden},
		{name: "signed for another route", form: msg(), sig: sign(publicURL+"/twilio/whatsapp", msg()), status: http.StatusForbidden},
		{name: "a WhatsApp sender on the SMS route", form: msg("From", "whatsapp:"+number), status: http.StatusBadRequest},
		{name: "no sender", form: msg("From", ""), status: http.StatusBadRequest},
		{name: "GET", method: http.MethodGet, form: msg(), status: http.StatusMethodNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := &recording{replies: tc.replies}
			h := &sms.Handler{
				Webhook: twilio.Webhook{AuthToken: token, PublicURL: publicURL, Log: slog.New(slog.DiscardHandler)},
				Path:    channel.New(e, secret, nil),
				Unicode: tc.unicode,
			}
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			req := httptest.NewRequest(method, "/twilio/sms", strings.NewReader(tc.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			switch tc.sig {
			case "":
				req.Header.Set("X-Twilio-Signature", sign(publicURL+"/twilio/sms", tc.form))
			case "-":
			default:
				req.Header.Set("X-Twilio-Signature", tc.sig)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.in == nil {
				if len(e.got) != 0 {
					t.Fatalf("engine called with %+v", e.got)
				}
				return
			}
			if len(e.got) != 1 {
				t.Fatalf("engine called %d times", len(e.got))
			}
			got := e.got[0]
			if got.Channel != tc.in.Channel || got.Text != tc.in.Text || got.MessageID != tc.in.MessageID ||
				got.Media != tc.in.Media || got.CarrierReplied != tc.in.CarrierReplied {
				t.Errorf("engine got %+v, want %+v", got, *tc.in)
			}
			if got.Key != bot.NewKey(secret, tc.form.Get("From")) {
				t.Errorf("key is not the HMAC of the number")
			}
			out := messages(t, rec.Body.Bytes())
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
