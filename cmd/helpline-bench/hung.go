package main

import (
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// hungResult is how texts were answered with Redis hung.
type hungResult struct {
	danger, mixedDanger, other latencies
}

// latencies are the answer times of one kind of text.
type latencies struct {
	p50, p99, max time.Duration
	answered, all int
}

func summarize(ds []time.Duration, all int) latencies {
	if len(ds) == 0 {
		return latencies{all: all}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return latencies{p50: ds[len(ds)/2], p99: ds[len(ds)*99/100], max: ds[len(ds)-1], answered: len(ds), all: all}
}

// hung measures what texters wait for with Redis hung: its process stopped
// (SIGSTOP), so it takes connections and never answers. Three hundred texts
// of danger at once, from as many numbers; then ten of danger among 140
// others; the danger texts must be answered with their crisis reply, the
// others with the apology.
func (b *bench) hung(binary string) (hungResult, error) {
	var res hungResult
	redisAddr, err := b.startRedis()
	if err != nil {
		return res, err
	}
	redis := b.procs[len(b.procs)-1]
	addr := freeAddr()
	env := append(os.Environ(),
		"HELPLINE_ADDR="+addr, "HELPLINE_PUBLIC_URL=http://"+addr,
		"HELPLINE_SECRET=bench-secret-0123456789abcdef0123456789", "HELPLINE_PHONE=555-0100",
		"TWILIO_AUTH_TOKEN="+authToken, "HELPLINE_RATE_PER_NUMBER=1000000", "HELPLINE_RATE_GLOBAL=100000000",
		"REDIS_URL=redis://"+redisAddr)
	if err := b.start(binary, []string{"serve"}, env); err != nil {
		return res, err
	}
	base := "http://" + addr
	if err := waitHTTP(base + "/readyz"); err != nil {
		return res, err
	}
	// Every text of a burst on its own connection, as Twilio's requests
	// come: the load generator's connection limit must not queue them.
	client := b.client
	b.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 400}, Timeout: 30 * time.Second}
	defer func() { b.client = client }()
	if err := redis.Process.Signal(syscall.SIGSTOP); err != nil {
		return res, err
	}
	defer redis.Process.Signal(syscall.SIGCONT)
	res.danger = b.burst(base, "hd", 300, func(int) bool { return true })
	res.mixedDanger = b.burst(base, "hm", 150, func(i int) bool { return i%15 == 0 })
	res.other = b.burst(base, "ho", 150, func(int) bool { return false })
	return res, nil
}

// burst sends n texts at once, from as many new numbers; danger(i) says
// which are danger. It returns the answer times of the texts it asked
// for: with danger(i) true, the danger texts answered with 988; else the
// others answered at all.
func (b *bench) burst(base, tag string, n int, danger func(int) bool) latencies {
	var mu sync.Mutex
	var ds []time.Duration
	all := 0
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		text := "what programs do you have"
		if danger(i) {
			text = "i want to kill myself tonight"
		}
		wanted := danger(i) || tag == "ho"
		if wanted {
			all++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			body, err := b.post(base, fmt.Sprintf("+1505%07d", i), text, fmt.Sprintf("SM%s%08d", tag, i))
			d := time.Since(t0)
			ok := err == nil && (!danger(i) || strings.Contains(string(body), "988"))
			if wanted && ok {
				mu.Lock()
				ds = append(ds, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return summarize(ds, all)
}

func reportHung(h hungResult) {
	fmt.Println("Redis hung (its process stopped): how long texters wait for an answer")
	line := func(name string, l latencies) {
		fmt.Printf("  %-42s p50 %8s  p99 %8s  max %8s  (%d of %d answered)\n", name,
			l.p50.Round(time.Millisecond), l.p99.Round(time.Millisecond), l.max.Round(time.Millisecond), l.answered, l.all)
	}
	line("300 danger texts at once, crisis reply", h.danger)
	line("10 danger texts among 140 others, crisis reply", h.mixedDanger)
	line("150 other texts at once, apology", h.other)
	fmt.Printf("goals: danger answered within 1s at p99 %s; other texts within 2s %s\n\n",
		verdict(h.danger.p99 < time.Second && h.mixedDanger.p99 < time.Second && h.danger.answered == h.danger.all),
		verdict(h.other.max < 2*time.Second && h.other.answered == h.other.all))
}
