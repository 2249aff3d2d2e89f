package slack

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// acker acknowledges Socket Mode requests; *socketmode.Client is one.
type acker interface {
	Ack(req socketmode.Request, payload ...any) error
}

var _ acker = (*socketmode.Client)(nil)

// RunSocketMode connects to Slack with the app-level token (SLACK_APP_TOKEN)
// and serves commands, clicks and events over the websocket with the same
// handling as the HTTP endpoints, until ctx ends. Every request is acked.
func (h *Handler) RunSocketMode(ctx context.Context, appToken string) error {
	client := slack.New(h.botToken, append(h.clientOptions, slack.OptionAppLevelToken(appToken))...)
	sm := socketmode.New(client)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case evt, ok := <-sm.Events:
				if !ok {
					return
				}
				switch evt.Type {
				case socketmode.EventTypeConnected:
					h.Log.Info("socket mode connected")
				case socketmode.EventTypeInvalidAuth, socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError:
					h.Log.Warn("socket mode", "event", string(evt.Type))
				}
				if evt.Request != nil {
					h.socketRequest(ctx, *evt.Request, sm)
				}
			}
		}
	}()
	err := sm.RunContext(ctx)
	<-done
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// socketRequest handles one Socket Mode envelope. Commands are acked with
// their response, everything else is acked first and handled after.
func (h *Handler) socketRequest(ctx context.Context, req socketmode.Request, ack acker) {
	switch req.Type {
	case socketmode.RequestTypeSlashCommands:
		var cmd slack.SlashCommand
		if err := json.Unmarshal(req.Payload, &cmd); err != nil {
			h.Log.Warn("socket mode: bad command", "err", err)
			h.ack(ack, req)
			return
		}
		if msg := h.command(ctx, cmd); msg != nil {
			h.ack(ack, req, msg)
			return
		}
		h.ack(ack, req)
	case socketmode.RequestTypeInteractive:
		h.ack(ack, req)
		var cb slack.InteractionCallback
		if err := json.Unmarshal(req.Payload, &cb); err != nil {
			h.Log.Warn("socket mode: bad interaction", "err", err)
			return
		}
		h.interaction(ctx, cb)
	case socketmode.RequestTypeEventsAPI:
		h.ack(ack, req)
		ev, err := slackevents.ParseEvent(req.Payload, slackevents.OptionNoVerifyToken())
		if err != nil {
			h.Log.Warn("socket mode: bad event", "err", err)
			return
		}
		retry := ""
		if req.RetryAttempt > 0 {
			retry = strconv.Itoa(req.RetryAttempt)
		}
		h.event(ctx, ev, retry)
	}
	// hello and disconnect carry no envelope to ack.
}

func (h *Handler) ack(a acker, req socketmode.Request, payload ...any) {
	if err := a.Ack(req, payload...); err != nil {
		h.Log.Error("socket mode ack", "type", req.Type, "err", err)
	}
}
