package store

import (
	"hash/maphash"
	"sync"
	"time"

	"helpline/bot"
)

// cache keeps, per conversation, the session this process last wrote, so
// the common turn (the same texter again, on the same replica) reads
// nothing from Redis: the compare-and-set still checks the version, and a
// copy made stale by another replica only costs one retry.
type cache struct {
	seed   maphash.Seed
	shards [64]cacheShard
	// perShard bounds each shard; a full shard drops an arbitrary entry.
	perShard int
	keep     time.Duration
	now      func() time.Time
}

type cacheShard struct {
	mu sync.Mutex
	m  map[string]cached
}

// cached is a snapshot: never handed out, only copies of it.
type cached struct {
	sess    *bot.Session
	version int64
	expires time.Time
}

func newCache(entries int, keep time.Duration) *cache {
	c := &cache{seed: maphash.MakeSeed(), perShard: max((entries+63)/64, 1), keep: keep, now: time.Now}
	for i := range c.shards {
		c.shards[i].m = map[string]cached{}
	}
	return c
}

func (c *cache) shard(key string) *cacheShard {
	return &c.shards[maphash.String(c.seed, key)%uint64(len(c.shards))]
}

func (c *cache) get(key string) (cached, bool) {
	sh := c.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.m[key]
	if ok && c.now().After(e.expires) {
		delete(sh.m, key)
		return cached{}, false
	}
	return e, ok
}

// put remembers data as version of key for at most ttl (and the cache's
// own bound), so nothing outlives its Redis key here.
func (c *cache) put(key string, sess *bot.Session, version int64, ttl time.Duration) {
	sh := c.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.m[key]; !ok && len(sh.m) >= c.perShard {
		for k := range sh.m {
			delete(sh.m, k)
			break
		}
	}
	sh.m[key] = cached{sess: sess.Clone(), version: version, expires: c.now().Add(min(ttl, c.keep))}
}

func (c *cache) drop(key string) {
	sh := c.shard(key)
	sh.mu.Lock()
	delete(sh.m, key)
	sh.mu.Unlock()
}
