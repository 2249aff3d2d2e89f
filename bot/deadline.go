package bot

import (
	"context"
	"sync"
	"time"
)

// How long a message may wait on the store. A hung Redis (one that takes a
// command and never answers) must not hold an answer past what a texter in
// danger can wait, nor past Twilio's 15-second webhook timeout: every store
// call on the message path runs under one of these deadlines, waiting for a
// pooled connection and for this conversation's turn included.
const (
	// urgentWait bounds the store work after urgent danger is answered (the
	// conversation told of it): the answer stands without it.
	urgentWait = 250 * time.Millisecond
	// dangerWait bounds a turn whose text is danger of the concern tier,
	// STOP or HELP: each has an answer that needs no store.
	dangerWait = 400 * time.Millisecond
	// turnWait bounds any other turn; past it the texter gets the apology.
	turnWait = 1500 * time.Millisecond
)

// keyLocks serialises the messages of each conversation in this process,
// one lock per conversation in use, so a texter waits only on their own
// earlier message and never on another's; a waiter gives up when its
// context ends.
type keyLocks struct {
	mu sync.Mutex
	m  map[Key]*keyLock
}

type keyLock struct {
	turn  chan struct{}
	users int // holders and waiters, to forget the lock when none is left
}

// lock waits for k's turn, or until ctx ends; unlock lets the next one go.
func (l *keyLocks) lock(ctx context.Context, k Key) (unlock func(), err error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[Key]*keyLock{}
	}
	e := l.m[k]
	if e == nil {
		e = &keyLock{turn: make(chan struct{}, 1)}
		l.m[k] = e
	}
	e.users++
	l.mu.Unlock()
	select {
	case e.turn <- struct{}{}:
		return func() {
			<-e.turn
			l.release(k, e)
		}, nil
	case <-ctx.Done():
		l.release(k, e)
		return nil, ctx.Err()
	}
}

func (l *keyLocks) release(k Key, e *keyLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.users--; e.users == 0 {
		delete(l.m, k)
	}
}

// pendingStops remembers, in this process, the conversations that said
// STOP while the store could not record it, until it can: nothing is sent
// to them meanwhile, and the opt-out is written when the store answers.
type pendingStops struct {
	mu sync.Mutex
	m  map[Key]time.Time
}

// maxPendingStops bounds what an outage can make the process remember.
const maxPendingStops = 100_000

func (p *pendingStops) add(k Key, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[Key]time.Time{}
	}
	if _, ok := p.m[k]; ok || len(p.m) < maxPendingStops {
		p.m[k] = at
	}
}

func (p *pendingStops) has(k Key) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.m[k]
	return ok
}

// drop forgets k once its opt-out is stored, unless it said STOP again
// after when.
func (p *pendingStops) drop(k Key, when time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if at, ok := p.m[k]; ok && !at.After(when) {
		delete(p.m, k)
	}
}

// list returns the conversations waiting, with when they said STOP.
func (p *pendingStops) list() map[Key]time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[Key]time.Time, len(p.m))
	for k, at := range p.m {
		out[k] = at
	}
	return out
}
