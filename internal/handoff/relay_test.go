package handoff_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/channel"
	"helpline/internal/handoff"
	"helpline/internal/store"
	"helpline/internal/store/outbox"
	"helpline/internal/store/redistest"
)

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
