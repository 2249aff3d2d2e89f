package handoff_test

import (
	"strings"
	"testing"

	"helpline/internal/store"
)

func TestStopAndDeleteForgetTheNumber(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.text(t, "hi")
	r.text(t, "call")
	if !r.m.Exists(store.ConversationKey(r.key, "n")) {
		t.Fatal("number not kept for the handoff")
	}
	// The sealed value is base64 of random bytes: "555" alone turns up in
	// it by chance; the number's last seven digits do not.
	if raw, _ := r.m.Get(store.ConversationKey(r.key, "n")); strings.Contains(raw, number[len(number)-7:]) {
		t.Fatalf("number stored in clear: %q", raw)
	}
	r.text(t, "STOP")
	if r.m.Exists(store.ConversationKey(r.key, "n")) {
		t.Fatal("number kept after STOP")
	}
}

// STOP closes an open card and wipes what it showed.
func TestStopClosesTheCard(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.text(t, "hi")
	r.text(t, "1")
	r.text(t, "call")
	r.drain(t)
	r.text(t, "STOP")
	r.drain(t)
	if len(r.slack.updates) != 1 || !strings.Contains(r.slack.updates[0].Blocks, "stopped messages or erased") {
		t.Fatalf("card after STOP: %+v", r.slack.updates)
	}
}
