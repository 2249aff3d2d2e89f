package flows

import (
	"fmt"
	"io"
	"strings"
)

// Graph writes f as a Mermaid flowchart: one node per step, an edge to each
// possible next step, conditions on the edges that skip a step.
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
		targets := map[string][]string{}
		var order []string
		add := func(to, label string) {
			if _, ok := targets[to]; !ok {
				order = append(order, to)
			}
			if label != "" {
				targets[to] = append(targets[to], label)
			} else if targets[to] == nil {
				targets[to] = []string{}
			}
		}
		for _, v := range st.Values() {
			if o := st.Option(v); o != nil && o.Stay {
				continue
			}
			next := f.NextOf(st, v)
			if o := st.Option(v); o != nil && o.Next != "" {
				add(next, v)
			} else {
				add(next, "")
			}
		}
		for _, to := range order {
			if labels := targets[to]; len(labels) > 0 {
				fmt.Fprintf(&b, "  %s -->|%s| %s\n", st.ID, strings.Join(labels, ", "), to)
			} else {
				fmt.Fprintf(&b, "  %s --> %s\n", st.ID, to)
			}
		}
		if st.When != nil {
			fmt.Fprintf(&b, "  %s -.->|skipped unless %s| %s\n", f.previous(st), describe(st.When), f.NextOf(st, ""))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (f *Flow) previous(st *Step) string {
	if i := f.Index(st.ID); i > 0 {
		return f.Steps[i-1].ID
	}
	return st.ID
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
