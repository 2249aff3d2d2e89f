package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"helpline/bot/understand"
	"helpline/bot/understand/learn"
	"helpline/flows"
)

// A Decision is what a reader made of one text, for evaluation: the danger
// tier ("urgent", "check" or ""), kind and whose danger, and the intent
// ("none" for none).
type Decision struct {
	Tier, Kind, Who string
	Intent          string
}

// A decider reads one text in a language. The model alone is one; the
// engine's combined reading (patterns and model) can be another.
type decider func(text, lang string) Decision

// modelDecider decides with model m alone, danger or intents.
func modelDecider(set *flows.Set, m *learn.Model) decider {
	return func(s, lang string) Decision {
		d := set.Lang(lang).Read(s)
		var out Decision
		p := m.Predict(d)
		if m.Name != learn.Danger {
			out.Intent = p.Class
			return out
		}
		out.Tier, out.Kind = p.Tier, p.Kind
		if p.Tier != "" {
			out.Who, _ = m.Who(d)
		}
		return out
	}
}

// bothLayers decides danger as the engine does, with the patterns and the
// model: urgent is the urgent answer at once, check the direct question or
// the check question (whose yes is the urgent answer).
func bothLayers(d *understand.Danger) decider {
	return func(s, lang string) Decision {
		r := d.Check(s, lang)
		out := Decision{Kind: r.Kind, Who: r.Who}
		switch r.Tier {
		case flows.TierUrgent:
			out.Tier = learn.Urgent
		case flows.TierConcern, flows.TierCheck:
			out.Tier = learn.Check
		default:
			out.Kind, out.Who = "", ""
		}
		return out
	}
}

// evalCmd measures a model's decisions over the examples of some writers:
// by default out of fold over the training writers; with --writers, a
// model trained without them; with --heldout, the embedded models over
// the held-out writers.
func evalCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	heldout := fs.Bool("heldout", false, "measure the embedded models on the held-out writers (a final measurement: never tune on it)")
	writers := fs.String("writers", "", "comma-separated writers to measure (E01,S03): without --heldout, a model is trained on the other training writers")
	only := fs.String("model", "", "danger or intents (default: both)")
	alone := fs.Bool("alone", false, "with --heldout, the danger model alone, not both layers as the engine reads")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: helpline eval [--heldout] [--writers E01,S03] [--model danger|intents]")
		fmt.Fprintln(stderr, "Measures the models by writer: recall per kind, language and person, false alarms, intent accuracy, each with counts and a 95% interval, then every miss.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	names := []string{learn.Danger, learn.Intents}
	switch *only {
	case "":
	case learn.Danger, learn.Intents:
		names = []string{*only}
	default:
		fmt.Fprintf(stderr, "--model %q: want danger or intents\n", *only)
		return 2
	}
	var chosen []string
	if *writers != "" {
		chosen = strings.Split(*writers, ",")
	}
	root, err := checkoutRoot()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	set, err := flows.Default()
	if err != nil {
		fmt.Fprintf(stderr, "flows:\n%v\n", err)
		return 1
	}

	if *heldout {
		danger, intents, err := learn.ReadHeldout(root)
		if err != nil {
			fmt.Fprintf(stderr, "held-out examples:\n%v\n", err)
			return 1
		}
		dm, im, err := understand.Models(set)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		intents = append(intents, noneOf(danger)...)
		rows := map[string][]learn.Example{learn.Danger: danger, learn.Intents: intents}
		deciders := map[string]decider{learn.Danger: modelDecider(set, dm), learn.Intents: modelDecider(set, im)}
		what := map[string]string{learn.Danger: "embedded model alone", learn.Intents: "embedded model"}
		if !*alone {
			d, err := understand.NewDanger(set)
			if err != nil {
				fmt.Fprintln(stderr, err)
				return 1
			}
			deciders[learn.Danger], what[learn.Danger] = bothLayers(d), "patterns and model, as the engine reads"
		}
		for _, name := range names {
			r := pick(rows[name], chosen)
			if len(r) == 0 {
				fmt.Fprintf(stderr, "%s: no held-out example of %s\n", name, strings.Join(chosen, ", "))
				return 1
			}
			var t tally
			t.add(name, r, deciders[name])
			t.print(stdout, fmt.Sprintf("%s, %s, held-out writers %s", name, what[name], strings.Join(chosen, ",")))
		}
		return 0
	}

	ex, err := learn.ReadExamples(root)
	if err != nil {
		fmt.Fprintf(stderr, "examples:\n%v\n", err)
		return 1
	}
	for _, name := range names {
		s := learn.DefaultSettings(name)
		rows := trainingRows(ex, name, s)
		// Measured: every text of the writers measured, and for intents
		// every None danger text of theirs as None.
		measured := rows
		if name == learn.Intents {
			measured = append(slices.Clone(ex.Intents), noneOf(ex.Danger)...)
		}
		var t tally
		if len(chosen) > 0 {
			test := pick(measured, chosen)
			if len(test) == 0 {
				fmt.Fprintf(stderr, "%s: no training example of %s\n", name, strings.Join(chosen, ", "))
				return 1
			}
			var trainOn []learn.Example
			for _, e := range rows {
				if !slices.Contains(chosen, e.Writer) {
					trainOn = append(trainOn, e)
				}
			}
			r, err := learn.Train(name, s, trainOn, set.Langs)
			if err != nil {
				fmt.Fprintf(stderr, "%s: %v\n", name, err)
				return 1
			}
			t.add(name, test, modelDecider(set, r.Model))
			t.print(stdout, fmt.Sprintf("%s, trained without %s (thresholds %s)", name, strings.Join(chosen, ", "), thresholds(r.Model)))
			continue
		}
		r, err := learn.Train(name, s, rows, set.Langs)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return 1
		}
		for _, f := range r.Folds {
			t.add(name, pick(measured, f.Writers), modelDecider(set, f.Model))
		}
		t.print(stdout, fmt.Sprintf("%s, out of fold over %d writer folds (thresholds %s)", name, len(r.Folds), thresholds(r.Model)))
	}
	return 0
}

// pick returns the examples of the writers named; all of them when none is.
func pick(rows []learn.Example, writers []string) []learn.Example {
	if len(writers) == 0 {
		return rows
	}
	var out []learn.Example
	for _, e := range rows {
		if slices.Contains(writers, e.Writer) {
			out = append(out, e)
		}
	}
	return out
}

// noneOf returns the None danger texts of writers (not the danger tables'
// rows, which ask about the service), as None for intents.
func noneOf(danger []learn.Example) []learn.Example {
	var out []learn.Example
	for _, e := range danger {
		if e.Class == learn.None && !strings.HasPrefix(e.Writer, "T:") {
			e.Who = ""
			out = append(out, e)
		}
	}
	return out
}

// tally counts hits by figure; misses keeps the texts missed.
type tally struct {
	figures map[string]*count
	misses  []miss
}

type count struct{ k, n int }

type miss struct {
	what, source, text, got string
}

func (t *tally) hit(figure string, ok bool) {
	if t.figures == nil {
		t.figures = map[string]*count{}
	}
	c := t.figures[figure]
	if c == nil {
		c = &count{}
		t.figures[figure] = c
	}
	c.n++
	if ok {
		c.k++
	}
}

// add reads rows with decide and counts what it got right.
func (t *tally) add(name string, rows []learn.Example, decide decider) {
	for _, e := range rows {
		d := decide(e.Text, e.Lang)
		if name == learn.Intents {
			want := e.Class
			ok := d.Intent == want
			if want == learn.None {
				t.hit("none: read as no question (all)", ok)
				t.hit("none: read as no question ("+e.Lang+")", ok)
			} else {
				t.hit("intent accuracy (all)", ok)
				t.hit("intent accuracy ("+e.Lang+")", ok)
				t.hit("intent accuracy, "+want, ok)
			}
			t.hit("by writer: "+e.Writer, ok)
			if !ok {
				t.misses = append(t.misses, miss{want, e.Source, e.Text, d.Intent})
			}
			continue
		}
		tier, kind, _ := strings.Cut(e.Class, ":")
		switch d.Tier {
		case learn.Urgent:
			t.hit("precision of urgent decisions (text urgent)", tier == learn.Urgent)
		case learn.Check:
			t.hit("precision of check decisions (text urgent or concern)", tier != learn.None)
		}
		got := learn.None
		if d.Tier != "" {
			got = d.Tier + ":" + d.Kind + "/" + d.Who
		}
		switch tier {
		case learn.Urgent:
			urgent, alarm := d.Tier == learn.Urgent, d.Tier != ""
			for _, by := range []string{"all", kind, e.Lang, "person " + e.Who} {
				t.hit("urgent recall at urgent ("+by+")", urgent)
				t.hit("urgent recall at check ("+by+")", alarm)
			}
			t.hit("by writer: "+e.Writer+", urgent at check", alarm)
			if urgent {
				t.hit("urgent: kind right", d.Kind == kind)
			}
			if alarm && d.Who != "" {
				t.hit("urgent and concern: person right", d.Who == e.Who)
			}
			if !urgent {
				t.misses = append(t.misses, miss{e.Class + "/" + e.Who, e.Source, e.Text, got})
			}
		case "concern":
			alarm := d.Tier != ""
			for _, by := range []string{"all", kind, e.Lang, "person " + e.Who} {
				t.hit("concern recall at check ("+by+")", alarm)
			}
			t.hit("by writer: "+e.Writer+", concern at check", alarm)
			if alarm && d.Who != "" {
				t.hit("urgent and concern: person right", d.Who == e.Who)
			}
			if !alarm {
				t.misses = append(t.misses, miss{e.Class + "/" + e.Who, e.Source, e.Text, got})
			}
		default:
			alarm := d.Tier != ""
			for _, by := range []string{"all", e.Lang} {
				t.hit("none: false alarm, any ("+by+")", alarm)
				t.hit("none: false alarm, urgent ("+by+")", d.Tier == learn.Urgent)
			}
			t.hit("by writer: "+e.Writer+", none false alarm", alarm)
			if alarm {
				t.misses = append(t.misses, miss{learn.None, e.Source, e.Text, got})
			}
		}
	}
}

func (t *tally) print(w io.Writer, title string) {
	fmt.Fprintf(w, "%s\n", title)
	keys := make([]string, 0, len(t.figures))
	for k := range t.figures {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		c := t.figures[k]
		lo, hi := wilson(c.k, c.n)
		fmt.Fprintf(w, "  %-52s %5d/%-5d %5.1f%%  [%5.1f, %5.1f]\n", k, c.k, c.n, 100*float64(c.k)/float64(max(c.n, 1)), 100*lo, 100*hi)
	}
	slices.SortStableFunc(t.misses, func(a, b miss) int { return cmp.Compare(a.what, b.what) })
	fmt.Fprintf(w, "  misses (%d):\n", len(t.misses))
	for _, m := range t.misses {
		fmt.Fprintf(w, "    %-26s read %-26s %s  %q\n", m.what, m.got, m.source, m.text)
	}
}

// wilson returns the 95% Wilson score interval of k successes in n.
func wilson(k, n int) (lo, hi float64) {
	if n == 0 {
		return 0, 1
	}
	const z = 1.959963984540054
	p, nf := float64(k)/float64(n), float64(n)
	d := 1 + z*z/nf
	c := (p + z*z/(2*nf)) / d
	h := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / d
	return max(0, c-h), min(1, c+h)
}
