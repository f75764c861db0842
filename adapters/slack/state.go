package slack

import (
	"context"
	"sync"

	"github.com/calmbot/calmbot/bot"
)

// Keys the adapter keeps in its bot.State. The host gives the adapter its
// own namespace ("slack/"), so they are stored as slack/question/<channel>.
const (
	questionKey = "question/" // + channel id: "<ts>\n<escaped text>" of the open question
)

// MemoryState is a bot.State in memory, for tests and for a server without
// a store.
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
