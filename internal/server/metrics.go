package server

import (
	"context"
	"time"

	"net/http"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/channel"
)

// Metrics are the contract's Prometheus metrics. No label holds personal
// data: channel, language, lean, crisis kind, the danger check's layer,
// flow and step only.
type Metrics struct {
	reg *registry

	messages        *counterVec
	started         *counterVec
	completed       *counterVec
	crisis          *counterVec
	concerns        *counterVec
	decisions       *counterVec
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
	m.concerns = newCounterVec(r, "helpline_crisis_concerns_total",
		"Direct questions asked about thoughts of suicide right now (ASQ), by the kind of danger that asked them.", "channel", "kind")
	m.decisions = newCounterVec(r, "helpline_crisis_decisions_total",
		"Urgent answers and check questions, by the layer of the danger check that decided (pattern or model) and kind.", "layer", "kind")
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
		if !t.Outcome.Duplicate {
			for _, kind := range concernKinds(t.Outcome.Events) {
				m.concerns.inc(t.Channel, kind)
			}
		}
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
			m.decisions.inc(layerLabel(ev.Layer), ev.Crisis)
		}
	})
	p.On(bot.EventCheck, func(_ context.Context, ev channel.Event) {
		m.decisions.inc(layerLabel(ev.Layer), ev.Crisis)
	})
	p.On(bot.EventHandoff, func(_ context.Context, ev channel.Event) {
		m.handoffs.inc(ev.Channel)
	})
	p.On(bot.EventStep, func(_ context.Context, ev channel.Event) {
		m.steps.inc(ev.Flow, ev.Step)
	})
	p.On(bot.EventStoreDown, func(context.Context, channel.Event) { m.storeErrors.inc() })
}

// layerLabel is the contract's name of the layer that decided: "model",
// or "pattern" for the rules (the crisis patterns, and answers read by the
// rules, such as yes to the direct question, which name no layer).
func layerLabel(layer string) string {
	if layer == bot.LayerModel {
		return "model"
	}
	return "pattern"
}

// concernKinds returns, for each direct question asked in a turn's events
// (EventConcern, which names no kind), the kind of danger that asked it:
// that of the turn's words of concern (an EventCrisis of tier concern),
// else of its check question (EventCheck), in order; a question with
// neither (after a yes to the screening's safety question) is about
// suicide, as the question itself is.
func concernKinds(events []bot.Event) []string {
	var concern, checks []string
	for _, ev := range events {
		switch {
		case ev.Kind == bot.EventCrisis && ev.Tier == flows.TierConcern:
			concern = append(concern, ev.Crisis)
		case ev.Kind == bot.EventCheck:
			checks = append(checks, ev.Crisis)
		}
	}
	from := append(concern, checks...)
	var kinds []string
	for _, ev := range events {
		if ev.Kind != bot.EventConcern {
			continue
		}
		kind := ev.Crisis
		switch {
		case kind != "":
		case len(kinds) < len(from) && from[len(kinds)] != "":
			kind = from[len(kinds)]
		default:
			kind = "suicide"
		}
		kinds = append(kinds, kind)
	}
	return kinds
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
