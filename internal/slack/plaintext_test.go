package slack

import "testing"

func TestPlainText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Tom &amp; Jerry &lt;3":                         "Tom & Jerry <3",
		"see <https://example.org/iop|our IOP page>":    "see our IOP page",
		"call <tel:+15550100> or <https://example.org>": "call tel:+15550100 or https://example.org",
		"plain": "plain",
	} {
		if got := plainText(in); got != want {
			t.Errorf("plainText(%q) = %q, want %q", in, got, want)
		}
	}
}
