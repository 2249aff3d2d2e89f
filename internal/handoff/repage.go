package handoff

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/store/outbox"
)

// Nobody left hanging: an urgent alert that nobody has claimed within
// RepageAfter (HELPLINE_ALERT_REPAGE, 5 minutes) of being posted is posted
// again in the alert channel, starting with @here, with its own Claim
// button. Once per alert: a second period unclaimed does not page again.
// The repage waits in the outbox, so it survives a restart, and is checked
// when due: an alert claimed (its handoff claimed), closed, erased,
// expired or replaced by a newer alert of its kind is not paged again. An
// alert folded into a digest has no repage (the digest is the flood guard,
// and one repage per folded alert would undo it); nor has an alert posted
// without the store, or one claimed from a digest.

// DefaultRepageAfter is how long an urgent alert may stay unclaimed when
// RepageAfter is not set.
const DefaultRepageAfter = 5 * time.Minute

func (s *Service) repageAfter() time.Duration {
	if s.RepageAfter > 0 {
		return s.RepageAfter
	}
	return DefaultRepageAfter
}

// urgentTier reports whether an alert of tier is urgent; no tier, or one
// not known, is urgent (when in doubt, alarm), as tierRank has it.
func urgentTier(tier flows.Tier) bool { return tierRank(tier) == tierRank(flows.TierUrgent) }

// scheduleRepage defers the repage of posted alert a, if it is urgent.
func (s *Service) scheduleRepage(ctx context.Context, a Alert) error {
	if a.Opened == 0 || !urgentTier(a.Tier) {
		return nil
	}
	m, err := s.message(fmt.Sprintf("alert-repage:%s:%s:%d", a.Key, a.Kind, a.Opened), KindRepage, a)
	if err != nil {
		return err
	}
	return s.box.Defer(ctx, m, s.repageAfter())
}

// deliverRepage posts alert a again, unless it was claimed or is no longer
// the open alert of its kind.
func (s *Service) deliverRepage(ctx context.Context, slack Slack, m outbox.Message) error {
	a, err := openPayload[Alert](s.seal, m)
	if err != nil {
		return err
	}
	open, err := s.hs.Alert(ctx, a.Key, a.Kind)
	if err != nil {
		return err
	}
	if open.Gen != strconv.FormatInt(a.Opened, 10) || open.TS == foldedTS ||
		s.Now().Sub(time.UnixMilli(a.Opened)) >= s.AlertOpen {
		return nil // closed, erased, expired, folded, or a newer alert has its own
	}
	claimed, err := s.claimed(ctx, a.Key)
	if err != nil || claimed {
		return err
	}
	fallback, blocks := RepageBlocks(a, s.repageAfter(), s.Names)
	_, err = slack.Post(ctx, s.alertChannel(), "", fallback, blocks)
	return err
}

// claimed reports whether a staff member holds the texter's handoff: a
// claim of their alert, or of their handoff card, which gets the texts of
// danger in its thread. A claim that failed half-way is not one: when in
// doubt, page.
func (s *Service) claimed(ctx context.Context, key bot.Key) (bool, error) {
	r, err := s.record(ctx, key)
	return err == nil && r != nil && r.State == stateClaimed, err
}
