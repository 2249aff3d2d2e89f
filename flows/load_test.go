package flows

import "testing"

func TestShippedFlowsValid(t *testing.T) {
	if _, err := Default(); err != nil {
		t.Fatalf("shipped flows do not load:\n%v", err)
	}
}
