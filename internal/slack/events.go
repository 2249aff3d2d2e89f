package slack

import (
	"context"
	"time"

	"github.com/slack-go/slack/slackevents"
)

// eventTTL is how long a delivered event ID is remembered: well past
// Slack's last retry (about 0 s, 1 min and 5 min after the event).
const eventTTL = time.Hour

// event handles one Events API callback: a mention or a DM to the app is
// answered in place. Slack's retries (same event_id, X-Slack-Retry-Num or
// Socket Mode's retry_attempt) are recognised and do nothing twice.
func (h *Handler) event(ctx context.Context, ev slackevents.EventsAPIEvent, retry string) {
	if ev.Type != slackevents.CallbackEvent || h.foreign(ev.TeamID, "event") {
		return
	}
	outer, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok {
		return
	}
	if !h.first(ctx, outer.EventID, retry) {
		return
	}
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		if e.BotID != "" {
			return
		}
		thread := e.ThreadTimeStamp
		if thread == "" {
			thread = e.TimeStamp
		}
		h.later(ctx, func(ctx context.Context) { h.post(ctx, e.Channel, thread, "Answer", h.answer(e.Text)) })
	case *slackevents.MessageEvent:
		if h.staffReply(ctx, outer.EventID, e) {
			return
		}
		// Only people writing in a DM with the app: never the app's own
		// messages, edits or other subtypes.
		if e.ChannelType != "im" || e.BotID != "" || e.SubType != "" || e.User == "" {
			return
		}
		h.later(ctx, func(ctx context.Context) { h.post(ctx, e.Channel, "", "Answer", h.answer(e.Text)) })
	}
}

// first claims an event ID and reports whether this is its first delivery.
// When Redis cannot say, the event is handled: answering a question twice
// is better than not at all.
func (h *Handler) first(ctx context.Context, eventID, retry string) bool {
	if eventID == "" {
		return true
	}
	ok, err := h.Redis.FirstDelivery(ctx, eventID, eventTTL)
	if err != nil {
		h.Log.Error("remember event", "event_id", eventID, "err", err)
		return true
	}
	if !ok {
		h.Log.Info("event delivered again; ignored", "event_id", eventID, "retry", retry)
	}
	return ok
}
