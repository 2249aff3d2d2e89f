package server

import (
	"context"
	"time"

	"net/http"

	"helpline/bot"
	"helpline/internal/channel"
)

// Metrics are the contract's Prometheus metrics. No label holds personal
// data: channel, language, lean, crisis kind, flow and step only.
type Metrics struct {
	reg *registry

	messages        *counterVec
	started         *counterVec
	completed       *counterVec
	crisis          *counterVec
	concerns        *counterVec
	handoffs        *counterVec
	steps           *counterVec
	turn            *histogram
	storeErrors     *counterVec
	outboxDelivered *counterVec
	outboxFailed    *counterVec
	outboxDead      *counterVec
	outboxAge       *histogram
	numberShown     *counterVec
	alertsDirect    *counterVec
}

// NewMetrics returns the metrics, with the Go runtime's and the process's.
func NewMetrics() *Metrics {
	r := &registry{}
	m := &Metrics{reg: r}
	m.messages = newCounterVec(r, "helpline_messages_total", "Messages received (in) and sent (out).", "channel", "direction")
	m.started = newCounterVec(r, "helpline_screenings_started_total", "Screenings begun (first question asked).", "channel", "lang")
	m.completed = newCounterVec(r, "helpline_screenings_completed_total", "Screenings that reached the summary, by lean.", "channel", "lang", "lean")
	m.crisis = newCounterVec(r, "helpline_crisis_escalations_total", "Urgent danger answered with crisis guidance, by kind.", "channel", "kind")
	m.concerns = newCounterVec(r, "helpline_crisis_concerns_total", "Direct questions asked about thoughts of suicide right now (ASQ).", "channel")
	m.handoffs = newCounterVec(r, "helpline_handoffs_total", "Requests to talk with a person.", "channel")
	m.steps = newCounterVec(r, "helpline_step_reached_total", "Questions reached, by flow and step: where people stop.", "flow", "step")
	m.turn = newHistogram(r, "helpline_turn_duration_seconds", "Time to handle one inbound message.",
		.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5)
	m.storeErrors = newCounterVec(r, "helpline_store_errors_total", "Turns that failed because the session store failed.")
	m.outboxDelivered = newCounterVec(r, "helpline_outbox_delivered_total", "Outbox messages delivered, by kind.", "kind")
	m.outboxFailed = newCounterVec(r, "helpline_outbox_failures_total", "Outbox delivery attempts that failed, by kind.", "kind")
	m.outboxDead = newCounterVec(r, "helpline_outbox_dead_total", "Outbox messages given up on (dead letters), by kind.", "kind")
	m.outboxAge = newHistogram(r, "helpline_outbox_delivery_age_seconds", "Time from enqueue to delivery.",
		.01, .05, .1, .5, 1, 5, 15, 60, 300, 1800)
	m.numberShown = newCounterVec(r, "helpline_handoff_number_shown_total", "Full numbers revealed to staff who claimed a handoff.")
	m.alertsDirect = newCounterVec(r, "helpline_alerts_direct_total",
		"Crisis alerts posted to Slack without the outbox (the store was down), by result: posted, failed, dropped.", "result")
	runtimeFamilies(r)
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler { return m.reg }

// Subscribe counts every turn of the path and the events that are
// metrics.
func (m *Metrics) Subscribe(p *channel.Path) {
	p.OnTurn(func(_ context.Context, t *channel.Turn) {
		m.messages.inc(t.Channel, "in")
		if n := len(t.Outcome.Replies); n > 0 {
			m.messages.add(float64(n), t.Channel, "out")
		}
		m.turn.observe(t.Took.Seconds())
	})
	p.On(bot.EventStarted, func(_ context.Context, ev channel.Event) {
		m.started.inc(ev.Channel, ev.Lang)
	})
	p.On(bot.EventCompleted, func(_ context.Context, ev channel.Event) {
		m.completed.inc(ev.Channel, ev.Lang, ev.Lean)
	})
	p.On(bot.EventCrisis, func(_ context.Context, ev channel.Event) {
		if ev.Urgent() {
			m.crisis.inc(ev.Channel, ev.Crisis)
		}
	})
	p.On(bot.EventConcern, func(_ context.Context, ev channel.Event) {
		m.concerns.inc(ev.Channel)
	})
	p.On(bot.EventHandoff, func(_ context.Context, ev channel.Event) {
		m.handoffs.inc(ev.Channel)
	})
	p.On(bot.EventStep, func(_ context.Context, ev channel.Event) {
		m.steps.inc(ev.Flow, ev.Step)
	})
	p.On(bot.EventStoreDown, func(context.Context, channel.Event) { m.storeErrors.inc() })
}

// Counter adds a metric read from fn at each scrape (round trips, outbox
// depth).
func (m *Metrics) Counter(name, help string, fn func() float64) {
	m.reg.add(&valueFunc{name: name, help: help, typ: "counter", fn: fn})
}

// Gauge adds a gauge read from fn at each scrape.
func (m *Metrics) Gauge(name, help string, fn func() float64) {
	m.reg.add(&valueFunc{name: name, help: help, typ: "gauge", fn: fn})
}

// Delivered, Failed and Dead record what the outbox did.
func (m *Metrics) Delivered(kind string, age time.Duration) {
	m.outboxDelivered.inc(kind)
	m.outboxAge.observe(age.Seconds())
}

// Failed records a failed delivery attempt.
func (m *Metrics) Failed(kind string) { m.outboxFailed.inc(kind) }

// Dead records a message given up on.
func (m *Metrics) Dead(kind string) { m.outboxDead.inc(kind) }

// NumberShown records that a full number was revealed to staff.
func (m *Metrics) NumberShown() { m.numberShown.inc() }

// AlertDirect records what became of a crisis alert posted to Slack
// without the outbox.
func (m *Metrics) AlertDirect(result string) { m.alertsDirect.inc(result) }
