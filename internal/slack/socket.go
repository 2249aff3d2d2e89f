package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// acker acknowledges Socket Mode requests; *socketmode.Client is one.
type acker interface {
	Ack(req socketmode.Request, payload ...any) error
}

var _ acker = (*socketmode.Client)(nil)

// RunSocketMode connects to Slack with the app-level token the handler was
// made with (Config.AppToken) and serves commands, clicks and events over
// the websocket with the same handling as the HTTP endpoints, until ctx
// ends. Every request is acked. A connection that fails is logged and made
// again, with backoff.
func (h *Handler) RunSocketMode(ctx context.Context) error {
	if h.client == nil {
		return errors.New("slack: socket mode needs the handler's own Web API client, made with an app token")
	}
	wait := time.Second
	for {
		start := time.Now()
		err := h.socketOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) > time.Minute {
			wait = time.Second // it ran for a while: start the backoff over
		}
		h.Log.Error("socket mode disconnected; connecting again", "err", fmt.Sprint(err), "in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// socketOnce runs one Socket Mode connection until it fails or ctx ends.
func (h *Handler) socketOnce(ctx context.Context) error {
	sm := socketmode.New(h.client)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-runCtx.Done():
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
					h.socketRequest(runCtx, *evt.Request, sm)
				}
			}
		}
	}()
	err := sm.RunContext(runCtx)
	cancel() // the reader stops too: slack-go never closes sm.Events
	<-done
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
		// Off the reader, so one slow call never holds up the next ack.
		h.later(ctx, func(ctx context.Context) { h.interaction(ctx, cb) })
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
		h.later(ctx, func(ctx context.Context) { h.event(ctx, ev, retry) })
	}
	// hello and disconnect carry no envelope to ack.
}

func (h *Handler) ack(a acker, req socketmode.Request, payload ...any) {
	if err := a.Ack(req, payload...); err != nil {
		h.Log.Error("socket mode ack", "type", req.Type, "err", err)
	}
}
