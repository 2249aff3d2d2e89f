package handoff_test

import (
	"context"

	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/handoff"
)

// DELETE erases everything kept about the conversation, in Redis and in
// queued work: after a screening, an overdose text, CALL, a relay held up
// by Slack, a claim, a staff reply held up by Twilio and Show number,
// DELETE and YES leave only the session's message IDs (for the hour they
// are kept), the outbox's own bookkeeping, which names no conversation, and
// nothing anywhere that holds the key, the number or a word anyone wrote.
func TestDeleteErasesEverything(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	for _, text := range []string{"hi", "1", "1", "1"} {
		r.text(t, text)
	}
	r.text(t, "i took a whole bottle of pills")
	r.drain(t)
	card := r.claimedHandoff(t)
	if _, err := r.svc.ShowNumber(ctx, r.key, "USAM"); err != nil {
		t.Fatal(err)
	}
	r.slack.failFor = 1000
	r.text(t, "my secret words for staff")
	r.sms.failFor = 1000
	if ok, err := r.svc.StaffReply(ctx, "CINTAKE", card, "EvSecret", "a reply from staff about rehab"); !ok || err != nil {
		t.Fatalf("staff reply: %v %v", ok, err)
	}
	r.box.Step(ctx, "w") // both fail: they wait
	r.text(t, "delete")
	r.text(t, "yes")
	r.slack.failFor, r.sms.failFor = 0, 0
	r.drain(t)

	for _, k := range r.m.Keys() {
		if strings.Contains(k, string(r.key)) && k != "hl:{"+string(r.key)+"}:s" {
			t.Errorf("key %s left after DELETE", k)
		}
		for _, v := range r.values(k) {
			for _, secret := range []string{string(r.key), number, "0123", "secret words", "about rehab", "USAM", "overdose", "alert:", "card:", "reply:"} {
				if strings.Contains(v, secret) {
					t.Errorf("%s holds %q after DELETE: %.120q", k, secret, v)
				}
			}
		}
	}
	if ttl := r.m.TTL("hl:{" + string(r.key) + "}:s"); ttl > time.Hour {
		t.Errorf("the erased session is kept %v, want an hour at most", ttl)
	}
	for _, p := range r.threadPosts(card, "Texter: ") {
		if strings.Contains(p.Fallback, "secret words") {
			t.Errorf("a relay queued before DELETE was posted after it")
		}
	}
	for _, sent := range r.sms.sent {
		if strings.Contains(sent, "about rehab") {
			t.Errorf("a staff reply queued before DELETE was texted after it")
		}
	}
	last := r.slack.updates[len(r.slack.updates)-1]
	if !strings.Contains(last.Blocks, "erased their data") || strings.Contains(last.Blocks, "0123") {
		t.Errorf("the card after DELETE: %s", last.Blocks)
	}
}

// values returns what Redis holds at key, as strings, whatever its type.
func (r *rig) values(key string) []string {
	switch r.m.Type(key) {
	case "string":
		v, _ := r.m.Get(key)
		return []string{v}
	case "list":
		v, _ := r.m.List(key)
		return v
	case "hash":
		var out []string
		fields, _ := r.m.HKeys(key)
		for _, f := range fields {
			out = append(out, f, r.m.HGet(key, f))
		}
		return out
	case "set":
		v, _ := r.m.Members(key)
		return v
	case "zset":
		v, _ := r.m.ZMembers(key)
		return v
	case "stream":
		entries, _ := r.m.Stream(key)
		var out []string
		for _, e := range entries {
			out = append(out, strings.Join(e.Values, " "))
		}
		return out
	}
	return nil
}

// What waits in Redis for Slack or Twilio during their outages is sealed:
// the texter's words queued for the thread, a staff reply queued for the
// texter, and every outbox payload, in the stream or waiting to retry.
func TestNoTextAtRestInPlainForm(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	r.text(t, "hi")
	card := r.claimedHandoff(t)
	r.slack.failFor, r.sms.failFor = 1000, 1000
	r.text(t, "words only staff should read")
	if ok, err := r.svc.StaffReply(ctx, "CINTAKE", card, "Ev1", "a reply only the texter should read"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	for i := 0; i < 3; i++ {
		r.box.Step(ctx, "w")
		r.now = r.now.Add(2 * time.Second)
	}
	held := 0
	for _, k := range r.m.Keys() {
		for _, v := range r.values(k) {
			held++
			for _, plain := range []string{"words only staff", "only the texter should", number} {
				if strings.Contains(v, plain) {
					t.Errorf("%s holds %q in plain form", k, plain)
				}
			}
		}
	}
	if held == 0 {
		t.Fatal("nothing held in Redis during the outage")
	}
}

// Staff replies reach the texter in the order staff wrote them, every part
// of a long one before any part of the next, with several workers
// delivering at once and Twilio taking a moment per text.
func TestStaffRepliesInOrder(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	r.text(t, "hi")
	card := r.claimedHandoff(t)
	slow := &slowTexter{fakeSMS: r.sms, wait: 5 * time.Millisecond}
	r.svc.Texters["sms"] = slow
	long := strings.Repeat("This is a long answer about intensive outpatient care. ", 35)
	replies := []string{long}
	for i := 1; i <= 20; i++ {
		replies = append(replies, fmt.Sprintf("short reply %d", i))
	}
	for i, text := range replies {
		if ok, err := r.svc.StaffReply(ctx, "CINTAKE", card, fmt.Sprintf("Ev%d", i), text); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				r.box.Step(ctx, fmt.Sprintf("w%d", w))
			}
		}()
	}
	wg.Wait()
	r.drain(t)
	var got []string
	for _, s := range r.sms.sent[1:] { // after the claim notice
		got = append(got, strings.TrimPrefix(s, number+"|"))
	}
	parts := (&fakeSMS{}).Shape(long)
	want := append(append([]string(nil), parts...), replies[1:]...)
	if !slices.Equal(got, want) {
		t.Fatalf("texted in this order (%d texts):\n%q\nwant (%d):\n%q", len(got), got, len(want), want)
	}
}

// slowTexter takes a moment per text, as Twilio does.
type slowTexter struct {
	*fakeSMS
	wait time.Duration
}

func (s *slowTexter) Send(ctx context.Context, to, body string) error {
	time.Sleep(s.wait)
	return s.fakeSMS.Send(ctx, to, body)
}

// Once the texter says STOP nothing more is texted to them, even a reply
// queued before it: it is checked as each text goes. The handoff closes
// with a note in its thread.
func TestNothingSentAfterStop(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	r.text(t, "hi")
	card := r.claimedHandoff(t)
	r.sms.failFor = 1
	if ok, err := r.svc.StaffReply(ctx, "CINTAKE", card, "Ev1", "are you still there?"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	r.box.Step(ctx, "w") // Twilio fails: the reply waits
	r.text(t, "stop")
	r.drain(t)
	for _, s := range r.sms.sent {
		if strings.Contains(s, "still there") {
			t.Fatalf("texted after STOP: %q", s)
		}
	}
	notes := r.threadPosts(card, ":octagonal_sign:")
	if len(notes) != 1 || !strings.Contains(notes[0].Fallback, "sent STOP") {
		t.Fatalf("the thread was not told of STOP: %+v", notes)
	}
}

// A text Twilio refuses for good (a 4xx: an empty body, a number that
// cannot receive) is not retried: it is told in the thread once.
func TestRefusedTextNotRetried(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	r.text(t, "hi")
	card := r.claimedHandoff(t)
	refusing := &refusingTexter{fakeSMS: r.sms}
	r.svc.Texters["sms"] = refusing
	if ok, err := r.svc.StaffReply(ctx, "CINTAKE", card, "Ev1", "this one is refused"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	r.drain(t)
	if refusing.tries != 1 {
		t.Fatalf("a refused text was tried %d times", refusing.tries)
	}
	if got := r.notSent(card); len(got) != 1 || !strings.Contains(got[0], "carrier refused it") {
		t.Fatalf("the refusal was not told in the thread: %q", got)
	}
	if ok, err := r.svc.StaffReply(ctx, "CINTAKE", card, "Ev2", "   "); !ok || err == nil {
		t.Fatalf("an empty reply: %v %v", ok, err)
	}
}

type refusingTexter struct {
	*fakeSMS
	tries int
}

func (f *refusingTexter) Send(context.Context, string, string) error {
	f.tries++
	return fmt.Errorf("twilio: status 400, error 21602: %w", handoff.ErrRejected)
}

// A flood of danger from many numbers: the first alerts of the minute are
// posted one by one, the rest folded into one digest posted when the
// minute is over, saying how many and of which kinds, each conversation
// with its own Claim button; claiming one posts its alert on its own and
// makes it the staff member's.
func TestAlertFloodFoldedIntoADigest(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	r.now = time.Unix(1_700_000_040, 0) // 20 s before a minute ends
	const texters = 30
	for i := 0; i < texters; i++ {
		text := "i took all my pills"
		if i%3 == 0 {
			text = "he has a gun and says he will shoot me"
		}
		r.textFrom(t, fmt.Sprintf("+1555555%04d", i), text)
	}
	r.drain(t)
	top, _ := r.alerts()
	var single, digests []post
	for _, p := range top {
		if strings.Contains(p.Fallback, "more crisis alerts") {
			digests = append(digests, p)
		} else {
			single = append(single, p)
		}
	}
	if len(single) != 10 || len(digests) != 1 {
		t.Fatalf("%d alerts and %d digests in the alert channel, want 10 and 1", len(single), len(digests))
	}
	d := digests[0]
	if !strings.Contains(d.Fallback, "20 more crisis alerts") || strings.Count(d.Blocks, handoff.ActionClaimFolded) != 20 {
		t.Fatalf("digest: %s\n%s", d.Fallback, d.Blocks)
	}
	for _, kind := range []string{"overdose", "violence"} {
		if !strings.Contains(d.Fallback, kind) {
			t.Errorf("the digest does not count %s: %s", kind, d.Fallback)
		}
	}
	// One click: the conversation's own alert, claimed.
	var value string
	for _, b := range strings.Split(d.Blocks, `"action_id":"`+handoff.ActionClaimFolded+`"`)[1:2] {
		value = b[strings.Index(b, `"value":"`)+9:]
		value = value[:strings.Index(value, `"`)]
	}
	parts := strings.Split(value, "|")
	if err := r.svc.ClaimFolded(ctx, bot.Key(parts[0]), parts[1], flows.Tier(parts[2]), "USAM"); err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	top, _ = r.alerts()
	last := top[len(top)-1]
	if strings.Contains(last.Fallback, "more crisis alerts") {
		t.Fatalf("no alert of its own after a claim from the digest")
	}
	claimed := false
	for _, u := range r.slack.updates {
		claimed = claimed || (u.TS == last.TS && strings.Contains(u.Blocks, "Claimed by"))
	}
	if !claimed {
		t.Fatalf("the conversation's alert was not claimed for the staff member")
	}
}

// A long text reaches the thread whole: 1,500 emoji (6,000 bytes) are
// 1,500 emoji in the thread, and a text longer than one Slack message
// holds goes on in the next.
func TestLongRelaysWhole(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.text(t, "hi")
	card := r.claimedHandoff(t)
	emoji := strings.Repeat("😭", 1500)
	r.text(t, emoji)
	long := strings.Repeat("<&> ", 16000) // 64,000 characters, escaped to about 190,000
	r.text(t, long)
	r.drain(t)
	var joined strings.Builder
	for _, p := range r.threadPosts(card, "Texter") {
		var blocks []struct {
			Text struct{ Text string } `json:"text"`
		}
		if err := json.Unmarshal([]byte(p.Blocks), &blocks); err != nil {
			t.Fatal(err)
		}
		if len(blocks) > 50 {
			t.Fatalf("a message of %d blocks", len(blocks))
		}
		for _, b := range blocks {
			joined.WriteString(b.Text.Text)
		}
	}
	got := joined.String()
	if n := strings.Count(got, "😭"); n != 1500 {
		t.Errorf("%d of 1500 emoji reached the thread", n)
	}
	if n := strings.Count(got, "&lt;&amp;&gt;"); n != 16000 {
		t.Errorf("%d of 16000 pieces of the long text reached the thread", n)
	}
}
