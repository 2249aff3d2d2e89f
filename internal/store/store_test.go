package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"helpline/bot"
	"helpline/internal/store"
	"helpline/internal/store/redistest"
)

// backend is one Redis the conformance suite runs against.
type backend struct {
	name string
	open func(t *testing.T) (*store.Store, redis.UniversalClient)
}

func backends() []backend {
	return []backend{
		{"miniredis", func(t *testing.T) (*store.Store, redis.UniversalClient) {
			m := miniredis.RunT(t)
			rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
			t.Cleanup(func() { rdb.Close() })
			return store.New(rdb), rdb
		}},
		{"redis-cluster", func(t *testing.T) (*store.Store, redis.UniversalClient) {
			c := redistest.StartCluster(t, 3)
			st, err := store.Open(store.Options{ClusterAddrs: c.Addrs()}, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st, store.ClientOf(st)
		}},
		{"redis-sentinel", func(t *testing.T) (*store.Store, redis.UniversalClient) {
			sn := redistest.StartSentinel(t)
			st, err := store.Open(store.Options{SentinelAddrs: []string{sn.Sentinel.Addr}, SentinelMaster: sn.Name}, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st, store.ClientOf(st)
		}},
		{"redis-server with cache", func(t *testing.T) (*store.Store, redis.UniversalClient) {
			srv := redistest.Start(t)
			st, err := store.Open(store.Options{URL: "redis://" + srv.Addr}, nil)
			if err != nil {
				t.Fatal(err)
			}
			st.Cache(1000, time.Hour)
			t.Cleanup(func() { st.Close() })
			return st, store.ClientOf(st)
		}},
		{"redis-server", func(t *testing.T) (*store.Store, redis.UniversalClient) {
			srv := redistest.Start(t)
			st, err := store.Open(store.Options{URL: "redis://" + srv.Addr}, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st, store.ClientOf(st)
		}},
	}
}

// TestConformance runs one suite against every store: what the engine
// relies on must hold on the embedded Redis and on a real server alike.
func TestConformance(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st, rdb := b.open(t)
			ctx := context.Background()

			t.Run("new session is zero", func(t *testing.T) {
				var got bot.Session
				err := st.Update(ctx, "k-new", func(s *bot.Session) error { got = *s; return bot.ErrNoWrite })
				if err != nil || got.Version != 0 || got.Status != "" {
					t.Fatalf("got %+v, %v; want a zero session", got, err)
				}
				if n, _ := rdb.Exists(ctx, store.SessionKey("k-new")).Result(); n != 0 {
					t.Fatal("ErrNoWrite still wrote the session")
				}
			})

			t.Run("write then read with a TTL on the hash-tagged key", func(t *testing.T) {
				err := st.Update(ctx, "k1", func(s *bot.Session) error {
					s.Step, s.Status, s.Answers, s.TTL = "who", bot.StatusActive, map[string]string{"concern": "alcohol"}, time.Hour
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				var got bot.Session
				st.Update(ctx, "k1", func(s *bot.Session) error { got = *s; return bot.ErrNoWrite })
				if got.Step != "who" || got.Answers["concern"] != "alcohol" || got.Version != 1 {
					t.Fatalf("read back %+v", got)
				}
				key := store.SessionKey("k1")
				if !strings.Contains(key, "{k1}") {
					t.Fatalf("key %q has no hash tag", key)
				}
				ttl, _ := rdb.PTTL(ctx, key).Result()
				if ttl <= 0 || ttl > time.Hour {
					t.Fatalf("TTL %v, want (0, 1h]", ttl)
				}
			})

			t.Run("every write refreshes the TTL", func(t *testing.T) {
				for _, ttl := range []time.Duration{time.Minute, 48 * time.Hour} {
					st.Update(ctx, "k2", func(s *bot.Session) error { s.Status, s.TTL = bot.StatusActive, ttl; return nil })
					got, _ := rdb.PTTL(ctx, store.SessionKey("k2")).Result()
					if got <= ttl-time.Minute || got > ttl {
						t.Fatalf("after a write with TTL %v the key has %v", ttl, got)
					}
				}
			})

			t.Run("error from fn is returned and nothing is written", func(t *testing.T) {
				boom := errors.New("boom")
				err := st.Update(ctx, "k3", func(s *bot.Session) error { s.Step = "x"; return boom })
				if !errors.Is(err, boom) {
					t.Fatalf("err = %v", err)
				}
				if n, _ := rdb.Exists(ctx, store.SessionKey("k3")).Result(); n != 0 {
					t.Fatal("a failed update wrote the session")
				}
			})

			t.Run("a write in between makes fn run again", func(t *testing.T) {
				calls := 0
				err := st.Update(ctx, "k4", func(s *bot.Session) error {
					s.TTL = time.Hour
					calls++
					if calls == 1 {
						// Another writer gets in first.
						st.Update(ctx, "k4", func(o *bot.Session) error { o.Misses, o.Status, o.TTL = 10, bot.StatusActive, time.Hour; return nil })
					}
					s.Misses++
					s.Status = bot.StatusActive
					return nil
				})
				if err != nil || calls != 2 {
					t.Fatalf("calls=%d err=%v, want 2 calls", calls, err)
				}
				var got bot.Session
				st.Update(ctx, "k4", func(s *bot.Session) error { got = *s; return bot.ErrNoWrite })
				if got.Misses != 11 {
					t.Fatalf("misses = %d, want 11 (the other write kept)", got.Misses)
				}
			})

			t.Run("50 concurrent writers lose no update", func(t *testing.T) {
				const n = 50
				var wg sync.WaitGroup
				errs := make(chan error, n)
				for i := 0; i < n; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						errs <- st.Update(ctx, "k5", func(s *bot.Session) error {
							s.TTL = time.Hour
							s.Misses++
							s.Status = bot.StatusActive
							return nil
						})
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Fatal(err)
					}
				}
				var got bot.Session
				st.Update(ctx, "k5", func(s *bot.Session) error { got = *s; return bot.ErrNoWrite })
				if got.Misses != n {
					t.Fatalf("misses = %d after %d increments", got.Misses, n)
				}
			})

			t.Run("an unreadable session starts afresh", func(t *testing.T) {
				rdb.HSet(ctx, store.SessionKey("k6"), "v", "3", "d", "{not json")
				var got bot.Session
				err := st.Update(ctx, "k6", func(s *bot.Session) error { s.TTL = time.Hour; got = *s; s.Status = bot.StatusActive; return nil })
				if err != nil || got.Status != "" || got.Version != 3 {
					t.Fatalf("got %+v, %v", got, err)
				}
			})

			t.Run("ping", func(t *testing.T) {
				if err := st.Ping(ctx); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

func TestStoreDownAndBack(t *testing.T) {
	srv := redistest.Start(t)
	st, err := store.Open(store.Options{URL: "redis://" + srv.Addr}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	write := func() error {
		return st.Update(ctx, "k", func(s *bot.Session) error { s.TTL = time.Hour; s.Status = bot.StatusActive; return nil })
	}
	if err := write(); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if err := write(); err == nil {
		t.Fatal("update succeeded with Redis stopped")
	}
	if err := st.Ping(ctx); err == nil {
		t.Fatal("ping succeeded with Redis stopped")
	}
	srv.Restart(t)
	if err := write(); err != nil {
		t.Fatalf("no recovery after Redis came back: %v", err)
	}
}

func TestOpen(t *testing.T) {
	t.Run("embedded when nothing is configured", func(t *testing.T) {
		st, err := store.Open(store.Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if !st.Embedded() {
			t.Fatal("not embedded")
		}
		if err := st.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	for _, tc := range []struct {
		name string
		o    store.Options
		want string
	}{
		{"required", store.Options{Require: true}, "is required"},
		{"two kinds", store.Options{URL: "redis://a:1", ClusterAddrs: []string{"b:2"}}, "only one of"},
		{"sentinel without master", store.Options{SentinelAddrs: []string{"a:1"}}, "REDIS_SENTINEL_MASTER"},
		{"bad scheme", store.Options{URL: "http://a:1"}, "REDIS_URL"},
		{"unknown option", store.Options{URL: "redis://a:1?bogus=1"}, "REDIS_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := store.Open(tc.o, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// The common path of a turn costs two round trips: read, compare-and-set.
func TestTwoRoundTripsPerUpdate(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rdb.Close()
	var rt store.RoundTrips
	rdb.AddHook(&rt)
	st := store.New(rdb)
	ctx := context.Background()
	// The first write loads the script (EVALSHA, NOSCRIPT, EVAL); after that
	// every update is HMGET + EVALSHA.
	st.Update(ctx, "warm", func(s *bot.Session) error { s.TTL = time.Hour; s.Status = bot.StatusActive; return nil })
	before := rt.Count()
	for i := 0; i < 10; i++ {
		if err := st.Update(ctx, "k", func(s *bot.Session) error { s.TTL = time.Hour; s.Misses++; s.Status = bot.StatusActive; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if got := rt.Count() - before; got != 20 {
		t.Fatalf("%d round trips for 10 updates, want 20", got)
	}
}

// Sentinel promotes the replica when the master dies; the store follows
// without a restart and the conversation survives.
func TestSentinelFailover(t *testing.T) {
	sn := redistest.StartSentinel(t)
	st, err := store.Open(store.Options{SentinelAddrs: []string{sn.Sentinel.Addr}, SentinelMaster: sn.Name}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.Update(ctx, "k", func(s *bot.Session) error { s.TTL = time.Hour; s.Status, s.Step = bot.StatusActive, "who"; return nil }); err != nil {
		t.Fatal(err)
	}
	// Make sure the replica has the write before the master dies.
	replica := redis.NewClient(&redis.Options{Addr: sn.Replica.Addr})
	defer replica.Close()
	for start := time.Now(); replica.Exists(ctx, store.SessionKey("k")).Val() != 1; time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 15*time.Second {
			t.Fatal("the replica never got the session")
		}
	}
	sn.Master.Stop()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err = st.Update(ctx, "k", func(s *bot.Session) error { s.TTL = time.Hour; s.Misses++; return nil })
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write after failover: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var got bot.Session
	st.Update(ctx, "k", func(s *bot.Session) error { got = *s; return bot.ErrNoWrite })
	if got.Step != "who" || got.Misses != 1 {
		t.Fatalf("after failover the session is %+v", got)
	}
}

// With the cache on, a conversation that stays on one replica costs one
// round trip a turn; moving between replicas stays correct.
func TestCacheOneRoundTripAndReplicas(t *testing.T) {
	srv := redistest.Start(t)
	open := func() (*store.Store, *store.RoundTrips) {
		st, err := store.Open(store.Options{URL: "redis://" + srv.Addr}, nil)
		if err != nil {
			t.Fatal(err)
		}
		st.Cache(100, time.Hour)
		rt := st.CountRoundTrips()
		t.Cleanup(func() { st.Close() })
		return st, rt
	}
	a, rtA := open()
	b, _ := open()
	ctx := context.Background()
	inc := func(st *store.Store) {
		t.Helper()
		if err := st.Update(ctx, "k", func(s *bot.Session) error { s.TTL = time.Hour; s.Misses++; s.Status = bot.StatusActive; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	inc(a) // first write: read, load script, write
	before := rtA.Count()
	for i := 0; i < 10; i++ {
		inc(a)
	}
	if got := rtA.Count() - before; got != 10 {
		t.Fatalf("%d round trips for 10 cached updates, want 10", got)
	}
	// Alternate replicas: every stale copy is caught by the version.
	for i := 0; i < 10; i++ {
		inc(b)
		inc(a)
	}
	var got bot.Session
	a.Update(ctx, "k", func(s *bot.Session) error { got = *s; return bot.ErrNoWrite })
	if got.Misses != 31 {
		t.Fatalf("misses = %d, want 31: a stale cached copy overwrote a newer session", got.Misses)
	}
	// "Nothing to write" is checked against Redis, not a stale copy.
	inc(b)
	var seen int
	a.Update(ctx, "k", func(s *bot.Session) error { seen = s.Misses; return bot.ErrNoWrite })
	if seen != 32 {
		t.Fatalf("a no-write update saw %d, want the stored 32", seen)
	}
}

// Recent says, without a round trip, whether this process served a
// conversation lately; never for one opted out or erased, never without
// the cache.
func TestRecent(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rdb.Close()
	st := store.New(rdb)
	rt := st.CountRoundTrips()
	ctx := context.Background()
	set := func(k bot.Key, status bot.Status) {
		t.Helper()
		if err := st.Update(ctx, k, func(s *bot.Session) error { s.TTL = time.Hour; s.Status = status; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	set("served", bot.StatusActive)
	if st.Recent("served") {
		t.Fatal("recent without the cache")
	}
	// Room for many: the cache's 64 shards each evict on their own, and
	// these few keys must not push one another out.
	st.Cache(64*100, time.Hour)
	set("served", bot.StatusActive)
	set("handed", bot.StatusHandoff)
	set("stopped", bot.StatusOptedOut)
	set("erased", "")
	other := store.New(rdb) // another replica wrote this one
	other.Update(ctx, "elsewhere", func(s *bot.Session) error { s.TTL = time.Hour; s.Status = bot.StatusActive; return nil })
	before := rt.Count()
	for k, want := range map[bot.Key]bool{"served": true, "handed": true, "stopped": false, "erased": false, "elsewhere": false, "never": false} {
		if got := st.Recent(k); got != want {
			t.Errorf("Recent(%s) = %v, want %v", k, got, want)
		}
	}
	if n := rt.Count() - before; n != 0 {
		t.Fatalf("Recent made %d round trips", n)
	}
}

// What the Redis client logs (a failed dial) is a line of the service's
// JSON log, never loose text in its stream.
func TestClientLogsAsJSON(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	st, err := store.Open(store.Options{URL: "redis://127.0.0.1:1"}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if st.Ping(ctx) == nil {
		t.Fatal("a Redis nobody listens on answered")
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) == 0 || lines[0] == "" {
		t.Fatal("the client's failed dial was not logged")
	}
	for _, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil || v["msg"] != "redis client" || v["detail"] == nil {
			t.Errorf("not a JSON line of the service's log: %q", l)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the client's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
