package config

import (
	"os"
	"path/filepath"
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

// HELPLINE_PROVIDER_FILE is optional; a good file gives the provider's
// facts (and its intake number when HELPLINE_PHONE is not set); a bad one
// is an error naming the variable and the file's line.
func TestProviderFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, data string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("good.yaml", "intake_phone: 1-555-010-0100\nhours: {en: 9am-5pm, es: de 9 a 17 h}\nmedicaid: yes\n")
	bad := write("bad.yaml", "hours: 9am-5pm\nadress: 12 Elm St\n")

	c, err := FromEnv(env(nil))
	if err != nil || c.Provider != nil || c.ProviderFile != "" {
		t.Fatalf("unset: provider %+v, err %v", c.Provider, err)
	}

	c, err = FromEnv(env(map[string]string{"HELPLINE_PROVIDER_FILE": good}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Provider == nil || c.Provider.Hours.In("es") != "de 9 a 17 h" || c.Provider.Medicaid == nil || !*c.Provider.Medicaid {
		t.Fatalf("good file: %+v", c.Provider)
	}
	if c.Phone != "1-555-010-0100" {
		t.Errorf("the provider's intake number is not the phone: %q", c.Phone)
	}
	if err := c.ValidateServe(false); err != nil && strings.Contains(err.Error(), "HELPLINE_PHONE") {
		t.Errorf("intake_phone does not stand for HELPLINE_PHONE: %v", err)
	}

	c, err = FromEnv(env(map[string]string{"HELPLINE_PROVIDER_FILE": good, "HELPLINE_PHONE": "(555) 010-0100"}))
	if err != nil || c.Phone != "(555) 010-0100" {
		t.Errorf("the same number written two ways: %q, %v", c.Phone, err)
	}

	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"misspelt field", map[string]string{"HELPLINE_PROVIDER_FILE": bad},
			[]string{"HELPLINE_PROVIDER_FILE", bad + `:2: unknown field "adress" (did you mean "address"?)`}},
		{"no such file", map[string]string{"HELPLINE_PROVIDER_FILE": filepath.Join(dir, "nope.yaml")},
			[]string{"HELPLINE_PROVIDER_FILE", "nope.yaml"}},
		{"two numbers", map[string]string{"HELPLINE_PROVIDER_FILE": good, "HELPLINE_PHONE": "555-0199"},
			[]string{"HELPLINE_PHONE (555-0199) and intake_phone in HELPLINE_PROVIDER_FILE (1-555-010-0100) differ"}},
	} {
		_, err := FromEnv(env(tc.env))
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: err = %v, want it to say %q", tc.name, err, w)
			}
		}
	}
}

// HELPLINE_ALERT_REPAGE defaults to 5 minutes; a duration from a minute to
// under a day is taken; anything else is an error naming the variable.
func TestAlertRepage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, value string
		want        time.Duration // 0: an error
	}{
		{"unset", "", 5 * time.Minute},
		{"ten minutes", "10m", 10 * time.Minute},
		{"a minute", "1m", time.Minute},
		{"not a duration", "5", 0},
		{"too soon", "30s", 0},
		{"after the alert closes", "24h", 0},
		{"negative", "-5m", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := FromEnv(env(map[string]string{"HELPLINE_ALERT_REPAGE": tc.value}))
			switch {
			case tc.want == 0 && (err == nil || !strings.Contains(err.Error(), "HELPLINE_ALERT_REPAGE")):
				t.Errorf("%q: err = %v, want one naming HELPLINE_ALERT_REPAGE", tc.value, err)
			case tc.want != 0 && (err != nil || c.AlertRepage != tc.want):
				t.Errorf("%q: %v, %v; want %v", tc.value, c.AlertRepage, err, tc.want)
			}
		})
	}
}
