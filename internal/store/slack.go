package store

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"helpline/bot"
)

// Slack remembers what screenings run in Slack need between requests:
// which message holds each screening's current question, so a click on an
// older one changes nothing, and which Events API deliveries were seen, so
// a delivery Slack retries is handled once.
type Slack struct{ rdb redis.UniversalClient }

// Slack returns what the Slack side remembers.
func (s *Store) Slack() *Slack { return &Slack{rdb: s.rdb} }

func promptKey(k bot.Key) string { return ConversationKey(k, "slack_prompt") }

func eventKey(id string) string { return "hl:slack:event:" + id }

// SetPrompt remembers message ts as the one holding k's current question,
// for keep.
func (s *Slack) SetPrompt(ctx context.Context, k bot.Key, ts string, keep time.Duration) error {
	return s.rdb.Set(ctx, promptKey(k), ts, keep).Err()
}

// ForgetPrompt forgets k's current question: none is open.
func (s *Slack) ForgetPrompt(ctx context.Context, k bot.Key) error {
	return s.rdb.Del(ctx, promptKey(k)).Err()
}

// takePrompt claims the current question for a click on message ts: it
// succeeds once, for the message that holds the current question, so a
// double click or a click on an old message answers nothing.
var takePrompt = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`)

// TakePrompt claims k's current question for a click on message ts. It
// reports true once, and only for the message that holds the current
// question.
func (s *Slack) TakePrompt(ctx context.Context, k bot.Key, ts string) (bool, error) {
	took, err := takePrompt.Run(ctx, s.rdb, []string{promptKey(k)}, ts).Int()
	return took == 1, err
}

// FirstDelivery claims an Events API event ID for keep and reports
// whether this is its first delivery.
func (s *Slack) FirstDelivery(ctx context.Context, eventID string, keep time.Duration) (bool, error) {
	return s.rdb.SetNX(ctx, eventKey(eventID), 1, keep).Result()
}
