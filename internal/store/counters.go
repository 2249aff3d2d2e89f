package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Counters keeps bare numbers per day, one hash per day, for the staff's
// statistics. Each day is its own key, so on Redis Cluster the days spread
// over the slots.
type Counters struct {
	rdb  redis.UniversalClient
	keep time.Duration
}

// Counters returns the day counters, each day kept for keep after its last
// count.
func (s *Store) Counters(keep time.Duration) *Counters { return &Counters{rdb: s.rdb, keep: keep} }

// countersKey is the hash of one day ("2006-01-02").
func countersKey(day string) string { return "hl:stats:" + day }

// Add adds counts to the fields of each day, in one round trip.
func (c *Counters) Add(ctx context.Context, perDay map[string]map[string]int64) error {
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for day, counts := range perDay {
			key := countersKey(day)
			for f, n := range counts {
				p.HIncrBy(ctx, key, f, n)
			}
			p.Expire(ctx, key, c.keep)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record stats: %w", err)
	}
	return nil
}

// Days returns the counters of each day, in one round trip; a day with
// none has an empty map, and a field that is not a number is left out.
func (c *Counters) Days(ctx context.Context, days []string) ([]map[string]int64, error) {
	cmds := make([]*redis.MapStringStringCmd, len(days))
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, day := range days {
			cmds[i] = p.HGetAll(ctx, countersKey(day))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read stats: %w", err)
	}
	out := make([]map[string]int64, len(days))
	for i, cmd := range cmds {
		out[i] = map[string]int64{}
		for f, v := range cmd.Val() {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				out[i][f] = n
			}
		}
	}
	return out, nil
}
