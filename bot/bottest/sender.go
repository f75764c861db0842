package bottest

import (
	"context"
	"slices"
	"sync"

	"github.com/calmbot/calmbot/bot"
)

// Sender records the replies the engine delivers. Fail, when set, decides
// whether a send fails (and with what).
type Sender struct {
	mu      sync.Mutex
	replies map[bot.Address][]bot.Reply
	calls   int
	fail    func(r bot.Reply, call int) error
}

var _ bot.Sender = (*Sender)(nil)

// NewSender returns a Sender that accepts everything.
func NewSender() *Sender { return &Sender{replies: map[bot.Address][]bot.Reply{}} }

// FailWith makes Send return f's error (nil lets the send through); call
// counts every Send from 1.
func (s *Sender) FailWith(f func(r bot.Reply, call int) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = f
}

// Send implements bot.Sender.
func (s *Sender) Send(_ context.Context, r bot.Reply) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail != nil {
		if err := s.fail(r, s.calls); err != nil {
			return err
		}
	}
	s.replies[r.Address] = append(s.replies[r.Address], r)
	return nil
}

// Replies returns what was delivered to addr, in order.
func (s *Sender) Replies(addr bot.Address) []bot.Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.replies[addr])
}

// Calls counts Send calls, failed ones included.
func (s *Sender) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Escalator records handoffs.
type Escalator struct {
	mu       sync.Mutex
	handoffs []bot.HandoffRecord
}

var _ bot.Escalator = (*Escalator)(nil)

// Escalate implements bot.Escalator.
func (x *Escalator) Escalate(_ context.Context, h bot.HandoffRecord) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.handoffs = append(x.handoffs, h)
	return nil
}

// Handoffs returns the recorded handoffs.
func (x *Escalator) Handoffs() []bot.HandoffRecord {
	x.mu.Lock()
	defer x.mu.Unlock()
	return slices.Clone(x.handoffs)
}
