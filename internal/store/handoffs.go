package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"helpline/bot"
)

// Handoffs keeps what a handoff to a person needs: its record (what the
// card shows), the texter's sealed number and language, the claim, the
// card's thread, the texts queued for that thread, and the conversation's
// open crisis alerts. Every key of a conversation is under its hash tag, and
// every write keeps it for the keep the Handoffs were made with (the
// session TTL), so nothing outlives the conversation.
type Handoffs struct {
	rdb  redis.UniversalClient
	keep time.Duration
}

// Handoffs returns the handoff records, kept for keep.
func (s *Store) Handoffs(keep time.Duration) *Handoffs { return &Handoffs{rdb: s.rdb, keep: keep} }

// Records of a handoff, under the conversation's hash tag.
func numberKey(k bot.Key) string  { return ConversationKey(k, "n") }
func handoffKey(k bot.Key) string { return ConversationKey(k, "h") }
func langKey(k bot.Key) string    { return ConversationKey(k, "l") }
func claimKey(k bot.Key) string   { return ConversationKey(k, "c") }

// relayKey queues the texter's texts for the thread, in order; relayLock
// is held by the one worker posting them.
func relayKey(k bot.Key) string  { return ConversationKey(k, "r") }
func relayLock(k bot.Key) string { return ConversationKey(k, "rl") }

// partsKey counts the parts of a long text to the texter already sent, so
// a retry resumes after them.
func partsKey(k bot.Key, msgID string) string { return ConversationKey(k, "sent:"+msgID) }

// threadKey maps a card's (or claimed alert's) thread to its conversation.
func threadKey(channel, ts string) string { return "hl:thread:" + channel + ":" + ts }

// Record returns the handoff's record as saved, or nil when there is none
// (never opened, or expired).
func (h *Handoffs) Record(ctx context.Context, k bot.Key) ([]byte, error) {
	raw, err := h.rdb.Get(ctx, handoffKey(k)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return raw, err
}

// SaveRecord saves the handoff's record.
func (h *Handoffs) SaveRecord(ctx context.Context, k bot.Key, data []byte) error {
	return h.rdb.Set(ctx, handoffKey(k), data, h.keep).Err()
}

// KeepNumber keeps the texter's number, sealed, for relays.
func (h *Handoffs) KeepNumber(ctx context.Context, k bot.Key, sealed string) error {
	return h.rdb.Set(ctx, numberKey(k), sealed, h.keep).Err()
}

// Number returns the texter's sealed number, and false when it is no longer
// kept (expired, STOP, DELETE or a closed handoff).
func (h *Handoffs) Number(ctx context.Context, k bot.Key) (string, bool, error) {
	return h.get(ctx, numberKey(k))
}

// ForgetNumber erases the texter's number.
func (h *Handoffs) ForgetNumber(ctx context.Context, k bot.Key) error {
	return h.rdb.Del(ctx, numberKey(k)).Err()
}

// KeepLang keeps the language the texter last wrote danger in, for a claim
// of the alert to answer them in it.
func (h *Handoffs) KeepLang(ctx context.Context, k bot.Key, lang string) error {
	return h.rdb.Set(ctx, langKey(k), lang, h.keep).Err()
}

// Lang returns the language KeepLang kept, or "".
func (h *Handoffs) Lang(ctx context.Context, k bot.Key) (string, error) {
	lang, _, err := h.get(ctx, langKey(k))
	return lang, err
}

// Claim gives the handoff to user if nobody holds it: two staff clicking at
// once, one wins. It reports whether user won.
func (h *Handoffs) Claim(ctx context.Context, k bot.Key, user string) (bool, error) {
	return h.rdb.SetNX(ctx, claimKey(k), user, h.keep).Result()
}

// Claimant returns who holds the handoff, or "" when nobody does.
func (h *Handoffs) Claimant(ctx context.Context, k bot.Key) (string, error) {
	user, _, err := h.get(ctx, claimKey(k))
	return user, err
}

// Unclaim lets go of the claim, for a handoff opened anew.
func (h *Handoffs) Unclaim(ctx context.Context, k bot.Key) error {
	return h.rdb.Del(ctx, claimKey(k)).Err()
}

// MapThread records that the thread of message ts in channel is k's
// handoff, for staff replies in it.
func (h *Handoffs) MapThread(ctx context.Context, channel, ts string, k bot.Key) error {
	return h.rdb.Set(ctx, threadKey(channel, ts), string(k), h.keep).Err()
}

// ThreadOf returns the conversation whose handoff is the thread of message
// ts in channel, and false when there is none.
func (h *Handoffs) ThreadOf(ctx context.Context, channel, ts string) (bot.Key, bool, error) {
	k, ok, err := h.get(ctx, threadKey(channel, ts))
	return bot.Key(k), ok, err
}

// QueueRelay adds a text of the texter's to the end of k's relay queue.
func (h *Handoffs) QueueRelay(ctx context.Context, k bot.Key, text string) error {
	return h.queueRelay(ctx, k, text, nil)
}

// QueueRelayKeepingAlive adds a text to k's relay queue and, in the same
// round trip, keeps the handoff alive another keep while the texter
// writes: its record, number and claim, and the map of its thread (message
// ts in channel) when the card is posted (ts set).
func (h *Handoffs) QueueRelayKeepingAlive(ctx context.Context, k bot.Key, text, channel, ts string) error {
	return h.queueRelay(ctx, k, text, func(p redis.Pipeliner) {
		p.Expire(ctx, handoffKey(k), h.keep)
		p.Expire(ctx, numberKey(k), h.keep)
		p.Expire(ctx, claimKey(k), h.keep)
		if ts != "" {
			p.Expire(ctx, threadKey(channel, ts), h.keep)
		}
	})
}

func (h *Handoffs) queueRelay(ctx context.Context, k bot.Key, text string, also func(redis.Pipeliner)) error {
	_, err := h.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, relayKey(k), text)
		p.Expire(ctx, relayKey(k), h.keep)
		if also != nil {
			also(p)
		}
		return nil
	})
	return err
}

// NextRelay returns the oldest queued text, and false when the queue is
// empty. It stays queued until DropRelay.
func (h *Handoffs) NextRelay(ctx context.Context, k bot.Key) (string, bool, error) {
	text, err := h.rdb.LIndex(ctx, relayKey(k), 0).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	return text, err == nil, err
}

// DropRelay takes the oldest text off the queue, once it is posted.
func (h *Handoffs) DropRelay(ctx context.Context, k bot.Key) error {
	return h.rdb.LPop(ctx, relayKey(k)).Err()
}

// RelaysLeft returns how many texts are queued.
func (h *Handoffs) RelaysLeft(ctx context.Context, k bot.Key) (int64, error) {
	return h.rdb.LLen(ctx, relayKey(k)).Result()
}

// relayHold is how long a worker may post a queue before another may.
const relayHold = 30 * time.Second

// unlockScript lets go of a lock only if it is still the holder's.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// LockRelay makes the caller the one worker posting k's queue, if no other
// is, and returns how to let go: the lock is the caller's alone, so a
// worker whose hold ran out never lets go of another's.
func (h *Handoffs) LockRelay(ctx context.Context, k bot.Key) (unlock func(), ok bool, err error) {
	token := strconv.FormatInt(rand.Int64(), 36)
	ok, err = h.rdb.SetNX(ctx, relayLock(k), token, relayHold).Result()
	if err != nil || !ok {
		return nil, false, err
	}
	return func() { unlockScript.Run(context.WithoutCancel(ctx), h.rdb, []string{relayLock(k)}, token) }, true, nil
}

// partsKeep is how long sent parts are counted: as long as the outbox
// retries a message.
const partsKeep = 24 * time.Hour

// PartsSent returns how many parts of outbox message msgID to k's texter
// were sent.
func (h *Handoffs) PartsSent(ctx context.Context, k bot.Key, msgID string) (int, error) {
	n, err := h.rdb.Get(ctx, partsKey(k, msgID)).Int()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, err
}

// MarkPartsSent records that n parts of msgID were sent.
func (h *Handoffs) MarkPartsSent(ctx context.Context, k bot.Key, msgID string, n int) error {
	return h.rdb.Set(ctx, partsKey(k, msgID), n, partsKeep).Err()
}

// ForgetPartsSent drops the count once every part is sent.
func (h *Handoffs) ForgetPartsSent(ctx context.Context, k bot.Key, msgID string) error {
	return h.rdb.Del(ctx, partsKey(k, msgID)).Err()
}

// Forget erases the texter's number, language, claim and alerts, when
// they say STOP or DELETE.
func (h *Handoffs) Forget(ctx context.Context, k bot.Key) error {
	return h.rdb.Del(ctx, numberKey(k), claimKey(k), langKey(k), alertKey(k)).Err()
}

// get returns the string at key, and false when there is none.
func (h *Handoffs) get(ctx context.Context, key string) (string, bool, error) {
	v, err := h.rdb.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	return v, err == nil, err
}
