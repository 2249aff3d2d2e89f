// Package stats keeps per-day counters of what happened in screenings, for
// staff to read in Slack: screenings started and completed, leans, crisis
// escalations, handoffs and how far people got. The counters are bare
// numbers keyed by day, step, lean and kind: no conversation key, message,
// answer or phone number ever enters them.
package stats

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"helpline/bot"
)

// Retention is how long a day's counters are kept.
const Retention = 400 * 24 * time.Hour

// Fields of a day's hash.
const (
	fieldStarted   = "started"
	fieldCompleted = "completed"
	fieldHandoff   = "handoff"
	prefixLean     = "completed:" // completed:<lean>
	prefixCrisis   = "crisis:"    // crisis:<kind>
	prefixReached  = "reached:"   // reached:<step>
	prefixChannel  = "started@"   // started@<channel>
)

// Counters keeps numbers per day and field; *store.Counters keeps them in
// Redis.
type Counters interface {
	// Add adds counts to the fields of each day ("2006-01-02").
	Add(ctx context.Context, perDay map[string]map[string]int64) error
	// Days returns the counters of each day, in the order asked.
	Days(ctx context.Context, days []string) ([]map[string]int64, error)
}

// Recorder counts events in counters, per day (UTC). It is safe for
// concurrent use.
type Recorder struct {
	c Counters
}

// NewRecorder returns a Recorder on c, which should keep a day's counts
// for Retention.
func NewRecorder(c Counters) *Recorder { return &Recorder{c: c} }

// day names the day of t in the counters.
func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// Record adds the events of one outcome on channel to the counters of the
// day of now. Events that are not counted (misses, opt-outs, ...) are
// ignored; an outcome with nothing to count costs no round trip.
//
// How far people get is counted as "reached:<step>", once each time the
// engine moves a screening on to a step (an EventStep). Stats.Stops turns
// these into drop-off per step; nothing follows a single conversation.
func (r *Recorder) Record(ctx context.Context, channel string, events []bot.Event, now time.Time) error {
	fields := fieldsOf(channel, events)
	if len(fields) == 0 {
		return nil
	}
	counts := map[string]int64{}
	for _, f := range fields {
		counts[f]++
	}
	return r.c.Add(ctx, map[string]map[string]int64{day(now): counts})
}

// fieldsOf lists the counters the events of one outcome add to.
func fieldsOf(channel string, events []bot.Event) []string {
	var fields []string
	for _, ev := range events {
		if count := counted[ev.Kind]; count != nil {
			fields = append(fields, count(channel, ev)...)
		}
	}
	return fields
}

// Buffer adds counts up in memory and writes them every so often, so that
// counting costs a turn no Redis round trip. What is not yet written when
// the process dies (one interval at most) is lost: these are statistics,
// not records.
type Buffer struct {
	r       *Recorder
	mu      sync.Mutex
	pending map[string]map[string]int64
}

// Buffer returns a Buffer writing through r.
func (r *Recorder) Buffer() *Buffer { return &Buffer{r: r, pending: map[string]map[string]int64{}} }

// Record counts the events of one outcome on channel, in memory.
func (b *Buffer) Record(channel string, events []bot.Event, now time.Time) {
	b.add(now, fieldsOf(channel, events))
}

// add counts one of each of fields on the day of now.
func (b *Buffer) add(now time.Time, fields []string) {
	if len(fields) == 0 {
		return
	}
	key := day(now)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending[key] == nil {
		b.pending[key] = map[string]int64{}
	}
	for _, f := range fields {
		b.pending[key][f]++
	}
}

// Flush writes what was counted since the last flush; on failure the
// counts are kept for the next one.
func (b *Buffer) Flush(ctx context.Context) error {
	b.mu.Lock()
	days := b.pending
	b.pending = map[string]map[string]int64{}
	b.mu.Unlock()
	if len(days) == 0 {
		return nil
	}
	if err := b.r.c.Add(ctx, days); err != nil {
		b.mu.Lock()
		for key, counts := range days {
			if b.pending[key] == nil {
				b.pending[key] = map[string]int64{}
			}
			for f, n := range counts {
				b.pending[key][f] += n
			}
		}
		b.mu.Unlock()
		return err
	}
	return nil
}

// Run flushes every interval until ctx ends, and once more then.
func (b *Buffer) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = b.Flush(fctx)
			cancel()
			return
		case <-t.C:
			_ = b.Flush(ctx)
		}
	}
}

// Stats are the counters added up over some days.
type Stats struct {
	Days      int
	Started   int
	Completed int
	Handoffs  int
	// Leans counts completed screenings by lean (iop, inpatient, either).
	Leans map[string]int
	// Crisis counts escalations by kind (suicide, overdose, ...).
	Crisis map[string]int
	// Channels counts started screenings by channel (sms, slack, ...).
	Channels map[string]int
	// Reached counts, per step, how often a screening moved on to it.
	Reached map[string]int
}

// Summary adds up the counters of the last days days, today (the day of
// now) included. days below 1 counts as 1.
func (r *Recorder) Summary(ctx context.Context, days int, now time.Time) (Stats, error) {
	if days < 1 {
		days = 1
	}
	s := Stats{Days: days, Leans: map[string]int{}, Crisis: map[string]int{}, Channels: map[string]int{}, Reached: map[string]int{}}
	names := make([]string, days)
	for i := range days {
		names[i] = day(now.AddDate(0, 0, -i))
	}
	counts, err := r.c.Days(ctx, names)
	if err != nil {
		return s, err
	}
	for _, c := range counts {
		for f, n := range c {
			s.add(f, int(n))
		}
	}
	return s, nil
}

func (s *Stats) add(field string, n int) {
	switch {
	case field == fieldStarted:
		s.Started += n
	case field == fieldCompleted:
		s.Completed += n
	case field == fieldHandoff:
		s.Handoffs += n
	case strings.HasPrefix(field, prefixLean):
		s.Leans[strings.TrimPrefix(field, prefixLean)] += n
	case strings.HasPrefix(field, prefixCrisis):
		s.Crisis[strings.TrimPrefix(field, prefixCrisis)] += n
	case strings.HasPrefix(field, prefixChannel):
		s.Channels[strings.TrimPrefix(field, prefixChannel)] += n
	case strings.HasPrefix(field, prefixReached):
		s.Reached[strings.TrimPrefix(field, prefixReached)] += n
	}
}

// Stop is how many screenings reached a step and did not reach the next.
type Stop struct {
	Step    string
	Reached int
	Left    int
}

// Stops returns the drop-off along steps, the steps every screening is
// asked in flow order (conditional steps left out, since their counts
// cannot be compared with their neighbours'). Left is Reached of a step
// minus Reached of the next, and for the last step minus Completed; it is
// never negative (RESTART and BACK can ask a step again). This is an
// estimate from totals over the same days, not a follow-up of anyone:
// screenings that span midnight at the edge of the window blur it a little.
func (s Stats) Stops(steps []string) []Stop {
	out := make([]Stop, len(steps))
	for i, st := range steps {
		next := s.Completed
		if i+1 < len(steps) {
			next = s.Reached[steps[i+1]]
		}
		out[i] = Stop{Step: st, Reached: s.Reached[st], Left: max(0, s.Reached[st]-next)}
	}
	return out
}

// MostLeft returns the stop with the most screenings left, and false when
// none was left anywhere.
func MostLeft(stops []Stop) (Stop, bool) {
	sorted := append([]Stop(nil), stops...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Left > sorted[j].Left })
	if len(sorted) == 0 || sorted[0].Left == 0 {
		return Stop{}, false
	}
	return sorted[0], true
}
