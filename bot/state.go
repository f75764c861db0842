package bot

import (
	"context"
	"sync"
)

// MemoryState is a State in memory: for tests, and for an adapter run
// without a store (what it remembers is gone after a restart).
type MemoryState struct {
	mu sync.Mutex
	m  map[string]string
}

var _ State = (*MemoryState)(nil)

// NewMemoryState returns an empty MemoryState.
func NewMemoryState() *MemoryState { return &MemoryState{m: map[string]string{}} }

// Get implements State: "" for a key never set.
func (s *MemoryState) Get(_ context.Context, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key], nil
}

// Set implements State: an empty value deletes the key.
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
