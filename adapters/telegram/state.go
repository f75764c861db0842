package telegram

import (
	"context"
	"sync"
)

// State keeps small values that must survive a restart: the getUpdates
// offset, and which message carries a chat's buttons. store/sqlite's
// adapter state table implements it.
type State interface {
	// Get returns the value of key, "" when it has none.
	Get(ctx context.Context, key string) (string, error)
	// Set stores value under key; "" removes the key.
	Set(ctx context.Context, key, value string) error
}

// Keys the adapter keeps in its State.
const (
	offsetKey   = "telegram/offset"
	keyboardKey = "telegram/keyboard/" // + chat id
)

// MemoryState is a State in memory, for tests and for a server without a
// store: after a restart Telegram redelivers what was not confirmed, and the
// engine ignores the messages it already stored.
type MemoryState struct {
	mu sync.Mutex
	m  map[string]string
}

var _ State = (*MemoryState)(nil)

// NewMemoryState returns an empty MemoryState.
func NewMemoryState() *MemoryState { return &MemoryState{m: map[string]string{}} }

// Get implements State.
func (s *MemoryState) Get(_ context.Context, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key], nil
}

// Set implements State.
func (s *MemoryState) Set(_ context.Context, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if value == "" {
		delete(s.m, key)
	} else {
		s.m[key] = value
	}
	return nil
}
