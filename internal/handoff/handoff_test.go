package handoff_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/alicebob/miniredis/v2"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/channel"
	"helpline/internal/handoff"
	"helpline/internal/sms"
	"helpline/internal/store"
	"helpline/internal/store/outbox"
	"helpline/internal/store/redistest"
	"helpline/internal/whatsapp"
)

const number = "+15555550123"

// fakeSlack records every post and update, and fails while told to.
type fakeSlack struct {
	mu      sync.Mutex
	posts   []post
	updates []post
	failFor int
}

type post struct {
	Channel, ThreadTS, TS, Fallback string
	Blocks                          string // JSON
}

func (f *fakeSlack) Post(_ context.Context, channel, threadTS, fallback string, blocks []handoff.Block) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failFor > 0 {
		f.failFor--
		return "", errors.New("slack: service unavailable")
	}
	b, _ := json.Marshal(blocks)
	ts := fmt.Sprintf("1700000000.%06d", len(f.posts)+1)
	f.posts = append(f.posts, post{channel, threadTS, ts, fallback, string(b)})
	return ts, nil
}

func (f *fakeSlack) Update(_ context.Context, channel, ts, fallback string, blocks []handoff.Block) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failFor > 0 {
		f.failFor--
		return errors.New("slack: service unavailable")
	}
	b, _ := json.Marshal(blocks)
	f.updates = append(f.updates, post{channel, "", ts, fallback, string(b)})
	return nil
}

// fakeSMS records every text and fails while told to. It shapes texts as
// the SMS channel does.
type fakeSMS struct {
	mu       sync.Mutex
	sent     []string // "to|body"
	failFor  int
	failOn   map[int]bool // attempts (from 1) that fail
	attempts int
	optOut   bool
	closed   bool // the channel refuses: the texter's window closed
	// closedFrom, when above zero, is the attempt from which it refuses so.
	closedFrom int
}

func (f *fakeSMS) Shape(text string) []string { return sms.Shape([]string{text}, false) }

func (f *fakeSMS) Window() time.Duration { return 0 }

func (f *fakeSMS) Send(_ context.Context, to, body string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	if f.failOn[f.attempts] {
		return errors.New("twilio: 503")
	}
	if f.optOut {
		return fmt.Errorf("twilio 21610: %w", handoff.ErrOptedOut)
	}
	if f.closed || (f.closedFrom > 0 && f.attempts >= f.closedFrom) {
		return fmt.Errorf("twilio 63016: %w", handoff.ErrWindowClosed)
	}
	if f.failFor > 0 {
		f.failFor--
		return errors.New("twilio: 503")
	}
	f.sent = append(f.sent, to+"|"+body)
	return nil
}

type rig struct {
	eng   *bot.Engine
	svc   *handoff.Service
	path  *channel.Path
	logs  *logBuffer
	box   *outbox.Outbox
	slack *fakeSlack
	sms   *fakeSMS
	m     *miniredis.Miniredis
	now   time.Time
	n     int
	key   bot.Key
	via   string // the channel the texter writes on; "sms" unless set
}

func newRig(t *testing.T, options ...redistest.Option) *rig {
	t.Helper()
	st, m := redistest.Mini(t, options...)
	set, _ := flows.Default()
	eng, err := bot.New(bot.Config{Flows: set, Store: st, SessionTTL: 24 * time.Hour, OrgName: "Org", Phone: "555-0100", Handoffs: true})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{eng: eng, slack: &fakeSlack{}, sms: &fakeSMS{}, m: m, now: time.Unix(1_700_000_000, 0), key: bot.NewKey([]byte("s"), number)}
	r.box = st.Outbox(nil)
	r.svc, err = handoff.New(st.Handoffs(24*time.Hour), r.box, eng, []byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	r.svc.IntakeChannel, r.svc.AlertChannel = "CINTAKE", "CALERT"
	r.svc.Now = func() time.Time { return r.now }
	r.svc.Texters = map[string]handoff.Texter{"sms": r.sms}
	r.logs = &logBuffer{}
	r.svc.Log = slog.New(slog.NewJSONHandler(r.logs, nil))
	// Texts reach the service as in production: through the channel path
	// it subscribes to.
	r.path = channel.New(eng, []byte("s"), nil)
	r.svc.Subscribe(r.path, "sms", "whatsapp")
	r.box.Register(r.svc.Deliverers(r.slack))
	r.box.Block = 5 * time.Millisecond
	r.box.Now = func() time.Time { return r.now }
	r.box.Backoff = func(int) time.Duration { return time.Second }
	return r
}

// text is a message from the rig's texter, on r.via (SMS unless set).
func (r *rig) text(t *testing.T, body string) bot.Outcome {
	t.Helper()
	from := number
	if r.via != "" && r.via != "sms" {
		from = r.via + ":" + number
	}
	out := r.textFrom(t, from, body)
	r.key = r.path.Key(from)
	return out
}

// textFrom is a message from the address from, through the path, on the
// channel the address names; it fails t when a subscriber could not
// enqueue what it had to.
func (r *rig) textFrom(t *testing.T, from, body string) bot.Outcome {
	t.Helper()
	tr := r.send(from, body)
	if tr.Err != nil {
		t.Fatal(tr.Err)
	}
	if strings.Contains(r.logs.String(), "handoff enqueue failed") {
		t.Fatalf("a subscriber failed:\n%s", r.logs)
	}
	return tr.Outcome
}

// send takes a message from from through the path, and returns the turn.
func (r *rig) send(from, body string) *channel.Turn {
	r.n++
	via, _, found := strings.Cut(from, ":")
	if !found {
		via = "sms"
	}
	return r.path.Handle(context.Background(), via, from, bot.Inbound{Text: body, MessageID: fmt.Sprintf("SM%d", r.n), Time: r.now})
}

// drain runs the outbox until nothing is left, moving the clock past backoffs.
func (r *rig) drain(t *testing.T) {
	t.Helper()
	for i := 0; i < 30; i++ {
		if _, err := r.box.Step(context.Background(), "w"); err != nil {
			t.Fatal(err)
		}
		r.now = r.now.Add(5 * time.Second)
	}
}

func TestWholeHandoff(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	for _, s := range []string{"hi", "1", "1"} {
		r.text(t, s)
	}
	r.text(t, "CALL")
	r.drain(t)
	if len(r.slack.posts) != 1 || r.slack.posts[0].Channel != "CINTAKE" {
		t.Fatalf("card posts: %+v", r.slack.posts)
	}
	cardTS := r.slack.posts[0].TS
	if !strings.Contains(r.slack.posts[0].Blocks, "***-***-0123") || !strings.Contains(r.slack.posts[0].Blocks, "question 2 of 14") {
		t.Fatalf("card lacks masked number or progress: %s", r.slack.posts[0].Blocks)
	}

	// The texter writes while waiting: it lands in the card's thread.
	out := r.text(t, "are you there?")
	if out.Relay == "" {
		t.Fatal("text during handoff was not relayed")
	}
	r.drain(t)
	if p := r.slack.posts[1]; p.ThreadTS != cardTS || !strings.Contains(p.Blocks, "are you there?") {
		t.Fatalf("relay post %+v", p)
	}

	// Claim: the card shows who, the texter is told.
	if ok, err := r.svc.Claim(ctx, r.key, "USAM", "CINTAKE", cardTS); !ok || err != nil {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	if ok, _ := r.svc.Claim(ctx, r.key, "UOTHER", "CINTAKE", cardTS); ok {
		t.Fatal("a second staff member took a claimed handoff")
	}
	r.drain(t)
	if len(r.slack.updates) != 1 || !strings.Contains(r.slack.updates[0].Blocks, `Claimed by \u003c@USAM`) {
		t.Fatalf("updates: %+v", r.slack.updates)
	}
	if len(r.sms.sent) != 1 || !strings.HasPrefix(r.sms.sent[0], number+"|A person from our team") {
		t.Fatalf("claim notice: %q", r.sms.sent)
	}

	// A staff reply in the thread is texted once, even when Slack retries the event.
	for i := 0; i < 2; i++ {
		ok, err := r.svc.StaffReply(ctx, "CINTAKE", cardTS, "Ev123", "Hi, this is Sam from intake.")
		if !ok || err != nil {
			t.Fatalf("staff reply = %v, %v", ok, err)
		}
	}
	r.drain(t)
	if len(r.sms.sent) != 2 || r.sms.sent[1] != number+"|Hi, this is Sam from intake." {
		t.Fatalf("relayed replies: %q", r.sms.sent)
	}

	// Show number: only to the claimer, recorded.
	shown := 0
	r.svc.Accessed = func() { shown++ }
	if _, err := r.svc.ShowNumber(ctx, r.key, "UOTHER"); err == nil {
		t.Fatal("number shown to someone who did not claim")
	}
	if got, err := r.svc.ShowNumber(ctx, r.key, "USAM"); got != number || err != nil || shown != 1 {
		t.Fatalf("ShowNumber = %q, %v (shown %d)", got, err, shown)
	}

	// Close: the texter is told and back with the assistant; the number is gone.
	if err := r.svc.Close(ctx, r.key, "USAM"); err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	if !strings.Contains(r.sms.sent[len(r.sms.sent)-1], "closed this chat") {
		t.Fatalf("close notice: %q", r.sms.sent)
	}
	if r.m.Exists(store.ConversationKey(r.key, "n")) {
		t.Fatal("number kept after close")
	}
	out = r.text(t, "5")
	if out.Relay != "" || !strings.Contains(out.Texts()[0], "health problem") {
		t.Fatalf("after close: %+v", out)
	}
	if ok, _ := r.svc.StaffReply(ctx, "CINTAKE", cardTS, "Ev999", "late"); ok {
		t.Fatal("a reply after close was relayed")
	}
	// Nothing sent to Slack ever carried the full number.
	for _, p := range append(r.slack.posts, r.slack.updates...) {
		if strings.Contains(p.Blocks+p.Fallback, "5555550123") {
			t.Fatalf("full number in a Slack payload: %s", p.Blocks)
		}
	}
}

func TestCrisisAlertAndClaim(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.text(t, "hi")
	out := r.text(t, "i want to kms")
	if len(out.Texts()) == 0 || !strings.Contains(out.Texts()[0], "988") {
		t.Fatalf("crisis reply %+v", out)
	}
	r.drain(t)
	if len(r.slack.posts) != 1 || r.slack.posts[0].Channel != "CALERT" || !strings.Contains(r.slack.posts[0].Blocks, "suicide") {
		t.Fatalf("alert: %+v", r.slack.posts)
	}
	alertTS := r.slack.posts[0].TS
	ok, err := r.svc.Claim(context.Background(), r.key, "UNURSE", "CALERT", alertTS)
	if !ok || err != nil {
		t.Fatalf("claim alert = %v, %v", ok, err)
	}
	r.drain(t)
	if len(r.sms.sent) != 1 {
		t.Fatalf("texter not told after claim: %q", r.sms.sent)
	}
	if ok, _ := r.svc.StaffReply(context.Background(), "CALERT", alertTS, "Ev1", "Are you safe right now?"); !ok {
		t.Fatal("reply in the alert thread not relayed")
	}
	out = r.text(t, "yes, safe")
	if out.Relay != "yes, safe" {
		t.Fatalf("texter's answer not relayed to the alert thread: %+v", out)
	}
	r.drain(t)
	if last := r.slack.posts[len(r.slack.posts)-1]; last.ThreadTS != alertTS {
		t.Fatalf("texter's text not in the alert thread: %+v", last)
	}
}

// Slack down for a while: every card arrives, once.
func TestSlackOutageLosesNothing(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.slack.failFor = 6
	for i := 0; i < 4; i++ {
		for _, s := range []string{"hi", "call"} {
			r.textFrom(t, fmt.Sprintf("+1555555%04d", i), s)
		}
	}
	r.drain(t)
	if len(r.slack.posts) != 4 {
		t.Fatalf("%d cards posted after the outage, want 4", len(r.slack.posts))
	}
	seen := map[string]bool{}
	for _, p := range r.slack.posts {
		if seen[p.Fallback] {
			t.Fatalf("card posted twice: %s", p.Fallback)
		}
		seen[p.Fallback] = true
	}
}

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

func TestStopAndDeleteForgetTheNumber(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.text(t, "hi")
	r.text(t, "call")
	if !r.m.Exists(store.ConversationKey(r.key, "n")) {
		t.Fatal("number not kept for the handoff")
	}
	// The sealed value is base64 of random bytes: "555" alone turns up in
	// it by chance; the number's last seven digits do not.
	if raw, _ := r.m.Get(store.ConversationKey(r.key, "n")); strings.Contains(raw, number[len(number)-7:]) {
		t.Fatalf("number stored in clear: %q", raw)
	}
	r.text(t, "STOP")
	if r.m.Exists(store.ConversationKey(r.key, "n")) {
		t.Fatal("number kept after STOP")
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"+15555550123": "***-***-0123", "0123": "***-***-0123", "12": "***", "": "***"} {
		if got := handoff.Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

// A handoff record that expired while the texter kept writing: their next
// text hands them back to the assistant and tells them, instead of being
// relayed into nothing.
func TestExpiredHandoffHandsTheTexterBack(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.text(t, "hi")
	r.text(t, "call")
	r.drain(t)
	r.m.Del(store.ConversationKey(r.key, "h"))
	out := r.text(t, "hello? anyone?")
	if out.Relay == "" {
		t.Fatal("not relayed (the engine still thought a handoff was open)")
	}
	r.drain(t)
	if len(r.sms.sent) != 1 || !strings.Contains(r.sms.sent[0], "closed this chat") {
		t.Fatalf("texter not told: %q", r.sms.sent)
	}
	if out := r.text(t, "1"); out.Relay != "" {
		t.Fatalf("still relaying after the handoff was gone: %+v", out)
	}
}

// Danger written during a claimed handoff reaches the staff member's thread
// as well as the alert channel; a later alert can be claimed after an
// earlier handoff was closed.
func TestCrisisDuringAndAfterAHandoff(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	r.text(t, "hi")
	r.text(t, "call")
	r.drain(t)
	cardTS := r.slack.posts[0].TS
	r.svc.Claim(ctx, r.key, "USAM", "CINTAKE", cardTS)
	r.text(t, "i want to end it all")
	r.drain(t)
	inThread, alerted := false, false
	for _, p := range r.slack.posts {
		inThread = inThread || (p.ThreadTS == cardTS && strings.Contains(p.Blocks, "end it all"))
		alerted = alerted || p.Channel == "CALERT"
	}
	if !inThread || !alerted {
		t.Fatalf("in thread %v, alerted %v: %+v", inThread, alerted, r.slack.posts)
	}
	if err := r.svc.Close(ctx, r.key, "USAM"); err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	r.text(t, "i want to kill myself")
	r.drain(t)
	alertTS := r.slack.posts[len(r.slack.posts)-1].TS
	if ok, err := r.svc.Claim(ctx, r.key, "UNURSE", "CALERT", alertTS); !ok || err != nil {
		t.Fatalf("claiming a new alert after a closed handoff: %v, %v", ok, err)
	}
}

// Two staff clicking Claim at once: exactly one gets the texter.
func TestConcurrentClaims(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.text(t, "hi")
	r.text(t, "call")
	r.drain(t)
	var wg sync.WaitGroup
	wins := make(chan string, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprint("U", i)
			if ok, _ := r.svc.Claim(context.Background(), r.key, user, "CINTAKE", r.slack.posts[0].TS); ok {
				wins <- user
			}
		}()
	}
	wg.Wait()
	close(wins)
	if n := len(wins); n != 1 {
		t.Fatalf("%d staff got the texter", n)
	}
	r.drain(t)
	if len(r.sms.sent) != 1 {
		t.Fatalf("texter told %d times", len(r.sms.sent))
	}
}

// STOP closes an open card and wipes what it showed.
func TestStopClosesTheCard(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.text(t, "hi")
	r.text(t, "1")
	r.text(t, "call")
	r.drain(t)
	r.text(t, "STOP")
	r.drain(t)
	if len(r.slack.updates) != 1 || !strings.Contains(r.slack.updates[0].Blocks, "stopped messages or erased") {
		t.Fatalf("card after STOP: %+v", r.slack.updates)
	}
}

// A Spanish crisis text, claimed: the texter hears from staff in Spanish.
func TestClaimedSpanishAlertAnswersInSpanish(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.text(t, "me quiero morir")
	r.drain(t)
	if ok, err := r.svc.Claim(context.Background(), r.key, "UNURSE", "CALERT", r.slack.posts[0].TS); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	r.drain(t)
	if len(r.sms.sent) != 1 || !strings.Contains(r.sms.sent[0], "Una persona de nuestro equipo") {
		t.Fatalf("claim notice: %q", r.sms.sent)
	}
}

// texts returns every text of a post's blocks as Slack will read it
// (decoded: the JSON escapes < and > itself), with its type.
func texts(t *testing.T, blocksJSON string) (out []textObject) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(blocksJSON), &v); err != nil {
		t.Fatalf("blocks are not JSON: %v", err)
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if text, ok := v["text"].(string); ok {
				typ, _ := v["type"].(string)
				out = append(out, textObject{typ, text})
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}

type textObject struct{ Type, Text string }

// What a texter might write to make Slack notify, mention or link.
var hostile = []string{
	"<!channel> help", "<!here>", "<!everyone>", "<!subteam^S123|@oncall>", "<@U123ABC>", "<https://evil.example|click me>",
}

// Nothing a texter writes reaches Slack as markup, in any post the
// handoff makes: relays before and after the card is posted, danger
// written during a handoff (relayed and alerted), the card and its
// updates; in the blocks and in the text fallback alike.
func TestEveryPostEscapesTheTexter(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	r.text(t, "hi")
	r.text(t, "call")
	r.text(t, hostile[0]) // before the card is posted
	r.drain(t)
	for _, h := range hostile[1:] {
		r.text(t, h)
	}
	r.svc.Claim(ctx, r.key, "USAM", "CINTAKE", r.slack.posts[0].TS)
	r.text(t, "<!channel> i want to kms <@U123ABC>")
	r.drain(t)
	r.svc.Close(ctx, r.key, "USAM")
	r.drain(t)
	relayed := 0
	all := append(append([]post(nil), r.slack.posts...), r.slack.updates...)
	for _, p := range all {
		objs := texts(t, p.Blocks)
		for _, h := range hostile {
			if strings.Contains(p.Fallback, h) {
				t.Errorf("fallback %q carries %q as markup", p.Fallback, h)
			}
			for _, o := range objs {
				if strings.Contains(o.Text, h) {
					t.Errorf("block text %q carries %q as markup", o.Text, h)
				}
			}
		}
		if strings.Contains(p.Fallback, "&lt;!channel&gt;") {
			relayed++
		}
	}
	if relayed < 2 {
		t.Fatalf("the texts were not relayed (%d posts with them): %+v", relayed, r.slack.posts)
	}
}

// A texter's 1600 characters of < escape to 6400: the relay is split into
// sections within Slack's 3000, and nothing of it is lost.
func TestLongRelayFitsSlack(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.text(t, "hi")
	r.text(t, "call")
	r.drain(t)
	text := strings.Repeat("<", 1600)
	r.text(t, text)
	r.drain(t)
	p := r.slack.posts[len(r.slack.posts)-1]
	var joined strings.Builder
	for _, o := range texts(t, p.Blocks) {
		if n := utf8.RuneCountInString(o.Text); n > 3000 {
			t.Fatalf("a section of %d characters", n)
		}
		joined.WriteString(o.Text)
	}
	if want := "*Texter:*\n&gt; " + strings.Repeat("&lt;", 1600); strings.ReplaceAll(joined.String(), "&lt;&gt; ", "&lt;") != want {
		t.Fatalf("the relay lost text: %d characters of %d", len(joined.String()), len(want))
	}
	if n := utf8.RuneCountInString(p.Fallback); n > 3000 || !strings.HasPrefix(p.Fallback, "Texter: &lt;") {
		t.Fatalf("fallback of %d characters: %.40q", n, p.Fallback)
	}
}

// The masked number is shown as code in mrkdwn, where its asterisks are
// literal: as bold it rendered as ****-***-0123*.
func TestMaskedNumberRendersAsWritten(t *testing.T) {
	t.Parallel()
	masked := handoff.Mask(number)
	_, alert := handoff.AlertBlocks(handoff.Alert{Key: "k", Masked: masked, Kind: "suicide", Lang: "en", At: 1_700_000_000}, nil)
	_, card := handoff.CardBlocks(&handoff.Record{Key: "k", Masked: masked, State: "open"}, nil)
	for name, blocks := range map[string][]handoff.Block{"alert": alert, "card": card} {
		b, _ := json.Marshal(blocks)
		shown := 0
		for _, o := range texts(t, string(b)) {
			if o.Type != "mrkdwn" {
				continue
			}
			shown += strings.Count(o.Text, masked)
			if strings.Count(o.Text, masked) != strings.Count(o.Text, "`"+masked+"`") {
				t.Errorf("%s: masked number outside code: %q", name, o.Text)
			}
		}
		if shown == 0 {
			t.Errorf("%s: masked number not shown in mrkdwn", name)
		}
	}
}

// threadTexts returns, in order, the texter's texts posted in thread.
func (r *rig) threadTexts(thread string) []string {
	var out []string
	for _, p := range r.threadPosts(thread, "Texter: ") {
		out = append(out, strings.TrimPrefix(p.Fallback, "Texter: "))
	}
	return out
}

// threadPosts returns, in order, the posts in thread whose fallback text
// starts with prefix.
func (r *rig) threadPosts(thread, prefix string) []post {
	r.slack.mu.Lock()
	defer r.slack.mu.Unlock()
	var out []post
	for _, p := range r.slack.posts {
		if p.ThreadTS == thread && strings.HasPrefix(p.Fallback, prefix) {
			out = append(out, p)
		}
	}
	return out
}

// A text written right after CALL, while the card is still on its way,
// comes before a later one in the thread: the card failed once, the early
// text waited for it, and the later text found the card already posted.
func TestRelaysBeforeTheCardKeepTheirOrder(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	r.slack.failFor = 1
	r.text(t, "hi")
	r.text(t, "call")
	r.text(t, "first")
	r.box.Step(ctx, "w") // the card fails; "first" waits for it
	r.now = r.now.Add(1500 * time.Millisecond)
	r.box.Step(ctx, "w") // the card is posted
	r.text(t, "second")
	r.drain(t)
	if got := r.threadTexts(r.slack.posts[0].TS); !slices.Equal(got, []string{"first", "second"}) {
		t.Fatalf("thread has %q, want [first second]", got)
	}
}

// Three workers of two processes deliver a burst of texts written right
// after CALL: the thread shows them in the order written, each once.
// Real Redis, workers running freely, a Slack that takes a moment.
func TestRelaysInOrderWithManyWorkers(t *testing.T) {
	t.Parallel()
	st := redistest.Store(t, redistest.Start(t).Addr)
	set, _ := flows.Default()
	eng, err := bot.New(bot.Config{Flows: set, Store: st, SessionTTL: 24 * time.Hour, OrgName: "Org", Phone: "555-0100", Handoffs: true})
	if err != nil {
		t.Fatal(err)
	}
	slow := &slowSlack{fakeSlack: &fakeSlack{}, delay: time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var svc *handoff.Service
	for i := 0; i < 2; i++ { // two processes on one Redis
		box := st.Outbox(nil)
		box.Block = 20 * time.Millisecond
		s, err := handoff.New(st.Handoffs(24*time.Hour), box, eng, []byte(strings.Repeat("k", 32)))
		if err != nil {
			t.Fatal(err)
		}
		s.IntakeChannel, s.AlertChannel = "CINTAKE", "CALERT"
		s.Texters = map[string]handoff.Texter{"sms": &fakeSMS{}}
		box.Register(s.Deliverers(slow))
		svc = s
		for w := 0; w < 2-i; w++ {
			wg.Add(1)
			go func() { defer wg.Done(); box.Run(ctx, fmt.Sprint("p", i, "w", w)) }()
		}
	}
	r := &rig{slack: slow.fakeSlack, path: channel.New(eng, []byte("s"), nil), logs: &logBuffer{}}
	svc.Log = slog.New(slog.NewJSONHandler(r.logs, nil))
	svc.Subscribe(r.path, "sms")
	var want []string
	for j := 0; j < 30; j++ {
		want = append(want, fmt.Sprint("text ", j))
	}
	for _, body := range append([]string{"hi", "call"}, want...) {
		r.textFrom(t, number, body)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(r.threadTexts("1700000000.000001")) < len(want) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if got := r.threadTexts("1700000000.000001"); !slices.Equal(got, want) {
		t.Fatalf("thread has %q,\nwant %q", got, want)
	}
}

// slowSlack is a fakeSlack that takes a moment to answer.
type slowSlack struct {
	*fakeSlack
	delay time.Duration
}

func (s *slowSlack) Post(ctx context.Context, channel, threadTS, fallback string, blocks []handoff.Block) (string, error) {
	time.Sleep(s.delay)
	return s.fakeSlack.Post(ctx, channel, threadTS, fallback, blocks)
}

// A relay enqueued by an earlier version carries its text itself: it is
// still posted, escaped.
func TestRelayOfAnEarlierVersionIsPosted(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.text(t, "hi")
	r.text(t, "call")
	r.drain(t)
	payload, _ := json.Marshal(map[string]any{"Key": r.key, "Text": "from before <!here>"})
	if err := r.box.Enqueue(context.Background(), outbox.Message{ID: "relay:old", Kind: handoff.KindThread, Payload: payload}); err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	if got := r.threadTexts(r.slack.posts[0].TS); !slices.Equal(got, []string{"from before &lt;!here&gt;"}) {
		t.Fatalf("thread has %q", got)
	}
}

// alerts returns the top-level posts in the alert channel, and the posts
// in the thread of each, by the alert's ts.
func (r *rig) alerts() (top []post, threads map[string][]post) {
	r.slack.mu.Lock()
	defer r.slack.mu.Unlock()
	threads = map[string][]post{}
	for _, p := range r.slack.posts {
		switch {
		case p.Channel == "CALERT" && p.ThreadTS == "":
			top = append(top, p)
		case p.ThreadTS != "":
			threads[p.ThreadTS] = append(threads[p.ThreadTS], p)
		}
	}
	return top, threads
}

// A hundred texts of danger from one number: a hundred answers, one alert,
// and its thread told the count; a new kind, another texter, or the same
// kind a day later is a new alert.
func TestOneAlertPerConversationAndKind(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for i := 0; i < 100; i++ {
		if out := r.text(t, "i want to kms"); len(out.Texts()) == 0 || !strings.Contains(out.Texts()[0], "988") {
			t.Fatalf("text %d not answered: %+v", i, out)
		}
	}
	r.drain(t)
	top, threads := r.alerts()
	if len(top) != 1 {
		t.Fatalf("%d alerts for one conversation, want 1", len(top))
	}
	updates := threads[top[0].TS]
	if len(updates) == 0 || !strings.Contains(updates[len(updates)-1].Fallback, "Again: 100 texts with words of suicide") {
		t.Fatalf("thread of the alert: %+v", updates)
	}
	if len(updates) > 2 {
		t.Fatalf("%d thread updates for one burst", len(updates))
	}

	r.text(t, "I took too many pills") // a new kind
	r.textFrom(t, "+15555550999", "i want to kms")
	r.drain(t)
	if top, _ = r.alerts(); len(top) != 3 || !strings.Contains(top[1].Blocks, "overdose") {
		t.Fatalf("after a new kind and another texter: %d alerts", len(top))
	}
	r.now = r.now.Add(24 * time.Hour)
	r.text(t, "i want to kms")
	r.drain(t)
	if top, _ = r.alerts(); len(top) != 4 {
		t.Fatalf("a day later: %d alerts, want a new one (4)", len(top))
	}
}

// A texter writing danger every second for a minute: the alert's thread is
// updated at most every AgainEvery (30 s), and the last update has the
// whole count.
func TestAlertThreadUpdatesAreSpaced(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	for i := 0; i < 60; i++ {
		r.text(t, "i want to kms")
		if _, err := r.box.Step(ctx, "w"); err != nil {
			t.Fatal(err)
		}
		r.now = r.now.Add(time.Second)
	}
	r.drain(t)
	top, threads := r.alerts()
	if len(top) != 1 {
		t.Fatalf("%d alerts", len(top))
	}
	updates := threads[top[0].TS]
	if len(updates) < 2 || len(updates) > 4 {
		t.Fatalf("%d thread updates in a minute, want 2 to 4: %+v", len(updates), updates)
	}
	if last := updates[len(updates)-1].Fallback; !strings.Contains(last, "Again: 60 texts") {
		t.Fatalf("last update %q, want the count of 60", last)
	}
}

// Claimed, the alert's thread is the handoff: the same kind again is
// counted there; once staff close the handoff, danger is a new alert.
func TestAlertClosesWithItsHandoff(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	r.text(t, "i want to kms")
	r.drain(t)
	top, _ := r.alerts()
	if ok, err := r.svc.Claim(ctx, r.key, "UNURSE", "CALERT", top[0].TS); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	r.text(t, "i want to end it all")
	r.drain(t)
	top, threads := r.alerts()
	if len(top) != 1 {
		t.Fatalf("%d alerts while the handoff is open", len(top))
	}
	counted := false
	for _, p := range threads[top[0].TS] {
		counted = counted || strings.Contains(p.Fallback, "Again: 2 texts")
	}
	if !counted {
		t.Fatalf("the handoff thread was not told of the second text: %+v", threads[top[0].TS])
	}
	if err := r.svc.Close(ctx, r.key, "UNURSE"); err != nil {
		t.Fatal(err)
	}
	r.text(t, "i want to kms")
	r.drain(t)
	if top, _ = r.alerts(); len(top) != 2 {
		t.Fatalf("after close: %d alerts, want a new one (2)", len(top))
	}
}

// logBuffer is a log sink safe for concurrent writers.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// With the store down the texter is answered and staff still hear: the
// alert goes to Slack directly, through Slack's failures, once per
// conversation and kind; the log and the metric say so.
func TestAlertWithTheStoreDown(t *testing.T) {
	t.Parallel()
	r := newRig(t, redistest.FewRetries)
	logs := &logBuffer{}
	r.svc.Log = slog.New(slog.NewJSONHandler(logs, nil))
	var mu sync.Mutex
	var results []string
	r.svc.DirectObserved = func(res string) { mu.Lock(); results = append(results, res); mu.Unlock() }
	r.svc.DirectBackoff = 10 * time.Millisecond
	r.slack.failFor = 2
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.svc.RunDirect(ctx, r.slack); close(done) }()
	defer func() { cancel(); <-done }()

	r.m.Close()
	for _, from := range []string{number, number, number, "+15555550999"} {
		tr := r.send(from, "i want to kms")
		if tr.Err != nil || len(tr.Outcome.Texts()) == 0 || !strings.Contains(tr.Outcome.Texts()[0], "988") {
			t.Fatalf("texter not answered with the store down: %+v, %v", tr.Outcome, tr.Err)
		}
	}
	if n := strings.Count(logs.String(), "handoff enqueue failed"); n != 4 {
		t.Fatalf("%d subscriber failures logged with the store down, want 4", n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(results)
		mu.Unlock()
		if n == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	top, _ := r.alerts()
	if len(top) != 2 {
		t.Fatalf("%d alerts reached Slack, want one per conversation (2)", len(top))
	}
	if !strings.Contains(top[0].Blocks, "Posted directly") || !strings.Contains(top[0].Blocks, "suicide") {
		t.Fatalf("direct alert: %s", top[0].Blocks)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(results, []string{handoff.DirectPosted, handoff.DirectPosted}) {
		t.Fatalf("metric results %q", results)
	}
	for _, want := range []string{"crisis alert goes to Slack directly", "crisis alert posted to Slack directly"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no log line %q", want)
		}
	}
	if strings.Contains(logs.String(), "5555550") {
		t.Error("a number in the logs")
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

// window is a texter with WhatsApp's 24-hour window.
type window struct{ *fakeSMS }

func (window) Window() time.Duration { return 24 * time.Hour }

func (window) Shape(text string) []string { return whatsapp.Shape([]string{text}) }

// onWhatsApp has the rig's texter write on WhatsApp, answered by a
// WhatsApp texter that records what it sends.
func (r *rig) onWhatsApp() *fakeSMS {
	wa := &fakeSMS{}
	r.via = "whatsapp"
	r.svc.Texters["whatsapp"] = window{wa}
	return wa
}

// claimedHandoff has the texter send CALL and a staff member claim the
// card; it returns the card's ts.
func (r *rig) claimedHandoff(t *testing.T) string {
	t.Helper()
	r.text(t, "call")
	r.drain(t)
	card := r.slack.posts[len(r.slack.posts)-1].TS
	if ok, err := r.svc.Claim(context.Background(), r.key, "USAM", "CINTAKE", card); !ok || err != nil {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	r.drain(t)
	return card
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

// notSent returns the blocks of the thread's notices of texts that did
// not reach the texter.
func (r *rig) notSent(thread string) []string {
	var out []string
	for _, p := range r.threadPosts(thread, "Not sent to the texter") {
		out = append(out, p.Blocks)
	}
	return out
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

// A staff member's own screening in Slack goes through the same path, but
// it is not a texter: yes to the safety question and to the direct
// question after it (what a caller may answer) raises no alert. Slack's
// screening sends only typed answers and commands, so it cannot say CALL.
func TestStaffScreeningsAreNotTexters(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	handle := func(in bot.Inbound) bot.Outcome {
		t.Helper()
		r.n++
		in.MessageID = fmt.Sprint("click", r.n)
		tr := r.path.Handle(ctx, "slack", "slack:T1:U1", in)
		if tr.Err != nil {
			t.Fatal(tr.Err)
		}
		return tr.Outcome
	}
	out := handle(bot.Inbound{Command: bot.CommandRestart})
	danger := false
	for i := 0; out.Summary() == nil && i < 30; i++ {
		q := out.Asked()
		if q == nil || len(q.Choices) == 0 {
			t.Fatalf("nothing asked: %+v", out.Replies)
		}
		value := q.Choices[0].Value
		if q.Step == "safety" || q.Step == bot.NowStep {
			value = "yes"
		}
		out = handle(bot.Inbound{Answer: &bot.Answer{Step: q.Step, Values: []string{value}}})
		for _, ev := range out.Events {
			danger = danger || ev.Kind == bot.EventCrisis
		}
	}
	if !danger {
		t.Fatal("the screening raised no danger event to ignore")
	}
	r.drain(t)
	if len(r.slack.posts) != 0 {
		t.Fatalf("a staff screening reached the intake or alert channel: %+v", r.slack.posts)
	}
}
