package slack

import (
	"context"
	"errors"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/handoff"
	"helpline/internal/slack/mrkdwn"
)

// handoffs is the slice of the handoff service the intake channel's
// buttons and threads use.
type handoffs interface {
	Claim(ctx context.Context, key bot.Key, user, channel, ts string) (bool, error)
	Close(ctx context.Context, key bot.Key, user string) error
	ShowNumber(ctx context.Context, key bot.Key, user string) (string, error)
	StaffReply(ctx context.Context, channel, threadTS, eventID, text string) (bool, error)
	ClaimFolded(ctx context.Context, key bot.Key, kind string, tier flows.Tier, user string) error
	InHandoff(ctx context.Context, channel, threadTS string) (bool, error)
}

var _ handoffs = (*handoff.Service)(nil)

// handoffAction handles a click on a handoff card or crisis alert; it
// reports false for any other action.
func (h *Handler) handoffAction(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) bool {
	switch a.ActionID {
	case handoff.ActionClaim, handoff.ActionClose, handoff.ActionShow:
	case handoff.ActionClaimFolded:
		h.claimFolded(ctx, cb, a)
		return true
	default:
		return false
	}
	if h.Handoffs == nil {
		return true
	}
	key, user, channel := bot.Key(a.Value), cb.User.ID, cb.Channel.ID
	ts := cb.Container.MessageTs
	if ts == "" {
		ts = cb.Message.Timestamp
	}
	h.later(ctx, func(ctx context.Context) {
		switch a.ActionID {
		case handoff.ActionClaim:
			ok, err := h.Handoffs.Claim(ctx, key, user, channel, ts)
			switch {
			case err != nil && ok:
				// It is theirs; a notice that failed to queue is logged.
				h.Log.Error("claim handoff: notices", "conv", string(key), "err", err)
			case err != nil:
				h.Log.Error("claim handoff", "conv", string(key), "err", err)
				h.ephemeral(ctx, channel, user, "Sorry, the claim did not go through; please try again.")
			case !ok:
				h.ephemeral(ctx, channel, user, "Someone else has this texter, or the handoff is closed or expired.")
			}
		case handoff.ActionClose:
			if err := h.Handoffs.Close(ctx, key, user); err != nil {
				h.Log.Error("close handoff", "conv", string(key), "err", err)
				h.ephemeral(ctx, channel, user, "Sorry, closing did not go through; please try again.")
			}
		case handoff.ActionShow:
			number, err := h.Handoffs.ShowNumber(ctx, key, user)
			if err != nil {
				h.ephemeral(ctx, channel, user, "The number is shown only to the person who claimed an open handoff.")
				return
			}
			h.ephemeral(ctx, channel, user, "Texter's number (shown only to you; the access is recorded): "+number)
		}
	})
	return true
}

// claimFolded claims, for the staff member who clicked, a conversation
// listed in a digest of crisis alerts: its alert is posted again on its
// own and claimed for them.
func (h *Handler) claimFolded(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	if h.Handoffs == nil {
		return
	}
	parts := strings.SplitN(a.Value, "|", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	key, user, channel := bot.Key(parts[0]), cb.User.ID, cb.Channel.ID
	h.later(ctx, func(ctx context.Context) {
		if err := h.Handoffs.ClaimFolded(ctx, key, parts[1], flows.Tier(parts[2]), user); err != nil {
			h.Log.Error("claim from a digest", "conv", string(key), "err", err)
			h.ephemeral(ctx, channel, user, "Sorry, that texter cannot be claimed: their number is no longer kept, or the claim did not go through.")
			return
		}
		h.ephemeral(ctx, channel, user, "Their alert is posted again on its own and claimed for you: reply in its thread.")
	})
}

// chatter reports whether a message in a handoff thread is meant for
// colleagues, not the texter: it starts with a mention of someone, or
// with "//". It stays in Slack.
func chatter(text string) bool {
	t := strings.TrimSpace(text)
	return strings.HasPrefix(t, "<@") || strings.HasPrefix(t, "<!") || strings.HasPrefix(t, "//")
}

// staffReply passes a staff member's message in a handoff thread to the
// texter. It reports whether the message was such a reply. A message that
// starts with a mention or "//" is for colleagues and stays in Slack; the
// writer is told so, in the thread, where only they see it.
func (h *Handler) staffReply(ctx context.Context, eventID string, e *slackevents.MessageEvent) bool {
	if h.Handoffs == nil || e.ThreadTimeStamp == "" || e.ChannelType == "im" || e.BotID != "" || e.User == "" ||
		(e.SubType != "" && e.SubType != "thread_broadcast") { // "also send to channel" is a reply too
		return false
	}
	if chatter(e.Text) {
		in, err := h.Handoffs.InHandoff(ctx, e.Channel, e.ThreadTimeStamp)
		if err == nil && in {
			h.threadNote(ctx, e.Channel, e.ThreadTimeStamp, e.User,
				"Kept in Slack: a message that starts with a mention or // is for your colleagues and is not sent to the texter.")
		}
		return in
	}
	ok, err := h.Handoffs.StaffReply(ctx, e.Channel, e.ThreadTimeStamp, eventID, mrkdwn.Plain(e.Text))
	// Everyone in the thread should know the texter did not get it.
	var late *handoff.OutsideWindow
	var notSent *handoff.NotSent
	switch {
	case errors.As(err, &late):
		text := ":no_entry: " + late.Error() + ". Message templates are not sent by this service: wait for the texter to write again, or reach them another way."
		h.post(ctx, e.Channel, e.ThreadTimeStamp, "Reply not sent", []slack.Block{section(mrkdwn.Escape(text))})
		return true
	case errors.As(err, &notSent):
		h.post(ctx, e.Channel, e.ThreadTimeStamp, "Reply not sent", []slack.Block{section(mrkdwn.Escape(":no_entry: " + notSent.Error() + "."))})
		return true
	}
	if err != nil {
		h.Log.Error("relay staff reply", "err", err)
		h.ephemeral(ctx, e.Channel, e.User, "Sorry, that reply could not be queued for the texter; please send it again.")
		return true
	}
	return ok
}

// threadNote tells user, in a thread, something only they see.
func (h *Handler) threadNote(ctx context.Context, channel, threadTS, user, text string) {
	if _, err := h.API.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(text, false), slack.MsgOptionTS(threadTS)); err != nil {
		h.Log.Error("post ephemeral", "err", err)
	}
}
