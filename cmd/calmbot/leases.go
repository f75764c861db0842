package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/calmbot/calmbot/bot"
)

// leasePruneEvery is how often serve deletes the conversation leases that
// expired (a shared database keeps one row per conversation answered).
const leasePruneEvery = time.Minute

// pruneLeases deletes p's leases expired for expiredFor or longer at every
// tick until ctx is done. Every instance may run it: an expired lease
// grants nothing, and deleting one twice is no harm.
func pruneLeases(ctx context.Context, p bot.LeasePruner, expiredFor time.Duration, log *slog.Logger, tick <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		n, err := p.PruneLeases(ctx, expiredFor)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("leases: expired conversation leases not pruned; trying again", "err", err)
		case n > 0:
			log.Debug("leases: expired conversation leases pruned", "count", n)
		}
	}
}
