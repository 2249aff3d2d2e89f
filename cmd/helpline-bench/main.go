// Command helpline-bench measures helpline against the physical limit of
// the machine it runs on: it starts a real redis-server, the built
// `helpline serve`, and a bare net/http handler that parses the form and
// returns fixed TwiML, drives both with the same signed Twilio traffic
// (thousands of texters through whole screenings, a new MessageSid per
// text), and reports turns per second, the ratio to the bare handler
// measured in the same run, p50/p99 latency at half the maximum rate, Redis
// round trips per turn, memory per stored session and SMS segments per
// screening; then how long texters wait for an answer with Redis hung; then
// the same on a 3-master Redis Cluster.
//
// Everything runs on loopback, with bounded loops and a fixed duration.
//
// It first times, in its own process, what every message costs outside the
// store: the text layer, answer parsing and the danger check, per text,
// and the worst of them on texts built to be slow to read.
//
//	go run ./cmd/helpline-bench [-texters 3000] [-workers 64] [-duration 5s] [-cluster=true] [-text]
package main

import (
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"helpline/flows"
	"helpline/internal/store"
	"helpline/internal/twilio"
)

// script is one whole screening that leans IOP: start, self, cannabis, no
// medical problem, mood fine, safe, no treatment, home, people and a ride,
// ready, private insurance: twelve texts, ten questions answered.
var script = []string{"hi", "1", "1", "5", "2", "1", "1", "2", "1", "1 2 3", "4", "1"}

const authToken = "bench-auth-token-0123456789abcdef"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "bare" {
		bare(os.Args[2])
		return
	}
	texters := flag.Int("texters", 2000, "texters to take through whole screenings in each throughput round")
	rounds := flag.Int("rounds", 3, "alternating throughput rounds against each server (the median counts)")
	workers := flag.Int("workers", 64, "concurrent connections driving load")
	duration := flag.Duration("duration", 4*time.Second, "length of the fixed-rate latency run")
	cluster := flag.Bool("cluster", true, "also measure on a 3-master Redis Cluster")
	binary := flag.String("binary", "", "helpline binary to measure (default: go build ./cmd/helpline)")
	pprof := flag.String("pprof", "", "serve pprof from helpline on this address (e.g. 127.0.0.1:6060) to profile a run")
	textOnly := flag.Bool("text", false, "time only the text layer, parsing and the danger check, in this process")
	flag.Parse()

	ts, err := textLayer()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	reportTimings(ts)
	ws, long, err := worstTexts()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	reportWorst(ws, long)
	if *textOnly {
		return
	}

	b := &bench{texters: *texters, workers: *workers, rounds: *rounds, duration: *duration, pprof: *pprof}
	defer b.cleanup()
	if err := b.run(*binary, *cluster); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		b.cleanup()
		os.Exit(1)
	}
}

type bench struct {
	texters, workers int
	rounds           int
	duration         time.Duration
	pprof            string
	dir              string
	procs            []*exec.Cmd
	client           *http.Client
}

func (b *bench) cleanup() {
	for _, p := range b.procs {
		if p.Process != nil {
			_ = p.Process.Kill()
			_, _ = p.Process.Wait()
		}
	}
	b.procs = nil
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
}

func (b *bench) run(binary string, cluster bool) error {
	var err error
	b.dir, err = os.MkdirTemp("", "helpline-bench")
	if err != nil {
		return err
	}
	b.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: b.workers * 2, MaxConnsPerHost: b.workers * 2}, Timeout: 10 * time.Second}
	if binary == "" {
		binary = filepath.Join(b.dir, "helpline")
		build := exec.Command("go", "build", "-o", binary, "./cmd/helpline")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build: %w", err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}

	fmt.Printf("helpline benchmark: %s, %d CPUs, GOMAXPROCS %d, %s\n", runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), cpuModel())
	fmt.Printf("traffic: %d rounds of %d texters x %d texts (whole screenings), %d connections, a new MessageSid per text\n\n", b.rounds, b.texters, len(script), b.workers)

	// The bare handler: the physical limit of an HTTP turn on this machine.
	bareAddr := freeAddr()
	if err := b.start(self, []string{"bare", bareAddr}, nil); err != nil {
		return err
	}
	if err := waitHTTP("http://" + bareAddr + "/healthz"); err != nil {
		return err
	}

	redisAddr, err := b.startRedis()
	if err != nil {
		return err
	}
	single, err := b.measure(binary, bareAddr, "REDIS_URL=redis://"+redisAddr, redisAddr, "single redis-server")
	if err != nil {
		return err
	}
	results := []result{single}
	hung, err := b.hung(binary)
	if err != nil {
		return fmt.Errorf("redis hung: %w", err)
	}
	if cluster {
		addrs, err := b.startCluster(3)
		if err != nil {
			return err
		}
		c, err := b.measure(binary, bareAddr, "REDIS_CLUSTER_ADDRS="+strings.Join(addrs, ","), addrs[0], "3-master cluster")
		if err != nil {
			return err
		}
		results = append(results, c)
	}
	report(results)
	reportHung(hung)
	return nil
}

type result struct {
	name                  string
	bareTPS, helplineTPS  float64
	rate                  float64
	p50, p99              time.Duration
	roundTrips            float64
	bytesPerSession       float64
	segmentsPerScreening  int
	sessions              int
	latencyOK, latencyAll int
}

// measure runs the throughput and latency runs against a fresh helpline
// serve on the Redis named by redisEnv.
func (b *bench) measure(binary, bareAddr, redisEnv, redisAddr, name string) (result, error) {
	r := result{name: name}
	addr := freeAddr()
	env := append(os.Environ(),
		"HELPLINE_ADDR="+addr,
		"HELPLINE_PUBLIC_URL=http://"+addr,
		"HELPLINE_SECRET=bench-secret-0123456789abcdef0123456789",
		"HELPLINE_PHONE=555-0100",
		"TWILIO_AUTH_TOKEN="+authToken,
		"HELPLINE_RATE_PER_NUMBER=1000000",
		"HELPLINE_RATE_GLOBAL=100000000",
		redisEnv,
	)
	if b.pprof != "" {
		env = append(env, "HELPLINE_PPROF_ADDR="+b.pprof)
	}
	if err := b.start(binary, []string{"serve"}, env); err != nil {
		return r, err
	}
	base := "http://" + addr
	if err := waitHTTP(base + "/readyz"); err != nil {
		return r, err
	}

	// One screening alone, to count SMS segments.
	segs, err := b.screening(base, "+12025550000", "seg")
	if err != nil {
		return r, fmt.Errorf("%s: one screening: %w", name, err)
	}
	r.segmentsPerScreening = segs

	// Throughput: the same closed-loop traffic against both, alternating
	// rounds so that noise on this shared machine hits both alike; the
	// median round of each counts.
	var hs, bs []float64
	var turns int
	rt0, _ := roundTrips(base)
	for round := 0; round < b.rounds; round++ {
		tps, n, err := b.throughput(base, fmt.Sprintf("h%d", round))
		if err != nil {
			return r, fmt.Errorf("%s: throughput: %w", name, err)
		}
		hs, turns = append(hs, tps), turns+n
		bare, _, err := b.throughput("http://"+bareAddr, fmt.Sprintf("b%d", round))
		if err != nil {
			return r, fmt.Errorf("bare throughput: %w", err)
		}
		bs = append(bs, bare)
	}
	rt1, _ := roundTrips(base)
	r.helplineTPS, r.bareTPS = median(hs), median(bs)
	if rt0 >= 0 && rt1 >= 0 && turns > 0 {
		r.roundTrips = float64(rt1-rt0) / float64(turns)
	}
	tps := r.helplineTPS

	// Latency at half the maximum rate.
	r.rate = tps / 2
	r.p50, r.p99, r.latencyOK, r.latencyAll, err = b.latency(base, r.rate)
	if err != nil {
		return r, fmt.Errorf("%s: latency: %w", name, err)
	}
	if r.latencyOK < r.latencyAll {
		b.showErrors(len(b.procs) - 1)
	}

	// Memory per stored session, from the server that holds a sample.
	r.bytesPerSession, r.sessions, err = sessionMemory(redisAddr, strings.HasPrefix(redisEnv, "REDIS_CLUSTER"))
	if err != nil {
		return r, fmt.Errorf("%s: memory: %w", name, err)
	}
	last := b.procs[len(b.procs)-1]
	_ = last.Process.Signal(os.Interrupt)
	_, _ = last.Process.Wait()
	b.procs = b.procs[:len(b.procs)-1]
	return r, nil
}

// throughput takes every texter through a whole screening, as fast as the
// workers can, and returns turns per second.
func (b *bench) throughput(base, tag string) (float64, int, error) {
	var next, turns atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < b.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.texters) {
					return
				}
				from := fmt.Sprintf("+1303%07d", i)
				for j, text := range script {
					if _, err := b.post(base, from, text, fmt.Sprintf("SM%s%08d%02d", tag, i, j)); err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
					turns.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, 0, err
	}
	n := turns.Load()
	return float64(n) / time.Since(start).Seconds(), int(n), nil
}

// latency sends texts at a fixed rate for the run's duration, each texter
// going through the script in order, and returns p50 and p99.
func (b *bench) latency(base string, rate float64) (p50, p99 time.Duration, ok, all int, err error) {
	interval := time.Duration(float64(time.Second) / rate)
	total := int(b.duration / interval)
	var mu sync.Mutex
	var lat []time.Duration
	var failed atomic.Int64
	var wg sync.WaitGroup
	tick := time.NewTicker(interval)
	defer tick.Stop()
	sem := make(chan struct{}, b.workers*4)
	for i := 0; i < total; i++ {
		<-tick.C
		texter, step := i/len(script), i%len(script)
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			from := fmt.Sprintf("+1404%07d", texter)
			t0 := time.Now()
			if _, err := b.post(base, from, script[step], fmt.Sprintf("SML%08d%02d", texter, step)); err != nil {
				if n := failed.Add(1); n <= 3 {
					fmt.Fprintf(os.Stderr, "latency run: failure %d at request %d of %d: %v\n", n, texter*len(script)+step, total, err)
				}
				return
			}
			d := time.Since(t0)
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(lat) == 0 {
		return 0, 0, 0, total, errors.New("no request succeeded")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat[len(lat)/2], lat[len(lat)*99/100], len(lat), total, nil
}

// screening runs one whole screening and returns the SMS segments of every
// reply added up.
func (b *bench) screening(base, from, tag string) (int, error) {
	total := 0
	for j, text := range script {
		body, err := b.post(base, from, text, fmt.Sprintf("SM%s%02d", tag, j))
		if err != nil {
			return 0, err
		}
		var resp struct {
			Messages []string `xml:"Message"`
		}
		if err := xml.Unmarshal(body, &resp); err != nil {
			return 0, fmt.Errorf("TwiML %q: %w", body, err)
		}
		for _, m := range resp.Messages {
			total += flows.Segments(strings.TrimSpace(m))
		}
	}
	return total, nil
}

// post sends one text as Twilio does: a form, signed with the auth token
// over the URL and the sorted parameters.
func (b *bench) post(base, from, text, sid string) ([]byte, error) {
	form := url.Values{
		"MessageSid": {sid}, "SmsSid": {sid}, "SmsMessageSid": {sid},
		"AccountSid": {"ACbench000000000000000000000000000"}, "From": {from}, "To": {"+18005550100"},
		"Body": {text}, "NumMedia": {"0"}, "NumSegments": {"1"}, "SmsStatus": {"received"}, "ApiVersion": {"2010-04-01"},
	}
	u := base + "/twilio/sms"
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilio.Signature(authToken, u, form))
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	return body, nil
}

// roundTrips reads the server's count of Redis round trips, or -1.
func roundTrips(base string) (int64, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return -1, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "helpline_redis_roundtrips_total ") {
			f, err := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return int64(f), err
		}
	}
	return -1, errors.New("no helpline_redis_roundtrips_total in /metrics")
}

// sessionMemory averages MEMORY USAGE over the stored sessions (a sample
// of up to 2000 over every master).
func sessionMemory(addr string, cluster bool) (float64, int, error) {
	o := store.Options{URL: "redis://" + addr}
	if cluster {
		o = store.Options{ClusterAddrs: []string{addr}}
	}
	st, err := store.Open(o, nil)
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	return st.SessionMemory(context.Background(), 2000)
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func report(rs []result) {
	fmt.Printf("%-20s %12s %12s %7s %12s %9s %9s %11s %12s %10s\n",
		"redis", "bare t/s", "helpline t/s", "ratio", "rate for p99", "p50", "p99", "RTT/turn", "bytes/sess", "segments")
	for _, r := range rs {
		fmt.Printf("%-20s %12.0f %12.0f %7.2f %12.0f %9s %9s %11.2f %12.0f %10d\n",
			r.name, r.bareTPS, r.helplineTPS, r.helplineTPS/r.bareTPS, r.rate,
			r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.roundTrips, r.bytesPerSession, r.segmentsPerScreening)
	}
	fmt.Println()
	fmt.Println("goals: ratio >= 0.5; p99 < 5ms at half the maximum rate; <= 2 Redis round trips per turn; < 1024 bytes per session")
	for _, r := range rs {
		fmt.Printf("%s: ratio %s, p99 %s, round trips %s, memory %s (latency run: %d of %d requests answered)\n", r.name,
			verdict(r.helplineTPS/r.bareTPS >= 0.5), verdict(r.p99 < 5*time.Millisecond), verdict(r.roundTrips <= 2.01),
			verdict(r.bytesPerSession < 1024), r.latencyOK, r.latencyAll)
	}
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func (b *bench) start(bin string, args, env []string) error {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	logf, err := os.Create(filepath.Join(b.dir, fmt.Sprintf("proc-%d.log", len(b.procs))))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	b.procs = append(b.procs, cmd)
	return nil
}

// showErrors prints what process i logged at error level or above.
func (b *bench) showErrors(i int) {
	data, err := os.ReadFile(filepath.Join(b.dir, fmt.Sprintf("proc-%d.log", i)))
	if err != nil {
		return
	}
	shown := 0
	for _, line := range strings.Split(string(data), "\n") {
		if (strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, "panic") || strings.Contains(line, "helpline/") || strings.HasPrefix(line, "http:")) && shown < 40 {
			fmt.Fprintln(os.Stderr, "helpline logged:", line)
			shown++
		}
	}
}

func (b *bench) startRedis() (string, error) {
	addr := freeAddr()
	_, port, _ := net.SplitHostPort(addr)
	dir := filepath.Join(b.dir, "redis-"+port)
	os.MkdirAll(dir, 0o755)
	if err := b.start("redis-server", []string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir}, nil); err != nil {
		return "", fmt.Errorf("redis-server (apt-get install redis-server): %w", err)
	}
	return addr, waitRedis(addr)
}

func (b *bench) startCluster(n int) ([]string, error) {
	var addrs []string
	for i := 0; i < n; i++ {
		addr := freeAddr()
		_, port, _ := net.SplitHostPort(addr)
		dir := filepath.Join(b.dir, "cluster-"+port)
		os.MkdirAll(dir, 0o755)
		if err := b.start("redis-server", []string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"}, nil); err != nil {
			return nil, err
		}
		if err := waitRedis(addr); err != nil {
			return nil, err
		}
		addrs = append(addrs, addr)
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("redis-cli --cluster create: %v\n%s", err, out)
	}
	_, port, _ := net.SplitHostPort(addrs[0])
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		info, _ := exec.Command("redis-cli", "-h", "127.0.0.1", "-p", port, "cluster", "info").Output()
		if strings.Contains(string(info), "cluster_state:ok") {
			return addrs, nil
		}
		if time.Since(start) > 20*time.Second {
			return nil, errors.New("cluster not ok after 20s")
		}
	}
}

func waitRedis(addr string) error {
	st, err := store.Open(store.Options{URL: "redis://" + addr}, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if st.Ping(context.Background()) == nil {
			return nil
		}
		if time.Since(start) > 10*time.Second {
			return fmt.Errorf("redis on %s did not answer", addr)
		}
	}
}

func waitHTTP(u string) error {
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Since(start) > 15*time.Second {
			return fmt.Errorf("%s not ready after 15s (%v)", u, err)
		}
	}
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			return strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
		}
	}
	return "unknown CPU"
}

// bare serves the physical limit: parse the form, answer fixed TwiML.
func bare(addr string) {
	reply := []byte(`<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks.</Message></Response>`)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("POST /twilio/sms", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		_ = r.PostForm.Get("Body")
		w.Header().Set("Content-Type", "text/xml")
		w.Write(reply)
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
