// Package twiliotest posts webhook requests signed exactly as Twilio signs
// them and reads the TwiML answered, for the tests of the channels that
// come through Twilio (SMS, WhatsApp).
package twiliotest

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"helpline/internal/twilio"
)

// Unsigned, as a signature, sends none.
const Unsigned = "-"

// Post sends form to h on route as Twilio posts a message. sig is the
// X-Twilio-Signature header: "" signs the form for publicURL+route with
// token, Unsigned sends none, anything else is sent as it is.
func Post(h http.Handler, method, route string, form url.Values, token, publicURL, sig string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, route, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	switch sig {
	case "":
		req.Header.Set("X-Twilio-Signature", twilio.Signature(token, publicURL+route, form))
	case Unsigned:
	default:
		req.Header.Set("X-Twilio-Signature", sig)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// Messages returns the bodies of the messages a TwiML response sends.
func Messages(t *testing.T, body []byte) []string {
	t.Helper()
	var resp struct {
		XMLName  xml.Name `xml:"Response"`
		Messages []string `xml:"Message"`
	}
	if err := xml.Unmarshal(body, &resp); err != nil {
		t.Fatalf("not TwiML: %q: %v", body, err)
	}
	return resp.Messages
}
