package understand

import (
	"helpline/bot/understand/learn"
	"helpline/flows"
	"helpline/flows/text"
)

// Layers of the danger check: which one decided.
const (
	LayerPatterns = "patterns"
	LayerModel    = "model"
)

// Danger reads danger in a message with both layers: the patterns of
// flows/crisis.yaml, exact and explainable, and a model learned from
// examples by many writers, for the ways of saying no pattern foresaw.
// Like the patterns alone, it touches no store.
type Danger struct {
	patterns *Detector
	model    *learn.Model
	crisis   *flows.Crisis
	set      *flows.Set
	// history finds, per language, the crisis file's words of the past
	// ("last spring", "hace 2 anos") and of now ("just", "tonight").
	history map[string]*text.Matcher
}

// DangerReading is what both layers made of a message: the decision, which
// layer took it, and what the model read, for staff and clinical review.
type DangerReading struct {
	Finding
	// Layer is LayerPatterns or LayerModel, "" when neither read danger;
	// Prob is the model's probability behind its decision.
	Layer string
	Prob  float64
	// Model is the model's reading of the clause that counted, in the
	// language that read it most alarmingly.
	Model     learn.Prediction
	ModelLang string
}

// NewDanger returns the two-layer danger check for set, with the model
// embedded in the binary (refused when it does not fit set's languages).
func NewDanger(set *flows.Set) (*Danger, error) {
	d, err := NewDetector(set)
	if err != nil {
		return nil, err
	}
	m, _, err := Models(set)
	if err != nil {
		return nil, err
	}
	h, err := historyMatchers(set)
	if err != nil {
		return nil, err
	}
	return &Danger{patterns: d, model: m, crisis: set.Crisis, set: set, history: h}, nil
}

// historyMatchers builds, for each language whose crisis lists have words
// of the past and of now, a matcher of both.
func historyMatchers(set *flows.Set) (map[string]*text.Matcher, error) {
	out := map[string]*text.Matcher{}
	for code, l := range set.Langs {
		lists := set.Crisis.Lists[code]
		if len(lists["past"]) == 0 || len(lists["recent"]) == 0 {
			continue
		}
		m, err := l.NewMatcher(lists, false)
		if err != nil {
			return nil, err
		}
		for _, name := range []string{"past", "recent"} {
			if _, err := m.Add(name, "@"+name); err != nil {
				return nil, err
			}
		}
		out[code] = m
	}
	return out, nil
}

// past reports whether the message tells of the past with no sign of now
// ("he had a seizure last spring when he tried to quit", "hace 2 anos"),
// in any language that reads it: history, which the model reads without
// its time, as the clear rule of the patterns does.
func (d *Danger) past(msg *Message) bool {
	past := false
	for _, l := range msg.Langs() {
		m := d.history[l.Code]
		if m == nil {
			continue
		}
		for _, hit := range m.Find(msg.In(l)) {
			if hit.Name == "recent" {
				return false
			}
			past = true
		}
	}
	return past
}

// Patterns returns the rule layer alone.
func (d *Danger) Patterns() *Detector { return d.patterns }

// Model returns the learned layer.
func (d *Danger) Model() *learn.Model { return d.model }

// Check reads s, preferring the language prefer.
func (d *Danger) Check(s, prefer string) DangerReading {
	return d.CheckMessage(NewMessage(d.set, s, prefer), prefer)
}

// Set returns the flows the check reads with.
func (d *Danger) Set() *flows.Set { return d.set }

// CheckMessage combines the layers. A pattern's urgent reading stands. The
// model raises: at its urgent threshold, to the urgent answer of its kind;
// at its check threshold, to a question that fits the kind (the direct
// question for suicide and self-harm, "is anyone in danger right now?"
// for the rest). Where a clear rule removed a pattern's match (a denial, a
// past event, an idiom), only the model's urgent reading overrules it.
func (d *Danger) CheckMessage(msg *Message, prefer string) DangerReading {
	f := d.patterns.CheckMessage(msg, prefer)
	if f.Tier == flows.TierUrgent {
		return DangerReading{Finding: f, Layer: LayerPatterns}
	}
	p, lang := d.predict(msg)
	r := DangerReading{Finding: f, Model: p, ModelLang: lang}
	if f.Tier != "" {
		r.Layer = LayerPatterns
	}
	switch {
	case p.Tier != "" && d.past(msg):
		// History with no sign of now is not danger now; the patterns'
		// reading (a concern, or none) stands.
		if r.Cleared == "" {
			r.Cleared = "history (model)"
		}
	case p.Tier == learn.Urgent:
		r.Finding = d.modelFinding(msg, p, lang, flows.TierUrgent)
		r.Layer, r.Prob = LayerModel, p.Prob
	case p.Tier == learn.Check && f.Tier == "" && f.Cleared == "":
		tier := flows.TierCheck
		if p.Kind == "suicide" || p.Kind == "selfharm" {
			tier = flows.TierConcern
		}
		r.Finding = d.modelFinding(msg, p, lang, tier)
		r.Layer, r.Prob = LayerModel, p.Prob
	}
	return r
}

// predict scores the message in every language that reads it and keeps
// the most alarming reading.
func (d *Danger) predict(msg *Message) (learn.Prediction, string) {
	var best learn.Prediction
	lang := ""
	for _, l := range msg.Langs() {
		p := d.model.Predict(msg.In(l))
		if lang == "" || rank(p) > rank(best) || rank(p) == rank(best) && p.Prob > best.Prob {
			best, lang = p, l.Code
		}
	}
	return best, lang
}

// rank orders the model's decisions: urgent, then a check, then nothing.
func rank(p learn.Prediction) int {
	switch p.Tier {
	case learn.Urgent:
		return 2
	case learn.Check:
		return 1
	}
	return 0
}

// modelFinding is the model's decision as a finding: its kind, whose
// danger it is, and the reply that fits both.
func (d *Danger) modelFinding(msg *Message, p learn.Prediction, lang string, tier flows.Tier) Finding {
	who, _ := d.model.Who(msg.Doc(lang))
	if who == "" {
		who = flows.WhoSelf
	}
	// Someone else named is taken as said; the texter's own danger may
	// still be the person a screening is for (For).
	f := Finding{Tier: tier, Kind: p.Kind, Who: who, Named: who == flows.WhoOther, Lang: lang}
	switch tier {
	case flows.TierUrgent:
		f.Reply = d.crisis.ReplyFor(&flows.DangerPattern{Kind: p.Kind}, who)
	case flows.TierConcern:
		f.Reply = "concern"
	default:
		f.Reply = "check"
	}
	return f
}

// For is Detector.For over a reading: danger of no one in particular, in a
// screening about someone else, is theirs.
func (d *Danger) For(r DangerReading, audience string) DangerReading {
	r.Finding = d.patterns.For(r.Finding, audience)
	if r.Layer == LayerModel && r.Tier == flows.TierUrgent {
		r.Reply = d.crisis.ReplyFor(&flows.DangerPattern{Kind: r.Kind}, r.Who)
	}
	return r
}
