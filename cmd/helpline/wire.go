package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/slack-go/slack"

	"helpline/bot"
	"helpline/internal/config"
	"helpline/internal/handoff"
	"helpline/internal/outbox"
	"helpline/internal/server"
	"helpline/internal/sms"
	"helpline/internal/store"
)

// wiring holds the parts that exist only when Slack is configured: the
// outbox, its workers and the handoff service.
type wiring struct {
	handoffs *handoff.Service
	slackAPI *slack.Client
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	mount    func(*server.Server)
}

func (w *wiring) stop() {
	if w.cancel != nil {
		w.cancel()
	}
	w.wg.Wait()
}

// wire builds the Slack side when its settings are present.
func wire(ctx context.Context, cfg config.Config, secret []byte, eng *bot.Engine, st *store.Store, m *server.Metrics, log *slog.Logger) (*wiring, error) {
	w := &wiring{mount: func(*server.Server) {}}
	if cfg.SlackBotToken == "" {
		return w, nil
	}
	opts := []slack.Option{}
	if cfg.SlackAPIURL != "" {
		opts = append(opts, slack.OptionAPIURL(cfg.SlackAPIURL))
	}
	if cfg.SlackAppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.SlackAppToken))
	}
	w.slackAPI = slack.New(cfg.SlackBotToken, opts...)
	if cfg.SlackIntakeChannel == "" {
		return w, nil
	}

	box := outbox.New(st.Client(), nil)
	box.Log, box.Observer = log, m
	svc, err := handoff.New(st.Client(), box, eng, secret)
	if err != nil {
		return nil, err
	}
	svc.IntakeChannel, svc.AlertChannel, svc.Keep, svc.Log, svc.Accessed = cfg.SlackIntakeChannel, cfg.SlackAlertChannel, cfg.SessionTTL, log, m.NumberShown
	var texter handoff.SMS = noSMS{}
	if cfg.TwilioAccountSID != "" && (cfg.TwilioFrom != "" || cfg.TwilioMessagingServiceSID != "") {
		s, err := sms.NewSender(cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioFrom, cfg.TwilioMessagingServiceSID, cfg.TwilioAPIURL)
		if err != nil {
			return nil, err
		}
		texter = smsSender{s}
	} else {
		log.Warn("no TWILIO_ACCOUNT_SID with TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID: staff replies cannot be texted")
	}
	box.Register(svc.Deliverers(slackPoster{w.slackAPI}, texter))
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
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w.cancel = cancel
	host, _ := os.Hostname()
	for i := 0; i < 2; i++ {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			_ = box.Run(wctx, fmt.Sprintf("%s-%d-%d", host, os.Getpid(), i))
		}()
	}
	w.handoffs = svc
	return w, nil
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

// smsSender adapts the Twilio sender to the handoff's opt-out error.
type smsSender struct{ s *sms.Sender }

func (s smsSender) Send(ctx context.Context, to, body string) error {
	err := s.s.Send(ctx, to, body)
	if errors.Is(err, sms.ErrOptedOut) {
		return errors.Join(err, handoff.ErrOptedOut)
	}
	return err
}

// noSMS refuses to text when Twilio's sending settings are missing; the
// outbox keeps the message in its dead letters.
type noSMS struct{}

func (noSMS) Send(context.Context, string, string) error {
	return outbox.Permanent(errors.New("TWILIO_ACCOUNT_SID and TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID are not set"))
}
