package flows

import (
	"io/fs"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The shipped files line up everywhere: no false alarm.
func TestShippedFilesLineUp(t *testing.T) {
	t.Parallel()
	names, _ := fs.Glob(files, "*.yaml")
	for _, name := range names {
		raw, _ := fs.ReadFile(files, name)
		if line, why := misindented(string(raw)); line != 0 {
			t.Errorf("%s:%d: %s", name, line, why)
		}
	}
}

// A line indented one or two spaces off, anywhere in a shipped file, is
// named at its own line far more often than the parser names it: the
// parser's line is the mistake's own for about one mistake in eight.
func TestMisindentedLineFound(t *testing.T) {
	t.Parallel()
	names, _ := fs.Glob(files, "*.yaml")
	for _, name := range names {
		raw, _ := fs.ReadFile(files, name)
		lines := strings.Split(string(raw), "\n")
		tried, ours, parsers := 0, 0, 0
		// About forty lines of each file, spread over it: under -race a
		// parse of a whole file is slow.
		for i := 0; i < len(lines); i += max(1, len(lines)/40) {
			l := lines[i]
			if tl := strings.TrimSpace(l); tl == "" || strings.HasPrefix(tl, "#") {
				continue
			}
			indent := len(l) - len(strings.TrimLeft(l, " "))
			for _, d := range []int{-1, 1} {
				if indent+d < 0 {
					continue
				}
				mistake := append([]string(nil), lines...)
				mistake[i] = strings.Repeat(" ", indent+d) + strings.TrimLeft(l, " ")
				src := strings.Join(mistake, "\n")
				var n yaml.Node
				err := yaml.Unmarshal([]byte(src), &n)
				if err == nil {
					continue // still YAML: the checks of fields name it
				}
				tried++
				if got, _ := misindented(src); got == i+1 {
					ours++
				}
				if got, _ := splitLine(strings.TrimPrefix(err.Error(), "yaml: ")); got == i+1 {
					parsers++
				}
			}
		}
		if tried > 20 && ours*100 < tried*85 {
			t.Errorf("%s: %d of %d misindented lines named at their line (the parser: %d)", name, ours, tried, parsers)
		}
	}
}

func TestMisindentedCases(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		line      int
	}{
		{"a key one space too deep", "steps:\n  - id: a\n    kind: intro\n     text: hi\n", 4},
		{"a key one space too shallow", "steps:\n  - id: a\n    kind: intro\n   text: hi\n", 4},
		{"a list item out of line", "steps:\n  - id: a\n   - id: b\n", 3},
		{"a block opened too deep", "pronouns:\n   self:\n    en: x\n  other:\n    en: y\n", 2},
		{"a tab", "steps:\n\t- id: a\n", 2},
		{"a flow list over lines is fine", "words:\n  en: [a, b,\n     c, d]\n  es: [x]\n", 0},
		{"a block scalar is fine", "text: |\n  one\n    two\nnext: x\n", 0},
		{"a comment out of line is fine", "a:\n  b: 1\n # note\n  c: 2\n", 0},
		{"an anchor opens a block", "options: &o\n  - value: x\nmore: *o\n", 0},
	} {
		if got, why := misindented(tc.src); got != tc.line {
			t.Errorf("%s: line %d (%s), want %d", tc.name, got, why, tc.line)
		}
	}
}
