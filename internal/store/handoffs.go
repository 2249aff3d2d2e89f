package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
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

// outKey queues the texts for the texter (staff replies, notices), in the
// order staff wrote them; outLock is held by the one worker sending them.
func outKey(k bot.Key) string  { return ConversationKey(k, "o") }
func outLock(k bot.Key) string { return ConversationKey(k, "ol") }

// threadKey maps a card's (or claimed alert's) thread to its conversation;
// threadsKey lists, under the conversation's tag, the threads mapped to
// it, so erasing the conversation erases its maps too.
func threadKey(channel, ts string) string { return "hl:thread:" + channel + ":" + ts }
func threadsKey(k bot.Key) string         { return ConversationKey(k, "t") }

// conversationKeys are every key of a handoff under the conversation's tag.
func conversationKeys(k bot.Key) []string {
	return []string{handoffKey(k), numberKey(k), langKey(k), claimKey(k), alertKey(k), relayKey(k), relayLock(k),
		outKey(k), outLock(k), threadsKey(k)}
}

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
	if err := h.rdb.Set(ctx, threadKey(channel, ts), string(k), h.keep).Err(); err != nil {
		return err
	}
	_, err := h.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.SAdd(ctx, threadsKey(k), channel+" "+ts)
		p.Expire(ctx, threadsKey(k), h.keep)
		return nil
	})
	return err
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

// queueOnceScript adds ARGV[2] to the list unless an item starting with
// ARGV[1] and a space is in it already, and keeps the list ARGV[3] ms.
var queueOnceScript = redis.NewScript(`
local prefix = ARGV[1] .. ' '
for _, item in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if string.sub(item, 1, #prefix) == prefix then return 0 end
end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

// QueueText adds a text for the texter (sealed by the caller, after its id
// and a space) to the end of k's queue, unless one with id is queued.
func (h *Handoffs) QueueText(ctx context.Context, k bot.Key, id, item string) error {
	return queueOnceScript.Run(ctx, h.rdb, []string{outKey(k)}, id, item, h.keep.Milliseconds()).Err()
}

// NextText returns the oldest text queued for the texter, and false when
// none is. It stays queued until DropText.
func (h *Handoffs) NextText(ctx context.Context, k bot.Key) (string, bool, error) {
	item, err := h.rdb.LIndex(ctx, outKey(k), 0).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	return item, err == nil, err
}

// ReplaceText rewrites the oldest queued text (how much of it was sent).
func (h *Handoffs) ReplaceText(ctx context.Context, k bot.Key, item string) error {
	return h.rdb.LSet(ctx, outKey(k), 0, item).Err()
}

// DropText takes the oldest text off the texter's queue.
func (h *Handoffs) DropText(ctx context.Context, k bot.Key) error {
	return h.rdb.LPop(ctx, outKey(k)).Err()
}

// ClearTexts drops every text queued for the texter.
func (h *Handoffs) ClearTexts(ctx context.Context, k bot.Key) error {
	return h.rdb.Del(ctx, outKey(k)).Err()
}

// LockTexts makes the caller the one worker sending k's texts, as
// LockRelay does for the thread.
func (h *Handoffs) LockTexts(ctx context.Context, k bot.Key) (unlock func(), ok bool, err error) {
	return h.lock(ctx, outLock(k))
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
	return h.lock(ctx, relayLock(k))
}

func (h *Handoffs) lock(ctx context.Context, key string) (unlock func(), ok bool, err error) {
	token := strconv.FormatInt(rand.Int64(), 36)
	ok, err = h.rdb.SetNX(ctx, key, token, relayHold).Result()
	if err != nil || !ok {
		return nil, false, err
	}
	return func() { unlockScript.Run(context.WithoutCancel(ctx), h.rdb, []string{key}, token) }, true, nil
}

// Forget erases the texter's number, language, claim, alerts and the
// texts queued for them, when they say STOP.
func (h *Handoffs) Forget(ctx context.Context, k bot.Key) error {
	return h.rdb.Del(ctx, numberKey(k), claimKey(k), langKey(k), alertKey(k), outKey(k)).Err()
}

// Threads returns the Slack threads (channel and ts) mapped to k.
func (h *Handoffs) Threads(ctx context.Context, k bot.Key) ([][2]string, error) {
	members, err := h.rdb.SMembers(ctx, threadsKey(k)).Result()
	if err != nil {
		return nil, err
	}
	var out [][2]string
	for _, m := range members {
		if channel, ts, ok := strings.Cut(m, " "); ok {
			out = append(out, [2]string{channel, ts})
		}
	}
	return out, nil
}

// Erase deletes every record of k's handoff, when the texter says DELETE:
// the record, number, language, claim, alerts, the texts queued either
// way, their locks, and the maps of its threads (threads: from Threads and
// the record). Counts of parts sent that a release before the texter's
// queue left expire within a day of their message, as they always did.
func (h *Handoffs) Erase(ctx context.Context, k bot.Key, threads [][2]string) error {
	keys := conversationKeys(k)
	_, err := h.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, keys...)
		for _, t := range threads {
			p.Del(ctx, threadKey(t[0], t[1]))
		}
		return nil
	})
	return err
}

// get returns the string at key, and false when there is none.
func (h *Handoffs) get(ctx context.Context, key string) (string, bool, error) {
	v, err := h.rdb.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	return v, err == nil, err
}
