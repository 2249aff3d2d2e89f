// Package outbox delivers the messages the system starts (handoff cards,
// crisis alerts, relays to texters) through a Redis Stream with a consumer
// group, so a Slack or Twilio outage delays them and loses none.
//
// An entry is read by one worker of the group and acknowledged only after
// delivery. A failed delivery is scheduled again with exponential backoff
// (or the delay the provider asked for) in a sorted set that workers move
// back into the stream when due; once it is older than MaxAge (a day by
// default: an outage delays messages, it does not lose them) it goes to a
// dead-letter stream, where each entry is kept for a week from the time it
// arrived (the stream is trimmed by entry age, not expired as a whole).
// Entries a dead worker held are taken over with XAUTOCLAIM. Each
// message carries an ID, and a delivered ID is remembered for a day, so a
// message enqueued twice, or redelivered after a worker died between
// delivering and acknowledging, is sent once in normal operation.
//
// Lanes keep one kind of traffic from holding up another: a kind given a
// lane of its own (crisis alerts) has its own stream and retry set, read by
// its own workers, so a thousand alerts queued at once do not delay a
// handoff card in the default lane.
//
// All keys share the hash tag {outbox}, so the scripts run on Redis Cluster.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Keys, all in one Cluster slot. StreamKey and DelayedKey are the default
// lane's; another lane's keys add ":" and its name.
const (
	StreamKey  = "hl:{outbox}:stream"
	DelayedKey = "hl:{outbox}:delayed"
	DeadKey    = "hl:{outbox}:dead"
	doneKey    = "hl:{outbox}:done:" // + message ID: delivered
	lockKey    = "hl:{outbox}:lock:" // + message ID: being delivered
	group      = "senders"
)

// Message is one thing to deliver.
type Message struct {
	// ID makes delivery idempotent: a second message with the same ID is
	// dropped once the first is delivered.
	ID string `json:"id"`
	// Kind picks the Deliverer ("slack.post", "sms.send", ...).
	Kind    string          `json:"kind"`
	Payload json.RawMessage `json:"payload"`
	Tries   int             `json:"tries,omitempty"`
	// Enqueued is when the message was first enqueued (unix ms), for age metrics.
	Enqueued int64 `json:"at"`
}

// A Deliverer sends one kind of message. An error wrapped with Later sets
// the retry delay (a provider's Retry-After); one wrapped with Permanent
// sends the message to the dead letters at once.
type Deliverer interface {
	Deliver(ctx context.Context, m Message) error
}

// An Abandoner is a Deliverer told when one of its messages is given up (a
// permanent error, or retried past MaxAge or MaxTries), before it goes to
// the dead letters: to tell someone, or to finish what delivery would
// have. It may run twice for one message if Redis fails in between.
type Abandoner interface {
	Abandon(ctx context.Context, m Message, err error)
}

// DelivererFunc adapts a function to Deliverer.
type DelivererFunc func(ctx context.Context, m Message) error

// Deliver calls f.
func (f DelivererFunc) Deliver(ctx context.Context, m Message) error { return f(ctx, m) }

type laterError struct {
	err   error
	delay time.Duration
}

func (e *laterError) Error() string { return e.err.Error() }
func (e *laterError) Unwrap() error { return e.err }

// Later marks err as worth retrying after delay.
func Later(err error, delay time.Duration) error { return &laterError{err: err, delay: delay} }

// RetryAfter returns the delay err was marked with by Later, or zero.
func RetryAfter(err error) time.Duration {
	var later *laterError
	if errors.As(err, &later) {
		return later.delay
	}
	return 0
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return &permanentError{err: err} }

// Observer receives what happens to messages, for metrics.
type Observer interface {
	Delivered(kind string, age time.Duration)
	Failed(kind string)
	Dead(kind string)
}

// lane is a stream with its retry set.
type lane struct{ name, stream, delayed string }

func newLane(name string) lane {
	if name == "" {
		return lane{stream: StreamKey, delayed: DelayedKey}
	}
	return lane{name: name, stream: StreamKey + ":" + name, delayed: DelayedKey + ":" + name}
}

// Outbox enqueues and delivers messages. Its fields are set before Run.
type Outbox struct {
	rdb        redis.UniversalClient
	deliverers map[string]Deliverer
	lanes      []lane         // the default lane first
	laneOf     map[string]int // kind -> index in lanes; absent: the default lane
	Log        *slog.Logger
	Observer   Observer
	// MaxAge is how long a message is retried before the dead letters;
	// MaxTries, when above zero, also bounds the tries.
	MaxAge   time.Duration
	MaxTries int
	// Backoff is the delay before try n+1 (n from 1); exponential with
	// jitter from one second to five minutes by default.
	Backoff func(n int) time.Duration
	// ClaimAfter is how long an entry may sit unacknowledged with a worker
	// before another worker takes it over.
	ClaimAfter time.Duration
	// Block is how long one read waits for new entries.
	Block time.Duration
	// DeadKeep is how long a dead letter is kept (payloads can hold a
	// texter's or a staff member's words); a week by default. Its age is
	// its entry ID, which is Redis's clock.
	DeadKeep time.Duration
	// Now is the clock; time.Now by default.
	Now func() time.Time
}

// New returns an outbox on rdb with the given deliverers by kind; outside
// the store, Store.Outbox makes one.
func New(rdb redis.UniversalClient, deliverers map[string]Deliverer) *Outbox {
	return &Outbox{
		rdb:        rdb,
		deliverers: deliverers,
		lanes:      []lane{newLane("")},
		laneOf:     map[string]int{},
		Log:        slog.New(slog.DiscardHandler),
		MaxAge:     24 * time.Hour,
		Backoff:    defaultBackoff,
		ClaimAfter: time.Minute,
		Block:      time.Second,
		DeadKeep:   7 * 24 * time.Hour,
		Now:        time.Now,
	}
}

func defaultBackoff(n int) time.Duration {
	d := time.Second << min(n-1, 9)
	d = min(d, 5*time.Minute)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// Register adds deliverers by kind; call it before Run.
func (o *Outbox) Register(deliverers map[string]Deliverer) {
	if o.deliverers == nil {
		o.deliverers = map[string]Deliverer{}
	}
	for kind, d := range deliverers {
		o.deliverers[kind] = d
	}
}

// Lane gives messages of kinds a lane of their own, named name: their own
// stream and retry set, read by their own workers in Run, so a flood of
// them never delays messages in other lanes. Call it before Run, with the
// same lanes in every process.
func (o *Outbox) Lane(name string, kinds ...string) {
	i := slices.IndexFunc(o.lanes, func(l lane) bool { return l.name == name })
	if i < 0 {
		o.lanes = append(o.lanes, newLane(name))
		i = len(o.lanes) - 1
	}
	for _, k := range kinds {
		o.laneOf[k] = i
	}
}

func (o *Outbox) lane(kind string) lane { return o.lanes[o.laneOf[kind]] }

// Enqueue adds m to its lane's stream. It never blocks on the provider.
func (o *Outbox) Enqueue(ctx context.Context, m Message) error {
	data, err := o.encode(m)
	if err != nil {
		return err
	}
	if err := o.rdb.XAdd(ctx, &redis.XAddArgs{Stream: o.lane(m.Kind).stream, Values: []string{"m", string(data)}}).Err(); err != nil {
		return fmt.Errorf("outbox enqueue: %w", err)
	}
	return nil
}

// Defer adds m to be delivered after delay (a summary that should not be
// sent more often than that).
func (o *Outbox) Defer(ctx context.Context, m Message, delay time.Duration) error {
	data, err := o.encode(m)
	if err != nil {
		return err
	}
	due := float64(o.Now().Add(delay).UnixMilli())
	if err := o.rdb.ZAdd(ctx, o.lane(m.Kind).delayed, redis.Z{Score: due, Member: string(data)}).Err(); err != nil {
		return fmt.Errorf("outbox defer: %w", err)
	}
	return nil
}

func (o *Outbox) encode(m Message) ([]byte, error) {
	if m.ID == "" || m.Kind == "" {
		return nil, errors.New("outbox: message needs an ID and a kind")
	}
	if m.Enqueued == 0 {
		m.Enqueued = o.Now().UnixMilli()
	}
	return json.Marshal(m)
}

// Setup creates the consumer groups (and the streams) if needed.
func (o *Outbox) Setup(ctx context.Context) error {
	for _, l := range o.lanes {
		err := o.rdb.XGroupCreateMkStream(ctx, l.stream, group, "0").Err()
		if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
			return fmt.Errorf("outbox setup: %w", err)
		}
	}
	return nil
}

// Run delivers messages as worker consumer until ctx ends, with one loop
// per lane. Several workers, in one process or many, share the work.
func (o *Outbox) Run(ctx context.Context, consumer string) error {
	if err := o.Setup(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	for _, l := range o.lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := o.step(ctx, consumer, []lane{l}); err != nil && ctx.Err() == nil {
					o.Log.Warn("outbox step failed", "lane", l.name, "err", err)
					// Redis is away: wait a little rather than spin.
					select {
					case <-ctx.Done():
					case <-time.After(time.Second):
					}
				}
			}
		}()
	}
	wg.Wait()
	return nil
}

// Step does one round of work in every lane: move due retries back into
// the streams, take over entries a dead worker held, read new entries
// (waiting up to Block) and deliver them, the default lane's first. It
// returns how many entries it handled.
func (o *Outbox) Step(ctx context.Context, consumer string) (int, error) {
	return o.step(ctx, consumer, o.lanes)
}

func (o *Outbox) step(ctx context.Context, consumer string, lanes []lane) (int, error) {
	for _, l := range lanes {
		if err := o.promote(ctx, l); err != nil {
			return 0, err
		}
	}
	entries := make([][]redis.XMessage, len(lanes))
	n := 0
	for i, l := range lanes {
		claimed, _, err := o.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: l.stream, Group: group, Consumer: consumer, MinIdle: o.ClaimAfter, Start: "0-0", Count: 50,
		}).Result()
		if err != nil && !isNoGroup(err) {
			return 0, fmt.Errorf("outbox autoclaim: %w", err)
		}
		entries[i] = claimed
		n += len(claimed)
	}
	if n == 0 {
		streams := make([]string, 0, 2*len(lanes))
		for _, l := range lanes {
			streams = append(streams, l.stream)
		}
		for range lanes {
			streams = append(streams, ">")
		}
		read, err := o.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: group, Consumer: consumer, Streams: streams, Count: 50, Block: o.Block,
		}).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			if isNoGroup(err) {
				// First use, or a stream was deleted: make the groups, read again.
				if err := o.Setup(ctx); err != nil {
					return 0, err
				}
				return o.step(ctx, consumer, lanes)
			}
			return 0, fmt.Errorf("outbox read: %w", err)
		}
		for _, s := range read {
			i := slices.IndexFunc(lanes, func(l lane) bool { return l.stream == s.Stream })
			if i >= 0 {
				entries[i] = append(entries[i], s.Messages...)
				n += len(s.Messages)
			}
		}
	}
	// Entries read are settled even when ctx ends (a shutdown): a message
	// delivered but not marked done would be sent again by another worker.
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for i, l := range lanes {
		for _, e := range entries[i] {
			if err := o.handle(hctx, l, e); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func isNoGroup(err error) bool { return err != nil && strings.Contains(err.Error(), "NOGROUP") }

// handle delivers one entry and settles it: acknowledged and deleted when
// delivered, rescheduled or dead-lettered when not. It returns an error only
// when Redis itself fails, leaving the entry pending for XAUTOCLAIM.
func (o *Outbox) handle(ctx context.Context, l lane, e redis.XMessage) error {
	raw, _ := e.Values["m"].(string)
	var m Message
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		o.Log.Error("outbox: unreadable entry dropped to dead letters", "entry", e.ID)
		return o.settle(ctx, l, e.ID, DeadKey, raw)
	}
	done, err := o.rdb.Exists(ctx, doneKey+m.ID).Result()
	if err != nil {
		return err
	}
	if done == 1 {
		return o.settle(ctx, l, e.ID, "", "")
	}
	// One worker at a time per message ID: a copy enqueued twice and read by
	// two workers at once is not sent twice.
	lock := lockKey + m.ID
	got, err := o.rdb.SetNX(ctx, lock, "1", 30*time.Second).Result()
	if err != nil {
		return err
	}
	if !got {
		data, _ := json.Marshal(m)
		if err := o.rdb.ZAdd(ctx, l.delayed, redis.Z{Score: float64(o.Now().Add(time.Second).UnixMilli()), Member: string(data)}).Err(); err != nil {
			return err
		}
		return o.settle(ctx, l, e.ID, "", "")
	}
	defer o.rdb.Del(context.WithoutCancel(ctx), lock)
	// Delivered by another worker between the check above and the lock?
	if done, err := o.rdb.Exists(ctx, doneKey+m.ID).Result(); err != nil {
		return err
	} else if done == 1 {
		return o.settle(ctx, l, e.ID, "", "")
	}
	d, ok := o.deliverers[m.Kind]
	var derr error
	if !ok {
		derr = Permanent(fmt.Errorf("no deliverer for kind %q", m.Kind))
	} else {
		dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		derr = d.Deliver(dctx, m)
		cancel()
	}
	if derr == nil {
		if err := o.rdb.Set(ctx, doneKey+m.ID, "1", 24*time.Hour).Err(); err != nil {
			return err
		}
		if o.Observer != nil {
			o.Observer.Delivered(m.Kind, o.Now().Sub(time.UnixMilli(m.Enqueued)))
		}
		return o.settle(ctx, l, e.ID, "", "")
	}
	m.Tries++
	if o.Observer != nil {
		o.Observer.Failed(m.Kind)
	}
	var perm *permanentError
	tooOld := o.MaxAge > 0 && o.Now().Sub(time.UnixMilli(m.Enqueued)) >= o.MaxAge
	if errors.As(derr, &perm) || tooOld || (o.MaxTries > 0 && m.Tries >= o.MaxTries) {
		o.Log.Error("outbox: giving up on a message", "kind", m.Kind, "id", m.ID, "tries", m.Tries, "err", derr)
		if o.Observer != nil {
			o.Observer.Dead(m.Kind)
		}
		if a, ok := d.(Abandoner); ok {
			a.Abandon(ctx, m, derr)
		}
		data, _ := json.Marshal(m)
		return o.settle(ctx, l, e.ID, DeadKey, string(data))
	}
	delay := o.Backoff(m.Tries)
	var later *laterError
	if errors.As(derr, &later) && later.delay > delay {
		delay = later.delay
	}
	o.Log.Warn("outbox: delivery failed, will retry", "kind", m.Kind, "id", m.ID, "tries", m.Tries, "in", delay, "err", derr)
	data, _ := json.Marshal(m)
	due := o.Now().Add(delay).UnixMilli()
	if err := o.rdb.ZAdd(ctx, l.delayed, redis.Z{Score: float64(due), Member: string(data)}).Err(); err != nil {
		return err
	}
	return o.settle(ctx, l, e.ID, "", "")
}

// settle acknowledges and deletes entry id, first copying data to the
// dead-letter stream when dead is set.
func (o *Outbox) settle(ctx context.Context, l lane, id, dead, data string) error {
	if dead != "" {
		return deadScript.Run(ctx, o.rdb, []string{l.stream, dead}, group, id, data, o.DeadKeep.Milliseconds()).Err()
	}
	_, err := o.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, l.stream, group, id)
		p.XDel(ctx, l.stream, id)
		return nil
	})
	return err
}

// deadScript moves an entry to the dead letters, atomically: it adds it,
// drops the dead letters older than the keep (ARGV[4] ms) by Redis's own
// clock, which is the clock of their entry IDs, lets the whole stream
// expire a keep after its newest entry (by then every entry is past it),
// and acknowledges and deletes the entry in the stream.
var deadScript = redis.NewScript(`
redis.call('XADD', KEYS[2], 'MAXLEN', '~', 10000, '*', 'm', ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('XTRIM', KEYS[2], 'MINID', now - tonumber(ARGV[4]))
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
`)

// promoteScript moves due retries (score up to ARGV[2]) from the sorted
// set back into the stream, atomically, so two workers never move one
// twice; and drops the dead letters older than the keep (ARGV[1] ms), so
// they go even when no new one arrives.
var promoteScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, 100)
for _, m in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', 'm', m)
  redis.call('ZREM', KEYS[1], m)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('XTRIM', KEYS[3], 'MINID', now - tonumber(ARGV[1]))
return #due
`)

func (o *Outbox) promote(ctx context.Context, l lane) error {
	now := strconv.FormatInt(o.Now().UnixMilli(), 10)
	if err := promoteScript.Run(ctx, o.rdb, []string{l.delayed, l.stream, DeadKey}, o.DeadKeep.Milliseconds(), now).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("outbox promote: %w", err)
	}
	return nil
}

// Depth returns how many messages wait, over every lane: in the streams
// (new or held by a worker) and scheduled for retry; the dead letters; and
// the age of the oldest in a stream.
func (o *Outbox) Depth(ctx context.Context) (waiting, retrying, dead int64, oldest time.Duration, err error) {
	p := o.rdb.TxPipeline()
	var xl, zc []*redis.IntCmd
	var first []*redis.XMessageSliceCmd
	for _, l := range o.lanes {
		xl = append(xl, p.XLen(ctx, l.stream))
		zc = append(zc, p.ZCard(ctx, l.delayed))
		first = append(first, p.XRangeN(ctx, l.stream, "-", "+", 1))
	}
	dl := p.XLen(ctx, DeadKey)
	if _, err = p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, 0, 0, 0, err
	}
	for i := range o.lanes {
		waiting += xl[i].Val()
		retrying += zc[i].Val()
		if msgs := first[i].Val(); len(msgs) > 0 {
			ms, _ := strconv.ParseInt(strings.SplitN(msgs[0].ID, "-", 2)[0], 10, 64)
			oldest = max(oldest, o.Now().Sub(time.UnixMilli(ms)))
		}
	}
	return waiting, retrying, dl.Val(), oldest, nil
}
