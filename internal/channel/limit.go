package channel

import (
	"sync"
	"time"

	"helpline/bot"
)

// Limiter bounds how many texts a second this process answers for the
// whole line (SMS pumping is real), and how much of that one number may
// spend: a number's share a minute, so that one number, however fast it
// writes, cannot use the line up for everyone else. It also remembers
// which conversations were told the line is busy in the current minute.
// It holds at most maxTracked numbers a minute.
type Limiter struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
	share  int
	window int64
	spent  map[bot.Key]int // tokens each number took this minute
	told   map[bot.Key]struct{}
	// Now is the clock; time.Now by default.
	Now func() time.Time
}

// maxTracked bounds the numbers a Limiter counts in a minute; past it, new
// numbers are held to the line's budget alone.
const maxTracked = 100_000

// Verdicts of Admit.
type Verdict int

const (
	// Admitted: the text took one of the line's tokens.
	Admitted Verdict = iota
	// OverShare: the number spent its share of the line this minute; its
	// text goes on without spending the line's budget, to the engine's own
	// per-number limit.
	OverShare
	// Busy: the line's budget is spent.
	Busy
)

// NewLimiter allows perSecond texts a second, with bursts of twice that,
// of which one number may spend perNumber a minute (and never more than
// half a burst); perNumber 0 sets no share.
func NewLimiter(perSecond float64, perNumber int) *Limiter {
	share := perNumber
	if share > 0 {
		share = min(share, max(1, int(perSecond)))
	}
	return &Limiter{rate: perSecond, burst: 2 * perSecond, tokens: 2 * perSecond, share: share,
		spent: map[bot.Key]int{}, told: map[bot.Key]struct{}{}, Now: time.Now}
}

// Admit decides a text from key: it takes one of the line's tokens if the
// number has not spent its share this minute and one is left.
func (l *Limiter) Admit(key bot.Key) Verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	l.roll(now)
	if l.share > 0 && l.spent[key] >= l.share {
		return OverShare
	}
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	}
	l.last = now
	if l.tokens < 1 {
		return Busy
	}
	l.tokens--
	if _, ok := l.spent[key]; l.share > 0 && (ok || len(l.spent) < maxTracked) {
		l.spent[key]++
	}
	return Admitted
}

// Refund gives back the token key's text took: it turned out to be danger
// or STOP, which never spend the line's budget or the number's share.
func (l *Limiter) Refund(key bot.Key) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tokens = min(l.burst, l.tokens+1)
	if n, ok := l.spent[key]; ok && n > 0 {
		l.spent[key] = n - 1
	}
}

// roll starts a new minute's counts.
func (l *Limiter) roll(now time.Time) {
	if win := now.Unix() / 60; win != l.window {
		l.window, l.spent, l.told = win, map[bot.Key]int{}, map[bot.Key]struct{}{}
	}
}

// FirstRefusal reports whether key has not been told the line is busy in
// this minute, and remembers that it now has.
func (l *Limiter) FirstRefusal(key bot.Key) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(l.Now())
	if _, ok := l.told[key]; ok {
		return false
	}
	if len(l.told) < maxTracked {
		l.told[key] = struct{}{}
	}
	return true
}
