package twilio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// ErrOptedOut is returned by Sender.Send when Twilio refuses because the
// recipient opted out (error 21610).
var ErrOptedOut = errors.New("twilio: recipient opted out (21610)")

// ErrRejected is returned by Sender.Send when Twilio refuses a message for
// good (a 4xx answer, rate limiting aside: an empty body, a number that
// cannot receive texts): sending it again would be refused again.
var ErrRejected = errors.New("twilio: message refused")

// ErrOutsideWindow is returned by Sender.Send when WhatsApp refuses a
// free-form message because the recipient's last message is more than 24
// hours old (error 63016).
var ErrOutsideWindow = errors.New("twilio: outside the WhatsApp 24-hour window (63016)")

// Sender sends texts the system starts (staff replies, handoff notices)
// through Twilio's REST API.
type Sender struct {
	api     *openapi.ApiService
	from    string
	service string
}

// NewSender returns a Sender for the account. Messages go from the
// Messaging Service when messagingServiceSID is set, else from the number
// from. apiURL, when set, replaces https://api.twilio.com (tests).
func NewSender(accountSID, authToken, from, messagingServiceSID, apiURL string) (*Sender, error) {
	if accountSID == "" || authToken == "" {
		return nil, errors.New("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are required to send texts")
	}
	for _, v := range []string{accountSID, authToken} {
		for _, r := range v {
			if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
				// twilio-go refuses such credentials on every call (21224).
				return nil, errors.New("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be letters and digits only")
			}
		}
	}
	if from == "" && messagingServiceSID == "" {
		return nil, errors.New("TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID is required to send texts")
	}
	httpClient := &http.Client{
		Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	if apiURL != "" {
		base, err := url.Parse(apiURL)
		if err != nil || base.Host == "" {
			return nil, fmt.Errorf("TWILIO_API_URL %q is not an absolute URL", apiURL)
		}
		httpClient.Transport = rebase{base: base, next: http.DefaultTransport}
	}
	c := &client.Client{Credentials: client.NewCredentials(accountSID, authToken), HTTPClient: httpClient}
	c.SetAccountSid(accountSID)
	// Only the one REST API used is built: the root package would compile
	// every Twilio API there is.
	return &Sender{api: openapi.NewApiServiceWithClient(c), from: from, service: messagingServiceSID}, nil
}

// rebase sends requests for api.twilio.com to another base URL.
type rebase struct {
	base *url.URL
	next http.RoundTripper
}

func (r rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = r.base.Scheme, r.base.Host
	req.URL.Path = r.base.Path + req.URL.Path
	req.Host = r.base.Host
	return r.next.RoundTrip(req)
}

// Send sends body to to: an E.164 number, or "whatsapp:+1..." from a
// WhatsApp sender. The twilio-go client takes no
// context; its own 10 s timeout bounds the call.
func (s *Sender) Send(_ context.Context, to, body string) error {
	p := &openapi.CreateMessageParams{}
	p.SetTo(to)
	p.SetBody(body)
	if s.service != "" {
		p.SetMessagingServiceSid(s.service)
	} else {
		p.SetFrom(s.from)
	}
	_, err := s.api.CreateMessage(p)
	if err == nil {
		return nil
	}
	var te *client.TwilioRestError
	if errors.As(err, &te) {
		// Twilio's message can quote the recipient's number: keep it out
		// of errors, which end up in logs.
		switch te.Code {
		case 21610:
			return fmt.Errorf("%w (status %d)", ErrOptedOut, te.Status)
		case 63016:
			return fmt.Errorf("%w (status %d)", ErrOutsideWindow, te.Status)
		}
		if te.Status >= 400 && te.Status < 500 && te.Status != 429 {
			return fmt.Errorf("%w: status %d, error %d", ErrRejected, te.Status, te.Code)
		}
		return fmt.Errorf("twilio send: status %d, error %d", te.Status, te.Code)
	}
	return fmt.Errorf("twilio send: %w", err)
}
