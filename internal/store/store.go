// Package store keeps conversations in Redis through go-redis's
// UniversalClient: one server, Sentinel or Cluster. With no Redis
// configured it starts an in-process Redis (miniredis) and runs the very same
// code against it, which is how `helpline chat` works on a fresh machine.
//
// Every key of one conversation shares a hash tag, so each compare-and-set
// touches one Cluster slot, and every write sets a TTL.
//
// It is the one place that talks to Redis: the outbox, handoffs, the day
// counters and the Slack screen keep their data through its types (and the
// outbox package under it), never with a client of their own, so every key
// and script is found here.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"helpline/bot"
	"helpline/internal/store/outbox"
)

// Options say which Redis to use. At most one of URL, ClusterAddrs and
// SentinelAddrs is set; none means the embedded in-process Redis.
type Options struct {
	// URL is redis:// or rediss://; with addr= query parameters it names a
	// cluster, with master_name= a Sentinel setup.
	URL            string
	ClusterAddrs   []string
	SentinelAddrs  []string
	SentinelMaster string
	// Require refuses the embedded Redis (for CI and production).
	Require bool
}

// Store keeps sessions in Redis. It is safe for concurrent use.
type Store struct {
	rdb      redis.UniversalClient
	embedded *miniredis.Miniredis
	stop     chan struct{}
	cache    *cache
	// MaxAttempts bounds how often Update retries on conflict.
	MaxAttempts int
}

var _ bot.Store = (*Store)(nil)

// Client timeouts: a webhook must answer within seconds even when Redis is
// gone or hung, so fail fast rather than wait out go-redis's 5 s defaults.
// Every call also honours its context's deadline, waiting for a pooled
// connection included: the engine gives danger a shorter one than other
// texts (see bot's deadlines), and a hung Redis then costs a danger text
// no more than that.
const (
	dialTimeout = 2 * time.Second
	ioTimeout   = time.Second
	poolTimeout = 500 * time.Millisecond
	maxRetries  = 1
)

// Open connects to the Redis that o names, or starts the embedded one and
// says so on log. What the client itself logs goes to log too.
func Open(o Options, log *slog.Logger) (*Store, error) {
	if log != nil {
		redis.SetLogger(clientLog{log})
	}
	rdb, err := o.client()
	if err != nil {
		return nil, err
	}
	if rdb != nil {
		return New(rdb), nil
	}
	if o.Require {
		return nil, errors.New("REDIS_URL, REDIS_CLUSTER_ADDRS or REDIS_SENTINEL_ADDRS is required (HELPLINE_REQUIRE_REDIS is set)")
	}
	m, err := miniredis.Run()
	if err != nil {
		return nil, fmt.Errorf("start embedded redis: %w", err)
	}
	if log != nil {
		log.Warn("no REDIS_URL: using an embedded in-process Redis; sessions are not durable and not shared between processes")
	}
	s := New(redis.NewClient(&redis.Options{Addr: m.Addr(), DialTimeout: dialTimeout, ReadTimeout: ioTimeout, WriteTimeout: ioTimeout,
		PoolTimeout: poolTimeout, ContextTimeoutEnabled: true}))
	s.embedded = m
	s.stop = make(chan struct{})
	go s.tick()
	return s, nil
}

// tick lets the embedded Redis's TTLs run out: miniredis only moves its
// clock when told to.
func (s *Store) tick() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.embedded.FastForward(time.Second)
		}
	}
}

// client builds the go-redis client for o, or nil for the embedded Redis.
func (o Options) client() (redis.UniversalClient, error) {
	set := 0
	for _, on := range []bool{o.URL != "", len(o.ClusterAddrs) > 0, len(o.SentinelAddrs) > 0} {
		if on {
			set++
		}
	}
	if set > 1 {
		return nil, errors.New("set only one of REDIS_URL, REDIS_CLUSTER_ADDRS and REDIS_SENTINEL_ADDRS")
	}
	switch {
	case len(o.ClusterAddrs) > 0:
		return redis.NewUniversalClient(failFast(&redis.UniversalOptions{Addrs: o.ClusterAddrs, IsClusterMode: true})), nil
	case len(o.SentinelAddrs) > 0:
		if o.SentinelMaster == "" {
			return nil, errors.New("REDIS_SENTINEL_MASTER is required with REDIS_SENTINEL_ADDRS")
		}
		return redis.NewUniversalClient(failFast(&redis.UniversalOptions{Addrs: o.SentinelAddrs, MasterName: o.SentinelMaster})), nil
	case o.URL == "":
		return nil, nil
	}
	u, err := url.Parse(o.URL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	q := u.Query()
	switch {
	case q.Has("master_name"):
		fo, err := redis.ParseFailoverURL(o.URL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL (sentinel form): %w", err)
		}
		withTimeouts(&fo.DialTimeout, &fo.ReadTimeout, &fo.WriteTimeout, &fo.PoolTimeout)
		fo.ContextTimeoutEnabled = true
		return redis.NewFailoverClient(fo), nil
	case q.Has("addr"):
		co, err := redis.ParseClusterURL(o.URL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL (cluster form): %w", err)
		}
		withTimeouts(&co.DialTimeout, &co.ReadTimeout, &co.WriteTimeout, &co.PoolTimeout)
		co.ContextTimeoutEnabled = true
		return redis.NewClusterClient(co), nil
	}
	ro, err := redis.ParseURL(o.URL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	withTimeouts(&ro.DialTimeout, &ro.ReadTimeout, &ro.WriteTimeout, &ro.PoolTimeout)
	ro.ContextTimeoutEnabled = true
	if ro.MaxRetries == 0 {
		ro.MaxRetries = maxRetries
	}
	return redis.NewClient(ro), nil
}

// failFast sets the fail-fast timeouts and retries on options built from
// REDIS_CLUSTER_ADDRS or REDIS_SENTINEL_ADDRS.
func failFast(o *redis.UniversalOptions) *redis.UniversalOptions {
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRetries = dialTimeout, ioTimeout, ioTimeout, maxRetries
	o.PoolTimeout, o.ContextTimeoutEnabled = poolTimeout, true
	return o
}

// withTimeouts fills the timeouts a REDIS_URL left unset with the
// fail-fast defaults.
func withTimeouts(dial, read, write, pool *time.Duration) {
	*dial, *read, *write = orDefault(*dial, dialTimeout), orDefault(*read, ioTimeout), orDefault(*write, ioTimeout)
	*pool = orDefault(*pool, poolTimeout)
}

// clientLog writes what go-redis logs (a failed dial, a pool problem) as
// a line of the service's own structured log, not as text in its stream.
type clientLog struct{ log *slog.Logger }

func (l clientLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// New returns a Store on an existing client.
func New(rdb redis.UniversalClient) *Store { return &Store{rdb: rdb, MaxAttempts: 100} }

// Outbox returns an outbox on this store's Redis with the given deliverers
// by kind. Each call is a new outbox on the same stream, as another
// process's would be.
func (s *Store) Outbox(deliverers map[string]outbox.Deliverer) *outbox.Outbox {
	return outbox.New(s.rdb, deliverers)
}

// Embedded reports whether the store runs on the in-process Redis.
func (s *Store) Embedded() bool { return s.embedded != nil }

// Close closes the client and stops the embedded Redis, if any.
func (s *Store) Close() error {
	err := s.rdb.Close()
	if s.embedded != nil {
		close(s.stop)
		s.embedded.Close()
	}
	return err
}

// Ping reports whether Redis answers.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }

// SessionKey is the Redis key of a conversation's session. The braces make
// every key of one conversation hash to the same Cluster slot.
func SessionKey(k bot.Key) string { return "hl:{" + string(k) + "}:s" }

// ConversationKey is the Redis key for another record of the same
// conversation (handoff, relay number): same hash tag, another suffix.
func ConversationKey(k bot.Key, suffix string) string { return "hl:{" + string(k) + "}:" + suffix }

// casScript writes a session only if its version is still the one read,
// bumps the version and sets the TTL, in one round trip.
var casScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v') or '0'
if v ~= ARGV[1] then return 0 end
local nv = tonumber(v) + 1
redis.call('HSET', KEYS[1], 'v', nv, 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return nv
`)

// Update implements bot.Store: one HMGET to read and one EVALSHA to
// compare-and-set, retried with jitter while other writers win. With the
// local cache on, the read is skipped when this process wrote the session
// last; a stale copy fails the compare-and-set and is read again.
// Load returns the session stored for k, read from Redis (a zero session
// when there is none).
func (s *Store) Load(ctx context.Context, k bot.Key) (*bot.Session, error) {
	return s.load(ctx, SessionKey(k))
}

func (s *Store) Update(ctx context.Context, k bot.Key, fn func(*bot.Session) error) error {
	key := SessionKey(k)
	fresh := false // true: read from Redis, not the cache
	for attempt := 0; attempt < s.MaxAttempts; attempt++ {
		sess, fromCache, err := s.read(ctx, key, fresh)
		if err != nil {
			return err
		}
		if err := fn(sess); err != nil {
			if errors.Is(err, bot.ErrNoWrite) {
				if fromCache {
					// "Nothing to write" must be true of the stored
					// session, not of a copy another replica has moved on from.
					fresh = true
					continue
				}
				return nil
			}
			return err
		}
		data, err := json.Marshal(sess)
		if err != nil {
			return fmt.Errorf("encode session: %w", err)
		}
		ttl := sess.TTL
		if ttl <= 0 {
			return errors.New("save session: no TTL set (the engine sets every session's)")
		}
		nv, err := casScript.Run(ctx, s.rdb, []string{key}, sess.Version, data, ttl.Milliseconds()).Int64()
		if err != nil {
			if s.cache != nil {
				s.cache.drop(key)
			}
			return fmt.Errorf("save session: %w", err)
		}
		if nv > 0 {
			sess.Version = nv
			if s.cache != nil {
				s.cache.put(key, sess, nv, ttl)
			}
			return nil
		}
		fresh = true
		if s.cache != nil {
			s.cache.drop(key)
		}
		if fromCache {
			continue // a stale copy, not a race: read again at once
		}
		// Someone else wrote first: wait a little, read again.
		wait := time.Duration(rand.Int64N(int64(time.Millisecond) * int64(min(attempt+1, 20))))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	return bot.ErrConflict
}

// read returns the session at key from the cache when allowed and present,
// else from Redis.
func (s *Store) read(ctx context.Context, key string, fresh bool) (*bot.Session, bool, error) {
	if s.cache != nil && !fresh {
		if e, ok := s.cache.get(key); ok {
			sess := e.sess.Clone()
			sess.Version = e.version
			return sess, true, nil
		}
	}
	sess, err := s.load(ctx, key)
	return sess, false, err
}

// Cache turns on the local cache of recently written sessions, bounded to
// entries and to keep (and each session's TTL).
func (s *Store) Cache(entries int, keep time.Duration) { s.cache = newCache(entries, keep) }

// Recent reports whether this process lately served the conversation at
// k: it wrote its session, which is still in the local cache, and the
// texter is neither opted out nor erased. It never reads Redis (false
// without the cache), so a flooded line can ask it of every text.
func (s *Store) Recent(k bot.Key) bool {
	if s.cache == nil {
		return false
	}
	e, ok := s.cache.get(SessionKey(k))
	return ok && e.sess.Status != "" && e.sess.Status != bot.StatusOptedOut
}

func (s *Store) load(ctx context.Context, key string) (*bot.Session, error) {
	vals, err := s.rdb.HMGet(ctx, key, "v", "d").Result()
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	sess := &bot.Session{}
	v, _ := vals[0].(string)
	d, _ := vals[1].(string)
	if v == "" || d == "" {
		return sess, nil
	}
	if err := json.Unmarshal([]byte(d), sess); err != nil {
		// A session that cannot be read is started afresh rather than
		// leaving the texter stuck; the version still guards the write.
		sess = &bot.Session{}
	}
	_, err = fmt.Sscan(v, &sess.Version)
	if err != nil {
		return nil, fmt.Errorf("load session: bad version %q", v)
	}
	return sess, nil
}

// ParseAddrs splits a comma-separated host:port list.
func ParseAddrs(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}
