package learn

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync"

	"helpline/flows/text"
)

// The two models the helpline carries.
const (
	// Danger reads danger: None, "urgent:<kind>" and "concern:<kind>".
	Danger = "danger"
	// Intents reads a texter's questions and requests: None and one
	// class per intent ("cost", "person").
	Intents = "intents"
)

// None is the class of a text with nothing to act on: the first class of
// every model.
const None = "none"

// Tiers of a danger reading and the names of their thresholds.
const (
	// Urgent: the probability of any urgent class is at or above the
	// model's "urgent" threshold; answer now.
	Urgent = "urgent"
	// Check: below that, the probability of any danger class is at or
	// above the "check" threshold; ask a question that fits the kind.
	Check = "check"
)

// DangerClasses are the classes of the danger model, in order.
var DangerClasses = []string{
	None,
	"urgent:suicide", "urgent:selfharm", "urgent:overdose", "urgent:withdrawal", "urgent:violence", "urgent:other",
	"concern:suicide", "concern:selfharm",
}

// WhoClasses are the classes of the danger model's second head: whose
// danger it is.
var WhoClasses = []string{"self", "other"}

// head is one linear classifier over the model's features: int8 weights,
// bucket by bucket, with a scale and a bias per class.
type head struct {
	name    string
	classes []string
	temp    float64 // divides the logits: calibration
	bias    []float32
	scale   []float32
	// w[bucket*len(classes)+class] is an int8 weight plus 128 (see
	// weightByte); its capacity leaves wordPad bytes after the last row
	// (see prepare).
	w []byte
}

// weightByte is how a head keeps an int8 weight: plus 128, so that a
// row's bytes can be summed as unsigned numbers (see sumRows2).
func weightByte(q int8) byte { return byte(q) ^ 0x80 }

// weightOf is the int8 weight a head keeps as b.
func weightOf(b byte) int32 { return int32(b) - 128 }

// wordPad is the room after the last row of a head's weights that lets
// logitsAll read a row 8 bytes at a time.
const wordPad = 16

// logits writes into z the head's logits (before temperature) for f.
func (h *head) logits(f []feat, z []float64) {
	k := len(h.classes)
	var small [32]float32
	acc := small[:0]
	if k <= len(small) {
		acc = small[:k]
	} else {
		acc = make([]float32, k)
	}
	for _, ft := range f {
		row := h.w[int(ft.bucket)*k : int(ft.bucket)*k+k]
		a := acc[:len(row)]
		v := ft.val
		for c, q := range row {
			a[c] += v * float32(weightOf(q))
		}
	}
	for c := range z[:k] {
		z[c] = float64(acc[c])*float64(h.scale[c]) + float64(h.bias[c])
	}
}

// softmax turns logits into probabilities in place, at temperature t, as
// Predict reads them; the thresholds are chosen on what it makes of the
// logits out of fold.
func softmax(z []float64, t float64) {
	hi := math.Inf(-1)
	for _, v := range z {
		if v > hi { // not max, which minds NaNs and signed zeros, slowly
			hi = v
		}
	}
	var sum float64
	inv := 1 / t
	for i, v := range z {
		e := expNonPos((v - hi) * inv)
		z[i] = e
		sum += e
	}
	inv = 1 / sum
	for i := range z {
		z[i] *= inv
	}
}

// trainSoftmax is softmax as the trainer computes its gradients and the
// temperature, with math.Exp: the models were trained with it, and
// retraining must make them again bit for bit.
func trainSoftmax(z []float64, t float64) {
	hi := math.Inf(-1)
	for _, v := range z {
		hi = max(hi, v)
	}
	var sum float64
	for i, v := range z {
		z[i] = math.Exp((v - hi) / t)
		sum += z[i]
	}
	for i := range z {
		z[i] /= sum
	}
}

// exp2Table[j] is 2**(j/64).
var exp2Table = func() (t [64]float64) {
	for j := range t {
		t[j] = math.Exp2(float64(j) / 64)
	}
	return t
}()

// expNonPos returns e**x for x <= 0, within 2 ulps of math.Exp and
// faster: x = (64m + j)·ln2/64 + r, so e**x = 2**m · 2**(j/64) · e**r,
// e**r by its Taylor series to r**5 (|r| <= ln2/128).
func expNonPos(x float64) float64 {
	if !(x > -700) { // and NaN
		return math.Exp(x)
	}
	const (
		invLn2By64 = 64 / math.Ln2
		// ln2/64 in two parts, the first exact times any k here (math's
		// exp's Ln2Hi and Ln2Lo, over 64).
		ln2By64Hi = 6.93147180369123816490e-01 / 64
		ln2By64Lo = 1.90821492927058770002e-10 / 64
		// Adding it rounds to an integer, left in the low bits.
		shifter = 0x1.8p52
	)
	kf := x*invLn2By64 + shifter
	k := int64(math.Float64bits(kf))
	kf -= shifter
	r := x - kf*ln2By64Hi - kf*ln2By64Lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120)))))
	y := exp2Table[k&63] * p
	return math.Float64frombits(math.Float64bits(y) + uint64(k>>6)<<52)
}

// A Model is a trained classifier, as decoded from a model file. It is
// safe for concurrent use.
type Model struct {
	// Name is Danger or Intents.
	Name string
	// Settings are the trainer's.
	Settings Settings
	// Digest is the SHA-256 of every input of the training: the example
	// files, the language files and the settings (see InputDigest).
	Digest [32]byte
	// LangDigest is the SHA-256 of the languages the examples were read
	// in (see LangDigest).
	LangDigest [32]byte

	hasher     hasher
	heads      []head // the classes first; for Danger, then who
	thresholds []Threshold

	// Thresholds as the decision uses them: for Danger, urgent and
	// check; for Intents, by class.
	urgent, check float64
	byClass       []float64
	urgentClasses []int // classes named "urgent:..."

	pool sync.Pool
}

// A Threshold is a probability at or above which a model decides.
type Threshold struct {
	Name  string
	Value float64
}

// Never is the threshold of a class no probability was precise enough
// for: the class is never decided.
const Never = 2.0

// Classes returns the model's classes, None first.
func (m *Model) Classes() []string { return slices.Clone(m.heads[0].classes) }

// Thresholds returns every threshold of the model, by name.
func (m *Model) Thresholds() []Threshold { return slices.Clone(m.thresholds) }

// Threshold returns the threshold called name: for Danger, Urgent or
// Check; for Intents, a class name. A name the model does not have
// returns +Inf: nothing reaches it.
func (m *Model) Threshold(name string) float64 {
	for _, t := range m.thresholds {
		if t.Name == name {
			return t.Value
		}
	}
	return math.Inf(1)
}

// Temperature returns the temperature that calibrates the classes.
func (m *Model) Temperature() float64 { return m.heads[0].temp }

// prepare sets what the decision needs from the heads and thresholds.
func (m *Model) prepare() {
	classes := m.heads[0].classes
	m.urgent, m.check = m.Threshold(Urgent), m.Threshold(Check)
	m.byClass = make([]float64, len(classes))
	m.urgentClasses = nil
	for c, name := range classes {
		m.byClass[c] = m.Threshold(name)
		if strings.HasPrefix(name, Urgent+":") {
			m.urgentClasses = append(m.urgentClasses, c)
		}
	}
	for i := range m.heads {
		if h := &m.heads[i]; cap(h.w)-len(h.w) < wordPad {
			w := make([]byte, len(h.w), len(h.w)+wordPad)
			copy(w, h.w)
			h.w = w
		}
	}
	m.pool.New = func() any { return new(scratch) }
}

// A Prediction is what a model makes of a text.
type Prediction struct {
	// Class is the decision: for Danger, the urgent class with the
	// highest probability when the urgent threshold is met, the danger
	// class with the highest probability when only the check threshold
	// is, else None; for Intents, the class with the highest probability
	// when its threshold is met, else None.
	Class string
	// Tier is Urgent or Check for a danger decision, "" otherwise.
	Tier string
	// Kind is the part of a danger class after the colon ("overdose").
	Kind string
	// Prob is the probability compared with the threshold: for Danger,
	// of any urgent class (Urgent) or of any danger class (Check and
	// None); for Intents, of the best class other than None.
	Prob float64
	// Probs are every class's probability, in the order of Classes, in
	// the clause that counted.
	Probs []float64
	// Clause is the part of the text that counted, as written.
	Clause string
}

// Predict reads d clause by clause and as a whole: for Danger, the
// clause with the highest danger probability counts; for Intents, the
// clause with the most probable intent.
func (m *Model) Predict(d *text.Doc) Prediction {
	sc := m.pool.Get().(*scratch)
	defer m.pool.Put(sc)
	spans, probs := m.read(d, sc)
	s, c, prob, tier := m.decide(probs, len(spans))
	k := len(m.heads[0].classes)
	p := Prediction{Class: None, Tier: tier, Prob: prob, Probs: slices.Clone(probs[s*k : s*k+k]), Clause: spans[s].text(d)}
	if c >= 0 {
		p.Class = m.heads[0].classes[c]
		if tier != "" {
			_, p.Kind, _ = strings.Cut(p.Class, ":")
		}
	}
	return p
}

// read scores every span of d and returns the spans and their
// probabilities, span after span.
func (m *Model) read(d *text.Doc, sc *scratch) ([]span, []float64) {
	h := &m.heads[0]
	k := len(h.classes)
	sc.spans = spans(d, sc.spans)
	sc.z = slices.Grow(sc.z[:0], len(sc.spans)*k)[:len(sc.spans)*k]
	m.logitsAll(d, h, sc.spans, sc, sc.z)
	for i := range sc.spans {
		softmax(sc.z[i*k:i*k+k], h.temp)
	}
	return sc.spans, sc.z
}

// decide picks the span that counts and the class decided from every
// span's probabilities (k per span): c is -1 for None. prob is the
// probability compared with a threshold; tier is Urgent or Check for a
// danger decision.
func (m *Model) decide(probs []float64, spans int) (s, c int, prob float64, tier string) {
	k := len(m.heads[0].classes)
	if m.Name == Danger {
		u, us, dg, ds := m.dangerScores(probs, spans)
		switch {
		case u >= m.urgent:
			return us, argmax(probs[us*k:us*k+k], m.urgentClasses), u, Urgent
		case dg >= m.check:
			return ds, argmaxFrom(probs[ds*k:ds*k+k], 1), dg, Check
		}
		return ds, -1, dg, ""
	}
	s, c, prob = intentScore(probs, spans, k)
	if c > 0 && prob >= m.byClass[c] {
		return s, c, prob, ""
	}
	return s, -1, prob, ""
}

// dangerScores returns the highest probability over spans of any urgent
// class and of any danger class (one minus None's), and their spans.
func (m *Model) dangerScores(probs []float64, spans int) (urgent float64, us int, danger float64, ds int) {
	k := len(m.heads[0].classes)
	urgent, danger = -1, -1
	for s := range spans {
		p := probs[s*k : s*k+k]
		var u float64
		for _, c := range m.urgentClasses {
			u += p[c]
		}
		if u > urgent {
			urgent, us = u, s
		}
		if 1-p[0] > danger {
			danger, ds = 1-p[0], s
		}
	}
	return urgent, us, danger, ds
}

// intentScore returns the class other than None with the highest
// probability in any span, that probability and the span.
func intentScore(probs []float64, spans, k int) (s, c int, prob float64) {
	prob, c = -1, 1
	for i := range spans {
		p := probs[i*k : i*k+k]
		for j := 1; j < k; j++ {
			if p[j] > prob {
				s, c, prob = i, j, p[j]
			}
		}
	}
	return s, c, prob
}

// argmax returns the class among among with the highest p.
func argmax(p []float64, among []int) int {
	best := among[0]
	for _, c := range among[1:] {
		if p[c] > p[best] {
			best = c
		}
	}
	return best
}

// argmaxFrom returns the class from from on with the highest p.
func argmaxFrom(p []float64, from int) int {
	best := from
	for c := from + 1; c < len(p); c++ {
		if p[c] > p[best] {
			best = c
		}
	}
	return best
}

// Who returns whose danger a text speaks of, "self" or "other", and its
// probability, read over the whole text. Only a Danger model knows; others
// return "" and 0.
func (m *Model) Who(d *text.Doc) (who string, prob float64) {
	if len(m.heads) < 2 {
		return "", 0
	}
	h := &m.heads[1]
	sc := m.pool.Get().(*scratch)
	defer m.pool.Put(sc)
	var z [8]float64
	sc.spans = append(sc.spans[:0], span{0, len(d.Tokens)})
	m.logitsAll(d, h, sc.spans, sc, z[:])
	p := z[:len(h.classes)]
	softmax(p, h.temp)
	c := argmaxFrom(p, 0)
	return h.classes[c], p[c]
}

// A Weight is how much one feature of a text weighed towards a class:
// "w:kill" a word, "w:!want" a negated word, "b:kill myself" two words,
// "c: my " characters, "l:es" the language.
type Weight struct {
	Feature string
	Weight  float64
}

// Why returns the n features of the clause of d that counted that weighed
// most towards class, heaviest first.
func (m *Model) Why(d *text.Doc, class string, n int) []Weight {
	h := &m.heads[0]
	c := slices.Index(h.classes, class)
	if c < 0 || n <= 0 {
		return nil
	}
	sc := new(scratch)
	spans, probs := m.read(d, sc)
	s, _, _, _ := m.decide(probs, len(spans))
	names := map[uint64]string{}
	f := m.hasher.features(d, spans[s], sc, names)
	k := len(h.classes)
	// Features of different groups may share a bucket: each is shown
	// with what it adds.
	byName := map[string]float64{}
	for i, ft := range f {
		byName[names[sc.featKeys[i]]] += float64(ft.val) * float64(weightOf(h.w[int(ft.bucket)*k+c])) * float64(h.scale[c])
	}
	out := make([]Weight, 0, len(byName))
	for name, w := range byName {
		out = append(out, Weight{name, w})
	}
	slices.SortFunc(out, func(a, b Weight) int {
		if a.Weight != b.Weight {
			return cmp.Compare(b.Weight, a.Weight)
		}
		return strings.Compare(a.Feature, b.Feature)
	})
	return out[:min(n, len(out))]
}
