package server

import (
	"bufio"
	"io"
	"math"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The metrics are written in Prometheus's text exposition format (0.0.4)
// by the few types below: counters with labels, histograms and values read
// at each scrape. A client library would compile a protobuf runtime and a
// process reader into the binary for what fits in this file.

// registry holds metric families in the order they were added.
type registry struct {
	mu       sync.Mutex
	families []family
}

// family is one metric family: it writes its HELP, TYPE and samples.
type family interface {
	write(w *bufio.Writer)
}

func (r *registry) add(f family) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.families = append(r.families, f)
}

// ServeHTTP writes every family in the text format.
func (r *registry) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	r.mu.Lock()
	fams := slices.Clone(r.families)
	r.mu.Unlock()
	b := bufio.NewWriter(w)
	for _, f := range fams {
		f.write(b)
	}
	b.Flush()
}

func header(w *bufio.Writer, name, help, typ string) {
	w.WriteString("# HELP " + name + " " + strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(help) + "\n")
	w.WriteString("# TYPE " + name + " " + typ + "\n")
}

// sample writes one line: name{labels} value.
func sample(w *bufio.Writer, name, labels string, v float64) {
	w.WriteString(name)
	if labels != "" {
		w.WriteString("{" + labels + "}")
	}
	w.WriteString(" " + formatFloat(v) + "\n")
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// labelPairs renders names and values as name="value",...
func labelPairs(names, values []string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n + `="` + labelEscaper.Replace(values[i]) + `"`)
	}
	return b.String()
}

// counterVec is a counter per combination of label values.
type counterVec struct {
	name, help string
	labels     []string
	mu         sync.Mutex
	values     map[string]float64
}

func newCounterVec(r *registry, name, help string, labels ...string) *counterVec {
	c := &counterVec{name: name, help: help, labels: labels, values: map[string]float64{}}
	r.add(c)
	return c
}

// add adds v to the counter of the label values given in order.
func (c *counterVec) add(v float64, values ...string) {
	key := labelPairs(c.labels, values)
	c.mu.Lock()
	c.values[key] += v
	c.mu.Unlock()
}

func (c *counterVec) inc(values ...string) { c.add(1, values...) }

func (c *counterVec) write(w *bufio.Writer) {
	header(w, c.name, c.help, "counter")
	c.mu.Lock()
	keys := make([]string, 0, len(c.values))
	for k := range c.values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		sample(w, c.name, k, c.values[k])
	}
	if len(c.labels) == 0 && len(keys) == 0 {
		sample(w, c.name, "", 0)
	}
	c.mu.Unlock()
}

// histogram counts observations in cumulative buckets.
type histogram struct {
	name, help string
	bounds     []float64
	mu         sync.Mutex
	counts     []uint64 // per bucket, not cumulative; the last is +Inf
	sum        float64
	n          uint64
}

func newHistogram(r *registry, name, help string, bounds ...float64) *histogram {
	h := &histogram{name: name, help: help, bounds: bounds, counts: make([]uint64, len(bounds)+1)}
	r.add(h)
	return h
}

func (h *histogram) observe(v float64) {
	i, _ := slices.BinarySearch(h.bounds, v)
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.n++
	h.mu.Unlock()
}

func (h *histogram) write(w *bufio.Writer) {
	header(w, h.name, h.help, "histogram")
	h.mu.Lock()
	defer h.mu.Unlock()
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		sample(w, h.name+"_bucket", `le="`+formatFloat(b)+`"`, float64(cum))
	}
	sample(w, h.name+"_bucket", `le="+Inf"`, float64(h.n))
	sample(w, h.name+"_sum", "", h.sum)
	sample(w, h.name+"_count", "", float64(h.n))
}

// valueFunc is a counter or gauge read from fn at each scrape.
type valueFunc struct {
	name, help, typ string
	fn              func() float64
}

func (f *valueFunc) write(w *bufio.Writer) {
	header(w, f.name, f.help, f.typ)
	sample(w, f.name, "", f.fn())
}

// runtimeFamilies adds the Go runtime's and the process's own figures:
// goroutines, heap, CPU time, resident memory and start time.
func runtimeFamilies(r *registry) {
	start := float64(time.Now().Unix())
	var memMu sync.Mutex
	mem := func(pick func(*runtime.MemStats) uint64) func() float64 {
		return func() float64 {
			memMu.Lock()
			defer memMu.Unlock()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			return float64(pick(&ms))
		}
	}
	for _, f := range []*valueFunc{
		{"go_goroutines", "Number of goroutines that currently exist.", "gauge", func() float64 { return float64(runtime.NumGoroutine()) }},
		{"go_memstats_heap_alloc_bytes", "Bytes of allocated heap objects.", "gauge", mem(func(m *runtime.MemStats) uint64 { return m.HeapAlloc })},
		{"go_memstats_sys_bytes", "Bytes of memory obtained from the OS.", "gauge", mem(func(m *runtime.MemStats) uint64 { return m.Sys })},
		{"go_gc_cycles_total", "Completed GC cycles.", "counter", mem(func(m *runtime.MemStats) uint64 { return uint64(m.NumGC) })},
		{"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter", cpuSeconds},
		{"process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", residentBytes},
		{"process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge", func() float64 { return start }},
	} {
		r.add(f)
	}
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// residentBytes reads the resident set from /proc (Linux); 0 elsewhere.
func residentBytes() float64 {
	f, err := os.Open("/proc/self/statm")
	if err != nil {
		return 0
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 256))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b))
	if len(fields) < 2 {
		return 0
	}
	pages, err := strconv.ParseFloat(fields[1], 64)
	if err != nil {
		return 0
	}
	return pages * float64(os.Getpagesize())
}
