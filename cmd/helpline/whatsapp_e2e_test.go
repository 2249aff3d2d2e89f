package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// WhatsApp through the built binary, against recording fakes of Slack and
// Twilio: a whole screening in Spanish answered in words, with its accents
// kept; the same number's SMS conversation apart from it; then a handoff
// whose notices and staff reply go back over WhatsApp from the WhatsApp
// sender.
func TestWhatsAppEndToEnd(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	slackAPI, twilioAPI := &recorder{}, &recorder{}
	r := handoffReplica(t, slackAPI, twilioAPI, "TWILIO_WHATSAPP_FROM=whatsapp:+14155238886")
	from := "whatsapp:+13035550166"
	wa := func(body, sid string) string {
		return r.post(t, "/twilio/whatsapp", from, "whatsapp:+14155238886", body, sid)
	}

	var last string
	for i, body := range []string{"hola", "si", "para mi", "el alcohol", "casi todos los dias", "unas 7 u 8",
		"diario", "si", "no", "ningun dia", "varios dias", "no", "nunca", "tengo trabajo y familia", "mucho", "tengo medicaid"} {
		last = wa(body, fmt.Sprintf("SMw%02d", i))
	}
	if !strings.Contains(last, "Según estas respuestas") || !strings.Contains(last, "diagnóstico") {
		t.Errorf("no summary with its accents after a whole screening in words: %s", last)
	}
	// The same number by SMS is a conversation of its own, just begun.
	if sms := r.text(t, "+13035550166", "hi", "SMs01"); !strings.Contains(sms, "Start now?") {
		t.Errorf("the number's SMS conversation is not its own: %s", sms)
	}

	wa("CALL", "SMw20")
	card := slackAPI.wait(t, "posting the card", func(c call) bool { return c.Form.Get("channel") == "CINTAKE" && c.Form.Get("thread_ts") == "" })
	if b := card.Form.Get("blocks"); !strings.Contains(b, "***-***-0166") || !strings.Contains(b, "whatsapp") || !strings.Contains(b, "Spanish") {
		t.Fatalf("card: %s", b)
	}
	var blocks []map[string]any
	json.Unmarshal([]byte(card.Form.Get("blocks")), &blocks)
	key := ""
	for _, b := range blocks {
		if els, ok := b["elements"].([]any); ok && len(els) > 0 {
			key, _ = els[0].(map[string]any)["value"].(string)
		}
	}
	cardTS := "1700000000.000001"
	clickAction(t, r.base, "handoff_claim", key, "CINTAKE", cardTS)
	claimed := twilioAPI.wait(t, "telling the texter a person has them", func(c call) bool { return c.Form.Get("To") == from })
	if claimed.Form.Get("From") != "whatsapp:+14155238886" {
		t.Errorf("the claim notice went from %q, want the WhatsApp sender", claimed.Form.Get("From"))
	}
	reply := "Hola, soy Ana del equipo de admisión. ¿Cómo está?"
	event := fmt.Sprintf(`{"type":"event_callback","team_id":"T1","event_id":"EvW1","event":{"type":"message","channel":"CINTAKE","channel_type":"channel","user":"UANA","text":%q,"ts":"1700000002.000001","thread_ts":%q}}`, reply, cardTS)
	slackPost(t, r.base, "/slack/events", "application/json", event)
	sent := twilioAPI.wait(t, "sending the staff reply over WhatsApp", func(c call) bool { return c.Form.Get("Body") == reply })
	if sent.Form.Get("To") != from || sent.Form.Get("From") != "whatsapp:+14155238886" {
		t.Errorf("staff reply sent to %q from %q", sent.Form.Get("To"), sent.Form.Get("From"))
	}
	for _, c := range slackAPI.calls {
		if strings.Contains(fmt.Sprint(c.Form), "3035550166") {
			t.Fatalf("a full number went to Slack: %v", c.Form)
		}
	}
}
