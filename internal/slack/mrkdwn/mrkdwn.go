// Package mrkdwn owns Slack's message markup, both ways: it escapes what a
// texter (or anyone outside staff) wrote before it goes into a Slack
// message, keeps escaped text within Slack's limits without cutting an
// escape in half, and turns what staff wrote in Slack into plain text for
// a texter. It is a leaf: the Slack adapter and the handoff service both
// use it, so there is one escaper for blocks and fallbacks alike.
package mrkdwn

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxSection is Slack's limit on a section's text, in characters.
const MaxSection = 3000

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape makes s inert in Slack's mrkdwn, in blocks and in a message's
// text fallback: &, < and > become entities, so "<!channel>", "<@U123>" or
// "<https://evil.example|click me>" are shown as written and mention or
// link nothing.
func Escape(s string) string { return escaper.Replace(s) }

// Code shows s as inline code, where mrkdwn's * _ ~ are literal: a masked
// number such as ***-***-0123 cannot turn into bold.
func Code(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" }

// Clip shortens mrkdwn text s to at most n characters, ending with an
// ellipsis, never inside an entity (&amp; &lt; &gt;).
func Clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:safeCut(r, n-1)]) + "…"
}

// Split cuts mrkdwn text s into pieces of at most n characters, at a
// newline or space when there is one in the second half of a piece, and
// never inside an entity. Nothing is lost: the pieces joined are s.
func Split(s string, n int) []string {
	r := []rune(s)
	var out []string
	for len(r) > n {
		cut := safeCut(r, n)
		for i := cut - 1; i > n/2; i-- {
			if r[i] == '\n' || r[i] == ' ' {
				cut = i + 1
				break
			}
		}
		out = append(out, string(r[:cut]))
		r = r[cut:]
	}
	return append(out, string(r))
}

// safeCut returns the largest cut <= n that does not fall inside an entity
// of r.
func safeCut(r []rune, n int) int {
	for i := n - 1; i >= 0 && i > n-len("&amp;"); i-- {
		if r[i] == ';' {
			return n
		}
		if r[i] == '&' {
			return i
		}
	}
	return n
}

var markup = regexp.MustCompile(`<([^<>]*)>`)

// gone marks a mention removed by Plain, with the space beside it.
const gone = "\x00"

// Plain turns Slack's markup in a staff member's message into what a
// texter should read: a link as its label (or its address), a labelled
// mention of a person, channel or group as its label ("@sam", "#intake",
// "@oncall"), @here, @channel and @everyone as written, a date as its
// fallback text, and the entities &amp; &lt; &gt; as characters. A mention
// with no label (a bare user or channel ID) means nothing to a texter and
// is left out.
func Plain(s string) string {
	s = markup.ReplaceAllStringFunc(s, func(m string) string {
		target, label, labelled := strings.Cut(m[1:len(m)-1], "|")
		switch {
		case strings.HasPrefix(target, "@"), strings.HasPrefix(target, "#"):
			if labelled {
				return target[:1] + strings.TrimPrefix(label, target[:1])
			}
			return gone
		case strings.HasPrefix(target, "!"):
			switch special, _, _ := strings.Cut(target[1:], "^"); special {
			case "here", "channel", "everyone":
				return "@" + special
			}
			if labelled {
				return label
			}
			return gone
		case labelled:
			return label
		}
		return target
	})
	if strings.Contains(s, gone) {
		s = strings.NewReplacer(" "+gone+" ", " ", gone+" ", "", " "+gone, "", gone, "").Replace(s)
		s = strings.TrimSpace(s)
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}
