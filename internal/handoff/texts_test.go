package handoff_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"helpline/flows"
	"helpline/internal/handoff"
	"helpline/internal/sms"
	"helpline/internal/store"
)

// Twilio failing, then succeeding: the claim notice arrives once; a 21610
// marks the conversation opted out and forgets the number.
func TestTwilioFailuresAndOptOut(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.text(t, "hi")
	r.text(t, "call")
	r.drain(t)
	r.sms.failFor = 3
	r.svc.Claim(context.Background(), r.key, "U1", "CINTAKE", r.slack.posts[0].TS)
	r.drain(t)
	if len(r.sms.sent) != 1 {
		t.Fatalf("after Twilio recovered: %q", r.sms.sent)
	}
	r.sms.optOut = true
	r.svc.StaffReply(context.Background(), "CINTAKE", r.slack.posts[0].TS, "Ev2", "hello?")
	r.drain(t)
	if r.m.Exists(store.ConversationKey(r.key, "n")) {
		t.Fatal("number kept after the carrier said opted out")
	}
	if out := r.text(t, "hello"); len(out.Texts()) != 0 {
		t.Fatalf("opted-out texter got replies: %q", out.Texts())
	}
}

// A staff reply of 5000 characters goes to the texter as the SMS channel
// sends any long text: messages of at most four segments and 1600
// characters, split at sentences, in order; Twilio failing in the middle
// sends none of them twice.
func TestLongStaffReplyIsShaped(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	r.text(t, "hi")
	r.text(t, "call")
	r.drain(t)
	r.svc.Claim(ctx, r.key, "USAM", "CINTAKE", r.slack.posts[0].TS)
	r.drain(t)
	var b strings.Builder
	for i := 1; b.Len() < 5000; i++ {
		fmt.Fprintf(&b, "This is sentence %d of a long answer from our intake team. ", i)
	}
	reply := strings.TrimSpace(b.String())
	r.sms.failOn = map[int]bool{3: true} // the reply's second message, once
	if ok, err := r.svc.StaffReply(ctx, "CINTAKE", r.slack.posts[0].TS, "EvLong", reply); !ok || err != nil {
		t.Fatalf("staff reply: %v %v", ok, err)
	}
	r.drain(t)
	var bodies []string
	for _, s := range r.sms.sent[1:] { // after the claim notice
		body := strings.TrimPrefix(s, number+"|")
		if n := utf8.RuneCountInString(body); n > sms.MaxBody || flows.Segments(body) > sms.MaxSegments {
			t.Fatalf("a text of %d characters, %d segments", n, flows.Segments(body))
		}
		if !strings.HasSuffix(body, ".") {
			t.Fatalf("cut mid-sentence: ...%q", body[max(0, len(body)-20):])
		}
		bodies = append(bodies, body)
	}
	if len(bodies) < 4 {
		t.Fatalf("%d texts for 5000 characters", len(bodies))
	}
	if strings.Join(bodies, " ") != reply {
		t.Fatal("the texts, in order, are not the reply: a part lost, repeated or out of order")
	}
}

// A WhatsApp texter's handoff: notices and staff replies go back to their
// WhatsApp address by the WhatsApp texter, not by SMS; a reply a day after
// their last message is refused with the reason and nothing is sent.
func TestWhatsAppRepliesAndItsWindow(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	wa := r.onWhatsApp()
	ctx := context.Background()
	r.text(t, "hi")
	r.text(t, "call")
	r.drain(t)
	if !strings.Contains(fmt.Sprint(r.slack.posts[0].Blocks), "whatsapp") {
		t.Errorf("the card does not say the texter writes on WhatsApp")
	}
	r.svc.Claim(ctx, r.key, "USAM", "CINTAKE", r.slack.posts[0].TS)
	r.drain(t)
	if ok, err := r.svc.StaffReply(ctx, "CINTAKE", r.slack.posts[0].TS, "Ev1", "Hola, ¿cómo está?"); !ok || err != nil {
		t.Fatalf("staff reply within the window: %v %v", ok, err)
	}
	r.drain(t)
	if len(r.sms.sent) != 0 || len(wa.sent) != 2 || wa.sent[1] != "whatsapp:"+number+"|Hola, ¿cómo está?" {
		t.Fatalf("sent by SMS %q, by WhatsApp %q", r.sms.sent, wa.sent)
	}

	r.now = r.now.Add(25 * time.Hour)
	ok, err := r.svc.StaffReply(ctx, "CINTAKE", r.slack.posts[0].TS, "Ev2", "Are you still there?")
	var late *handoff.OutsideWindow
	if !ok || !errors.As(err, &late) || !strings.Contains(err.Error(), "24 hours") || !strings.Contains(err.Error(), "25 hours ago") {
		t.Fatalf("a reply after the window: %v %v", ok, err)
	}
	r.drain(t)
	if len(wa.sent) != 2 {
		t.Fatalf("a reply after the window was sent: %q", wa.sent)
	}

	// Inside the window by our clock, outside it by WhatsApp's: the
	// refusal is final, not retried until the texter happens to write.
	r.text(t, "sigo aquí")
	wa.closed = true
	attempts := wa.attempts
	if ok, err := r.svc.StaffReply(ctx, "CINTAKE", r.slack.posts[0].TS, "Ev3", "Gracias."); !ok || err != nil {
		t.Fatalf("staff reply within the window: %v %v", ok, err)
	}
	r.drain(t)
	if wa.attempts != attempts+1 || len(wa.sent) != 2 {
		t.Fatalf("a reply the channel refused as outside its window: %d tries, sent %q", wa.attempts-attempts, wa.sent)
	}
	if got := r.notSent(r.slack.posts[0].TS); len(got) != 1 || !strings.Contains(got[0], "Gracias.") || !strings.Contains(got[0], "refused it as outside its window of 24 hours") {
		t.Fatalf("the thread was not told WhatsApp refused the reply: %q", got)
	}
}

// A text to the texter that cannot go is told in the handoff's thread
// with the reason, whenever that is found: a staff reply queued inside
// WhatsApp's window but held up by Twilio until it closed; a close notice
// after it, which still erases the number; a reply on a channel with no
// sender configured, refused at once.
func TestTextsNotSentAreToldInTheThread(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	wa := r.onWhatsApp()
	ctx := context.Background()
	r.text(t, "hi")
	heard := r.now
	card := r.claimedHandoff(t)

	r.now = heard.Add(24*time.Hour - 2*time.Minute)
	if ok, err := r.svc.StaffReply(ctx, "CINTAKE", card, "Ev1", "Still with us?"); !ok || err != nil {
		t.Fatalf("staff reply inside the window: %v %v", ok, err)
	}
	wa.failFor = 1000
	r.drain(t)
	got := r.notSent(card)
	if len(got) != 1 || !strings.Contains(got[0], "Still with us?") || !strings.Contains(got[0], "within 24 hours") {
		t.Fatalf("thread told %q", got)
	}

	if err := r.svc.Close(ctx, r.key, "USAM"); err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	if got := r.notSent(card); len(got) != 2 {
		t.Fatalf("the close notice outside the window was not told: %q", got)
	}
	if _, err := r.svc.ShowNumber(ctx, r.key, "USAM"); err == nil {
		t.Fatal("the number is still kept after the handoff closed")
	}

	// A long reply WhatsApp refuses after its first message went.
	wa.failFor = 0
	card = r.claimedHandoff(t)
	wa.closedFrom = wa.attempts + 2
	long := strings.Repeat("This is a long reply from staff. ", 80)
	if ok, err := r.svc.StaffReply(ctx, "CINTAKE", card, "Ev3", long); !ok || err != nil {
		t.Fatalf("a long reply: %v %v", ok, err)
	}
	r.drain(t)
	if got := r.notSent(card); len(got) != 1 || !strings.Contains(got[0], "only its first message went; then whatsapp refused it") {
		t.Fatalf("a reply cut short was not told as such: %q", got)
	}
	if err := r.svc.Close(ctx, r.key, "USAM"); err != nil {
		t.Fatal(err)
	}
	r.drain(t)

	// A new handoff, and no WhatsApp sender on this service.
	wa.closedFrom = 0
	wa.failFor = 0
	card = r.claimedHandoff(t)
	delete(r.svc.Texters, "whatsapp")
	ok, err := r.svc.StaffReply(ctx, "CINTAKE", card, "Ev2", "Hello?")
	var notSent *handoff.NotSent
	if !ok || !errors.As(err, &notSent) || !strings.Contains(err.Error(), "no sender configured for whatsapp") {
		t.Fatalf("a reply with no sender: %v %v", ok, err)
	}
}

// A WhatsApp texter whose first and only texts are danger: staff who
// claim the alert reach them, and every text of danger keeps the window
// open, as any other text does.
func TestWhatsAppDangerFirst(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	wa := r.onWhatsApp()
	ctx := context.Background()
	r.text(t, "i want to kms")
	r.drain(t)
	top, _ := r.alerts()
	if len(top) != 1 {
		t.Fatalf("%d alerts, want 1", len(top))
	}
	if ok, err := r.svc.Claim(ctx, r.key, "UNURSE", "CALERT", top[0].TS); !ok || err != nil {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	r.drain(t)
	if len(wa.sent) != 1 {
		t.Fatalf("the texter was not told of the claim: %q", wa.sent)
	}
	if ok, err := r.svc.StaffReply(ctx, "CALERT", top[0].TS, "Ev1", "Are you safe right now?"); !ok || err != nil {
		t.Fatalf("staff reply to a texter who wrote only danger: %v %v", ok, err)
	}
	r.drain(t)
	if len(wa.sent) != 2 {
		t.Fatalf("staff reply not sent: %q", wa.sent)
	}

	// Twenty hours on, in the handoff, danger again; five hours after
	// that the window is still open.
	r.now = r.now.Add(20 * time.Hour)
	r.text(t, "i want to kill myself")
	r.now = r.now.Add(5 * time.Hour)
	if ok, err := r.svc.StaffReply(ctx, "CALERT", top[0].TS, "Ev2", "I'm here."); !ok || err != nil {
		t.Fatalf("staff reply within a day of the texter's last text: %v %v", ok, err)
	}
	r.drain(t)
	if len(wa.sent) != 3 {
		t.Fatalf("staff reply not sent: %q", wa.sent)
	}
}
