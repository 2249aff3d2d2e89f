package flows

import (
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"

	"helpline/flows/text"
)

// A problem names the line of the field at fault, so an author goes
// straight to it: the helpers below find that line in a file's YAML.

// lineAt returns the line of the node at path under n: mapping keys
// (strings) and sequence items (ints). Where the path ends early (a field
// that is missing), it returns the line of the last node found, which is
// where the missing field belongs.
func lineAt(n *yaml.Node, path ...any) int {
	if n == nil {
		return 0
	}
	line := n.Line
	for _, step := range path {
		n = deref(n)
		var next *yaml.Node
		switch k := step.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == k {
						line, next = n.Content[i].Line, n.Content[i+1]
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && k >= 0 && k < len(n.Content) {
				next = n.Content[k]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

// rootLine is lineAt for a file's root: a top-level field that is not
// there at all has no line (the message names the field).
func rootLine(root *yaml.Node, path ...any) int {
	if k, ok := path[0].(string); ok && mapValue(root, k) == nil {
		return 0
	}
	return lineAt(root, path...)
}

// valueLine returns the line of the scalar value under n, searched
// everywhere below it, or n's own line.
func valueLine(n *yaml.Node, value string) int {
	if n == nil {
		return 0
	}
	if line := findEntry(deref(n), value); line > 0 {
		return line
	}
	return n.Line
}

// deref follows an alias (*name) to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// item returns the i-th item of the sequence under key in mapping n, or nil.
func item(n *yaml.Node, key string, i int) *yaml.Node {
	seq := deref(mapValue(deref(n), key))
	if seq == nil || seq.Kind != yaml.SequenceNode || i >= len(seq.Content) {
		return nil
	}
	return deref(seq.Content[i])
}

// didYouMean is text.DidYouMean: one rule for what is close, in every file.
func didYouMean(got string, candidates []string) string { return text.DidYouMean(got, candidates) }

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// splitLine takes the line number out of a YAML message ("line 12: ...").
func splitLine(msg string) (int, string) {
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return 0, msg
	}
	n, _ := strconv.Atoi(m[1])
	return n, m[2]
}

// stepIDs lists the ids of f's steps, for suggestions.
func (f *Flow) stepIDs() []string {
	ids := make([]string, 0, len(f.Steps))
	for _, st := range f.Steps {
		ids = append(ids, st.ID)
	}
	return ids
}
