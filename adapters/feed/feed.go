// Package feed is what a platform's agent surface (a Telegram agent group,
// a Slack handoff channel) shows: every open ticket when it starts, those
// opened while it was down included, then each change, and every open
// ticket again after the handoff service dropped updates it fell behind on.
package feed

import (
	"context"

	"github.com/calmbot/calmbot/handoff"
)

// Source is what Follow reads: a *handoff.Service.
type Source interface {
	SubscribeAll() (<-chan handoff.Update, func())
	Tickets() []*handoff.Ticket
}

// Follow passes show the updates of src until ctx ends or the subscription
// closes. It subscribes first, then passes one UpdateTicket for each open
// ticket, so a ticket opened meanwhile is not missed; each update after
// that as it comes; and for an UpdateResync (updates were dropped), the
// resync itself and then every open ticket again. show runs on Follow's
// goroutine, one update at a time.
func Follow(ctx context.Context, src Source, show func(context.Context, handoff.Update)) {
	updates, cancel := src.SubscribeAll()
	defer cancel()
	all := func() {
		for _, t := range src.Tickets() {
			if ctx.Err() != nil {
				return
			}
			show(ctx, handoff.Update{Kind: handoff.UpdateTicket, TicketID: t.ID, Ticket: t})
		}
	}
	all()
	for {
		select {
		case <-ctx.Done():
			return
		case u, ok := <-updates:
			if !ok {
				return
			}
			show(ctx, u)
			if u.Kind == handoff.UpdateResync {
				all()
			}
		}
	}
}
