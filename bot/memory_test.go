package bot_test

import (
	"context"
	"errors"
	"sync"

	"helpline/bot"
)

// memStore keeps sessions in a map: the fake store for tables and random
// walks that test the engine, not Redis (the store's own suite runs every
// store against a real server).
type memStore struct {
	mu       sync.Mutex
	sessions map[bot.Key]*bot.Session
}

var _ bot.Store = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{sessions: map[bot.Key]*bot.Session{}} }

func (m *memStore) Update(_ context.Context, key bot.Key, fn func(*bot.Session) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := &bot.Session{}
	if old, ok := m.sessions[key]; ok {
		s = old.Clone()
	}
	err := fn(s)
	if errors.Is(err, bot.ErrNoWrite) {
		return nil
	}
	if err != nil {
		return err
	}
	s.Version++
	m.sessions[key] = s
	return nil
}

func (m *memStore) Load(_ context.Context, key bot.Key) (*bot.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.sessions[key]; ok {
		return s.Clone(), nil
	}
	return &bot.Session{}, nil
}

func (m *memStore) Ping(context.Context) error { return nil }
