package telegram

import (
	"context"
	"time"
)

// Leader elects the one instance that long-polls among several sharing a
// bot token: Telegram hands getUpdates to one consumer at a time.
// store/postgres's Leader is one (an advisory lock).
type Leader interface {
	// Leading reports whether this instance leads now.
	Leading(ctx context.Context) bool
}

// DefaultLeaderCheck is how often an instance that does not poll asks
// whether it leads now: a dead poller's updates move to another within it.
const DefaultLeaderCheck = 2 * time.Second

// WithLeader makes the adapter long-poll only while l says this instance
// leads, asking again before every getUpdates and, while it does not
// lead, every check. The instance that takes over reads the offset the
// previous poller stored (WithState on the shared store) and carries on
// from there; an update the two both received is stored once by the
// engine. The agent group (WithAgentGroup) is shown by the leader only,
// with a webhook too: every instance's handoff service sees every update,
// so each would post every ticket; the new leader shows every open ticket
// again, editing the message the previous one stored, and what each
// ticket's conversation got while no instance led (the last entry shown
// is kept in the State). Any instance takes the agents' updates (a
// webhook's): what they write is kept in the State too, so the leader does
// not show it in the group again. Sending is not
// affected: every instance sends. A webhook without an agent group needs
// no leader.
func WithLeader(l Leader, check time.Duration) Option {
	return func(a *Adapter) {
		a.leader, a.leaderCheck = l, check
		if a.leaderCheck <= 0 {
			a.leaderCheck = DefaultLeaderCheck
		}
	}
}

// leads reports whether this instance polls now, logging each change.
// It is called by the polling goroutine only.
func (a *Adapter) leads(ctx context.Context) bool {
	if a.leader == nil {
		return true
	}
	now := a.leader.Leading(ctx)
	if now != a.polling && ctx.Err() == nil {
		if now {
			a.log.Info("telegram: this instance polls for updates")
		} else {
			a.log.Info("telegram: another instance polls for updates; standing by", "check_every", a.leaderCheck)
		}
	}
	a.polling = now
	return now
}

// runGroup shows the agent group until ctx ends; with WithLeader only
// while this instance leads, asking every check: it starts on taking the
// lead and is stopped, and waited for, on losing it.
func (a *Adapter) runGroup(ctx context.Context) {
	if a.leader == nil {
		a.group.run(ctx)
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
			stop = a.startGroup(ctx)
			a.log.Info("telegram: this instance shows the agent group")
		case !now && (leading || !told):
			stop()
			stop = func() {}
			a.log.Info("telegram: another instance shows the agent group; standing by", "check_every", a.leaderCheck)
		}
		leading, told = now, true
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// startGroup runs the agent group until the returned stop is called,
// which waits for it.
func (a *Adapter) startGroup(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.group.run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}
