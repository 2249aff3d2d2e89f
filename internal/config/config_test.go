package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.MetricsAddr != "" || c.SessionTTL != 24*time.Hour || c.OrgName == "" || c.SMS() || c.Slack() {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestFromEnvErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"HELPLINE_SESSION_TTL": "tomorrow"}, "HELPLINE_SESSION_TTL"},
		{map[string]string{"HELPLINE_SESSION_TTL": "1s"}, "HELPLINE_SESSION_TTL"},
		{map[string]string{"HELPLINE_PUBLIC_URL": "help.example.org"}, "HELPLINE_PUBLIC_URL"},
		{map[string]string{"HELPLINE_ORG_NAME": strings.Repeat("x", 31)}, "HELPLINE_ORG_NAME"},
		{map[string]string{"SLACK_API_URL": "nope"}, "SLACK_API_URL"},
		{map[string]string{"HELPLINE_METRICS_ADDR": "9090"}, "HELPLINE_METRICS_ADDR"},
	} {
		_, err := FromEnv(env(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want it to name %s", tc.env, err, tc.want)
		}
	}
}

func TestValidateServe(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("s", 32)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // "" for valid
	}{
		{"nothing", nil, "HELPLINE_SECRET"},
		{"no channel", map[string]string{"HELPLINE_SECRET": secret, "HELPLINE_PHONE": "555"}, "no channel configured"},
		{"short secret", map[string]string{"HELPLINE_SECRET": "short"}, "at least 32"},
		{"token without url", map[string]string{"HELPLINE_SECRET": secret, "HELPLINE_PHONE": "555", "TWILIO_AUTH_TOKEN": "t"}, "HELPLINE_PUBLIC_URL"},
		{"url without token", map[string]string{"HELPLINE_SECRET": secret, "HELPLINE_PHONE": "555", "HELPLINE_PUBLIC_URL": "https://h.example"}, "TWILIO_AUTH_TOKEN"},
		{"no phone", map[string]string{"HELPLINE_SECRET": secret, "TWILIO_AUTH_TOKEN": "t", "HELPLINE_PUBLIC_URL": "https://h.example"}, "HELPLINE_PHONE"},
		{"slack without team", map[string]string{"HELPLINE_SECRET": secret, "HELPLINE_PHONE": "555", "SLACK_SIGNING_SECRET": "x", "SLACK_BOT_TOKEN": "xoxb"}, "SLACK_TEAM_ID"},
		{"slack without bot token", map[string]string{"HELPLINE_SECRET": secret, "HELPLINE_PHONE": "555", "SLACK_SIGNING_SECRET": "x", "SLACK_TEAM_ID": "T1"}, "SLACK_BOT_TOKEN"},
		{"sms ok", map[string]string{"HELPLINE_SECRET": secret, "HELPLINE_PHONE": "555", "TWILIO_AUTH_TOKEN": "t", "HELPLINE_PUBLIC_URL": "https://h.example"}, ""},
	} {
		c, err := FromEnv(env(tc.env))
		if err != nil {
			t.Fatal(err)
		}
		err = c.ValidateServe(false)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: err = %v, want it to mention %s", tc.name, err, tc.want)
		}
		// --dev lets secrets go missing, never a bot token Slack needs to answer.
		if err := c.ValidateServe(true); err != nil && tc.want != "SLACK_BOT_TOKEN" {
			t.Errorf("%s: --dev still refuses: %v", tc.name, err)
		}
	}
}

func TestMetricsAddr(t *testing.T) {
	t.Parallel()
	c, err := FromEnv(env(map[string]string{"HELPLINE_METRICS_ADDR": "127.0.0.1:9090"}))
	if err != nil || c.MetricsAddr != "127.0.0.1:9090" {
		t.Fatalf("HELPLINE_METRICS_ADDR: %q, %v", c.MetricsAddr, err)
	}
}
