package flows

import (
	"fmt"
	"io"
	"strings"
)

// Graph writes f as a Mermaid flowchart: one node per step and an edge to
// each possible next step. A step asked only when its condition holds has
// the condition on the edges into it ("if concern is alcohol"), and a
// dotted edge from the same step past it for when it is skipped.
func (f *Flow) Graph(w io.Writer) error {
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	for _, st := range f.Steps {
		label := strings.ReplaceAll(st.Text.In("en"), `"`, "'")
		if r := []rune(label); len(r) > 60 {
			label = string(r[:57]) + "..."
		}
		fmt.Fprintf(&b, "  %s[\"%s: %s\"]\n", st.ID, st.ID, label)
	}
	b.WriteString("  end((summary))\n")
	for _, st := range f.Steps {
		for _, e := range f.edges(st) {
			var labels []string
			if to := f.Step(e.to); to != nil && to.When != nil {
				labels = append(labels, "if "+describe(to.When))
			}
			labels = append(labels, e.values...)
			if len(labels) > 0 {
				fmt.Fprintf(&b, "  %s -->|%s| %s\n", st.ID, strings.Join(labels, "; "), e.to)
			} else {
				fmt.Fprintf(&b, "  %s --> %s\n", st.ID, e.to)
			}
			if to := f.Step(e.to); to != nil && to.When != nil {
				fmt.Fprintf(&b, "  %s -.->|%s skipped| %s\n", st.ID, to.ID, f.NextOf(to, ""))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// edge is a way on from a step: to a step, for the values that lead there
// by an option's own next (none when it is the step's way on for every
// answer).
type edge struct {
	to     string
	values []string
}

// edges lists the ways on from st, in the order of its options.
func (f *Flow) edges(st *Step) []edge {
	var out []edge
	at := map[string]int{}
	for _, v := range st.Values() {
		o := st.Option(v)
		if o != nil && o.Stay {
			continue
		}
		to := f.NextOf(st, v)
		i, ok := at[to]
		if !ok {
			i = len(out)
			at[to] = i
			out = append(out, edge{to: to})
		}
		if o != nil && o.Next != "" {
			out[i].values = append(out[i].values, v)
		}
	}
	return out
}

// describe renders a condition for people: "concern in alcohol, benzos".
func describe(c *Cond) string {
	switch {
	case c.Step != "" && len(c.In) > 0:
		return fmt.Sprintf("%s is %s", c.Step, strings.Join(c.In, " or "))
	case c.Step != "":
		return fmt.Sprintf("%s is not %s", c.Step, strings.Join(c.NotIn, " or "))
	case c.Score != "" && c.AtLeast != nil:
		return fmt.Sprintf("%s score is %d or more", c.Score, *c.AtLeast)
	case c.Indicator != "":
		return c.Indicator
	case len(c.Any) > 0:
		return "any of (" + describeAll(c.Any) + ")"
	case len(c.All) > 0:
		return "all of (" + describeAll(c.All) + ")"
	case c.Not != nil:
		return "not " + describe(c.Not)
	}
	return "?"
}

func describeAll(cs []*Cond) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = describe(c)
	}
	return strings.Join(parts, "; ")
}

// Describe renders a condition in words, as the criteria table shows it.
func (c *Cond) Describe() string { return describe(c) }
