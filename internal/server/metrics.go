package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"helpline/bot"
	"helpline/internal/channel"
)

// Metrics are the contract's Prometheus metrics. No label holds personal
// data: channel, language, lean, crisis kind, flow and step only.
type Metrics struct {
	Registry *prometheus.Registry

	messages        *prometheus.CounterVec
	started         *prometheus.CounterVec
	completed       *prometheus.CounterVec
	crisis          *prometheus.CounterVec
	concerns        *prometheus.CounterVec
	handoffs        *prometheus.CounterVec
	steps           *prometheus.CounterVec
	turn            prometheus.Histogram
	storeErrors     prometheus.Counter
	outboxDelivered *prometheus.CounterVec
	outboxFailed    *prometheus.CounterVec
	outboxDead      *prometheus.CounterVec
	outboxAge       prometheus.Histogram
	numberShown     prometheus.Counter
	alertsDirect    *prometheus.CounterVec
}

// NewMetrics registers the metrics on a fresh registry, with Go and
// process collectors.
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { r.MustRegister(c) }
	m := &Metrics{Registry: r}
	m.messages = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "helpline_messages_total", Help: "Messages received (in) and sent (out)."}, []string{"channel", "direction"})
	m.started = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "helpline_screenings_started_total", Help: "Screenings begun (first question asked)."}, []string{"channel", "lang"})
	m.completed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "helpline_screenings_completed_total", Help: "Screenings that reached the summary, by lean."}, []string{"channel", "lang", "lean"})
	m.crisis = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "helpline_crisis_escalations_total", Help: "Urgent danger answered with crisis guidance, by kind."}, []string{"channel", "kind"})
	m.concerns = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "helpline_crisis_concerns_total", Help: "Direct questions asked about thoughts of suicide right now (ASQ)."}, []string{"channel"})
	m.handoffs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "helpline_handoffs_total", Help: "Requests to talk with a person."}, []string{"channel"})
	m.steps = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "helpline_step_reached_total", Help: "Questions reached, by flow and step: where people stop."}, []string{"flow", "step"})
	m.turn = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "helpline_turn_duration_seconds", Help: "Time to handle one inbound message.",
		Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}})
	m.storeErrors = prometheus.NewCounter(prometheus.CounterOpts{Name: "helpline_store_errors_total", Help: "Turns that failed because the session store failed."})
	m.outboxDelivered = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "helpline_outbox_delivered_total", Help: "Outbox messages delivered, by kind."}, []string{"kind"})
	m.outboxFailed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "helpline_outbox_failures_total", Help: "Outbox delivery attempts that failed, by kind."}, []string{"kind"})
	m.outboxDead = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "helpline_outbox_dead_total", Help: "Outbox messages given up on (dead letters), by kind."}, []string{"kind"})
	m.outboxAge = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "helpline_outbox_delivery_age_seconds", Help: "Time from enqueue to delivery.",
		Buckets: []float64{.01, .05, .1, .5, 1, 5, 15, 60, 300, 1800}})
	m.numberShown = prometheus.NewCounter(prometheus.CounterOpts{Name: "helpline_handoff_number_shown_total", Help: "Full numbers revealed to staff who claimed a handoff."})
	m.alertsDirect = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "helpline_alerts_direct_total",
		Help: "Crisis alerts posted to Slack without the outbox (the store was down), by result: posted, failed, dropped."}, []string{"result"})
	for _, c := range []prometheus.Collector{m.messages, m.started, m.completed, m.crisis, m.concerns, m.handoffs, m.steps, m.turn, m.storeErrors,
		m.outboxDelivered, m.outboxFailed, m.outboxDead, m.outboxAge, m.numberShown, m.alertsDirect,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	return m
}

// Subscribe counts every turn of the path and the events that are
// metrics.
func (m *Metrics) Subscribe(p *channel.Path) {
	p.OnTurn(func(_ context.Context, t *channel.Turn) {
		m.messages.WithLabelValues(t.Channel, "in").Inc()
		if n := len(t.Outcome.Replies); n > 0 {
			m.messages.WithLabelValues(t.Channel, "out").Add(float64(n))
		}
		m.turn.Observe(t.Took.Seconds())
	})
	p.On(bot.EventStarted, func(_ context.Context, t *channel.Turn, ev bot.Event) {
		m.started.WithLabelValues(t.Channel, ev.Lang).Inc()
	})
	p.On(bot.EventCompleted, func(_ context.Context, t *channel.Turn, ev bot.Event) {
		m.completed.WithLabelValues(t.Channel, ev.Lang, ev.Lean).Inc()
	})
	p.On(bot.EventCrisis, func(_ context.Context, t *channel.Turn, ev bot.Event) {
		if ev.Urgent() {
			m.crisis.WithLabelValues(t.Channel, ev.Crisis).Inc()
		}
	})
	p.On(bot.EventConcern, func(_ context.Context, t *channel.Turn, _ bot.Event) {
		m.concerns.WithLabelValues(t.Channel).Inc()
	})
	p.On(bot.EventHandoff, func(_ context.Context, t *channel.Turn, _ bot.Event) {
		m.handoffs.WithLabelValues(t.Channel).Inc()
	})
	p.On(bot.EventStep, func(_ context.Context, _ *channel.Turn, ev bot.Event) {
		m.steps.WithLabelValues(ev.Flow, ev.Step).Inc()
	})
	p.On(bot.EventStoreDown, func(context.Context, *channel.Turn, bot.Event) { m.storeErrors.Inc() })
}

// Counter adds a metric read from fn at each scrape (round trips, outbox
// depth).
func (m *Metrics) Counter(name, help string, fn func() float64) {
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, fn))
}

// Gauge adds a gauge read from fn at each scrape.
func (m *Metrics) Gauge(name, help string, fn func() float64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}

// Delivered, Failed and Dead record what the outbox did.
func (m *Metrics) Delivered(kind string, age time.Duration) {
	m.outboxDelivered.WithLabelValues(kind).Inc()
	m.outboxAge.Observe(age.Seconds())
}

// Failed records a failed delivery attempt.
func (m *Metrics) Failed(kind string) { m.outboxFailed.WithLabelValues(kind).Inc() }

// Dead records a message given up on.
func (m *Metrics) Dead(kind string) { m.outboxDead.WithLabelValues(kind).Inc() }

// NumberShown records that a full number was revealed to staff.
func (m *Metrics) NumberShown() { m.numberShown.Inc() }

// AlertDirect records what became of a crisis alert posted to Slack
// without the outbox.
func (m *Metrics) AlertDirect(result string) { m.alertsDirect.WithLabelValues(result).Inc() }
