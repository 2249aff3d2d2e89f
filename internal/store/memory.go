package store

import (
	"context"
	"errors"
	"sync"

	"github.com/redis/go-redis/v9"
)

// SessionMemory averages what Redis says a stored session takes
// (MEMORY USAGE) over a sample of up to sample sessions, taken from every
// master of a cluster, and returns how many it sampled: what one
// conversation costs in Redis, for the benchmark.
func (s *Store) SessionMemory(ctx context.Context, sample int) (float64, int, error) {
	nodes := []redis.UniversalClient{s.rdb}
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		nodes = nil
		var mu sync.Mutex
		err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			mu.Lock()
			nodes = append(nodes, c)
			mu.Unlock()
			return nil
		})
		if err != nil {
			return 0, 0, err
		}
	}
	var total int64
	n := 0
	for _, c := range nodes {
		iter := c.Scan(ctx, 0, SessionKey("*"), 500).Iterator()
		for iter.Next(ctx) && n < sample {
			mem, err := c.MemoryUsage(ctx, iter.Val()).Result()
			if err == nil {
				total += mem
				n++
			}
		}
	}
	if n == 0 {
		return 0, 0, errors.New("no sessions found")
	}
	return float64(total) / float64(n), n, nil
}
