package discord

import (
	"context"
	"sync"

	"github.com/calmbot/calmbot/bot"
)

// MemoryState is a bot.State in memory, for tests and for a server without
// a store: after a restart the adapter knows no conversation, so messages
// sent while it was down are not fetched.
type MemoryState struct {
	mu sync.Mutex
	m  map[string]string
}

var _ bot.State = (*MemoryState)(nil)

// NewMemoryState returns an empty MemoryState.
func NewMemoryState() *MemoryState { return &MemoryState{m: map[string]string{}} }

// Get implements bot.State.
func (s *MemoryState) Get(_ context.Context, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key], nil
}

// Set implements bot.State.
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
