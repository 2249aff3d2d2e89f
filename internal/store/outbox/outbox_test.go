package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"helpline/internal/store/outbox"
	"helpline/internal/store/redistest"
)

// recorder is a deliverer that fails while told to and records what it sent.
type recorder struct {
	mu      sync.Mutex
	sent    []string
	failFor int // fail this many more deliveries
	err     error
}

func (r *recorder) Deliver(_ context.Context, m outbox.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failFor > 0 {
		r.failFor--
		if r.err != nil {
			return r.err
		}
		return errors.New("provider is down")
	}
	r.sent = append(r.sent, m.ID)
	return nil
}

func (r *recorder) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.sent {
		if s == id {
			n++
		}
	}
	return n
}

type observer struct {
	mu                      sync.Mutex
	delivered, failed, dead int
}

func (o *observer) Delivered(string, time.Duration) { o.mu.Lock(); o.delivered++; o.mu.Unlock() }
func (o *observer) Failed(string)                   { o.mu.Lock(); o.failed++; o.mu.Unlock() }
func (o *observer) Dead(string)                     { o.mu.Lock(); o.dead++; o.mu.Unlock() }

func mini(t *testing.T) (*miniredis.Miniredis, redis.UniversalClient) {
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { rdb.Close() })
	return m, rdb
}

// A provider outage delays messages; none is lost and each goes once.
func TestOutageThenRecovery(t *testing.T) {
	t.Parallel()
	_, rdb := mini(t)
	rec := &recorder{failFor: 7}
	obs := &observer{}
	now := time.Unix(1_700_000_000, 0)
	o := outbox.New(rdb, map[string]outbox.Deliverer{"slack.post": rec})
	o.Observer, o.Block, o.Now = obs, 10*time.Millisecond, func() time.Time { return now }
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := o.Enqueue(ctx, outbox.Message{ID: fmt.Sprintf("card-%d", i), Kind: "slack.post"}); err != nil {
			t.Fatal(err)
		}
	}
	for round := 0; round < 40; round++ {
		if _, err := o.Step(ctx, "w1"); err != nil {
			t.Fatal(err)
		}
		now = now.Add(10 * time.Minute) // past any backoff
	}
	for i := 0; i < 5; i++ {
		if n := rec.count(fmt.Sprintf("card-%d", i)); n != 1 {
			t.Errorf("card-%d delivered %d times", i, n)
		}
	}
	if obs.failed != 7 || obs.delivered != 5 || obs.dead != 0 {
		t.Errorf("observed %+v", obs)
	}
	waiting, retrying, dead, _, err := o.Depth(ctx)
	if err != nil || waiting+retrying+dead != 0 {
		t.Fatalf("left behind: %d waiting, %d retrying, %d dead (%v)", waiting, retrying, dead, err)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	_, rdb := mini(t)
	rec := &recorder{failFor: 1, err: outbox.Later(errors.New("rate limited"), 30*time.Second)}
	now := time.Unix(1_700_000_000, 0)
	o := outbox.New(rdb, map[string]outbox.Deliverer{"k": rec})
	o.Block, o.Now = 10*time.Millisecond, func() time.Time { return now }
	o.Backoff = func(int) time.Duration { return time.Second }
	ctx := context.Background()
	o.Enqueue(ctx, outbox.Message{ID: "a", Kind: "k"})
	o.Step(ctx, "w")
	now = now.Add(20 * time.Second)
	o.Step(ctx, "w")
	if rec.count("a") != 0 {
		t.Fatal("retried before the provider's Retry-After")
	}
	now = now.Add(15 * time.Second)
	o.Step(ctx, "w")
	o.Step(ctx, "w")
	if rec.count("a") != 1 {
		t.Fatal("not delivered after Retry-After")
	}
}

func TestDeadLetterAfterMaxTries(t *testing.T) {
	t.Parallel()
	_, rdb := mini(t)
	rec := &recorder{failFor: 100}
	obs := &observer{}
	now := time.Unix(1_700_000_000, 0)
	o := outbox.New(rdb, map[string]outbox.Deliverer{"k": rec, "p": outbox.DelivererFunc(func(context.Context, outbox.Message) error {
		return outbox.Permanent(errors.New("recipient opted out"))
	})})
	o.Observer, o.MaxTries, o.Block, o.Now = obs, 3, 10*time.Millisecond, func() time.Time { return now }
	ctx := context.Background()
	o.Enqueue(ctx, outbox.Message{ID: "a", Kind: "k"})
	o.Enqueue(ctx, outbox.Message{ID: "b", Kind: "p"})
	o.Enqueue(ctx, outbox.Message{ID: "c", Kind: "unknown"})
	for i := 0; i < 10; i++ {
		o.Step(ctx, "w")
		now = now.Add(10 * time.Minute)
	}
	_, retrying, dead, _, _ := o.Depth(ctx)
	if dead != 3 || retrying != 0 || obs.dead != 3 {
		t.Fatalf("dead=%d retrying=%d observed=%+v; want all three dead", dead, retrying, obs)
	}
}

// abandoner records the messages given up, with why.
type abandoner struct {
	*recorder
	mu        sync.Mutex
	abandoned []string
}

func (a *abandoner) Abandon(_ context.Context, m outbox.Message, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.abandoned = append(a.abandoned, m.ID+": "+err.Error())
}

// A deliverer that wants to know is told of each message given up, once,
// whether for a permanent error or after MaxAge of tries, and never of one
// delivered.
func TestAbandonedMessagesAreTold(t *testing.T) {
	t.Parallel()
	_, rdb := mini(t)
	a := &abandoner{recorder: &recorder{failFor: 1, err: outbox.Permanent(errors.New("opted out"))}}
	now := time.Unix(1_700_000_000, 0)
	o := outbox.New(rdb, map[string]outbox.Deliverer{"k": a})
	o.Block, o.Now = 5*time.Millisecond, func() time.Time { return now }
	ctx := context.Background()
	o.Enqueue(ctx, outbox.Message{ID: "refused", Kind: "k"})
	o.Step(ctx, "w")
	o.Enqueue(ctx, outbox.Message{ID: "sent", Kind: "k"})
	o.Step(ctx, "w")
	a.recorder.failFor, a.recorder.err = 1000, nil
	o.Enqueue(ctx, outbox.Message{ID: "late", Kind: "k"})
	for i := 0; i < 300; i++ {
		o.Step(ctx, "w")
		now = now.Add(6 * time.Minute)
	}
	want := []string{"refused: opted out", "late: provider is down"}
	if !slices.Equal(a.abandoned, want) || a.count("sent") != 1 {
		t.Fatalf("abandoned %q, want %q", a.abandoned, want)
	}
}

func TestEnqueuedTwiceSentOnce(t *testing.T) {
	t.Parallel()
	_, rdb := mini(t)
	rec := &recorder{}
	o := outbox.New(rdb, map[string]outbox.Deliverer{"k": rec})
	o.Block = 10 * time.Millisecond
	ctx := context.Background()
	o.Enqueue(ctx, outbox.Message{ID: "same", Kind: "k"})
	o.Enqueue(ctx, outbox.Message{ID: "same", Kind: "k"})
	for i := 0; i < 3; i++ {
		o.Step(ctx, "w")
	}
	if n := rec.count("same"); n != 1 {
		t.Fatalf("sent %d times", n)
	}
}

// A worker that read entries and died before acknowledging them: another
// worker takes them over after ClaimAfter. Real Redis, real idle times.
func TestDeadWorkerEntriesClaimed(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	ctx := context.Background()
	rec := &recorder{}
	o := outbox.New(rdb, map[string]outbox.Deliverer{"k": rec})
	o.Block, o.ClaimAfter = 10*time.Millisecond, 200*time.Millisecond
	if err := o.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		o.Enqueue(ctx, outbox.Message{ID: fmt.Sprint("m", i), Kind: "k"})
	}
	// The doomed worker reads everything and never acknowledges.
	got, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "senders", Consumer: "doomed", Streams: []string{outbox.StreamKey, ">"}, Count: 10}).Result()
	if err != nil || len(got[0].Messages) != 3 {
		t.Fatalf("doomed read %v, %v", got, err)
	}
	if n, _ := o.Step(ctx, "survivor"); n != 0 {
		t.Fatal("claimed entries that were not idle yet")
	}
	time.Sleep(300 * time.Millisecond)
	o.Step(ctx, "survivor")
	for i := 0; i < 3; i++ {
		if rec.count(fmt.Sprint("m", i)) != 1 {
			t.Errorf("m%d delivered %d times", i, rec.count(fmt.Sprint("m", i)))
		}
	}
	pending, _ := rdb.XPending(ctx, outbox.StreamKey, "senders").Result()
	if pending.Count != 0 {
		t.Fatalf("%d entries still pending", pending.Count)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	t.Parallel()
	_, rdb := mini(t)
	rec := &recorder{}
	o := outbox.New(rdb, map[string]outbox.Deliverer{"k": rec})
	o.Block = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- o.Run(ctx, "w") }()
	o.Enqueue(context.Background(), outbox.Message{ID: "x", Kind: "k"})
	deadline := time.Now().Add(5 * time.Second)
	for rec.count("x") == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if rec.count("x") != 1 {
		t.Fatal("Run did not deliver")
	}
}

// A Slack outage of minutes, not seconds: retried for as long as MaxAge,
// then delivered once; past MaxAge, dead letters that expire.
func TestLongOutageIsRetriedByAge(t *testing.T) {
	t.Parallel()
	m, rdb := mini(t)
	rec := &recorder{failFor: 40}
	now := time.Unix(1_700_000_000, 0)
	o := outbox.New(rdb, map[string]outbox.Deliverer{"k": rec})
	o.Block, o.Now = 5*time.Millisecond, func() time.Time { return now }
	ctx := context.Background()
	o.Enqueue(ctx, outbox.Message{ID: "alert", Kind: "k"})
	for i := 0; i < 60; i++ {
		o.Step(ctx, "w")
		now = now.Add(6 * time.Minute) // 40 failures take about four hours
	}
	if rec.count("alert") != 1 {
		t.Fatal("an alert was lost to a four-hour outage")
	}
	rec.failFor = 1000
	o.Enqueue(ctx, outbox.Message{ID: "late", Kind: "k"})
	for i := 0; i < 300; i++ {
		o.Step(ctx, "w")
		now = now.Add(6 * time.Minute)
	}
	_, retrying, dead, _, _ := o.Depth(ctx)
	if dead != 1 || retrying != 0 {
		t.Fatalf("after a day: dead %d, retrying %d", dead, retrying)
	}
	if ttl := m.TTL(outbox.DeadKey); ttl <= 0 {
		t.Fatal("dead letters never expire")
	}
}

// Dead letters hold texters' and staff's words: each is kept for DeadKeep
// from its arrival, even while newer ones keep arriving, and the old ones
// go without waiting for a new one. Real Redis: an entry's age is its ID,
// Redis's clock, so the test waits on that clock (DeadKeep is two seconds).
func TestDeadLettersTrimmedByAge(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	ctx := context.Background()
	o := outbox.New(rdb, map[string]outbox.Deliverer{"p": outbox.DelivererFunc(func(context.Context, outbox.Message) error {
		return outbox.Permanent(errors.New("recipient opted out"))
	})})
	o.Block, o.DeadKeep = 5*time.Millisecond, 2*time.Second
	deadIDs := func() []string {
		msgs, err := rdb.XRange(ctx, outbox.DeadKey, "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range msgs {
			var v outbox.Message
			json.Unmarshal([]byte(m.Values["m"].(string)), &v)
			ids = append(ids, v.ID)
		}
		return ids
	}
	kill := func(id string) {
		if err := o.Enqueue(ctx, outbox.Message{ID: id, Kind: "p"}); err != nil {
			t.Fatal(err)
		}
		if _, err := o.Step(ctx, "w"); err != nil {
			t.Fatal(err)
		}
	}
	kill("old")
	time.Sleep(1200 * time.Millisecond)
	kill("newer") // "old" is 1.2 s old: kept
	if got := deadIDs(); !slices.Equal(got, []string{"old", "newer"}) {
		t.Fatalf("dead letters %v, want [old newer]", got)
	}
	time.Sleep(time.Second)
	// "old" is now past its keep; no new dead letter arrives, a worker's
	// round drops it; "newer" (1 s old) stays.
	if _, err := o.Step(ctx, "w"); err != nil {
		t.Fatal(err)
	}
	if got := deadIDs(); !slices.Equal(got, []string{"newer"}) {
		t.Fatalf("dead letters %v, want [newer]", got)
	}
	if ttl := rdb.PTTL(ctx, outbox.DeadKey).Val(); ttl <= 0 || ttl > 2*time.Second {
		t.Fatalf("dead-letter stream TTL %v, want at most the keep", ttl)
	}
}

// A round of work delivers the default lane's messages before a flood in
// another lane, however much of the flood was queued first.
func TestLaneComesFirstInARound(t *testing.T) {
	t.Parallel()
	_, rdb := mini(t)
	rec := &recorder{}
	o := outbox.New(rdb, map[string]outbox.Deliverer{"alert": rec, "card": rec})
	o.Lane("alerts", "alert")
	o.Block = 5 * time.Millisecond
	ctx := context.Background()
	for i := 0; i < 120; i++ {
		if err := o.Enqueue(ctx, outbox.Message{ID: fmt.Sprint("alert-", i), Kind: "alert"}); err != nil {
			t.Fatal(err)
		}
	}
	o.Enqueue(ctx, outbox.Message{ID: "card", Kind: "card"})
	if waiting, _, _, _, _ := o.Depth(ctx); waiting != 121 {
		t.Fatalf("depth over both lanes: %d waiting, want 121", waiting)
	}
	if _, err := o.Step(ctx, "w"); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	first := rec.sent[0]
	rec.mu.Unlock()
	if first != "card" {
		t.Fatalf("first delivered %q: the card waited behind the alerts", first)
	}
	for i := 0; i < 5; i++ {
		o.Step(ctx, "w")
	}
	if n := rec.count("alert-119"); n != 1 {
		t.Fatalf("the last alert delivered %d times", n)
	}
	if waiting, retrying, _, _, _ := o.Depth(ctx); waiting+retrying != 0 {
		t.Fatalf("left behind: %d waiting, %d retrying", waiting, retrying)
	}
}

// Run reads each lane with its own loop: while every alert delivery hangs
// (Slack slow on the alert channel), a card in the default lane still goes
// out. Real Redis and real workers; the gate holding the alerts opens when
// the card arrives, or after ten seconds, which the test counts as failure.
func TestLanesRunApart(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gate := make(chan struct{})
	card := &recorder{}
	alerts := &recorder{}
	timedOut := false
	var once sync.Once
	open := func() { once.Do(func() { close(gate) }) }
	o := outbox.New(rdb, map[string]outbox.Deliverer{
		"card": outbox.DelivererFunc(func(ctx context.Context, m outbox.Message) error {
			err := card.Deliver(ctx, m)
			open()
			return err
		}),
		"alert": outbox.DelivererFunc(func(ctx context.Context, m outbox.Message) error {
			select {
			case <-gate:
			case <-time.After(10 * time.Second):
				timedOut = true
				open()
			}
			return alerts.Deliver(ctx, m)
		}),
	})
	o.Lane("alerts", "alert")
	o.Block = 50 * time.Millisecond
	for i := 0; i < 200; i++ {
		o.Enqueue(context.Background(), outbox.Message{ID: fmt.Sprint("alert-", i), Kind: "alert"})
	}
	o.Enqueue(context.Background(), outbox.Message{ID: "card", Kind: "card"})
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx, "w") }()
	<-gate
	if timedOut {
		t.Fatal("the card waited behind the hanging alerts")
	}
	deadline := time.Now().Add(20 * time.Second)
	for alerts.count("alert-199") == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if card.count("card") != 1 || alerts.count("alert-199") != 1 {
		t.Fatalf("card delivered %d times, last alert %d times", card.count("card"), alerts.count("alert-199"))
	}
}

// A deferred message waits its delay, in its lane, then goes once.
func TestDefer(t *testing.T) {
	t.Parallel()
	_, rdb := mini(t)
	rec := &recorder{}
	now := time.Unix(1_700_000_000, 0)
	o := outbox.New(rdb, map[string]outbox.Deliverer{"again": rec})
	o.Lane("alerts", "again")
	o.Block, o.Now = 5*time.Millisecond, func() time.Time { return now }
	ctx := context.Background()
	if err := o.Defer(ctx, outbox.Message{ID: "count", Kind: "again"}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	o.Step(ctx, "w")
	now = now.Add(29 * time.Second)
	o.Step(ctx, "w")
	if rec.count("count") != 0 {
		t.Fatal("delivered before its delay")
	}
	now = now.Add(2 * time.Second)
	o.Step(ctx, "w")
	o.Step(ctx, "w")
	if rec.count("count") != 1 {
		t.Fatalf("delivered %d times after its delay", rec.count("count"))
	}
}
