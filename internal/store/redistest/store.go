package redistest

import (
	"context"
	"fmt"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"helpline/internal/store"
)

// An Option changes the client a test's store talks to Redis with.
type Option func(*redis.Options)

// FewRetries makes a store give up on a Redis that is down after one retry
// of a command and of a dial, so a test of an outage does not wait out
// go-redis's backoff.
func FewRetries(o *redis.Options) { o.MaxRetries, o.DialerRetries = 1, 1 }

// Store returns a store on the Redis at addr, closed when the test ends.
func Store(t testing.TB, addr string, opts ...Option) *store.Store {
	t.Helper()
	o := &redis.Options{Addr: addr}
	for _, f := range opts {
		f(o)
	}
	rdb := redis.NewClient(o)
	t.Cleanup(func() { rdb.Close() })
	return store.New(rdb)
}

// Mini returns a store on a fresh in-process miniredis, and the miniredis
// to look into, break or stop.
func Mini(t testing.TB, opts ...Option) (*store.Store, *miniredis.Miniredis) {
	t.Helper()
	m := miniredis.RunT(t)
	return Store(t, m.Addr(), opts...), m
}

// Conn looks into a Redis for tests outside the store, which have no
// client of their own.
type Conn struct {
	t   testing.TB
	rdb *redis.Client
}

// Dial returns a Conn to the Redis at addr, closed when the test ends.
func Dial(t testing.TB, addr string) *Conn {
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	return &Conn{t: t, rdb: rdb}
}

// Keys returns every key, failing the test when Redis cannot say.
func (c *Conn) Keys() []string {
	c.t.Helper()
	ks, err := c.rdb.Keys(context.Background(), "*").Result()
	if err != nil {
		c.t.Fatal(err)
	}
	return ks
}

// Value returns what key holds as text: a string as it is, a hash as its
// fields and values, and nothing for other types.
func (c *Conn) Value(key string) string {
	ctx := context.Background()
	switch c.rdb.Type(ctx, key).Val() {
	case "string":
		return c.rdb.Get(ctx, key).Val()
	case "hash":
		return fmt.Sprint(c.rdb.HGetAll(ctx, key).Val())
	}
	return ""
}
