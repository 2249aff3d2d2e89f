package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/channel"
	"helpline/internal/stats"
	"helpline/internal/store"
)

// path is the channel path a screening run from Slack takes, as every
// channel's messages do.
type path interface {
	Handle(ctx context.Context, channel, from string, in bot.Inbound) *channel.Turn
	Key(from string) bot.Key
}

// Channel is a Slack screening's name on the path, in metrics and
// statistics.
const Channel = "slack"

// api is the slice of Slack's Web API this package calls; *slack.Client
// implements it.
type api interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	OpenConversationContext(ctx context.Context, params *slack.OpenConversationParameters) (*slack.Channel, bool, bool, error)
}

var _ api = (*slack.Client)(nil)

// statsReader adds up the counters for /helpline stats.
type statsReader interface {
	Summary(ctx context.Context, days int, now time.Time) (stats.Stats, error)
}

var _ statsReader = (*stats.Recorder)(nil)

// Handler serves Slack: the HTTP endpoints and Socket Mode. Build it with
// New; its fields are exported for tests and for wiring.
type Handler struct {
	// Path takes a screening's clicks to the engine, as every channel's
	// messages go.
	Path path
	API  api
	// HTTPClient posts to response_url; http.DefaultClient if nil.
	HTTPClient *http.Client
	// SigningSecret checks every HTTP request's v0 signature.
	SigningSecret string
	// Insecure turns signature checks off (helpline serve --dev only).
	Insecure bool
	// TeamID is the one workspace served.
	TeamID string
	Flows  *flows.Set
	// Stats answers /helpline stats; nil when none are kept.
	Stats statsReader
	// Handoffs claims, closes and relays handoffs from the intake channel;
	// nil when handoffs are off.
	Handoffs handoffs
	// Redis remembers Events API deliveries and each screening's current
	// question.
	Redis *store.Slack
	// PromptTTL is how long a screening's current question stays
	// answerable: as long as the engine keeps the session.
	PromptTTL time.Duration
	Log       *slog.Logger
	// Now is the clock; time.Now if nil.
	Now func() time.Time

	wg sync.WaitGroup
	// client is the one Web API client, which Socket Mode also uses; API is
	// it unless a test replaced it.
	client *slack.Client
}

// Config is what New needs; the names follow the environment (SLACK_...).
type Config struct {
	SigningSecret string
	BotToken      string
	// AppToken, when set, is the app-level token Socket Mode connects
	// with; the one Web API client carries it.
	AppToken string
	TeamID   string
	// APIURL replaces https://slack.com/api/ (SLACK_API_URL), for tests
	// against a fake.
	APIURL string
	Path   path
	Flows  *flows.Set
	Stats  statsReader
	Redis  *store.Slack
	// SessionTTL is how long the engine keeps a session
	// (HELPLINE_SESSION_TTL): a screening's question stays answerable as long.
	SessionTTL time.Duration
	Log        *slog.Logger
}

// New returns a Handler whose Web API client uses cfg.BotToken and, when
// set, cfg.APIURL.
func New(cfg Config) (*Handler, error) {
	var missing []error
	if cfg.Path == nil || cfg.Flows == nil || cfg.Redis == nil || cfg.SessionTTL <= 0 {
		missing = append(missing, errors.New("slack: path, flows, redis and the session TTL are required"))
	}
	if cfg.TeamID == "" {
		missing = append(missing, errors.New("SLACK_TEAM_ID is required so only your workspace is served"))
	}
	if cfg.BotToken == "" {
		missing = append(missing, errors.New("slack: a bot token is required")) // config names the variable
	}
	if err := errors.Join(missing...); err != nil {
		return nil, err
	}
	var opts []slack.Option
	if cfg.APIURL != "" {
		u := cfg.APIURL
		if u[len(u)-1] != '/' {
			u += "/"
		}
		opts = append(opts, slack.OptionAPIURL(u))
	}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client := slack.New(cfg.BotToken, opts...)
	return &Handler{
		Path:          cfg.Path,
		API:           client,
		client:        client,
		SigningSecret: cfg.SigningSecret,
		TeamID:        cfg.TeamID,
		Flows:         cfg.Flows,
		Stats:         cfg.Stats,
		Redis:         cfg.Redis,
		PromptTTL:     cfg.SessionTTL,
		Log:           log.With("channel", "slack"),
	}, nil
}

// Client returns the handler's Web API client, for other parts of the
// service that post to Slack: one client for the whole process.
func (h *Handler) Client() *slack.Client { return h.client }

// Wait blocks until the work started after acknowledgements is done; call
// it on shutdown, after the server stopped taking requests.
func (h *Handler) Wait() { h.wg.Wait() }

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// afterAck is how long work after an acknowledgement may take.
const afterAck = 30 * time.Second

// later runs f after the acknowledgement, detached from the request.
func (h *Handler) later(ctx context.Context, f func(ctx context.Context)) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), afterAck)
		defer cancel()
		f(ctx)
	}()
}

// maxBody bounds what is read of one request from Slack.
const maxBody = 1 << 20

// verify reads the body and checks its signature (v0, five-minute window).
// On failure it answers 401 and returns false.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	if !h.Insecure {
		if err := checkSignature(r.Header, body, h.SigningSecret); err != nil {
			h.Log.Warn("slack request refused", "path", r.URL.Path, "err", err)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return nil, false
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, true
}

// checkSignature checks Slack's v0 signature of body, and that its
// timestamp is within five minutes of now.
func checkSignature(header http.Header, body []byte, secret string) error {
	if secret == "" {
		return errors.New("no signing secret configured")
	}
	sv, err := slack.NewSecretsVerifier(header, secret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	return sv.Ensure()
}

// Commands serves /slack/commands: the /helpline slash command.
func (h *Handler) Commands(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.verify(w, r); !ok {
		return
	}
	cmd, err := slack.SlashCommandParse(r)
	if err != nil {
		http.Error(w, "bad command", http.StatusBadRequest)
		return
	}
	msg := h.command(r.Context(), cmd)
	if msg == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, msg)
}

// Interactions serves /slack/interactions: button clicks.
func (h *Handler) Interactions(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.verify(w, r); !ok {
		return
	}
	cb, err := slack.InteractionCallbackParse(r)
	if err != nil {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	h.interaction(r.Context(), cb)
	w.WriteHeader(http.StatusOK)
}

// Events serves /slack/events: the Events API, including its
// url_verification handshake.
func (h *Handler) Events(w http.ResponseWriter, r *http.Request) {
	body, ok := h.verify(w, r)
	if !ok {
		return
	}
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	if ev.Type == slackevents.URLVerification {
		var c slackevents.ChallengeResponse
		if err := json.Unmarshal(body, &c); err != nil {
			http.Error(w, "bad challenge", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, c.Challenge)
		return
	}
	h.event(r.Context(), ev, r.Header.Get("X-Slack-Retry-Num"))
	w.WriteHeader(http.StatusOK)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		http.Error(w, "encode", http.StatusInternalServerError)
	}
}

// refusal is all a workspace other than the configured one gets.
const refusal = "This app serves one workspace only."

// foreign reports whether team is not the workspace served, and logs it.
func (h *Handler) foreign(team, what string) bool {
	if team == h.TeamID {
		return false
	}
	h.Log.Warn("request from another workspace refused", "team", team, "what", what)
	return true
}

// ephemeral is a command response only the staff member sees.
func ephemeral(fallback string, blocks []slack.Block) *slack.Msg {
	return &slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: fallback, Blocks: slack.Blocks{BlockSet: blocks}}
}

// post sends blocks to channel (in thread when threadTS is set) and returns
// the message's timestamp; errors are logged, never shown to staff.
func (h *Handler) post(ctx context.Context, channel, threadTS, fallback string, blocks []slack.Block) string {
	opts := []slack.MsgOption{slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	_, ts, err := h.API.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		h.Log.Error("post message", "err", err)
		return ""
	}
	return ts
}

// respond posts blocks to a command's response_url.
func (h *Handler) respond(ctx context.Context, responseURL, fallback string, blocks []slack.Block) {
	c := h.HTTPClient
	if c == nil {
		c = http.DefaultClient
	}
	msg := &slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, Text: fallback, Blocks: &slack.Blocks{BlockSet: blocks}}
	if err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, c, msg); err != nil {
		h.Log.Error("post to response_url", "err", err)
	}
}
