package desk

import (
	"context"
	"sync"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
)

// Defaults of WithPresenceTimeouts: an agent whose desk has no live event
// stream for DefaultAwayAfter is away, after DefaultOfflineAfter offline.
// A page change or a dropped connection reconnects within seconds.
const (
	DefaultAwayAfter    = time.Minute
	DefaultOfflineAfter = 10 * time.Minute
)

// presenceWrite bounds one presence change made by a timer.
const presenceWrite = 10 * time.Second

// liveness follows the agents' open desks (their event streams): an
// agent whose last desk closed becomes away, then offline, so that no
// estimate a customer is told counts an agent who is not there. When the
// desk comes back, an agent the desk had set away or offline is online
// again; a presence the agent chose stays.
type liveness struct {
	mu     sync.Mutex
	live   map[string]int              // open event streams by agent
	timers map[string]bot.Timer        // pending lapse by agent
	lapsed map[string]handoff.Presence // presence the desk set for want of a desk
	closed bool
}

// WithPresenceTimeouts sets how long an agent's desk may be closed (no
// live event stream) before the agent is away, and before they are offline
// (defaults DefaultAwayAfter and DefaultOfflineAfter; away 0 turns it off,
// offline 0 leaves such agents away).
func WithPresenceTimeouts(away, offline time.Duration) Option {
	return func(d *Desk) { d.awayAfter, d.offlineAfter = away, offline }
}

// watchPresence starts the lapse of every agent present when the desk
// starts: none of their desks is open yet.
func (d *Desk) watchPresence() {
	d.alive.mu.Lock()
	defer d.alive.mu.Unlock()
	for _, a := range d.svc.Agents() {
		if a.Presence != handoff.PresenceOffline {
			d.scheduleLocked(a.ID, handoff.PresenceAway)
		}
	}
}

// opened records a live desk of agent and returns the function that
// records its end. An agent the desk had set away or offline comes back.
func (d *Desk) opened(ctx context.Context, agent string) (closed func()) {
	l := &d.alive
	l.mu.Lock()
	l.live[agent]++
	if tm := l.timers[agent]; tm != nil {
		tm.Stop()
		delete(l.timers, agent)
	}
	was, back := l.lapsed[agent]
	delete(l.lapsed, agent)
	l.mu.Unlock()
	if back {
		if a, err := d.svc.Agent(agent); err == nil && a.Presence == was {
			if _, err := d.svc.SetPresence(ctx, agent, handoff.PresenceOnline); err != nil {
				d.log.ErrorContext(ctx, "desk: presence back online", "agent", agent, "err", err)
			}
		}
	}
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.live[agent]--; l.live[agent] <= 0 {
			delete(l.live, agent)
			d.scheduleLocked(agent, handoff.PresenceAway)
		}
	}
}

// idle starts agent's lapse when no desk of theirs is open (after a login
// from a client that opens no event stream, say).
func (d *Desk) idle(agent string) {
	d.alive.mu.Lock()
	defer d.alive.mu.Unlock()
	if d.alive.live[agent] == 0 && d.alive.timers[agent] == nil {
		d.scheduleLocked(agent, handoff.PresenceAway)
	}
}

// scheduleLocked sets agent's presence to p after its timeout unless a
// desk of theirs opens meanwhile. d.alive.mu is held.
func (d *Desk) scheduleLocked(agent string, p handoff.Presence) {
	l := &d.alive
	after := d.awayAfter
	if p == handoff.PresenceOffline {
		after = max(d.offlineAfter-d.awayAfter, 0)
	}
	if l.closed || d.awayAfter <= 0 || p == handoff.PresenceOffline && d.offlineAfter <= 0 {
		return
	}
	if tm := l.timers[agent]; tm != nil {
		tm.Stop()
	}
	l.timers[agent] = d.clock.AfterFunc(after, func() { d.lapse(agent, p) })
}

// lapse sets agent's presence to p (away from online, offline from
// online or away) when still no desk of theirs is open, then schedules
// the next step.
func (d *Desk) lapse(agent string, p handoff.Presence) {
	l := &d.alive
	l.mu.Lock()
	if l.closed || l.live[agent] > 0 {
		l.mu.Unlock()
		return
	}
	delete(l.timers, agent)
	l.mu.Unlock()
	a, err := d.svc.Agent(agent)
	if err != nil {
		return // removed meanwhile
	}
	change := a.Presence == handoff.PresenceOnline || p == handoff.PresenceOffline && a.Presence == handoff.PresenceAway
	ctx, cancel := context.WithTimeout(context.Background(), presenceWrite)
	defer cancel()
	if change {
		if _, err := d.svc.SetPresence(ctx, agent, p); err != nil {
			d.log.ErrorContext(ctx, "desk: presence of an agent whose desk is closed", "agent", agent, "presence", p, "err", err)
			return
		}
		d.log.InfoContext(ctx, "desk: agent's desk closed", "agent", agent, "presence", p)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.live[agent] > 0 {
		return
	}
	if change {
		l.lapsed[agent] = p
	}
	if p == handoff.PresenceAway {
		d.scheduleLocked(agent, handoff.PresenceOffline)
	}
}

// stopPresence stops the pending lapses (at Close).
func (d *Desk) stopPresence() {
	l := &d.alive
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for id, tm := range l.timers {
		tm.Stop()
		delete(l.timers, id)
	}
}
