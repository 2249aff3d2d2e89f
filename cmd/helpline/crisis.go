package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"helpline/bot/understand"
	"helpline/flows"
)

// crisisCheck shows what the danger check makes of a text, for clinical
// review: TEXT from the argument, or one text per line on stdin.
func crisisCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("crisis", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("flows", "", "load flows from this directory instead of the built-in ones")
	asJSON := fs.Bool("json", false, "one JSON object per text per line")
	why := fs.Bool("why", false, "also list every pattern that matched, in each language, and what cleared it")
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
	d, err := understand.NewDetector(set)
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
		f := d.Check(t)
		tier := f.Tier
		if tier == "" {
			tier = "none"
		}
		if *asJSON {
			if err := enc.Encode(struct {
				Text    string     `json:"text"`
				Tier    flows.Tier `json:"tier"`
				Kind    string     `json:"kind"`
				Who     string     `json:"who"`
				Lang    string     `json:"lang"`
				Matched string     `json:"matched"`
				Pattern string     `json:"pattern"`
				Cleared string     `json:"cleared"`
				Reply   string     `json:"reply"`
				Why     []string   `json:"why,omitempty"`
			}{t, tier, f.Kind, f.Who, f.Lang, f.Matched, f.Pattern, f.Cleared, f.Reply, explain(d, t, *why)}); err != nil {
				fmt.Fprintln(stderr, err)
				return 1
			}
			continue
		}
		switch {
		case f.Tier != "":
			fmt.Fprintf(stdout, "%q: %s %s (%s), %s; matched %s %q; reply %s\n", t, tier, f.Kind, f.Who, f.Lang, f.Matched, f.Pattern, f.Reply)
		case f.Cleared != "":
			fmt.Fprintf(stdout, "%q: none; a match was cleared by %s\n", t, f.Cleared)
		default:
			fmt.Fprintf(stdout, "%q: none\n", t)
		}
		if *why {
			for _, line := range d.Explain(t) {
				fmt.Fprintln(stdout, "  "+line)
			}
		}
	}
	return 0
}

// explain is d.Explain(t) when asked for.
func explain(d *understand.Detector, t string, asked bool) []string {
	if !asked {
		return nil
	}
	return d.Explain(t)
}
