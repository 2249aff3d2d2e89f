package slack

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"helpline/bot"
)

// A screening run from Slack is the engine's conversation for the staff
// member (channel "slack", keyed by team and user), drawn as one message
// per question. Redis remembers which message holds the current question,
// so a click on an older one (answered, or from a screening started over)
// changes nothing.

// from is a staff member's address on the path: a screening is keyed by an
// HMAC of it, like a texter's number.
func from(team, user string) string { return "slack:" + team + ":" + user }

// startScreen opens the DM with the staff member and starts the screening
// afresh there.
func (h *Handler) startScreen(ctx context.Context, team, user, triggerID, lang string) {
	ch, _, _, err := h.API.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
	if err != nil {
		h.Log.Error("open DM for screening", "err", err)
		return
	}
	t := h.Path.Handle(ctx, Channel, from(team, user), bot.Inbound{Command: bot.CommandRestart, MessageID: "screen:" + triggerID, Time: h.now(), Lang: lang})
	k, out, err := t.Key, t.Outcome, t.Err
	if err != nil {
		h.Log.Error("start screening", "key", k, "err", err)
	}
	if out.Duplicate {
		return
	}
	h.show(ctx, k, ch.ID, out)
}

// show posts what the engine answered and remembers the question's message.
func (h *Handler) show(ctx context.Context, k bot.Key, channel string, out bot.Outcome) {
	ts := h.post(ctx, channel, "", fallbackOf(out), OutcomeBlocks(h.Flows.Criteria, out))
	var err error
	if out.Asked() != nil && ts != "" {
		err = h.Redis.SetPrompt(ctx, k, ts, h.PromptTTL)
	} else {
		err = h.Redis.ForgetPrompt(ctx, k)
	}
	if err != nil {
		h.Log.Error("remember screening question", "key", k, "err", err)
	}
}

func fallbackOf(out bot.Outcome) string {
	switch {
	case out.Summary() != nil:
		return "Screening summary"
	case out.Asked() != nil:
		return "Screening question"
	}
	return "Screening"
}

// interaction handles a click; everything but reading it runs after the
// acknowledgement.
func (h *Handler) interaction(ctx context.Context, cb slack.InteractionCallback) {
	if h.foreign(cb.Team.ID, "interaction") {
		return
	}
	if cb.Type != slack.InteractionTypeBlockActions {
		return
	}
	for _, a := range cb.ActionCallback.BlockActions {
		if h.handoffAction(ctx, cb, a) {
			return
		}
		in, label := clicked(cb, a)
		if in.Answer == nil && in.Command == "" {
			continue // a checkbox toggled, or Submit with nothing picked
		}
		in.MessageID = "click:" + cb.TriggerID + ":" + a.ActionTs
		h.later(ctx, func(ctx context.Context) { h.answerScreen(ctx, cb, in, label) })
		return
	}
}

// clicked returns what a click sends to the engine, typed (the step of the
// question's block and the values picked, or a command), and how to show
// it.
func clicked(cb slack.InteractionCallback, a *slack.BlockAction) (in bot.Inbound, label string) {
	step, _ := strings.CutPrefix(a.BlockID, blockQuestion)
	switch {
	case strings.HasPrefix(a.ActionID, actionNav):
		in.Command = bot.Command(a.Value)
		return in, a.Text.Text
	case strings.HasPrefix(a.ActionID, actionAnswer) && strings.HasPrefix(a.BlockID, blockQuestion):
		in.Answer = &bot.Answer{Step: step, Values: []string{a.Value}}
		return in, a.Text.Text
	case a.ActionID == actionSubmit && cb.BlockActionState != nil && strings.HasPrefix(a.BlockID, blockQuestion):
		var values, labels []string
		for id, el := range cb.BlockActionState.Values[a.BlockID] {
			if !strings.HasPrefix(id, actionPick) {
				continue
			}
			for _, o := range el.SelectedOptions {
				values = append(values, o.Value)
				if o.Text != nil {
					labels = append(labels, o.Text.Text)
				}
			}
		}
		if len(values) > 0 {
			in.Answer = &bot.Answer{Step: step, Values: values}
		}
		return in, strings.Join(labels, "; ")
	}
	return in, ""
}

// answerScreen sends a click to the engine, marks the question answered and
// posts what comes next.
func (h *Handler) answerScreen(ctx context.Context, cb slack.InteractionCallback, in bot.Inbound, label string) {
	k := h.Path.Key(from(cb.Team.ID, cb.User.ID))
	msgTS := cb.Container.MessageTs
	if msgTS == "" {
		msgTS = cb.Message.Timestamp
	}
	took, err := h.Redis.TakePrompt(ctx, k, msgTS)
	if err != nil {
		h.Log.Error("claim screening question", "key", k, "err", err)
		h.ephemeral(ctx, cb.Channel.ID, cb.User.ID, "Sorry, that click did not go through; please try again.")
		return
	}
	if !took {
		h.ephemeral(ctx, cb.Channel.ID, cb.User.ID, "That question was already answered or the screening started over; please use the latest question.")
		return
	}
	in.Time = h.now()
	t := h.Path.Handle(ctx, Channel, from(cb.Team.ID, cb.User.ID), in)
	out, err := t.Outcome, t.Err
	if err != nil {
		h.Log.Error("screening answer", "key", k, "err", err)
	}
	if out.Duplicate {
		return
	}
	if _, _, _, err := h.API.UpdateMessageContext(ctx, cb.Channel.ID, msgTS,
		slack.MsgOptionText("Answered", false), slack.MsgOptionBlocks(AnsweredBlocks(cb.Message.Blocks.BlockSet, label)...)); err != nil {
		h.Log.Error("mark question answered", "err", err)
	}
	h.show(ctx, k, cb.Channel.ID, out)
}

func (h *Handler) ephemeral(ctx context.Context, channel, user, text string) {
	if _, err := h.API.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(text, false)); err != nil {
		h.Log.Error("post ephemeral", "err", err)
	}
}
