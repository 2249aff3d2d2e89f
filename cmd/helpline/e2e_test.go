package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"helpline/internal/store/redistest"
	"helpline/internal/twilio"
)

const clusterToken = "0123456789abcdef0123456789abcdef" // Twilio tokens are 32 hex digits; twilio-go refuses others

// replica is one running `helpline serve`.
type replica struct {
	base string
	cmd  *exec.Cmd
	log  *syncBuffer
}

// syncBuffer collects a process's output while tests read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// asBinary, in a replica's environment, makes the test binary run as
// helpline itself: replicas run the code under test, built once with the
// tests' own flags (-race included), with no second build of the module.
const asBinary = "HELPLINE_TEST_AS_BINARY"

func TestMain(m *testing.M) {
	if os.Getenv(asBinary) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// buildBinary returns the program replicas run: this test binary.
func buildBinary() (string, error) { return os.Executable() }

func startReplica(t *testing.T, env ...string) *replica {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	r := &replica{base: "http://" + addr, log: &syncBuffer{}}
	r.cmd = exec.Command(bin, "serve")
	r.cmd.Env = append([]string{
		asBinary + "=1",
		"PATH=" + os.Getenv("PATH"),
		"HELPLINE_ADDR=" + addr,
		// Both replicas sit behind one public URL, as behind a load
		// balancer: Twilio signs that URL, not the replica's.
		"HELPLINE_PUBLIC_URL=https://helpline.example.org",
		"HELPLINE_SECRET=cluster-test-secret-0123456789abcdef",
		"HELPLINE_PHONE=555-0100",
		"TWILIO_AUTH_TOKEN=" + clusterToken,
		"HELPLINE_RATE_GLOBAL=100000",
	}, env...)
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.kill() })
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(r.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica not ready: %v\n%s", err, r.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *replica) kill() {
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}

// text posts one text to a replica, signed as Twilio signs it for the
// public URL, and returns the TwiML.
func (r *replica) text(t *testing.T, from, body, sid string) string {
	t.Helper()
	return r.post(t, "/twilio/sms", from, "+18005550100", body, sid)
}

// post sends a message to a Twilio webhook route, signed as Twilio signs.
func (r *replica) post(t *testing.T, route, from, to, body, sid string) string {
	t.Helper()
	form := url.Values{"MessageSid": {sid}, "AccountSid": {"ACtest"}, "From": {from}, "To": {to}, "Body": {body}, "NumMedia": {"0"}}
	req, _ := http.NewRequest(http.MethodPost, r.base+route, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilio.Signature(clusterToken, "https://helpline.example.org"+route, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post to %s: %v", r.base, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s\n%s", resp.StatusCode, out, r.log)
	}
	return string(out)
}

// Screenings that lean each way, as texts.
var (
	iopScript       = []string{"hi", "1", "1", "5", "2", "1", "1", "2", "1", "1 2 3", "4", "1"}
	inpatientScript = []string{"hi", "1", "1", "5", "1", "1", "1", "2", "1", "1 2 3", "4", "1"}
)

// Two replicas on a 3-master Redis Cluster, every texter's messages
// alternating between them: each screening ends with the right lean.
func TestTwoReplicasOnCluster(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a Redis Cluster and two servers")
	}
	c := redistest.StartCluster(t, 3)
	env := "REDIS_CLUSTER_ADDRS=" + strings.Join(c.Addrs(), ",")
	reps := []*replica{startReplica(t, env), startReplica(t, env)}
	var wg sync.WaitGroup
	errs := make(chan string, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			script, want := iopScript, "Intensive Outpatient Program (IOP) looks like a good fit"
			if i%2 == 1 {
				script, want = inpatientScript, "inpatient or residential care looks like the better fit"
			}
			from := fmt.Sprintf("+1720555%04d", i)
			var last string
			for j, body := range script {
				last = reps[j%2].text(t, from, body, fmt.Sprintf("SMc%02d%02d", i, j))
			}
			if !strings.Contains(last, want) {
				errs <- fmt.Sprintf("texter %d: last reply lacks %q:\n%s", i, want, last)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// One replica killed mid-screening: the texter's next texts, to the other
// replica, continue where they were.
func TestReplicaKilledMidScreening(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a Redis Cluster and two servers")
	}
	c := redistest.StartCluster(t, 3)
	env := "REDIS_CLUSTER_ADDRS=" + strings.Join(c.Addrs(), ",")
	a, b := startReplica(t, env), startReplica(t, env)
	from := "+17205559999"
	for j, body := range iopScript[:6] {
		a.text(t, from, body, fmt.Sprintf("SMk%02d", j))
	}
	a.kill()
	var last string
	for j, body := range iopScript[6:] {
		last = b.text(t, from, body, fmt.Sprintf("SMk%02d", j+6))
	}
	if !strings.Contains(last, "Intensive Outpatient Program (IOP) looks like a good fit") {
		t.Fatalf("after the first replica died the screening did not finish:\n%s", last)
	}
}

// The built binary against a real redis-server: a whole screening over
// signed HTTP, the metrics it exposes, readiness, and a clean exit on
// SIGTERM.
func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	srv := redistest.Start(t)
	r := startReplica(t, "REDIS_URL=redis://"+srv.Addr)
	var last string
	for j, body := range iopScript {
		last = r.text(t, "+13035550188", body, fmt.Sprintf("SMe2e%02d", j))
	}
	if !strings.Contains(last, "Intensive Outpatient Program (IOP) looks like a good fit") {
		t.Fatalf("last reply:\n%s", last)
	}
	// Danger, typed and answered, with no Slack configured.
	if got := r.text(t, "+13035550199", "i want to kms", "SMe2ecrisis"); !strings.Contains(got, "988") {
		t.Fatalf("crisis reply:\n%s", got)
	}
	resp, err := http.Get(r.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`helpline_screenings_completed_total{channel="sms",lang="en",lean="iop"} 1`,
		`helpline_screenings_started_total{channel="sms",lang="en"} 1`,
		`helpline_messages_total{channel="sms",direction="in"} 13`,
		`helpline_step_reached_total{flow="screening",step="insurance"} 1`,
		"helpline_turn_duration_seconds_count 13",
		"helpline_redis_roundtrips_total",
		`helpline_crisis_escalations_total{channel="sms",kind="suicide"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(string(body), "3035550188") {
		t.Error("the phone number is in the metrics")
	}
	// Readiness follows Redis.
	srv.Stop()
	if code := status(t, r.base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with Redis down: %d", code)
	}
	if code := status(t, r.base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz with Redis down: %d", code)
	}
	srv.Restart(t)
	deadline := time.Now().Add(10 * time.Second)
	for status(t, r.base+"/readyz") != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not recover")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// SIGTERM drains and exits cleanly.
	r.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, r.log)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit 30s after SIGTERM")
	}
	r.cmd = nil
	if logs := r.log.String(); strings.Contains(logs, "3035550188") || !strings.Contains(logs, "shutting down") {
		t.Fatalf("logs (number present, or no drain):\n%s", logs)
	}
}

func status(t *testing.T, u string) int {
	resp, err := http.Get(u)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// serve refuses to start without its secrets, naming each.
func TestServeRefusesWithoutSecrets(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "HELPLINE_SECRET"},
		{map[string]string{"HELPLINE_SECRET": strings.Repeat("s", 32), "HELPLINE_PHONE": "5", "TWILIO_AUTH_TOKEN": "t"}, "HELPLINE_PUBLIC_URL"},
		{map[string]string{"HELPLINE_SECRET": strings.Repeat("s", 32), "HELPLINE_PHONE": "5", "HELPLINE_PUBLIC_URL": "https://x.example"}, "TWILIO_AUTH_TOKEN"},
	} {
		code, _, errb := runCmd(t, "", tc.env, "serve")
		if code == 0 || !strings.Contains(errb, tc.want) {
			t.Errorf("env %v: exit %d, stderr %q; want it to name %s", tc.env, code, errb, tc.want)
		}
	}
}
