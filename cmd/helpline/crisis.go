package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"helpline/bot/understand"
	"helpline/bot/understand/learn"
	"helpline/flows"
)

// crisisCheck shows what the danger check makes of a text, for clinical
// review: TEXT from the argument, or one text per line on stdin.
func crisisCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("crisis", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("flows", "", "load flows from this directory instead of the built-in ones")
	asJSON := fs.Bool("json", false, "one JSON object per text per line")
	why := fs.Bool("why", false, "also show both layers: every pattern that matched, in each language, and what cleared it; the model's likeliest classes and what weighed most")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: helpline crisis [--flows DIR] [--json] [--why] [TEXT]")
		fmt.Fprintln(stderr, "Shows the tier and kind of danger the check finds in TEXT (or in each line on stdin), the pattern that matched and the context that cleared one.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(reorder(args)); err != nil {
		return 2
	}
	set, err := loadFlows(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "flows:\n%v\n", err)
		return 1
	}
	d, err := understand.NewDanger(set)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	texts := fs.Args()
	if len(texts) > 0 {
		texts = []string{strings.Join(texts, " ")}
	} else {
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 64<<10), 64<<10)
		for sc.Scan() {
			texts = append(texts, sc.Text())
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, t := range texts {
		r := d.Check(t, "")
		if *asJSON {
			if err := enc.Encode(crisisJSON(d, t, r, *why)); err != nil {
				fmt.Fprintln(stderr, err)
				return 1
			}
			continue
		}
		printReading(stdout, t, r)
		if *why {
			for _, line := range explain(d, t, r) {
				fmt.Fprintln(stdout, "  "+line)
			}
		}
	}
	return 0
}

// printReading writes one line of what the two layers decided.
func printReading(w io.Writer, t string, r understand.DangerReading) {
	tier := r.Tier
	if tier == "" {
		tier = "none"
	}
	switch {
	case r.Layer == understand.LayerModel:
		fmt.Fprintf(w, "%q: %s %s (%s), %s; the model, %.2f; reply %s\n", t, tier, r.Kind, r.Who, r.Lang, r.Prob, r.Reply)
	case r.Tier != "":
		fmt.Fprintf(w, "%q: %s %s (%s), %s; matched %s %q; reply %s\n", t, tier, r.Kind, r.Who, r.Lang, r.Matched, r.Pattern, r.Reply)
	case r.Cleared != "":
		fmt.Fprintf(w, "%q: none; a match was cleared by %s\n", t, r.Cleared)
	default:
		fmt.Fprintf(w, "%q: none\n", t)
	}
}

// crisisJSON is one text's reading as JSON.
func crisisJSON(d *understand.Danger, t string, r understand.DangerReading, why bool) any {
	tier := r.Tier
	if tier == "" {
		tier = "none"
	}
	var lines []string
	if why {
		lines = explain(d, t, r)
	}
	return struct {
		Text      string     `json:"text"`
		Tier      flows.Tier `json:"tier"`
		Kind      string     `json:"kind"`
		Who       string     `json:"who"`
		Lang      string     `json:"lang"`
		Layer     string     `json:"layer"`
		Prob      float64    `json:"prob,omitempty"`
		Matched   string     `json:"matched"`
		Pattern   string     `json:"pattern"`
		Cleared   string     `json:"cleared"`
		Reply     string     `json:"reply"`
		ModelTier string     `json:"model_tier"`
		ModelKind string     `json:"model_kind"`
		ModelProb float64    `json:"model_prob"`
		Why       []string   `json:"why,omitempty"`
	}{t, tier, r.Kind, r.Who, r.Lang, r.Layer, r.Prob, r.Matched, r.Pattern, r.Cleared, r.Reply,
		r.Model.Tier, r.Model.Kind, r.Model.Prob, lines}
}

// explain shows both layers for clinical review: every pattern that
// matched or was cleared, in each language; then the model's most likely
// classes with their probabilities, and the words and letter groups that
// weighed most towards its top danger class.
func explain(d *understand.Danger, t string, r understand.DangerReading) []string {
	lines := []string{"patterns:"}
	for _, l := range d.Patterns().Explain(t) {
		lines = append(lines, "  "+l)
	}
	if len(lines) == 1 {
		lines = append(lines, "  (none matched)")
	}
	m := d.Model()
	p := r.Model
	classes := m.Classes()
	order := make([]int, len(classes))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return p.Probs[order[a]] > p.Probs[order[b]] })
	lines = append(lines, fmt.Sprintf("model (%s, clause %q): decided %s", r.ModelLang, p.Clause, orNone(p.Tier+" "+p.Kind)))
	top := ""
	for _, i := range order[:min(4, len(order))] {
		lines = append(lines, fmt.Sprintf("  %-18s %.3f", classes[i], p.Probs[i]))
		if top == "" && classes[i] != learn.None {
			top = classes[i]
		}
	}
	if top != "" {
		set := d.Set()
		var ws []string
		for _, w := range m.Why(set.Lang(r.ModelLang).Read(p.Clause), top, 8) {
			ws = append(ws, fmt.Sprintf("%s %+.2f", w.Feature, w.Weight))
		}
		lines = append(lines, "  towards "+top+": "+strings.Join(ws, ", "))
	}
	return lines
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "none"
	}
	return s
}
