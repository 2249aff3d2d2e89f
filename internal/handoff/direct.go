package handoff

import (
	"context"
	"sync"
	"time"

	"helpline/internal/store/outbox"
)

// Alerts without the store. Staff must hear of danger even
// when the session store is down; the outbox lives in the same Redis. So
// when an alert cannot be raised through it, the process posts the alert
// to Slack itself: best effort, from a bounded queue in memory, with a few
// tries, one alert per conversation and kind while it is open (counted in
// memory, without thread updates), and says so in a log line and a metric.

// Results of a direct alert, for the metric.
const (
	DirectPosted  = "posted"  // Slack has it
	DirectFailed  = "failed"  // Slack refused every try
	DirectDropped = "dropped" // the queue was full
)

const (
	directQueue = 1000  // alerts waiting for Slack
	directSeen  = 10000 // conversations and kinds remembered
	directTries = 5
)

// directAlerts is the queue and what was posted, in memory; past
// AlertsPerMinute in a minute, alerts are folded into a digest posted
// once the minute is over, as the outbox's are.
type directAlerts struct {
	queue  chan Alert
	mu     sync.Mutex
	seen   map[string]time.Time // conversation and kind -> when posted
	minute int64                // the minute counted
	count  int                  // alerts queued in it
	folded []Alert              // past the limit, for its digest
}

func newDirectAlerts() *directAlerts {
	return &directAlerts{queue: make(chan Alert, directQueue), seen: map[string]time.Time{}}
}

// postDirect queues a for Slack unless an alert of its conversation and
// kind is open in memory. cause is why the outbox could not take it.
func (s *Service) postDirect(a Alert, cause error) {
	now := s.Now()
	id := string(a.Key) + "|" + a.Kind
	d := s.direct
	d.mu.Lock()
	if at, ok := d.seen[id]; ok && now.Sub(at) < s.AlertOpen {
		d.mu.Unlock()
		return
	}
	if len(d.seen) >= directSeen {
		for k, at := range d.seen {
			if now.Sub(at) >= s.AlertOpen {
				delete(d.seen, k)
			}
		}
	}
	if len(d.seen) < directSeen {
		d.seen[id] = now
	}
	a.Direct = true
	if m := now.Unix() / 60; m != d.minute {
		d.minute, d.count = m, 0
	}
	if d.count++; s.AlertsPerMinute > 0 && d.count > s.AlertsPerMinute {
		if len(d.folded) < directQueue {
			d.folded = append(d.folded, a)
		}
		d.mu.Unlock()
		s.Log.Warn("crisis alert folded into the next digest: the outbox cannot take it", "conv", string(a.Key), "kind", a.Kind)
		return
	}
	d.mu.Unlock()
	select {
	case d.queue <- a:
		s.Log.Warn("crisis alert goes to Slack directly: the outbox cannot take it", "conv", string(a.Key), "kind", a.Kind, "err", cause.Error())
	default:
		s.Log.Error("crisis alert lost: the outbox cannot take it and the direct queue is full", "conv", string(a.Key), "kind", a.Kind)
		s.directResult(DirectDropped)
	}
}

func (s *Service) directResult(result string) {
	if s.DirectObserved != nil {
		s.DirectObserved(result)
	}
}

// RunDirect posts the alerts the outbox could not take, until ctx ends,
// and once a minute the digest of those folded; run it beside the
// outbox's workers.
func (s *Service) RunDirect(ctx context.Context, slack Slack) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.postDirectDigest(ctx, slack)
			}
		}
	}()
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case a := <-s.direct.queue:
					s.sendDirect(ctx, slack, a)
				}
			}
		}()
	}
	wg.Wait()
}

func (s *Service) sendDirect(ctx context.Context, slack Slack, a Alert) {
	channel := s.alertChannel()
	fallback, blocks := AlertBlocks(a, s.Names)
	wait := s.DirectBackoff
	for try := 1; ; try++ {
		pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		ts, err := slack.Post(pctx, channel, "", fallback, blocks)
		cancel()
		if err == nil {
			s.Log.Warn("crisis alert posted to Slack directly", "conv", string(a.Key), "kind", a.Kind, "tries", try)
			s.directResult(DirectPosted)
			if a.Opened != 0 {
				// Raised in the store but not queued: its thread can still
				// be told, if the store answers now.
				_ = s.hs.AlertPosted(context.WithoutCancel(ctx), a.Key, a.Kind, a.Opened, channel, ts)
			}
			return
		}
		if try == directTries || ctx.Err() != nil {
			s.Log.Error("crisis alert could not be posted to Slack directly", "conv", string(a.Key), "kind", a.Kind, "tries", try, "err", err.Error())
			s.directResult(DirectFailed)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(max(wait, outbox.RetryAfter(err))):
		}
		wait *= 2
	}
}

// postDirectDigest posts the alerts folded since the last digest, if any.
func (s *Service) postDirectDigest(ctx context.Context, slack Slack) {
	d := s.direct
	d.mu.Lock()
	folded := d.folded
	d.folded = nil
	d.mu.Unlock()
	if len(folded) == 0 {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.postDigest(pctx, slack, folded, time.Unix(folded[0].At, 0)); err != nil {
		s.Log.Error("digest of crisis alerts could not be posted to Slack directly", "alerts", len(folded), "err", err.Error())
		s.directResult(DirectFailed)
		return
	}
	s.directResult(DirectPosted)
}
