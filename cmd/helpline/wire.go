package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/channel"
	"helpline/internal/config"
	"helpline/internal/handoff"
	"helpline/internal/server"
	hlslack "helpline/internal/slack"
	"helpline/internal/sms"
	"helpline/internal/stats"
	"helpline/internal/store"
	"helpline/internal/store/outbox"
	"helpline/internal/twilio"
	"helpline/internal/whatsapp"
)

// wiring holds the parts that exist only when Slack is configured: the
// Slack handler, the outbox and its workers, and the handoff service.
type wiring struct {
	handoffs *handoff.Service
	slackAPI *slack.Client
	slack    *hlslack.Handler
	bg       context.Context // background work; ends when stop is called
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	stopSocket context.CancelFunc
	socket     sync.WaitGroup
}

// ctx is the context of background work.
func (w *wiring) ctx() context.Context { return w.bg }

// mount adds the Slack routes to srv.
func (w *wiring) mount(srv *server.Server) {
	if w.slack == nil {
		return
	}
	srv.Handle("POST /slack/commands", http.HandlerFunc(w.slack.Commands))
	srv.Handle("POST /slack/interactions", http.HandlerFunc(w.slack.Interactions))
	srv.Handle("POST /slack/events", http.HandlerFunc(w.slack.Events))
}

// stop ends background work in order: no new Slack requests (Socket Mode),
// then the work already acknowledged, then the outbox and statistics, which
// that work may still have fed.
func (w *wiring) stop() {
	if w.stopSocket != nil {
		w.stopSocket()
		w.socket.Wait()
	}
	if w.slack != nil {
		w.slack.Wait()
	}
	if w.cancel != nil {
		w.cancel()
	}
	w.wg.Wait()
}

// wire builds the Slack side when its settings are present.
func wire(ctx context.Context, cfg config.Config, dev bool, secret []byte, eng *bot.Engine, set *flows.Set, st *store.Store, path *channel.Path, rec *stats.Recorder, m *server.Metrics, log *slog.Logger) (*wiring, error) {
	w := &wiring{}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w.bg, w.cancel = wctx, cancel
	if !cfg.Slack() {
		return w, nil
	}
	sh, err := hlslack.New(hlslack.Config{
		SigningSecret: cfg.SlackSigningSecret, BotToken: cfg.SlackBotToken, AppToken: cfg.SlackAppToken, TeamID: cfg.SlackTeamID,
		APIURL: cfg.SlackAPIURL, Path: path, Flows: set, Stats: rec, Redis: st.Slack(), SessionTTL: cfg.SessionTTL, Log: log,
	})
	if err != nil {
		w.stop()
		return nil, err
	}
	sh.Insecure = dev && cfg.SlackSigningSecret == ""
	// One Web API client: the handler's, which the handoffs post with too.
	w.slackAPI = sh.Client()
	if err := w.handoffService(wctx, cfg, secret, eng, set, st, path, m, log); err != nil {
		w.stop()
		return nil, err
	}
	if w.handoffs != nil {
		sh.Handoffs = w.handoffs
	}
	w.slack = sh
	if cfg.SlackAppToken != "" {
		sctx, stopSocket := context.WithCancel(wctx)
		w.stopSocket = stopSocket
		w.socket.Add(1)
		go func() {
			defer w.socket.Done()
			if err := sh.RunSocketMode(sctx); err != nil {
				log.Error("slack socket mode stopped", "err", err.Error())
			}
		}()
	}
	return w, nil
}

// handoffService starts the outbox workers and the handoff service when an
// intake channel is set.
func (w *wiring) handoffService(ctx context.Context, cfg config.Config, secret []byte, eng *bot.Engine, set *flows.Set, st *store.Store, path *channel.Path, m *server.Metrics, log *slog.Logger) error {
	if !cfg.Handoffs() {
		log.Warn("no SLACK_INTAKE_CHANNEL: CALL is recorded, but no handoff card and no crisis alert is posted")
		return nil
	}

	box := st.Outbox(nil)
	box.Log, box.Observer = log, m
	svc, err := handoff.New(st.Handoffs(cfg.SessionTTL), box, eng, secret)
	if err != nil {
		return err
	}
	svc.IntakeChannel, svc.AlertChannel, svc.Log, svc.Accessed = cfg.SlackIntakeChannel, cfg.SlackAlertChannel, log, m.NumberShown
	svc.DirectObserved = m.AlertDirect
	svc.AlertsPerMinute = cfg.AlertsPerMinute
	svc.RepageAfter = cfg.AlertRepage
	svc.Names = set
	// Staff replies go back the way the texter wrote, shaped by that
	// channel's rules.
	svc.Texters = map[string]handoff.Texter{}
	if cfg.TwilioAccountSID != "" && (cfg.TwilioFrom != "" || cfg.TwilioMessagingServiceSID != "") {
		s, err := twilio.NewSender(cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioFrom, cfg.TwilioMessagingServiceSID, cfg.TwilioAPIURL)
		if err != nil {
			return err
		}
		svc.Texters[sms.Channel] = refusals{sms.Texter{Sender: s, Unicode: cfg.SMSUnicode}}
	} else {
		log.Warn("no TWILIO_ACCOUNT_SID with TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID: staff replies cannot be texted")
	}
	if cfg.TwilioAccountSID != "" && cfg.TwilioWhatsAppFrom != "" {
		s, err := twilio.NewSender(cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioWhatsAppFrom, "", cfg.TwilioAPIURL)
		if err != nil {
			return err
		}
		svc.Texters[whatsapp.Channel] = refusals{whatsapp.Texter{Sender: s}}
	} else {
		log.Warn("no TWILIO_ACCOUNT_SID with TWILIO_WHATSAPP_FROM: staff replies cannot reach WhatsApp texters")
	}
	poster := slackPoster{w.slackAPI}
	box.Register(svc.Deliverers(poster))
	// Alerts the outbox cannot take (the store is down) go to Slack from
	// here, and STOPs and DELETEs it could not take are done when it can.
	w.wg.Add(2)
	go func() {
		defer w.wg.Done()
		svc.RunDirect(ctx, poster)
	}()
	go func() {
		defer w.wg.Done()
		svc.RunPending(ctx, time.Second)
	}()
	m.Gauge("helpline_outbox_depth", "Outbox messages waiting or retrying.", func() float64 {
		waiting, retrying, _, _, err := box.Depth(context.Background())
		if err != nil {
			return -1
		}
		return float64(waiting + retrying)
	})
	m.Gauge("helpline_outbox_oldest_seconds", "Age of the oldest outbox message in the stream.", func() float64 {
		_, _, _, oldest, _ := box.Depth(context.Background())
		return oldest.Seconds()
	})
	host, _ := os.Hostname()
	for i := 0; i < 2; i++ {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			_ = box.Run(ctx, fmt.Sprintf("%s-%d-%d", host, os.Getpid(), i))
		}()
	}
	// Texters write by SMS and WhatsApp; a staff screening in Slack raises
	// no alert and opens no handoff: the caller is already with staff.
	svc.Subscribe(path, sms.Channel, whatsapp.Channel)
	w.handoffs = svc
	return nil
}

// slackPoster posts handoff blocks with the Web API.
type slackPoster struct{ api *slack.Client }

func (p slackPoster) Post(ctx context.Context, channel, threadTS, fallback string, blocks []handoff.Block) (string, error) {
	opts := []slack.MsgOption{slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	_, ts, err := p.api.PostMessageContext(ctx, channel, opts...)
	return ts, retryAfter(err)
}

func (p slackPoster) Update(ctx context.Context, channel, ts, fallback string, blocks []handoff.Block) error {
	_, _, _, err := p.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...))
	return retryAfter(err)
}

// retryAfter passes Slack's rate-limit delay to the outbox.
func retryAfter(err error) error {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return outbox.Later(err, rl.RetryAfter)
	}
	return err
}

// refusals passes Twilio's refusals to the handoff as its own: the
// recipient opted out, WhatsApp's window closed, or a refusal for good.
type refusals struct{ handoff.Texter }

func (r refusals) Send(ctx context.Context, to, body string) error {
	err := r.Texter.Send(ctx, to, body)
	switch {
	case errors.Is(err, twilio.ErrOptedOut):
		return errors.Join(err, handoff.ErrOptedOut)
	case errors.Is(err, twilio.ErrOutsideWindow):
		return errors.Join(err, handoff.ErrWindowClosed)
	case errors.Is(err, twilio.ErrRejected):
		return errors.Join(err, handoff.ErrRejected)
	}
	return err
}
