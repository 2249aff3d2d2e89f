package text

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// wordCache remembers a value per word, for words that come back message
// after message: what a word matches in a matcher's vocabulary. It is
// direct-mapped: a word has one slot, chosen by its
// hash, and a word that lands on a taken slot takes it over, so a flood
// of random words costs the cache its memory of the others and nothing
// more. A lookup is a hash and a load, with no lock: safe for concurrent
// use.
type wordCache[V any] struct {
	once  sync.Once
	seed  maphash.Seed
	slots []atomic.Pointer[wordEntry[V]]
}

type wordEntry[V any] struct {
	word string
	v    V
}

// wordCacheSlots is how many words a cache holds at most.
const wordCacheSlots = 1 << 13

func (c *wordCache[V]) slot(w string) *atomic.Pointer[wordEntry[V]] {
	c.once.Do(func() {
		c.seed = maphash.MakeSeed()
		c.slots = make([]atomic.Pointer[wordEntry[V]], wordCacheSlots)
	})
	return &c.slots[maphash.String(c.seed, w)&(wordCacheSlots-1)]
}

// get returns the value kept for w, and whether one was.
func (c *wordCache[V]) get(w string) (V, bool) {
	if e := c.slot(w).Load(); e != nil && e.word == w {
		return e.v, true
	}
	var zero V
	return zero, false
}

// put keeps v for w.
func (c *wordCache[V]) put(w string, v V) {
	c.slot(w).Store(&wordEntry[V]{word: w, v: v})
}

// forget empties the cache.
func (c *wordCache[V]) forget() {
	if c.slots != nil {
		for i := range c.slots {
			c.slots[i].Store(nil)
		}
	}
}
