package twilio

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// fakeTwilio records every REST call and answers as Twilio does.
type fakeTwilio struct {
	mu    sync.Mutex
	calls []*http.Request
	forms []url.Values
	code  int    // HTTP status to answer with
	body  string // JSON body to answer with
}

func (f *fakeTwilio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.mu.Lock()
	f.calls = append(f.calls, r)
	f.forms = append(f.forms, r.PostForm)
	code, body := f.code, f.body
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write([]byte(body))
}

func TestSenderPostsTheMessage(t *testing.T) {
	t.Parallel()
	fake := &fakeTwilio{code: 201, body: `{"sid":"SM123","status":"queued"}`}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	s, err := NewSender("AC0123", "token", "+18005550100", "", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), "+15555550123", "Hi, this is intake."); err != nil {
		t.Fatal(err)
	}
	if len(fake.calls) != 1 {
		t.Fatalf("%d calls", len(fake.calls))
	}
	r, form := fake.calls[0], fake.forms[0]
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/AC0123/Messages.json" {
		t.Fatalf("%s %s", r.Method, r.URL.Path)
	}
	if user, pass, ok := r.BasicAuth(); !ok || user != "AC0123" || pass != "token" {
		t.Fatalf("auth %q %q", user, pass)
	}
	if form.Get("To") != "+15555550123" || form.Get("From") != "+18005550100" || form.Get("Body") != "Hi, this is intake." {
		t.Fatalf("form %v", form)
	}
}

func TestSenderMessagingService(t *testing.T) {
	t.Parallel()
	fake := &fakeTwilio{code: 201, body: `{"sid":"SM1"}`}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	s, _ := NewSender("AC1", "t", "", "MG0001", srv.URL)
	if err := s.Send(context.Background(), "+15555550123", "x"); err != nil {
		t.Fatal(err)
	}
	if f := fake.forms[0]; f.Get("MessagingServiceSid") != "MG0001" || f.Get("From") != "" {
		t.Fatalf("form %v", f)
	}
}

// Twilio's refusals the handoff acts on are told apart from other errors.
func TestSenderRefusals(t *testing.T) {
	t.Parallel()
	fake := &fakeTwilio{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	s, _ := NewSender("AC1", "t", "+18005550100", "", srv.URL)
	for _, tc := range []struct {
		status int
		body   string
		want   error // nil: neither refusal
	}{
		{400, `{"code":21610,"message":"Attempt to send to unsubscribed recipient","status":400}`, ErrOptedOut},
		{400, `{"code":63016,"message":"Failed to send freeform message because you are outside the allowed window.","status":400}`, ErrOutsideWindow},
		{500, `{"code":20500,"message":"Internal error","status":500}`, nil},
	} {
		fake.mu.Lock()
		fake.code, fake.body = tc.status, tc.body
		fake.mu.Unlock()
		err := s.Send(context.Background(), "+15555550123", "x")
		if err == nil {
			t.Fatalf("%s: no error", tc.body)
		}
		for _, refusal := range []error{ErrOptedOut, ErrOutsideWindow} {
			if errors.Is(err, refusal) != (refusal == tc.want) {
				t.Errorf("%s: err = %v, want %v", tc.body, err, tc.want)
			}
		}
	}
}

func TestSenderNeedsSettings(t *testing.T) {
	t.Parallel()
	for _, args := range [][5]string{{"", "t", "+1", "", ""}, {"AC", "t", "", "", ""}, {"AC", "t", "+1", "", "not a url"}, {"AC", "to-ken", "+1", "", ""}} {
		if _, err := NewSender(args[0], args[1], args[2], args[3], args[4]); err == nil || !strings.Contains(err.Error(), "TWILIO") {
			t.Errorf("NewSender%v: err = %v", args, err)
		}
	}
}

// Twilio's error messages can quote the number; errors (and so logs) do not.
func TestSenderErrorsLeaveTheNumberOut(t *testing.T) {
	t.Parallel()
	fake := &fakeTwilio{code: 400, body: `{"code":21211,"message":"The 'To' number +15555550123 is not a valid phone number.","status":400}`}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	s, _ := NewSender("AC1", "t", "+18005550100", "", srv.URL)
	err := s.Send(context.Background(), "+15555550123", "x")
	if err == nil || strings.Contains(err.Error(), "5555550123") || !strings.Contains(err.Error(), "21211") {
		t.Fatalf("err = %v", err)
	}
}
