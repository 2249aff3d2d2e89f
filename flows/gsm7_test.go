package flows

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// carrierSegments splits s the way a carrier does, independently of
// Segments: it writes the message out as code units (GSM-7 septets, with
// an escape septet before each extension character, or UTF-16 units),
// cuts it into 153 or 67 units per segment, and moves a cut that would
// fall inside a two-unit character back by one.
func carrierSegments(s string) int {
	if s == "" {
		return 0
	}
	const esc, pair = -1, -2 // the first unit of a two-unit character
	var units []int
	single, per := 160, 153
	if GSM7(s) {
		for _, r := range s {
			if gsm7Cost(r) == 2 {
				units = append(units, esc)
			}
			units = append(units, int(r))
		}
	} else {
		single, per = 70, 67
		for _, r := range s {
			if r > 0xFFFF {
				units = append(units, pair)
			}
			units = append(units, int(r))
		}
	}
	if len(units) <= single {
		return 1
	}
	n := 0
	for len(units) > 0 {
		cut := min(per, len(units))
		if cut < len(units) && (units[cut-1] == esc || units[cut-1] == pair) {
			cut--
		}
		units = units[cut:]
		n++
	}
	return n
}

func TestSegmentsTwoUnitCharactersAtABoundary(t *testing.T) {
	t.Parallel()
	a := func(n int) string { return strings.Repeat("a", n) }
	zh := func(n int) string { return strings.Repeat("ж", n) }
	for _, tc := range []struct {
		name string
		s    string
		want int
	}{
		{"extension character straddles the first boundary", a(152) + "{" + a(152), 3},
		{"extension character ends the first segment", a(151) + "{" + a(153), 2},
		{"extension character starts the second segment", a(153) + "{" + a(151), 2},
		{"every extension character", a(152) + "}" + a(151) + "[" + a(151) + "]", 4},
		{"euro at the boundary", a(152) + "€" + a(10), 2},
		{"backslash, tilde, caret and bar too", a(152) + `\` + a(152) + "~" + a(152) + "^" + a(152) + "|", 5},
		{"one segment holds 160 septets, escapes counted", a(158) + "|", 1},
		{"surrogate pair straddles the first boundary", zh(66) + "🙂" + zh(66), 3},
		{"surrogate pair ends the first segment", zh(65) + "🙂" + zh(67), 2},
		{"one UCS-2 segment holds 70 units", zh(68) + "🙂", 1},
		{"71 units take two", zh(69) + "🙂", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Segments(tc.s); got != tc.want {
				t.Errorf("Segments = %d, want %d", got, tc.want)
			}
			if got := carrierSegments(tc.s); got != tc.want {
				t.Errorf("the carrier split gives %d, want %d (the test's reference is wrong)", got, tc.want)
			}
		})
	}
}

// Segments agrees with the carrier's split on random texts made of the
// characters that matter: plain, extension, non-GSM and astral.
func TestSegmentsAgreesWithTheCarrierSplit(t *testing.T) {
	t.Parallel()
	alphabet := []string{"a", " ", ".", "{", "€", "|", "é", "ж", "🙂"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		var b strings.Builder
		gsmOnly := i%2 == 0
		for n := rng.IntN(700); n > 0; n-- {
			c := alphabet[rng.IntN(len(alphabet))]
			if gsmOnly && !GSM7(c) {
				continue
			}
			b.WriteString(c)
		}
		s := b.String()
		if got, want := Segments(s), carrierSegments(s); got != want {
			t.Fatalf("Segments(%q) = %d, the carrier splits it in %d", s, got, want)
		}
	}
}
