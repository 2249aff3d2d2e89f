package learn

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"helpline/flows/text"
)

// An Example is one labelled text.
type Example struct {
	Text string
	// Lang is the code of the language it is written in.
	Lang string
	// Writer is who wrote it: examples of one writer are never split
	// between training and validation.
	Writer string
	// Class is one of the model's classes.
	Class string
	// Who is "self" or "other" for a danger class, "" otherwise.
	Who string
	// Source is where it comes from, "file:line".
	Source string
}

// A Result is a trained model and the models of its validation folds.
type Result struct {
	Model *Model
	// Folds are the validation folds: each model was trained without the
	// fold's writers, and carries the temperature and thresholds of the
	// final model, so that reading a fold's examples with it gives their
	// out-of-fold decisions.
	Folds []Fold
}

// A Fold is a group of writers held out together, and the model trained
// without them.
type Fold struct {
	Writers []string
	Model   *Model
}

// FoldOf returns the fold that holds writer out, or nil.
func (r *Result) FoldOf(writer string) *Fold {
	for i := range r.Folds {
		if slices.Contains(r.Folds[i].Writers, writer) {
			return &r.Folds[i]
		}
	}
	return nil
}

// corpus is the examples read by the text layer and turned into features
// of the whole text, ready for the trainer.
type corpus struct {
	hasher hasher
	docs   []*text.Doc
	off    []int // the features of example i are feats[off[i]:off[i+1]]
	feats  []feat
}

func (c *corpus) row(i int) []feat { return c.feats[c.off[i]:c.off[i+1]] }

// Train trains a model called name (Danger or Intents) from examples, each
// read in its language from langs. The classes of a Danger model are
// DangerClasses; those of an Intents model None and every other class of
// the examples, in alphabetical order. LangDigest is set from langs;
// Digest is left for the caller, who knows the input files.
func Train(name string, s Settings, examples []Example, langs map[string]*text.Language) (*Result, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	classes, err := trainClasses(name, examples)
	if err != nil {
		return nil, err
	}
	y, who, err := labelExamples(name, classes, examples, langs)
	if err != nil {
		return nil, err
	}
	folds, err := writerFolds(examples, s.Folds)
	if err != nil {
		return nil, err
	}
	t := &training{
		name: name, s: s, classes: classes, langs: langs,
		c: readCorpus(s, examples, langs), y: y, who: who,
		folds: folds, inFold: foldIndex(examples, folds),
	}
	jobs, oof, oofWho := t.runJobs()
	temp, whoTemp := t.calibrate(oof, oofWho)
	thresholds := t.chooseThresholds(oof, temp)
	r := &Result{Model: t.finish(jobs[len(folds)], temp, whoTemp, thresholds)}
	for f, ws := range folds {
		r.Folds = append(r.Folds, Fold{Writers: ws, Model: t.finish(jobs[f], temp, whoTemp, thresholds)})
	}
	return r, nil
}

// trainClasses returns the classes of a model called name: DangerClasses
// for Danger; None and every other class of examples, in alphabetical
// order, for Intents.
func trainClasses(name string, examples []Example) ([]string, error) {
	var classes []string
	switch name {
	case Danger:
		classes = DangerClasses
	case Intents:
		classes = []string{None}
		for _, e := range examples {
			if e.Class != None && !slices.Contains(classes, e.Class) {
				classes = append(classes, e.Class)
			}
		}
		slices.Sort(classes[1:])
	default:
		return nil, fmt.Errorf("model %q: want %s or %s", name, Danger, Intents)
	}
	return classes, nil
}

// labelExamples returns each example's class index among classes and, for
// a danger class of a Danger model, its index among WhoClasses (-1 when it
// has none). It reports every example whose class, who or language is
// unknown, and every class without an example, at once.
func labelExamples(name string, classes []string, examples []Example, langs map[string]*text.Language) (y, who []int32, err error) {
	y = make([]int32, len(examples))
	who = make([]int32, len(examples))
	var errs []error
	for i, e := range examples {
		c := slices.Index(classes, e.Class)
		if c < 0 {
			errs = append(errs, fmt.Errorf("%s: class %q is not one of %s", e.Source, e.Class, strings.Join(classes, ", ")))
		}
		y[i] = int32(c)
		who[i] = -1
		if name == Danger && c > 0 {
			w := slices.Index(WhoClasses, e.Who)
			if w < 0 {
				errs = append(errs, fmt.Errorf("%s: who %q: want self or other", e.Source, e.Who))
			}
			who[i] = int32(w)
		}
		if langs[e.Lang] == nil {
			errs = append(errs, fmt.Errorf("%s: language %q is not loaded", e.Source, e.Lang))
		}
	}
	for c, class := range classes {
		if !slices.Contains(y, int32(c)) {
			errs = append(errs, fmt.Errorf("class %s: no example", class))
		}
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return y, who, nil
}

// readCorpus reads each example in its language and hashes the features
// of its whole text.
func readCorpus(s Settings, examples []Example, langs map[string]*text.Language) *corpus {
	c := &corpus{hasher: newHasher(s.Bits, s.CharWeight), docs: make([]*text.Doc, len(examples)), off: make([]int, 1, len(examples)+1)}
	sc := new(scratch)
	for i, e := range examples {
		c.docs[i] = langs[e.Lang].Read(e.Text)
		c.feats = append(c.feats, c.hasher.features(c.docs[i], span{0, len(c.docs[i].Tokens)}, sc, nil)...)
		c.off = append(c.off, len(c.feats))
	}
	return c
}

// foldIndex returns the fold of each example: the last of folds that holds
// its writer.
func foldIndex(examples []Example, folds [][]string) []int {
	inFold := make([]int, len(examples))
	for i, e := range examples {
		for f, ws := range folds {
			if slices.Contains(ws, e.Writer) {
				inFold[i] = f
			}
		}
	}
	return inFold
}

// training is what Train has read and labelled, shared read-only by the
// jobs that train the folds' models and the final one.
type training struct {
	name    string
	s       Settings
	classes []string
	langs   map[string]*text.Language
	c       *corpus
	// y and who are each example's class and who (see labelExamples).
	y, who []int32
	folds  [][]string
	inFold []int // each example's fold
}

// trainJob is the heads one job trains: a fold's, or the final model's.
type trainJob struct {
	main, who head
}

// base returns a model of t with no heads yet.
func (t *training) base() *Model {
	m := &Model{Name: t.name, Settings: t.s, hasher: t.c.hasher, LangDigest: LangDigest(t.langs)}
	return m
}

// runJobs runs the jobs, one per fold, then the final model on every
// writer, side by side: each writes only its own results, so running them
// together changes nothing. It returns their heads and, for each example,
// its logits span after span from the model of its fold (oof) and its who
// logits over the whole text (oofWho).
func (t *training) runJobs() (jobs []trainJob, oof, oofWho [][]float64) {
	jobs = make([]trainJob, len(t.folds)+1)
	oof = make([][]float64, len(t.y))
	oofWho = make([][]float64, len(t.y))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	for j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			jobs[j] = t.trainJob(j)
			if j == len(t.folds) {
				return
			}
			t.readFold(j, &jobs[j], oof, oofWho)
		}()
	}
	wg.Wait()
	return jobs, oof, oofWho
}

// trainJob trains job j's heads on every example out of fold j; the last
// job, on every example.
func (t *training) trainJob(j int) trainJob {
	var rows, whoRows []int
	for i := range t.y {
		if j == len(t.folds) || t.inFold[i] != j {
			rows = append(rows, i)
			if t.who[i] >= 0 {
				whoRows = append(whoRows, i)
			}
		}
	}
	var tj trainJob
	tj.main = trainHead(t.c, rows, t.y, t.classes, t.s, t.s.Seed+uint64(j))
	if t.name == Danger {
		tj.who = trainHead(t.c, whoRows, t.who, WhoClasses, t.s, t.s.Seed+uint64(j)+1000)
		tj.who.name = "who"
	}
	return tj
}

// readFold reads the examples of fold j with its job's heads, as Predict
// and Who read, into oof and oofWho.
func (t *training) readFold(j int, tj *trainJob, oof, oofWho [][]float64) {
	m := t.base()
	m.heads = []head{tj.main}
	m.prepare()
	sc := new(scratch)
	for i := range t.y {
		if t.inFold[i] != j {
			continue
		}
		k := len(t.classes)
		d := t.c.docs[i]
		// As Predict and Who read.
		sc.spans = spans(d, sc.spans)
		z := make([]float64, len(sc.spans)*k)
		m.logitsAll(d, &m.heads[0], sc.spans, sc, z)
		oof[i] = z
		if t.who[i] >= 0 {
			oofWho[i] = make([]float64, len(WhoClasses))
			whole := []span{{0, len(d.Tokens)}}
			m.logitsAll(d, &tj.who, whole, sc, oofWho[i])
		}
	}
}

// calibrate fits the temperatures of the main head and, for Danger, the
// who head, on the whole-text logits out of fold.
func (t *training) calibrate(oof, oofWho [][]float64) (temp, whoTemp float64) {
	k := len(t.classes)
	var whole, whoZ [][]float64
	var wholeY, whoY []int32
	for i := range oof {
		whole = append(whole, oof[i][:k])
		wholeY = append(wholeY, t.y[i])
		if t.who[i] >= 0 {
			whoZ = append(whoZ, oofWho[i])
			whoY = append(whoY, t.who[i])
		}
	}
	temp = fitTemperature(whole, wholeY)
	whoTemp = 1.0
	if t.name == Danger {
		whoTemp = fitTemperature(whoZ, whoY)
	}
	return temp, whoTemp
}

// chooseThresholds chooses the thresholds on the calibrated probabilities
// out of fold, read clause by clause as Predict reads.
func (t *training) chooseThresholds(oof [][]float64, temp float64) []Threshold {
	k := len(t.classes)
	probs := make([][]float64, len(oof))
	for i := range oof {
		p := slices.Clone(oof[i])
		for s := 0; s < len(p); s += k {
			softmax(p[s:s+k], temp)
		}
		probs[i] = p
	}
	if t.name == Danger {
		return t.dangerThresholds(probs)
	}
	return t.intentThresholds(probs)
}

// dangerThresholds returns the Check threshold, quiet enough on the
// examples of no danger, and the Urgent threshold, precise enough.
func (t *training) dangerThresholds(probs [][]float64) []Threshold {
	probe := t.base()
	probe.heads = []head{{classes: t.classes}}
	probe.prepare()
	k := len(t.classes)
	urgent := make([]scored, len(probs))
	var none []float64
	for i := range probs {
		u, _, d, _ := probe.dangerScores(probs[i], len(probs[i])/k)
		urgent[i] = scored{u, strings.HasPrefix(t.classes[t.y[i]], Urgent+":")}
		if t.y[i] == 0 {
			none = append(none, d)
		}
	}
	return []Threshold{
		{Check, lowestQuiet(none, t.s.FalseAlarm)},
		{Urgent, lowestPrecise(urgent, t.s.Precision)},
	}
}

// intentThresholds returns a threshold for each intent but None, precise
// enough, in order of name.
func (t *training) intentThresholds(probs [][]float64) []Threshold {
	k := len(t.classes)
	byClass := make([][]scored, k)
	for i := range probs {
		_, c, p := intentScore(probs[i], len(probs[i])/k, k)
		byClass[c] = append(byClass[c], scored{p, int(t.y[i]) == c})
	}
	var thresholds []Threshold
	for c := 1; c < k; c++ {
		thresholds = append(thresholds, Threshold{t.classes[c], lowestPrecise(byClass[c], t.s.Precision)})
	}
	slices.SortFunc(thresholds, func(a, b Threshold) int { return strings.Compare(a.Name, b.Name) })
	return thresholds
}

// finish returns the model of job tj's heads at the temperatures and
// thresholds chosen.
func (t *training) finish(tj trainJob, temp, whoTemp float64, thresholds []Threshold) *Model {
	m := t.base()
	main := tj.main
	main.temp = temp
	m.heads = []head{main}
	if t.name == Danger {
		w := tj.who
		w.temp = whoTemp
		m.heads = append(m.heads, w)
	}
	m.thresholds = slices.Clone(thresholds)
	m.prepare()
	return m
}

// trainHead trains one head by AdaGrad over rows, labels[i] being row i's
// class, and returns it quantised, at temperature 1.
func trainHead(c *corpus, rows []int, labels []int32, classes []string, s Settings, seed uint64) head {
	k := len(classes)
	nb := 1 << s.Bits
	w := make([]float32, nb*k)
	g2 := make([]float32, nb*k)
	bias := make([]float64, k)
	bias2 := make([]float64, k)
	cw := classWeights(rows, labels, k, s.MaxClassWeight)

	order := slices.Clone(rows)
	rng := splitmix(seed)
	p := make([]float64, k)
	g := make([]float32, k)
	rate, l2 := float32(s.Rate), float32(s.L2)
	const eps = 1e-8
	for range s.Epochs {
		shuffle(order, rng)
		for _, i := range order {
			f := c.row(i)
			copy(p, bias)
			for _, ft := range f {
				row := w[int(ft.bucket)*k : int(ft.bucket)*k+k]
				v := float64(ft.val)
				for j, x := range row {
					p[j] += v * float64(x)
				}
			}
			trainSoftmax(p, 1)
			y := int(labels[i])
			for j := range p {
				t := 0.0
				if j == y {
					t = 1
				}
				gj := cw[y] * (p[j] - t)
				g[j] = float32(gj)
				bias2[j] += gj * gj
				bias[j] -= s.Rate * gj / math.Sqrt(bias2[j]+eps)
			}
			for _, ft := range f {
				row := w[int(ft.bucket)*k : int(ft.bucket)*k+k]
				acc := g2[int(ft.bucket)*k : int(ft.bucket)*k+k]
				for j := range row {
					d := g[j]*ft.val + l2*row[j]
					acc[j] += d * d
					row[j] -= rate * d / float32(math.Sqrt(float64(acc[j])+eps))
				}
			}
		}
	}
	return quantise(classes, w, bias)
}

// classWeights returns the weight of each of k classes among rows: the
// inverse of its share, capped at most, and 0 for a class absent.
func classWeights(rows []int, labels []int32, k int, most float64) []float64 {
	count := make([]int, k)
	for _, i := range rows {
		count[labels[i]]++
	}
	present := 0
	for _, n := range count {
		if n > 0 {
			present++
		}
	}
	cw := make([]float64, k)
	for j, n := range count {
		if n > 0 {
			cw[j] = min(most, float64(len(rows))/float64(present*n))
		}
	}
	return cw
}

// shuffle puts order in an order drawn from rng (Fisher–Yates).
func shuffle(order []int, rng *splitmixState) {
	for i := len(order) - 1; i > 0; i-- {
		j := int(rng.next() % uint64(i+1))
		order[i], order[j] = order[j], order[i]
	}
}

// quantise turns float weights into int8 with a scale per class.
func quantise(classes []string, w []float32, bias []float64) head {
	k := len(classes)
	h := head{classes: classes, temp: 1, bias: make([]float32, k), scale: make([]float32, k), w: make([]byte, len(w), len(w)+wordPad)}
	for j := range k {
		var hi float32
		for i := j; i < len(w); i += k {
			hi = max(hi, float32(math.Abs(float64(w[i]))))
		}
		h.scale[j] = 1
		if hi > 0 {
			h.scale[j] = hi / 127
		}
		h.bias[j] = float32(bias[j])
		for i := j; i < len(w); i += k {
			h.w[i] = weightByte(int8(math.Round(float64(w[i] / h.scale[j]))))
		}
	}
	return h
}

// splitmix is SplitMix64: a small generator whose sequence is fixed by
// its seed, on every platform and Go version.
type splitmixState struct{ x uint64 }

func splitmix(seed uint64) *splitmixState { return &splitmixState{seed} }

func (s *splitmixState) next() uint64 {
	s.x += 0x9e3779b97f4a7c15
	z := s.x
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// writerFolds groups the writers of examples into k folds of about the
// same number of examples in each language. A writer's language is that of
// most of their examples.
func writerFolds(examples []Example, k int) ([][]string, error) {
	type writer struct {
		name, lang string
		rows       int
	}
	byName := map[string]*writer{}
	langs := map[string]map[string]int{}
	var order []string
	for _, e := range examples {
		w := byName[e.Writer]
		if w == nil {
			w = &writer{name: e.Writer}
			byName[e.Writer] = w
			langs[e.Writer] = map[string]int{}
			order = append(order, e.Writer)
		}
		w.rows++
		langs[e.Writer][e.Lang]++
	}
	if len(order) < k {
		return nil, fmt.Errorf("%d writers cannot make %d folds: each fold holds out whole writers", len(order), k)
	}
	ws := make([]*writer, 0, len(order))
	for _, name := range order {
		w := byName[name]
		for _, l := range sortedKeys(langs[name]) {
			if w.lang == "" || langs[name][l] > langs[name][w.lang] {
				w.lang = l
			}
		}
		ws = append(ws, w)
	}
	slices.SortFunc(ws, func(a, b *writer) int {
		return cmp.Or(cmp.Compare(a.lang, b.lang), cmp.Compare(b.rows, a.rows), cmp.Compare(a.name, b.name))
	})
	folds := make([][]string, k)
	rows := make(map[string][]int) // rows of each fold, by language
	total := make([]int, k)
	for _, w := range ws {
		if rows[w.lang] == nil {
			rows[w.lang] = make([]int, k)
		}
		best := 0
		for f := 1; f < k; f++ {
			r := rows[w.lang]
			if r[f] < r[best] || r[f] == r[best] && total[f] < total[best] {
				best = f
			}
		}
		folds[best] = append(folds[best], w.name)
		rows[w.lang][best] += w.rows
		total[best] += w.rows
	}
	for _, f := range folds {
		slices.Sort(f)
	}
	return folds, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// fitTemperature returns the temperature that minimises the negative log
// likelihood of the labels under softmax(z/T), by golden-section search
// over log T.
func fitTemperature(z [][]float64, y []int32) float64 {
	nll := func(logT float64) float64 {
		t := math.Exp(logT)
		var sum float64
		p := make([]float64, 0, 32)
		for i, zi := range z {
			p = append(p[:0], zi...)
			trainSoftmax(p, t)
			sum -= math.Log(max(p[y[i]], 1e-300))
		}
		return sum
	}
	lo, hi := math.Log(0.05), math.Log(20.0)
	phi := (math.Sqrt(5) - 1) / 2
	a, b := hi-phi*(hi-lo), lo+phi*(hi-lo)
	fa, fb := nll(a), nll(b)
	for range 60 {
		if fa < fb {
			hi, b, fb = b, a, fa
			a = hi - phi*(hi-lo)
			fa = nll(a)
		} else {
			lo, a, fa = a, b, fb
			b = lo + phi*(hi-lo)
			fb = nll(b)
		}
	}
	return math.Exp((lo + hi) / 2)
}

// scored is one example's score and whether it belongs to the class
// scored.
type scored struct {
	score float64
	pos   bool
}

// lowestPrecise returns the lowest score at which the examples scoring at
// or above it are at least precision positive, or Never.
func lowestPrecise(s []scored, precision float64) float64 {
	s = slices.Clone(s)
	slices.SortFunc(s, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	best := Never
	pos := 0
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j].score == s[i].score {
			if s[j].pos {
				pos++
			}
			j++
		}
		if float64(pos) >= precision*float64(j) && pos > 0 {
			best = s[i].score
		}
		i = j
	}
	return best
}

// lowestQuiet returns the lowest score at which at most a share alarm of
// scores are at or above it.
func lowestQuiet(scores []float64, alarm float64) float64 {
	s := slices.Clone(scores)
	slices.SortFunc(s, func(a, b float64) int { return cmp.Compare(b, a) })
	best := Never
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		if float64(j) > alarm*float64(len(s)) {
			break
		}
		best = s[i]
		i = j
	}
	if best == Never && len(s) > 0 {
		// Not even the highest score is quiet enough: just above it.
		best = math.Nextafter(s[0], math.Inf(1))
	}
	return best
}
