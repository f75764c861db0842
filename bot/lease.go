package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// Leases grants each conversation to one instance at a time, for a while:
// the holder alone answers the conversation's customer messages and
// delivers its replies, so that several instances sharing one store keep
// each conversation's order from the customer's message to the replies
// the platform shows. A store several instances share implements it
// (PostgreSQL's); LocalLeases serves a single process.
type Leases interface {
	// Lease grants addr to owner for ttl, or renews owner's lease for ttl
	// from now, unless another owner holds a lease on addr that has not
	// expired: then it reports false and changes nothing.
	Lease(ctx context.Context, addr Address, owner string, ttl time.Duration) (bool, error)
	// Release ends owner's lease on addr at once, so that another owner
	// may take it; a lease another owner holds, or none, stays as it is.
	Release(ctx context.Context, addr Address, owner string) error
}

// LeasePruner is Leases that keep expired leases until they are pruned
// (a table of a store several instances share): without it they would
// pile up, one for every conversation ever answered. An expired lease
// grants nothing, so pruning one changes no answer of Lease.
type LeasePruner interface {
	// PruneLeases deletes the leases that expired at least expiredFor ago
	// and reports how many it deleted.
	PruneLeases(ctx context.Context, expiredFor time.Duration) (int64, error)
}

// LeaseTopic is the Bus topic on which an instance that stored something
// for a conversation another instance holds tells the holder to look.
const LeaseTopic = "conversation"

// WithLeases makes the engine hold a lease from l (named by WithOwner) on
// every conversation it answers, for ttl and renewed while the
// conversation is live. A message for a conversation another instance
// holds is stored, not answered, and the holder is told over b
// (LeaseTopic): it answers it, in order with the conversation's other
// messages. A person's action there is committed and its replies left in
// the outbox for the holder. Replies are delivered only while the lease
// is held. When the holder stops (Shutdown releases its leases) or dies
// (its leases expire after ttl), the next message, or WithTakeover's
// look, gives the conversation and its unanswered messages to another
// instance. Without WithLeases (a single instance) no lease is asked for.
func WithLeases(l Leases, b Bus, ttl time.Duration) Option {
	return func(e *Engine) {
		e.lease = &leasing{l: l, bus: b, ttl: ttl, until: map[Address]time.Time{}}
	}
}

// leasing is the engine's side of WithLeases: the leases it believes it
// holds, each until a time on the engine's clock no later than the
// store's expiry (taken before the store was asked).
type leasing struct {
	l   Leases
	bus Bus
	ttl time.Duration

	mu    sync.Mutex
	until map[Address]time.Time
}

// leaseNote is the payload of a LeaseTopic message.
type leaseNote struct {
	Channel      string `json:"channel"`
	Conversation string `json:"conversation"`
	// Outbox is set when replies wait in the outbox for the holder.
	Outbox bool `json:"outbox,omitempty"`
}

// hold takes or renews the lease on addr unless this engine holds it for
// more than half its ttl still. taken reports a lease this engine did not
// hold just before: another instance may have changed the conversation.
func (e *Engine) hold(ctx context.Context, addr Address) (held, taken bool, err error) {
	ls := e.lease
	now := e.clock.Now()
	ls.mu.Lock()
	u, ok := ls.until[addr]
	ls.mu.Unlock()
	if ok && u.Sub(now) > ls.ttl/2 {
		return true, false, nil
	}
	got, err := ls.l.Lease(ctx, addr, e.owner, ls.ttl)
	if err != nil {
		return false, false, fmt.Errorf("lease %s: %w", addr, err)
	}
	ls.mu.Lock()
	if got {
		ls.until[addr] = now.Add(ls.ttl)
	} else {
		delete(ls.until, addr)
	}
	ls.mu.Unlock()
	return got, got && !(ok && u.After(now)), nil
}

// holds reports whether this engine may deliver addr's replies: it holds
// the lease, or leases are off.
func (e *Engine) holds(addr Address) bool {
	ls := e.lease
	if ls == nil {
		return true
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	u, ok := ls.until[addr]
	return ok && e.clock.Now().Before(u)
}

// releaseLease gives addr's lease up (a conversation that ended and left memory).
func (e *Engine) releaseLease(ctx context.Context, addr Address) {
	ls := e.lease
	if ls == nil {
		return
	}
	ls.mu.Lock()
	_, ok := ls.until[addr]
	delete(ls.until, addr)
	ls.mu.Unlock()
	if !ok {
		return
	}
	if err := ls.l.Release(ctx, addr, e.owner); err != nil {
		e.log.Warn("release conversation lease", "addr", addr.String(), "err", err)
	}
}

// releaseAll gives up every lease this engine holds, at Shutdown, so that
// the other instances take the conversations over at once.
func (e *Engine) releaseAll(ctx context.Context) {
	ls := e.lease
	if ls == nil {
		return
	}
	ls.mu.Lock()
	addrs := make([]Address, 0, len(ls.until))
	for a := range ls.until {
		addrs = append(addrs, a)
	}
	ls.mu.Unlock()
	for _, a := range addrs {
		if ctx.Err() != nil {
			return
		}
		e.releaseLease(ctx, a)
	}
}

// dropExpired forgets the leases whose time has passed.
func (e *Engine) dropExpired() {
	ls := e.lease
	if ls == nil {
		return
	}
	now := e.clock.Now()
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for a, u := range ls.until {
		if !now.Before(u) {
			delete(ls.until, a)
		}
	}
}

// claim takes the conversation's lease for a batch of its worker. Held,
// the conversation is read again when another instance may have moved
// it; held elsewhere, c is away: its messages are stored unanswered and
// the holder told. It reports false when the lease could not be asked
// for: the batch has failed and been answered.
func (e *Engine) claim(ctx context.Context, c *conv, batch []*pending, due bool) bool {
	held, taken, err := e.hold(ctx, c.addr)
	if err != nil {
		e.log.Warn("conversation lease not taken", "addr", c.addr.String(), "err", err)
		for _, p := range batch {
			p.done <- err
		}
		if due {
			e.arm(c, max(e.quietWindow(e.prog.Load()), retryInitial))
		}
		return false
	}
	switch {
	case held && (taken || c.away):
		c.away, c.loaded = false, false
	case !held:
		// The holder answers: read its latest state for every store.
		c.away, c.loaded, c.burst = true, false, nil
		c.mu.Lock()
		if c.timer != nil {
			c.timer.Stop()
			c.timer = nil
		}
		c.mu.Unlock()
	}
	return true
}

// storeAway commits new messages for a conversation another instance
// holds, unanswered, tells the holder, and looks again after the lease's
// ttl. It returns the store's redeliveries, having written nothing.
func (e *Engine) storeAway(ctx context.Context, c *conv, fresh []*pending) []int {
	if len(fresh) == 0 {
		return nil
	}
	snap := c.snap.clone()
	entries := inbound(snap, fresh)
	snap.Updated = e.clock.Now()
	res, err := e.store.Commit(ctx, &Turn{Address: c.addr, Base: c.snap.Seq, Inbound: entries, State: snap})
	if c.staleCommit(err) {
		return nil
	}
	if err == nil && res.Duplicate {
		return redelivered(res, len(fresh))
	}
	if err == nil {
		c.snap = snap
		e.tell(ctx, c.addr, false)
		// Look again once the holder's lease would have run out: a holder
		// that died meanwhile leaves the conversation to this instance.
		e.arm(c, e.lease.ttl)
	}
	for _, p := range fresh {
		p.done <- err
	}
	return nil
}

// tell tells the instance holding addr that there is news for it: stored
// messages, or (outbox) replies to deliver. A lost note delays the answer
// until the lease expires and the takeover look finds the conversation.
func (e *Engine) tell(ctx context.Context, addr Address, outbox bool) {
	if e.lease.bus == nil {
		return
	}
	b, _ := json.Marshal(leaseNote{Channel: addr.Channel, Conversation: addr.Conversation, Outbox: outbox})
	if err := e.lease.bus.Publish(ctx, LeaseTopic, b); err != nil {
		e.log.Warn("tell the conversation's holder", "addr", addr.String(), "err", err)
	}
}

// listenLeases hears LeaseTopic until ctx ends: news for a conversation
// this engine holds brings its worker to read it again and answer.
func (e *Engine) listenLeases(ctx context.Context) error {
	if e.lease == nil || e.lease.bus == nil {
		return nil
	}
	msgs, cancel, err := e.lease.bus.Subscribe(ctx, LeaseTopic)
	if err != nil {
		return fmt.Errorf("subscribe to %s: %w", LeaseTopic, err)
	}
	go func() {
		defer cancel()
		for b := range msgs {
			var n leaseNote
			if json.Unmarshal(b, &n) != nil || n.Channel == "" || n.Conversation == "" {
				continue
			}
			addr := Address{Channel: n.Channel, Conversation: n.Conversation}
			if !e.holds(addr) {
				continue
			}
			if n.Outbox {
				select {
				case e.kick <- struct{}{}:
				default:
				}
			}
			if e.refresh(addr) != nil {
				return
			}
		}
	}()
	return nil
}

// refresh asks addr's worker, in order with its messages, to read the
// conversation again and answer what another instance stored (after the
// quiet window, when it runs).
func (e *Engine) refresh(addr Address) error {
	return e.enqueue(addr, &pending{act: e.refreshed, done: make(chan error, 1)})
}

// refreshed, an action on the conversation's worker (after process took
// the lease), answers what another instance stored for a conversation
// this engine holds: it reads the conversation again and answers its
// unanswered messages once the customer's quiet window has passed.
func (e *Engine) refreshed(ctx context.Context, c *conv) error {
	c.loaded = false
	if err := e.load(ctx, c); err != nil {
		e.log.Error("conversation not loaded", "addr", c.addr.String(), "err", err)
		return err
	}
	if c.away || len(c.burst) == 0 {
		return nil
	}
	if quiet := e.quietWindow(c.prog); quiet > 0 && c.snap.Status == StatusBot {
		now := e.clock.Now()
		last := c.burst[len(c.burst)-1].At
		if wait := quiet - now.Sub(last); wait > 0 && now.Sub(c.burstStart) < e.burstCap(quiet) {
			e.arm(c, min(wait, quiet))
			return nil
		}
	}
	e.step(ctx, c, nil, true)
	return nil
}

// LocalLeases is Leases within one process: a single-instance store (the
// in-memory one, SQLite, which one process opens at a time) grants each
// conversation to one owner at a time by a map. The zero value is ready.
type LocalLeases struct {
	mu     sync.Mutex
	leases map[Address]localLease
	prune  int // the size at which expired leases are dropped next
}

type localLease struct {
	owner   string
	expires time.Time
}

// Lease implements Leases.
func (l *LocalLeases) Lease(_ context.Context, addr Address, owner string, ttl time.Duration) (bool, error) {
	if owner == "" || ttl <= 0 {
		return false, fmt.Errorf("lease %s: need an owner and a ttl, got %q and %v", addr, owner, ttl)
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.leases == nil {
		l.leases = map[Address]localLease{}
	}
	if cur, ok := l.leases[addr]; ok && cur.owner != owner && now.Before(cur.expires) {
		return false, nil
	}
	if len(l.leases) >= max(l.prune, 1024) {
		for a, cur := range l.leases {
			if !now.Before(cur.expires) {
				delete(l.leases, a)
			}
		}
		l.prune = 2 * len(l.leases)
	}
	l.leases[addr] = localLease{owner: owner, expires: now.Add(ttl)}
	return true, nil
}

// PruneLeases implements LeasePruner. Lease drops expired leases as the
// map grows, too.
func (l *LocalLeases) PruneLeases(_ context.Context, expiredFor time.Duration) (int64, error) {
	before := time.Now().Add(-expiredFor)
	l.mu.Lock()
	defer l.mu.Unlock()
	var n int64
	for a, cur := range l.leases {
		if !cur.expires.After(before) {
			delete(l.leases, a)
			n++
		}
	}
	return n, nil
}

// Release implements Leases.
func (l *LocalLeases) Release(_ context.Context, addr Address, owner string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur, ok := l.leases[addr]; ok && cur.owner == owner {
		delete(l.leases, addr)
	}
	return nil
}

// releaseForgotten releases the lease of a conversation that ended and
// left memory.
func (e *Engine) releaseForgotten(addr Address) {
	ctx, cancel := context.WithTimeout(e.base, sendTimeout)
	defer cancel()
	e.releaseLease(ctx, addr)
}
