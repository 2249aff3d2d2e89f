package sms_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"helpline/internal/channel"
	"helpline/internal/sms"
	"helpline/internal/store/redistest"
	"helpline/internal/twilio/twiliotest"
)

// textFrom sends body from a number, signed, and returns the TwiML's messages.
func (r *rig) textFrom(t *testing.T, from, body string, extra ...string) []string {
	t.Helper()
	r.n++
	f := form(from, body, fmt.Sprintf("SM%032d", r.n), extra...)
	rec := r.post(t, f, sign(publicURL+"/twilio/sms", f))
	if rec.Code != http.StatusOK {
		t.Fatalf("%q: status %d: %s", body, rec.Code, rec.Body)
	}
	return twiliotest.Messages(t, rec.Body.Bytes())
}

// floodRig is a rig whose line answers perSecond texts a second (bursts of
// twice that) on a stopped clock, so no token comes back during the test,
// with the session cache and the HELP answer on, as serve wires them.
func floodRig(t *testing.T, perSecond float64, perNumber int) *rig {
	t.Helper()
	st, m := redistest.Mini(t)
	r := newRig(t, st, m.Addr(), perNumber) // the engine's own per-number limit, as serve sets it
	lim := channel.NewLimiter(perSecond, perNumber)
	now := time.Unix(1_700_000_000, 0)
	lim.Now = func() time.Time { return now }
	r.st.Cache(10_000, time.Hour)
	r.h.Path.Limit(lim, r.st, sms.Channel)
	return r
}

func isGreeting(msgs []string) bool {
	return len(msgs) > 0 && strings.Contains(msgs[0], "Hi, this is Riverside")
}

// SMS pumping: past the line's limit, a text from a number this process
// has not served gets an empty answer, since every refusal is a billed
// text. A conversation it serves gets the one polite line; HELP, STOP and
// danger are answered whoever sends them.
func TestPumpingGetsNoReplies(t *testing.T) {
	t.Parallel()
	r := floodRig(t, 2, 20) // a burst of 4
	served := "+15550000001"
	if got := r.textFrom(t, served, "hi"); !isGreeting(got) {
		t.Fatalf("first texter: %q", got)
	}
	admitted, refusedWithReply, refused := 0, 0, 0
	const flood = 3000
	for i := 0; i < flood; i++ {
		got := r.textFrom(t, fmt.Sprintf("+1720%07d", i), "hi")
		switch {
		case isGreeting(got):
			admitted++
		case len(got) > 0:
			refusedWithReply++
		default:
			refused++
		}
	}
	t.Logf("flood of %d new numbers past a line of 2/s: %d answered within the limit, %d replies to the refused, %d refused silently",
		flood, admitted, refusedWithReply, refused)
	if admitted != 3 || refusedWithReply != 0 {
		t.Fatalf("%d answered, %d refused with a reply; want 3 and 0", admitted, refusedWithReply)
	}

	if got := r.textFrom(t, served, "1"); len(got) != 1 || !strings.Contains(got[0], "a lot of messages") {
		t.Fatalf("a served conversation past the limit: %q", got)
	}
	if got := r.textFrom(t, served, "1"); len(got) != 0 {
		t.Fatalf("told twice in a minute: %q", got)
	}
	for _, tc := range []struct {
		body, want string
		extra      []string
	}{
		{body: "HELP", want: "Msg & data rates may apply"},
		{body: "info", want: "Msg & data rates may apply"},
		{body: "AYUDA", want: "tarifas"},
		{body: "STOP", want: "START"},
		{body: "i want to kms", want: "988"},
	} {
		got := r.textFrom(t, "+13035550100", tc.body)
		if len(got) != 1 || !strings.Contains(got[0], tc.want) {
			t.Errorf("%s from a new number past the limit: %q, want one message with %q", tc.body, got, tc.want)
		}
	}
	if got := r.textFrom(t, "+13035550101", "HELP", "OptOutType", "HELP"); len(got) != 0 {
		t.Errorf("HELP the carrier already answered, answered again: %q", got)
	}
	if got := r.textFrom(t, "+13035550102", "help me find a program"); len(got) != 0 {
		t.Errorf("a sentence with help in it is not HELP: %q", got)
	}
	// A texter who said STOP is never told the line is busy.
	stopped := "+15550000002"
	r.h.Path.Limit(nil, r.st, sms.Channel)
	r.textFrom(t, stopped, "hi")
	r.textFrom(t, stopped, "STOP")
	lim := channel.NewLimiter(1, 20)
	lim.Now = func() time.Time { return time.Unix(1_700_000_000, 0) }
	r.h.Path.Limit(lim, r.st, sms.Channel)
	for i := 0; i < 3; i++ {
		r.textFrom(t, "+15550000003", "hi") // spend the burst
	}
	if got := r.textFrom(t, stopped, "hello?"); len(got) != 0 {
		t.Fatalf("an opted-out texter past the limit got %q", got)
	}
}

// A hundred and fifty texts of danger from one number are all answered,
// and spend none of the line's budget: the next texter is answered.
func TestDangerFloodLeavesTheLineOpen(t *testing.T) {
	t.Parallel()
	r := floodRig(t, 5, 20) // a burst of 10
	for i := 0; i < 150; i++ {
		if got := r.textFrom(t, "+15550000010", "kms"); len(got) == 0 || !strings.Contains(got[0], "988") {
			t.Fatalf("danger text %d: %q", i, got)
		}
	}
	if got := r.textFrom(t, "+15550000011", "hi"); !isGreeting(got) {
		t.Fatalf("the next texter after a flood of danger: %q", got)
	}
}

// With no share per number, texts of danger from many numbers take a
// token while the line has some and give it back once answered as
// danger: the line's budget is all there for the next texter.
func TestDangerGivesItsTokenBack(t *testing.T) {
	t.Parallel()
	r := floodRig(t, 5, 0) // a burst of 10, no share per number
	for i := 0; i < 30; i++ {
		if got := r.textFrom(t, fmt.Sprintf("+1555000%04d", i), "i took all my pills"); len(got) == 0 || !strings.Contains(got[0], "911") {
			t.Fatalf("danger text %d: %q", i, got)
		}
	}
	for i := 0; i < 10; i++ {
		if got := r.textFrom(t, fmt.Sprintf("+1555100%04d", i), "hi"); !isGreeting(got) {
			t.Fatalf("texter %d after the danger: %q", i, got)
		}
	}
}

// One number writing as fast as it can spends at most its share of the
// line; the engine's own limit answers the rest (once, then silence), and
// other texters are still answered.
func TestOneNumberCannotUseUpTheLine(t *testing.T) {
	t.Parallel()
	r := floodRig(t, 50, 20) // a burst of 100, 20 texts a number a minute
	answered, slowDown := 0, 0
	for i := 0; i < 150; i++ {
		got := r.textFrom(t, "+15550000020", "banana")
		switch {
		case len(got) > 0 && strings.Contains(got[0], "faster than I can read"):
			slowDown++
		case len(got) > 0 && strings.Contains(got[0], "a lot of messages"):
			t.Fatalf("text %d of the flooding number was told the line is busy", i)
		case len(got) > 0:
			answered++
		}
	}
	if answered != 20 || slowDown != 1 {
		t.Fatalf("the flooding number: %d answered, %d told to slow down; want 20 and 1", answered, slowDown)
	}
	for i := 0; i < 5; i++ {
		if got := r.textFrom(t, fmt.Sprintf("+1555000003%d", i), "hi"); !isGreeting(got) {
			t.Fatalf("texter %d after one number's flood: %q", i, got)
		}
	}
}
