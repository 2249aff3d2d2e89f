package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/store/outbox"
)

// A flood of danger from many numbers (one alert per conversation is the
// rule, so many conversations defeat it) must not flood staff: past
// AlertsPerMinute alerts in a minute, over every process, the rest of that
// minute's alerts are folded into one digest, posted in the alert channel
// once the minute is over: how many, of which kinds, and each conversation
// with its own Claim button, which posts that conversation's alert again
// and claims it in one click. Every texter was answered already: only what
// staff see is folded.

// foldedTS marks, where an alert's post is recorded, an alert folded into
// a digest: its thread gets no updates (the digest has no thread of its
// own per conversation).
const foldedTS = "-"

// digest is the payload of the message that posts a minute's digest.
type digest struct{ Minute int64 }

// fold puts alert a in its minute's digest when the minute's alerts are
// past the limit, and reports whether it did. An alert claimed from a
// digest is never folded.
func (s *Service) fold(ctx context.Context, m outbox.Message, a Alert) (bool, error) {
	if a.ClaimBy != "" || s.AlertsPerMinute <= 0 {
		return false, nil
	}
	now := s.Now()
	minute := now.Unix() / 60
	ok, err := s.hs.AlertSlot(ctx, minute, s.AlertsPerMinute)
	if err != nil || ok {
		return false, err
	}
	data, _ := json.Marshal(a)
	sealed, err := s.seal.seal(string(data), digestBind)
	if err != nil {
		return false, err
	}
	first, err := s.hs.Fold(ctx, minute, sealed)
	if err != nil {
		return false, err
	}
	if a.Opened != 0 {
		// Texts of its kind that follow are counted, not told in a thread.
		if err := s.hs.AlertPosted(ctx, a.Key, a.Kind, a.Opened, s.alertChannel(), foldedTS); err != nil {
			s.Log.Warn("alert folded, but not marked", "conv", string(a.Key), "err", err)
		}
	}
	if first {
		due := time.Unix((minute+1)*60, 0).Add(time.Second)
		dm, err := s.message(fmt.Sprintf("digest:%d", minute), KindDigest, digest{Minute: minute})
		if err != nil {
			return true, err
		}
		return true, s.box.Defer(ctx, dm, due.Sub(now))
	}
	return true, nil
}

// digestBind is what folded alerts are sealed for.
const digestBind = "alert digest"

func (s *Service) deliverDigest(ctx context.Context, slack Slack, m outbox.Message) error {
	p, err := openPayload[digest](s.seal, m)
	if err != nil {
		return err
	}
	items, err := s.hs.Digest(ctx, p.Minute)
	if err != nil {
		return err
	}
	var alerts []Alert
	for _, sealed := range items {
		plain, err := s.seal.open(sealed, digestBind)
		var a Alert
		if err == nil && json.Unmarshal([]byte(plain), &a) == nil {
			alerts = append(alerts, a)
		}
	}
	if len(alerts) > 0 {
		if err := s.postDigest(ctx, slack, alerts, time.Unix(p.Minute*60, 0)); err != nil {
			return err
		}
	}
	return s.hs.DropDigest(ctx, p.Minute)
}

// digestPage is how many conversations one digest post lists: Slack takes
// 50 blocks a message.
const digestPage = 40

// postDigest posts the digest of alerts raised in the minute from: the
// first page in the alert channel, the rest in its thread.
func (s *Service) postDigest(ctx context.Context, slack Slack, alerts []Alert, from time.Time) error {
	channel := s.alertChannel()
	var ts string
	for page := 0; page*digestPage < len(alerts); page++ {
		end := min(len(alerts), (page+1)*digestPage)
		fallback, blocks := DigestBlocks(alerts, page*digestPage, end, from, s.Names)
		posted, err := slack.Post(ctx, channel, ts, fallback, blocks)
		if err != nil {
			return err
		}
		if page == 0 {
			ts = posted
		}
	}
	return nil
}

// kindCounts says how many alerts of each kind: "7 suicide, 3 overdose".
func kindCounts(alerts []Alert) string {
	counts := map[string]int{}
	var order []string
	for _, a := range alerts {
		if counts[a.Kind] == 0 {
			order = append(order, a.Kind)
		}
		counts[a.Kind]++
	}
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[k], k)
	}
	return strings.Join(parts, ", ")
}

// ClaimFolded claims for user a conversation listed in a digest: its alert
// is posted again on its own, and claimed for them once it is, so staff
// reply in its own thread. It fails when the number is no longer kept.
func (s *Service) ClaimFolded(ctx context.Context, key bot.Key, kind string, tier flows.Tier, user string) error {
	_, number, kept, err := s.address(ctx, key)
	if err != nil {
		return err
	}
	if !kept {
		return errors.New("the texter's number is no longer kept")
	}
	lang, _ := s.hs.Lang(ctx, key)
	a := Alert{Key: key, Masked: Mask(number), Kind: kind, Tier: tier, Lang: lang, At: s.Now().Unix(), ClaimBy: user}
	return s.enqueue(ctx, fmt.Sprintf("claim-folded:%s:%s:%s", key, kind, user), KindAlert, a)
}
