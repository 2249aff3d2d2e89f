package stats

import (
	"context"
	"time"

	"helpline/bot"
	"helpline/internal/channel"
)

// counted says, for each kind of event that is counted, the counters one
// event adds to.
var counted = map[bot.EventKind]func(channel string, ev bot.Event) []string{
	bot.EventStarted:   func(ch string, _ bot.Event) []string { return []string{fieldStarted, prefixChannel + ch} },
	bot.EventCompleted: func(_ string, ev bot.Event) []string { return []string{fieldCompleted, prefixLean + ev.Lean} },
	bot.EventCrisis: func(_ string, ev bot.Event) []string {
		if !ev.Urgent() {
			return nil
		}
		return []string{prefixCrisis + ev.Crisis}
	},
	bot.EventHandoff: func(string, bot.Event) []string { return []string{fieldHandoff} },
	bot.EventStep:    func(_ string, ev bot.Event) []string { return []string{prefixReached + ev.Step} },
}

// Subscribe counts, in memory, the events of every channel's turns.
func (b *Buffer) Subscribe(p *channel.Path) {
	for kind, count := range counted {
		p.On(kind, func(_ context.Context, ev channel.Event) {
			b.add(time.Now(), count(ev.Channel, ev.Event))
		})
	}
}
