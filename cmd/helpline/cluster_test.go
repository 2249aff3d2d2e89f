package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/internal/redistest"
)

const clusterToken = "cluster-test-auth-token"

// replica is one running `helpline serve`.
type replica struct {
	base string
	cmd  *exec.Cmd
	log  *bytes.Buffer
}

// buildBinary builds helpline once per test binary run.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "helpline-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "helpline")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func startReplica(t *testing.T, env ...string) *replica {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	r := &replica{base: "http://" + addr, log: &bytes.Buffer{}}
	r.cmd = exec.Command(bin, "serve")
	r.cmd.Env = append([]string{
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
	form := url.Values{"MessageSid": {sid}, "AccountSid": {"ACtest"}, "From": {from}, "To": {"+18005550100"}, "Body": {body}, "NumMedia": {"0"}}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	signed := "https://helpline.example.org/twilio/sms"
	for _, k := range keys {
		signed += k + form.Get(k)
	}
	m := hmac.New(sha1.New, []byte(clusterToken))
	m.Write([]byte(signed))
	req, _ := http.NewRequest(http.MethodPost, r.base+"/twilio/sms", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", base64.StdEncoding.EncodeToString(m.Sum(nil)))
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
				script, want = inpatientScript, "inpatient or residential care looks like the safer fit"
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
