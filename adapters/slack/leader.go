package slack

import (
	"context"
	"time"
)

// Leader elects the one instance that shows the handoff channel among
// several sharing the handoff service's database: each instance's service
// sees every update, so each would post every ticket. store/postgres's
// Leader is one (an advisory lock).
type Leader interface {
	// Leading reports whether this instance leads now.
	Leading(ctx context.Context) bool
}

// DefaultLeaderCheck is how often an instance asks whether it leads: a
// dead instance's handoff channel moves to another within it.
const DefaultLeaderCheck = 2 * time.Second

// WithLeader makes the adapter show the handoff channel (WithHandoff) only
// while l says this instance leads, asking every check: the new leader
// shows every open ticket again, editing the message the previous one
// stored (WithState on the shared store), and the customer's messages
// after that go to the same thread. Events (Socket Mode, the Events API)
// are taken, and agents' clicks and replies acted on, by every instance;
// sending is not affected either.
func WithLeader(l Leader, check time.Duration) Option {
	return func(a *Adapter) {
		a.leader, a.leaderCheck = l, check
		if a.leaderCheck <= 0 {
			a.leaderCheck = DefaultLeaderCheck
		}
	}
}

// runAgents runs the agent side until ctx ends; with WithLeader only while
// this instance leads, asking every check: it starts on taking the lead
// and is stopped, and waited for, on losing it.
func (a *Adapter) runAgents(ctx context.Context) {
	if a.leader == nil {
		a.agents(ctx)
		return
	}
	stop := func() {}
	defer func() { stop() }()
	leading, told := false, false
	tick := time.NewTicker(a.leaderCheck)
	defer tick.Stop()
	for {
		now := a.leader.Leading(ctx)
		if ctx.Err() != nil {
			return
		}
		switch {
		case now && !leading:
			stop = a.startAgents(ctx)
			a.log.Info("slack: this instance shows the handoff channel")
		case !now && (leading || !told):
			stop()
			stop = func() {}
			a.log.Info("slack: another instance shows the handoff channel; standing by", "check_every", a.leaderCheck)
		}
		leading, told = now, true
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// startAgents runs the agent side until the returned stop is called,
// which waits for it.
func (a *Adapter) startAgents(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.agents(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}
