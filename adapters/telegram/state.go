package telegram

import (
	"context"
	"sync"

	"github.com/calmbot/calmbot/bot"
)

// Keys the adapter keeps in its bot.State. The host gives the adapter its
// own namespace ("telegram/"), so they are stored as telegram/offset and
// telegram/keyboard/<chat>.
const (
	offsetKey   = "offset"
	keyboardKey = "keyboard/" // + chat id
)

// MemoryState is a bot.State in memory, for tests and for a server without a
// store: after a restart Telegram redelivers what was not confirmed, and the
// engine ignores the messages it already stored.
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
