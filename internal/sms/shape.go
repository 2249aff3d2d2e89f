package sms

import (
	"unicode/utf8"

	"helpline/flows"
	"helpline/internal/twilio"
)

// Limits of one outgoing message.
const (
	// MaxBody is Twilio's limit for one message body.
	MaxBody = twilio.MaxBody
	// MaxSegments is the most one message may take; longer ones are split.
	MaxSegments = flows.SummarySegments
)

// Shape makes replies fit SMS: GSM-7 unless unicode is set, and no message
// over MaxSegments segments or MaxBody characters; a longer one is split at
// sentence boundaries (or, for one endless sentence, at spaces).
func Shape(replies []string, unicode bool) []string {
	out := make([]string, 0, len(replies))
	for _, r := range replies {
		if !unicode {
			r = flows.Transliterate(r)
		}
		out = append(out, twilio.Split(r, fits)...)
	}
	return out
}

// fits reports whether s is within one message's limits.
func fits(s string) bool {
	return flows.Segments(s) <= MaxSegments && utf8.RuneCountInString(s) <= MaxBody
}
