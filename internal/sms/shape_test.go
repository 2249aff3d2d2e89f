package sms_test

import (
	"strings"
	"testing"

	"helpline/flows"
	"helpline/internal/sms"
)

// carrierSegments counts the segments a carrier sends a GSM-7 text in:
// 153 septets a segment once it is split, and an extension character's
// escape never left at the end of one segment without its character.
func carrierSegments(s string) int {
	var septets []bool // true: the escape of an extension character
	for _, r := range s {
		if strings.ContainsRune(`{}[]~\^|€`, r) {
			septets = append(septets, true)
		}
		septets = append(septets, false)
	}
	if len(septets) <= 160 {
		return 1
	}
	n := 0
	for len(septets) > 0 {
		cut := min(153, len(septets))
		if cut < len(septets) && septets[cut-1] {
			cut--
		}
		septets = septets[cut:]
		n++
	}
	return n
}

// A text of 610 septets fits four segments by arithmetic, but every brace
// falls on a segment boundary, so carriers send it in five: the splitter
// must count it as they do and make two messages of it.
func TestShapeCountsAsCarriersSplit(t *testing.T) {
	t.Parallel()
	text := strings.Repeat("a", 152) + strings.Repeat("{"+strings.Repeat("a", 150), 3) + "{"
	if n := carrierSegments(text); n != 5 {
		t.Fatalf("the test text takes %d segments, want 5", n)
	}
	parts := sms.Shape([]string{text}, false)
	if len(parts) < 2 {
		t.Fatalf("sent as one message of %d segments", carrierSegments(parts[0]))
	}
	for _, p := range parts {
		if n := carrierSegments(p); n > sms.MaxSegments || flows.Segments(p) != n {
			t.Fatalf("part of %d carrier segments (Segments says %d): %q", n, flows.Segments(p), p)
		}
	}
	if strings.Join(parts, "") != text {
		t.Fatal("splitting lost text")
	}
}
