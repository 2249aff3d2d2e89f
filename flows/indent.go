package flows

import (
	"fmt"
	"strings"
)

// misindented finds the first line of a YAML file whose indentation does
// not fit the blocks above it, and says what would. The YAML parser names
// the line where it gave up, often many lines away (the start of the block,
// a blank line above); an author needs the line they mistyped. It reads
// the block style the flow files use: mappings, sequences, flow
// collections ([...] and {...}) that may span lines, comments, quoted and
// block scalars. It returns 0 when every line fits.
func misindented(raw string) (line int, why string) {
	b := blocks{scalar: noScalar, step: indentStep(raw)}
	for i, l := range strings.Split(raw, "\n") {
		if b.skip(l) {
			continue
		}
		b.line = i + 1
		if msg := b.next(l); msg != "" {
			return i + 1, msg
		}
	}
	return 0, ""
}

// level is an open block: a mapping's keys or a sequence's items, at an
// indentation.
type level struct {
	indent int
	seq    bool
}

type blocks struct {
	open []level
	// opened is set when the last line ended in "key:" with nothing after:
	// the next line starts a block deeper than want.
	opened bool
	want   int
	// depth counts unclosed [ and { of a flow collection spanning lines;
	// quote is the quote of a quoted scalar spanning lines.
	depth int
	quote byte
	// scalar is the indentation a block scalar's (| or >) lines are deeper than.
	scalar int
	// step is how far the file indents a block under its key (2, mostly).
	step int
	// line is the number of the line being read, opener the line of the
	// key that opened the block being read.
	line, opener int
}

// indentStep returns how far raw most often indents a line deeper than the
// one before it: the file's own step.
func indentStep(raw string) int {
	count := map[int]int{}
	prev := -1
	for _, l := range strings.Split(raw, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		indent := len(l) - len(strings.TrimLeft(l, " "))
		if prev >= 0 && indent > prev {
			count[indent-prev]++
		}
		prev = indent
	}
	// Two spaces, YAML's custom, unless the file plainly uses another.
	step := 2
	for d := 1; d <= 8; d++ {
		if count[d] > count[step] {
			step = d
		}
	}
	return step
}

// skip reports whether l carries no structure: blank, a comment, inside a
// flow collection, a quoted scalar or a block scalar.
func (b *blocks) skip(l string) bool {
	trimmed := strings.TrimSpace(l)
	indent := len(l) - len(strings.TrimLeft(l, " "))
	if b.scalar != noScalar {
		if trimmed == "" || indent > b.scalar {
			return true
		}
		b.scalar = noScalar
	}
	switch {
	case b.depth > 0 || b.quote != 0:
		b.scan(trimmed)
		return true
	case trimmed == "" || strings.HasPrefix(trimmed, "#") || trimmed == "---":
		return true
	}
	return false
}

const noScalar = -2

// next checks one line of structure and records the blocks it opens.
func (b *blocks) next(l string) string {
	if b.open == nil {
		b.open = []level{{indent: 0}}
	}
	indent := len(l) - len(strings.TrimLeft(l, " "))
	content := strings.TrimLeft(l, " ")
	if strings.HasPrefix(content, "\t") {
		return "a tab in the indentation: YAML indents with spaces only"
	}
	item := content == "-" || strings.HasPrefix(content, "- ")
	if b.opened {
		b.opened = false
		switch {
		case indent > b.want && indent != b.want+b.step:
			return fmt.Sprintf("indented %d spaces under the key on line %d (%d spaces); this file indents a block %d deeper, to %d, or that key is misplaced", indent, b.opener, b.want, b.step, b.want+b.step)
		case indent > b.want:
			b.open = append(b.open, level{indent: indent, seq: item})
			return b.rest(indent, content)
		case indent == b.want && item:
			// A sequence may sit at its key's own indentation.
			b.open = append(b.open, level{indent: indent, seq: true})
			return b.rest(indent, content)
		}
		// An empty value: the line belongs to a block above.
	}
	for len(b.open) > 1 && b.open[len(b.open)-1].indent > indent {
		b.open = b.open[:len(b.open)-1]
	}
	top := b.open[len(b.open)-1]
	if top.seq && !item && top.indent == indent && len(b.open) > 1 && b.open[len(b.open)-2].indent == indent {
		// The end of a sequence written at its key's indentation.
		b.open = b.open[:len(b.open)-1]
		top = b.open[len(b.open)-1]
	}
	switch {
	case indent > top.indent:
		return fmt.Sprintf("indented %d spaces, deeper than the line above allows (%d)", indent, top.indent)
	case indent < top.indent:
		return fmt.Sprintf("indented %d spaces, which lines up with no block above (%s)", indent, b.levels())
	case item && !top.seq:
		return "a list item (-) where the lines above hold keys: check its indentation"
	case !item && top.seq:
		return "a key where the lines above hold list items (-): check its indentation"
	}
	return b.rest(indent, content)
}

// rest reads what follows the indentation: a list item's own mapping, a key
// that opens a block, a scalar or collection that spans lines.
func (b *blocks) rest(indent int, content string) string {
	for content == "-" || strings.HasPrefix(content, "- ") {
		if content == "-" {
			b.opened, b.want, b.opener = true, indent, b.line
			return ""
		}
		// "- key: value": the item's mapping starts two columns in.
		rest := strings.TrimLeft(content[2:], " ")
		indent += len(content) - len(rest)
		content = rest
		if !strings.HasPrefix(content, "- ") && isKey(content) {
			b.open = append(b.open, level{indent: indent})
		}
	}
	_, value, isMap := splitKey(content)
	if !isMap {
		value = content
	}
	value = stripComment(value)
	for strings.HasPrefix(value, "&") || strings.HasPrefix(value, "!") {
		// An anchor or a tag before the value.
		_, value, _ = strings.Cut(value, " ")
		value = strings.TrimSpace(value)
	}
	switch {
	case isMap && value == "":
		b.opened, b.want, b.opener = true, indent, b.line
	case value == "|" || value == ">" || strings.HasPrefix(value, "|") || strings.HasPrefix(value, ">"):
		b.scalar = indent
	default:
		b.scan(value)
	}
	return ""
}

// scan follows brackets and quotes through s, so that a flow collection or
// quoted scalar spanning lines is skipped until it closes.
func (b *blocks) scan(s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case b.quote == '"' && c == '\\':
			i++
		case b.quote != 0:
			if c == b.quote {
				if b.quote == '\'' && i+1 < len(s) && s[i+1] == '\'' {
					i++
					continue
				}
				b.quote = 0
			}
		case c == '"' || c == '\'':
			if c == '\'' && i > 0 && isWordByte(s[i-1]) {
				continue // an apostrophe in a plain word: don't
			}
			b.quote = c
		case c == '#' && (i == 0 || s[i-1] == ' '):
			return
		case c == '[' || c == '{':
			b.depth++
		case (c == ']' || c == '}') && b.depth > 0:
			b.depth--
		}
	}
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isKey reports whether content starts with a mapping key ("key:" or
// "key: value").
func isKey(content string) bool {
	_, _, ok := splitKey(content)
	return ok
}

// splitKey splits "key: value" (a plain or quoted key); ok is false for a
// scalar or collection that is not a key.
func splitKey(content string) (key, value string, ok bool) {
	if content == "" || strings.ContainsRune("[{#&*!|>", rune(content[0])) {
		return "", "", false
	}
	end := 0
	if q := content[0]; q == '"' || q == '\'' {
		close := strings.IndexByte(content[1:], q)
		if close < 0 {
			return "", "", false
		}
		end = close + 2
	}
	for i := end; i < len(content); i++ {
		if content[i] == ':' && (i+1 == len(content) || content[i+1] == ' ') {
			return content[:i], strings.TrimSpace(content[i+1:]), true
		}
		if content[i] == ' ' && i+1 < len(content) && content[i+1] == '#' {
			break
		}
	}
	return "", "", false
}

// stripComment drops a trailing comment from a value outside quotes.
func stripComment(v string) string {
	var quote byte
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			if !(c == '\'' && i > 0 && isWordByte(v[i-1])) {
				quote = c
			}
		case c == '#' && (i == 0 || v[i-1] == ' '):
			return strings.TrimSpace(v[:i])
		}
	}
	return strings.TrimSpace(v)
}

// levels lists the indentations open, for a message: "0, 2 or 4 spaces".
func (b *blocks) levels() string {
	var ns []string
	for _, l := range b.open {
		ns = append(ns, fmt.Sprint(l.indent))
	}
	if len(ns) == 1 {
		return ns[0] + " spaces"
	}
	return strings.Join(ns[:len(ns)-1], ", ") + " or " + ns[len(ns)-1] + " spaces"
}
