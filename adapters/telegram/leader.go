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
// engine. Sending is not affected: every instance sends. A webhook needs
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
