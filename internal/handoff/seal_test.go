package handoff_test

import (
	"testing"

	"helpline/internal/handoff"
)

func TestMask(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"+15555550123": "***-***-0123", "0123": "***-***-0123", "12": "***", "": "***"} {
		if got := handoff.Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}
