// Package config reads helpline's settings from the environment once, at
// start, and says exactly which variable is wrong or missing.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"helpline/flows"
	"helpline/internal/store"
)

// Config is every setting of helpline, read from the environment.
type Config struct {
	Addr string
	// MetricsAddr, when set, serves /metrics there instead of on Addr.
	MetricsAddr string
	// PprofAddr, when set, serves Go's profiler there (a debugging aid for
	// make bench; never exposed).
	PprofAddr  string
	PublicURL  string
	Secret     string
	OrgName    string
	Phone      string
	SessionTTL time.Duration
	SMSUnicode bool
	// RatePerNumber bounds the texts one number may send a minute;
	// RateGlobal the texts the whole line answers a second, per process.
	RatePerNumber int
	RateGlobal    float64
	// AlertsPerMinute is how many crisis alerts a minute are posted one by
	// one before the rest of the minute's are folded into a digest; 0
	// never folds.
	AlertsPerMinute int
	// AlertRepage is how long an urgent alert may stay unclaimed before it
	// is posted again with @here (HELPLINE_ALERT_REPAGE); 5 minutes.
	AlertRepage time.Duration

	// ProviderFile is HELPLINE_PROVIDER_FILE; Provider holds its facts,
	// nil when it is not set (answers then say intake can tell them).
	ProviderFile string
	Provider     *flows.Provider

	Redis store.Options

	TwilioAccountSID          string
	TwilioAuthToken           string
	TwilioFrom                string
	TwilioMessagingServiceSID string
	// TwilioWhatsAppFrom is the WhatsApp sender staff replies go from
	// ("whatsapp:+14155238886"); the webhook route needs only the token.
	TwilioWhatsAppFrom string
	TwilioAPIURL       string

	SlackSigningSecret string
	SlackBotToken      string
	SlackAppToken      string
	SlackTeamID        string
	SlackIntakeChannel string
	SlackAlertChannel  string
	SlackAPIURL        string
}

// FromEnv reads the configuration through getenv (os.Getenv, or a map in
// tests). It checks what can be checked without knowing the command.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:                      or(getenv("HELPLINE_ADDR"), ":8080"),
		MetricsAddr:               getenv("HELPLINE_METRICS_ADDR"),
		PprofAddr:                 getenv("HELPLINE_PPROF_ADDR"),
		PublicURL:                 strings.TrimRight(getenv("HELPLINE_PUBLIC_URL"), "/"),
		Secret:                    getenv("HELPLINE_SECRET"),
		OrgName:                   or(getenv("HELPLINE_ORG_NAME"), "Recovery Helpline"),
		Phone:                     or(getenv("HELPLINE_PHONE"), defaultPhone),
		SMSUnicode:                getenv("HELPLINE_SMS_UNICODE") == "1",
		TwilioAccountSID:          getenv("TWILIO_ACCOUNT_SID"),
		TwilioAuthToken:           getenv("TWILIO_AUTH_TOKEN"),
		TwilioFrom:                getenv("TWILIO_FROM"),
		TwilioMessagingServiceSID: getenv("TWILIO_MESSAGING_SERVICE_SID"),
		TwilioWhatsAppFrom:        getenv("TWILIO_WHATSAPP_FROM"),
		TwilioAPIURL:              getenv("TWILIO_API_URL"),
		SlackSigningSecret:        getenv("SLACK_SIGNING_SECRET"),
		SlackBotToken:             getenv("SLACK_BOT_TOKEN"),
		SlackAppToken:             getenv("SLACK_APP_TOKEN"),
		SlackTeamID:               getenv("SLACK_TEAM_ID"),
		SlackIntakeChannel:        getenv("SLACK_INTAKE_CHANNEL"),
		SlackAlertChannel:         getenv("SLACK_ALERT_CHANNEL"),
		SlackAPIURL:               getenv("SLACK_API_URL"),
		ProviderFile:              getenv("HELPLINE_PROVIDER_FILE"),
		Redis: store.Options{
			URL:            getenv("REDIS_URL"),
			ClusterAddrs:   store.ParseAddrs(getenv("REDIS_CLUSTER_ADDRS")),
			SentinelAddrs:  store.ParseAddrs(getenv("REDIS_SENTINEL_ADDRS")),
			SentinelMaster: getenv("REDIS_SENTINEL_MASTER"),
			Require:        getenv("HELPLINE_REQUIRE_REDIS") == "1",
		},
	}
	var errs []error
	c.SessionTTL = DefaultSessionTTL
	if v := getenv("HELPLINE_SESSION_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			errs = append(errs, fmt.Errorf("HELPLINE_SESSION_TTL must be a duration of at least 1m, like 24h (got %q)", v))
		} else {
			c.SessionTTL = d
		}
	}
	c.RatePerNumber, c.RateGlobal = 20, 50
	if v := getenv("HELPLINE_RATE_PER_NUMBER"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("HELPLINE_RATE_PER_NUMBER must be a whole number of texts per minute, at least 1 (got %q)", v))
		}
		c.RatePerNumber = n
	}
	if v := getenv("HELPLINE_RATE_GLOBAL"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			errs = append(errs, fmt.Errorf("HELPLINE_RATE_GLOBAL must be a positive number of texts per second (got %q)", v))
		}
		c.RateGlobal = f
	}
	c.AlertsPerMinute = 10
	if v := getenv("HELPLINE_ALERTS_PER_MINUTE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("HELPLINE_ALERTS_PER_MINUTE must be a whole number of alerts, 0 to never fold them into a digest (got %q)", v))
		}
		c.AlertsPerMinute = n
	}
	c.AlertRepage = DefaultAlertRepage
	if v := getenv("HELPLINE_ALERT_REPAGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d >= 24*time.Hour {
			errs = append(errs, fmt.Errorf("HELPLINE_ALERT_REPAGE must be a duration from 1m to under 24h (alerts close after a day), like 5m (got %q)", v))
		} else {
			c.AlertRepage = d
		}
	}
	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("HELPLINE_METRICS_ADDR must be a listen address like 127.0.0.1:9090 (got %q)", c.MetricsAddr))
		}
	}
	if c.ProviderFile != "" {
		p, err := flows.LoadProvider(c.ProviderFile)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("HELPLINE_PROVIDER_FILE has problems (check it with: helpline flows check --provider %s):\n%w", c.ProviderFile, err))
		case p.IntakePhone != "" && getenv("HELPLINE_PHONE") == "":
			c.Provider, c.Phone = p, p.IntakePhone
		case p.IntakePhone != "" && digits(p.IntakePhone) != digits(c.Phone):
			errs = append(errs, fmt.Errorf("HELPLINE_PHONE (%s) and intake_phone in HELPLINE_PROVIDER_FILE (%s) differ: texts would give two numbers; set one, or make them the same", c.Phone, p.IntakePhone))
		default:
			c.Provider = p
		}
	}
	if len([]rune(c.OrgName)) > 30 {
		errs = append(errs, fmt.Errorf("HELPLINE_ORG_NAME must be at most 30 characters so texts fit their SMS budget (got %d)", len([]rune(c.OrgName))))
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("HELPLINE_PUBLIC_URL must be an absolute http(s) URL like https://help.example.org (got %q)", c.PublicURL))
		}
	}
	if c.TwilioWhatsAppFrom != "" && !strings.HasPrefix(c.TwilioWhatsAppFrom, "whatsapp:+") {
		errs = append(errs, fmt.Errorf("TWILIO_WHATSAPP_FROM must be a WhatsApp sender like whatsapp:+14155238886 (got %q)", c.TwilioWhatsAppFrom))
	}
	if c.SlackAPIURL != "" && !strings.HasSuffix(c.SlackAPIURL, "/") {
		c.SlackAPIURL += "/" // slack-go appends method names to it
	}
	for name, v := range map[string]string{"TWILIO_API_URL": c.TwilioAPIURL, "SLACK_API_URL": c.SlackAPIURL} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s must be an absolute URL (got %q)", name, v))
		}
	}
	return c, errors.Join(errs...)
}

// DefaultSessionTTL is how long an unfinished conversation is kept when
// HELPLINE_SESSION_TTL is not set: the one place this default is written.
const DefaultSessionTTL = 24 * time.Hour

// DefaultAlertRepage is how long an urgent alert may stay unclaimed before
// it is posted again, when HELPLINE_ALERT_REPAGE is not set.
const DefaultAlertRepage = 5 * time.Minute

// RequireRedis reports whether the embedded Redis is refused
// (HELPLINE_REQUIRE_REDIS=1), for the test helpers that start real
// servers: CI sets it, so their real-Redis half fails rather than skips.
func RequireRedis() bool { return os.Getenv("HELPLINE_REQUIRE_REDIS") == "1" }

// defaultPhone lets `helpline chat` run with no configuration: SAMHSA's
// National Helpline (24/7, English and Spanish, referrals). A real
// deployment must name its own intake number.
const defaultPhone = "1-800-662-4357"

// digits returns the digits of a phone number without the US country
// code, to compare two ways of writing it.
func digits(phone string) string {
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, phone)
	if len(d) == 11 && d[0] == '1' {
		d = d[1:]
	}
	return d
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// SMS reports whether the Twilio channels are configured: SMS on
// /twilio/sms and WhatsApp on /twilio/whatsapp share the webhook's
// settings.
func (c Config) SMS() bool { return c.TwilioAuthToken != "" && c.PublicURL != "" }

// Slack reports whether the Slack channel is configured.
func (c Config) Slack() bool { return c.SlackSigningSecret != "" || c.SlackAppToken != "" }

// Handoffs reports whether texters who ask for a person are handed to staff
// in Slack (and their texts relayed), rather than only told to call.
func (c Config) Handoffs() bool {
	return c.Slack() && c.SlackBotToken != "" && c.SlackIntakeChannel != ""
}

// ValidateServe checks what `helpline serve` needs. With dev set, missing
// secrets are allowed (the caller warns loudly that signatures are off).
func (c Config) ValidateServe(dev bool) error {
	if dev {
		if c.Slack() && c.SlackBotToken == "" {
			return errors.New("SLACK_BOT_TOKEN is required to answer in Slack")
		}
		return nil
	}
	var errs []error
	if c.Secret == "" {
		errs = append(errs, errors.New("HELPLINE_SECRET is required to key phone numbers (at least 32 random characters)"))
	} else if len(c.Secret) < 32 {
		errs = append(errs, errors.New("HELPLINE_SECRET must be at least 32 characters"))
	}
	if c.Phone == defaultPhone {
		errs = append(errs, errors.New("HELPLINE_PHONE (or intake_phone in HELPLINE_PROVIDER_FILE) is required: texts tell people to call your intake number"))
	}
	if c.TwilioAuthToken != "" && c.PublicURL == "" {
		errs = append(errs, errors.New("HELPLINE_PUBLIC_URL is required to check Twilio signatures on /twilio/sms"))
	}
	if c.PublicURL != "" && c.TwilioAuthToken == "" && !c.Slack() {
		errs = append(errs, errors.New("TWILIO_AUTH_TOKEN is required to serve /twilio/sms"))
	}
	if !c.SMS() && !c.Slack() && len(errs) == 0 {
		errs = append(errs, errors.New("no channel configured: set TWILIO_AUTH_TOKEN and HELPLINE_PUBLIC_URL for SMS, or SLACK_SIGNING_SECRET or SLACK_APP_TOKEN for Slack"))
	}
	if c.Slack() && c.SlackBotToken == "" {
		errs = append(errs, errors.New("SLACK_BOT_TOKEN is required to answer in Slack"))
	}
	if c.Slack() && c.SlackTeamID == "" {
		errs = append(errs, errors.New("SLACK_TEAM_ID is required so only your workspace is served"))
	}
	return errors.Join(errs...)
}
