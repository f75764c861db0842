package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
	"weak"

	"github.com/calmbot/calmbot/flows"
)

// Errors returned by the Engine.
var (
	// ErrClosed is returned by Handle after Close.
	ErrClosed = errors.New("engine closed")
	// ErrBadAddress is returned for a message without channel or conversation.
	ErrBadAddress = errors.New("message address needs a channel and a conversation")
	// ErrConflict is returned by Handle for a message whose platform id is
	// already stored in the conversation with another text: the first text
	// stays. The same id with the same text is a redelivery and returns nil.
	ErrConflict = errors.New("message id already used with another text")
)

// MaxStoredBytes caps the text stored for one message; the rest is cut.
// Messages over the flows' policy.max_message_bytes (far smaller) are stored
// but answered with texts.too_long instead of being read.
const MaxStoredBytes = 64 << 10

// recentIDs is how many platform ids a snapshot keeps for redelivery
// checks: a fast positive cache; the store catches older ids.
const recentIDs = 16

// A turn of stored messages whose commit fails is tried again after
// retryInitial (or the quiet window, when longer), doubling up to
// retryMax; after stallAfter failures in a row it is logged at Error and
// listeners hear EventStalled.
const (
	retryInitial = time.Second
	retryMax     = 5 * time.Minute
	stallAfter   = 5
)

// turnTimeout bounds one step of a conversation (its store reads, the
// analysis and the commit); staleRetries is how many times a turn whose
// conversation moved on in the store (ErrStale) is run again on the
// reloaded conversation before the messages are refused.
const (
	turnTimeout  = time.Minute
	staleRetries = 3
)

// Engine runs conversations: it stores each customer message, reads it,
// moves the conversation's state machine, stores the new state with the
// replies, then delivers them. Messages of one conversation are handled one
// at a time and in order; different conversations run in parallel.
type Engine struct {
	store       Store
	newAnalyzer AnalyzerFactory
	escalator   Escalator
	log         *slog.Logger
	clock       Clock
	idleTTL     time.Duration
	maxBurst    time.Duration
	quiet       *time.Duration

	prog atomic.Pointer[program]
	// panics counts the panics recovered since the engine started.
	panics atomic.Int64
	// versions maps a flows hash to a weak.Pointer[program]: the versions
	// conversations in memory run on. A version no conversation (and not
	// the current flows) holds is dropped by the garbage collector and
	// compiled again from the store when a conversation on it is loaded.
	versions sync.Map

	mu      sync.Mutex // guards convs, closed and the workers' Add
	convs   map[Address]*conv
	closed  bool
	workers sync.WaitGroup

	out       *outbox
	resumed   chan struct{}
	listeners []Listener

	// base is the context of the engine's own work (turns, sends); Shutdown
	// cancels it when its deadline passes with work left.
	base   context.Context
	cancel context.CancelFunc
	// owner names this engine in the store's outbox claims.
	owner string
	// takeover is how often Run looks for other instances' unanswered
	// conversations (0: never); seen are those the last look found.
	takeover time.Duration
	seen     map[Address]bool
	// kick asks Run for a resend (a Sender registered).
	kick chan struct{}
	// lease is set by WithLeases: conversations are answered by the
	// instance holding their lease.
	lease *leasing
}

// Option configures an Engine.
type Option func(*Engine)

// WithEscalator sets who receives handoffs; by default a handoff only marks
// the conversation as waiting for a human and stores why.
func WithEscalator(x Escalator) Option { return func(e *Engine) { e.escalator = x } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.log = l } }

// WithClock replaces the wall clock (tests use a fake one).
func WithClock(c Clock) Option { return func(e *Engine) { e.clock = c } }

// WithIdleTTL sets how long an idle conversation stays in memory (default
// 10 minutes); it is loaded from the store again when the customer returns.
func WithIdleTTL(d time.Duration) Option { return func(e *Engine) { e.idleTTL = d } }

// WithOwner names the engine in the store's outbox claims (default
// "calmbot"): instances sharing one store need a name each, stable across
// restarts, so that a restarted instance takes its claims up again.
func WithOwner(name string) Option { return func(e *Engine) { e.owner = name } }

// WithTakeover makes Run look for conversations with unanswered messages
// every d (besides at start) and answer those it found unanswered twice in
// a row: on a store shared by several instances, a crashed instance's
// conversations move on within 2d on another. A conversation a live
// instance is answering meanwhile is safe: the store refuses the later of
// two turns built on one snapshot (ErrStale). Off (0) by default.
func WithTakeover(d time.Duration) Option { return func(e *Engine) { e.takeover = d } }

// WithQuietWindow overrides the flows' policy.quiet_window.
func WithQuietWindow(d time.Duration) Option { return func(e *Engine) { e.quiet = &d } }

// New returns an engine running flows f on store. newAnalyzer builds the
// Analyzer for f and for every version reloaded later. The flow file must be
// valid (flows.File.Validate); New stores its source so conversations can
// finish on it after it has been replaced.
func New(ctx context.Context, store Store, f *flows.File, newAnalyzer AnalyzerFactory, opts ...Option) (*Engine, error) {
	e := &Engine{
		store:       store,
		newAnalyzer: newAnalyzer,
		log:         slog.Default(),
		clock:       realClock{},
		idleTTL:     10 * time.Minute,
		convs:       map[Address]*conv{},
		resumed:     make(chan struct{}),
		owner:       "calmbot",
		kick:        make(chan struct{}, 1),
	}
	e.base, e.cancel = context.WithCancel(context.Background())
	for _, o := range opts {
		o(e)
	}
	e.out = newOutbox(e)
	if err := e.Reload(ctx, f); err != nil {
		return nil, err
	}
	return e, nil
}

// Reload validates f and makes it the flows of new conversations. A file
// with errors is refused and the running flows stay. Conversations in
// progress move on to f when their state still exists in it, and otherwise
// finish their flow on the version they started with.
func (e *Engine) Reload(ctx context.Context, f *flows.File) error {
	if ds := f.Validate(); len(ds) > 0 {
		return fmt.Errorf("flows %s not loaded: %w", f.Name, ds)
	}
	p, err := compile(f, e.newAnalyzer)
	if err != nil {
		return fmt.Errorf("flows %s not loaded: %w", f.Name, err)
	}
	if err := e.store.SaveFlows(ctx, p.hash, f.Source); err != nil {
		return fmt.Errorf("flows %s not loaded: save version: %w", f.Name, err)
	}
	e.keep(p)
	if old := e.prog.Swap(p); old != nil && old.hash != p.hash {
		e.log.Info("flows reloaded", "file", f.Name, "version", short(p.hash), "previous", short(old.hash))
	}
	return nil
}

// Flows returns the flow file new conversations run on.
func (e *Engine) Flows() *flows.File { return e.prog.Load().file }

// Register makes s deliver the replies of channel. Replies the outbox
// holds for the channel are delivered by Run's next resend, which a
// registration brings forward.
func (e *Engine) Register(channel string, s Sender) {
	e.out.register(channel, s)
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// Handle takes a customer message. It returns once the message is durably
// stored (a redelivered message returns nil at once); the reply follows
// asynchronously through the channel's Sender. With a quiet window the
// reply waits until the customer has finished their burst of messages.
// A text with nothing visible (only spaces, control and format characters)
// is refused with ErrEmptyText; an id already stored in the conversation
// with another text with ErrConflict (the same text again returns nil).
// When no turn of the conversation is in progress, Handle runs the turn on
// the caller's goroutine: it is bounded by the engine's turn timeout, and
// ctx ends only the wait for a turn already running.
func (e *Engine) Handle(ctx context.Context, m Message) error {
	if m.Address.Channel == "" || m.Address.Conversation == "" {
		return ErrBadAddress
	}
	m.Text = cleanText(m.Text)
	if blank(m.Text) {
		return ErrEmptyText
	}
	m.Choice = cleanChoice(m.Choice)
	if m.At.IsZero() {
		m.At = e.clock.Now()
	}
	p := &pending{msg: m, done: make(chan error, 1)}
	c, start, err := e.put(m.Address, p)
	if err != nil {
		return err
	}
	if start {
		// No worker was on the conversation: the caller, who waits for
		// the message anyway, is its worker for this turn (no goroutine to
		// start, and its stack has grown already), then hands over
		// whatever came meanwhile.
		batch, due, _ := e.next(c)
		e.run(c, batch, due)
		if batch, due, more := e.next(c); more {
			go e.work(c, batch, due)
		} else {
			e.workers.Done()
		}
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Flush waits until every reply the engine has committed for addr so far
// has been delivered (or given up on for now and left in the outbox).
func (e *Engine) Flush(ctx context.Context, addr Address) error { return e.out.flush(ctx, addr) }

// Conversation returns the stored state of a conversation.
func (e *Engine) Conversation(ctx context.Context, addr Address) (*Snapshot, error) {
	return e.store.Load(ctx, addr)
}

// conv is a conversation's mailbox and, for its worker, its live state.
type conv struct {
	addr Address

	mu      sync.Mutex // guards the fields up to `last`
	inbox   []*pending
	due     bool // the quiet window has passed: answer the burst
	running bool // a worker goroutine is on it
	timer   Timer
	last    time.Time

	// Owned by the one running worker.
	loaded     bool
	snap       *Snapshot
	prog       *program
	burst      []Entry // stored inbound messages not answered yet
	burstStart time.Time
	locale     string
	failures   int // commits of the burst's answer that failed in a row
	// stale, set by step, asks turn to leave a commit refused with
	// ErrStale to step (which reloads and runs it again); turn clears it
	// when it was not refused so.
	stale bool
	// away: another instance holds the conversation's lease (WithLeases),
	// so its messages are stored for the holder to answer.
	away bool
}

// staleCommit reports whether err is a stale commit that step runs again,
// and tells step so; otherwise it clears the request.
func (c *conv) staleCommit(err error) bool {
	if c.stale && errors.Is(err, ErrStale) {
		return true
	}
	c.stale = false
	return false
}

// pending is a customer message, or (act != nil) a person's action, for
// the conversation's worker.
type pending struct {
	msg  Message
	act  func(ctx context.Context, c *conv) error
	done chan error
}

// enqueue puts p (or, when p is nil, a "quiet window passed" tick) in the
// conversation's mailbox and starts its worker if none runs.
func (e *Engine) enqueue(addr Address, p *pending) error {
	c, start, err := e.put(addr, p)
	if start {
		go e.work(c, nil, false)
	}
	return err
}

// put is enqueue without starting the worker: when start is true the
// caller must run one (work), which the workers count already holds.
func (e *Engine) put(addr Address, p *pending) (c *conv, start bool, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, false, ErrClosed
	}
	c = e.convs[addr]
	if c == nil {
		c = &conv{addr: addr}
		e.convs[addr] = c
	}
	c.mu.Lock()
	if p != nil {
		c.inbox = append(c.inbox, p)
	} else {
		c.due = true
	}
	c.last = e.clock.Now()
	start = !c.running
	c.running = true
	c.mu.Unlock()
	if start {
		e.workers.Add(1)
	}
	return c, start, nil
}

// work handles batch, taken from the mailbox already (nil for none), then
// drains the conversation's mailbox, one step at a time, and ends when the
// mailbox is empty.
func (e *Engine) work(c *conv, batch []*pending, due bool) {
	defer e.workers.Done()
	more := len(batch) > 0 || due
	if !more {
		batch, due, more = e.next(c)
	}
	for ; more; batch, due, more = e.next(c) {
		e.run(c, batch, due)
	}
}

// next takes what the conversation's mailbox holds; when it is empty (more
// is false) the worker is done: it leaves the conversation, and an ended
// conversation leaves memory.
func (e *Engine) next(c *conv) (batch []*pending, due, more bool) {
	c.mu.Lock()
	batch, due = c.inbox, c.due
	c.inbox, c.due = nil, false
	if len(batch) == 0 && !due {
		ended := c.loaded && c.snap != nil && c.snap.Status == StatusEnded
		c.running = false
		c.last = e.clock.Now()
		c.mu.Unlock()
		if ended {
			e.forget(c)
		}
		return nil, false, false
	}
	c.mu.Unlock()
	return batch, due, true
}

// run handles one batch of a conversation's mailbox, within turnTimeout.
func (e *Engine) run(c *conv, batch []*pending, due bool) {
	ctx, cancel := context.WithTimeout(e.base, turnTimeout)
	defer cancel()
	e.processGuarded(ctx, c, batch, due)
}

// process handles a mailbox's contents in order: runs of messages go
// through step, actions run between them.
func (e *Engine) process(ctx context.Context, c *conv, batch []*pending, due bool) {
	if e.lease != nil && !e.claim(ctx, c, batch, due) {
		return
	}
	start := 0
	for i, p := range batch {
		if p.act == nil {
			continue
		}
		if i > start {
			e.step(ctx, c, batch[start:i], false)
		}
		start = i + 1
		if err := e.load(ctx, c); err != nil {
			p.done <- fmt.Errorf("load conversation %s: %w", c.addr, err)
			continue
		}
		p.done <- e.runAction(ctx, c, p.act)
	}
	if start < len(batch) || due {
		e.step(ctx, c, batch[start:], due)
	}
}

// runAction runs a person's action. When another instance (or worker)
// committed to the conversation since it was loaded, the action's commit
// is refused with ErrStale and nothing was written: the conversation is
// taken as stored and the action runs again, as step does for a turn.
func (e *Engine) runAction(ctx context.Context, c *conv, act func(ctx context.Context, c *conv) error) error {
	err := act(ctx, c)
	for try := 1; errors.Is(err, ErrStale) && try <= staleRetries; try++ {
		e.log.Info("conversation changed in the store; running the action again", "addr", c.addr.String(), "try", try)
		c.loaded = false
		if err := e.load(ctx, c); err != nil {
			return fmt.Errorf("load conversation %s: %w", c.addr, err)
		}
		err = act(ctx, c)
	}
	if errors.Is(err, ErrStale) {
		c.loaded = false // the next message or action reads the store
	}
	return err
}

// forget drops an ended conversation from memory at once, unless a new
// message or a timer came for it meanwhile; the store has all of it. It
// is called by the conversation's worker.
func (e *Engine) forget(c *conv) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.convs[c.addr] == c && !c.running && len(c.inbox) == 0 && !c.due && c.timer == nil {
		delete(e.convs, c.addr)
		if e.lease != nil {
			// Another instance may take the conversation's next start at
			// once. The worker calling forget is still counted, so the
			// release is waited for by Shutdown too.
			e.workers.Add(1)
			go func() {
				defer e.workers.Done()
				e.releaseForgotten(c.addr)
			}()
		}
	}
}

// step handles what a conversation's mailbox held: it stores new messages
// and, unless a quiet window holds the answer back, answers them.
func (e *Engine) step(ctx context.Context, c *conv, batch []*pending, due bool) {
	if err := e.load(ctx, c); err != nil {
		err = fmt.Errorf("load conversation %s: %w", c.addr, err)
		e.log.Error("conversation not loaded", "addr", c.addr.String(), "err", err)
		for _, p := range batch {
			p.done <- err
		}
		return
	}
	fresh := e.dedupe(ctx, c, batch)
	stale := 0
	for {
		if len(fresh) == 0 && (!due || len(c.burst) == 0) {
			return
		}
		c.stale = stale < staleRetries
		dups := e.turn(ctx, c, fresh, due)
		if c.stale {
			// Another instance (or worker) committed to the conversation
			// since it was loaded: nothing was written, and fresh wait.
			// Take the conversation as stored and run the turn again.
			c.stale = false
			stale++
			e.log.Info("conversation changed in the store; running the turn again", "addr", c.addr.String(), "try", stale)
			c.loaded = false
			if err := e.load(ctx, c); err != nil {
				err = fmt.Errorf("load conversation %s: %w", c.addr, err)
				for _, p := range fresh {
					p.done <- err
				}
				return
			}
			fresh = e.dedupe(ctx, c, fresh)
			continue
		}
		if len(dups) == 0 {
			return
		}
		// The store caught redeliveries too old for the recent ids and
		// wrote nothing: settle them and take the turn again without them.
		// Each round drops a message, so this ends.
		n := len(fresh)
		if fresh = e.settle(ctx, c, fresh, dups); len(fresh) == n {
			err := fmt.Errorf("store %s: commit reports redeliveries it does not hold", c.addr)
			e.log.Error("turn not committed", "addr", c.addr.String(), "err", err)
			for _, p := range fresh {
				p.done <- err
			}
			return
		}
		if err := e.load(ctx, c); err != nil {
			err = fmt.Errorf("load conversation %s: %w", c.addr, err)
			for _, p := range fresh {
				p.done <- err
			}
			return
		}
	}
}

// turn stores fresh (or answers them, with the burst) and returns the
// indexes in fresh of messages the store reported as redelivered, when it
// wrote nothing for that reason.
func (e *Engine) turn(ctx context.Context, c *conv, fresh []*pending, due bool) []int {
	now := e.clock.Now()
	if len(fresh) > 0 {
		c.locale = fresh[len(fresh)-1].msg.Locale
	}
	quiet := e.quietWindow(c.prog)
	switch {
	case c.away:
		return e.storeAway(ctx, c, fresh)
	case c.snap.Status == StatusHuman:
		return e.storeOnly(ctx, c, fresh, false)
	case len(fresh) > 0 && quiet > 0:
		if len(c.burst) == 0 {
			c.burstStart = now
		}
		if now.Sub(c.burstStart) < e.burstCap(quiet) {
			return e.storeOnly(ctx, c, fresh, true)
		}
	}
	return e.answer(ctx, c, fresh, now)
}

// quietWindow is the wait for the end of a burst.
func (e *Engine) quietWindow(p *program) time.Duration {
	if e.quiet != nil {
		return *e.quiet
	}
	return time.Duration(p.file.Policy.QuietWindow)
}

// burstCap is the longest a burst is held back: a customer who never stops
// typing still gets an answer.
func (e *Engine) burstCap(quiet time.Duration) time.Duration {
	if e.maxBurst > 0 {
		return e.maxBurst
	}
	return 8 * quiet
}

// dedupe acknowledges redelivered messages and returns the rest: a
// message repeating one earlier in the batch, or one of the conversation's
// recent ids (checked against the store's text). Older redeliveries are
// caught by the store at commit.
func (e *Engine) dedupe(ctx context.Context, c *conv, batch []*pending) []*pending {
	fresh := make([]*pending, 0, len(batch))
	var recent []*pending
	for _, p := range batch {
		id := p.msg.ID
		if id == "" {
			fresh = append(fresh, p)
			continue
		}
		if i := slices.IndexFunc(fresh, func(q *pending) bool { return q.msg.ID == id }); i >= 0 {
			p.done <- sameText(fresh[i].msg.Text, p.msg.Text)
			continue
		}
		if i := slices.IndexFunc(recent, func(q *pending) bool { return q.msg.ID == id }); i >= 0 || slices.Contains(c.snap.RecentIDs, id) {
			recent = append(recent, p)
			continue
		}
		fresh = append(fresh, p)
	}
	if len(recent) == 0 {
		return fresh
	}
	idx := make([]int, len(recent))
	for i := range idx {
		idx[i] = i
	}
	// An id the store does not hold after all (pruned) is new.
	return append(fresh, e.settle(ctx, c, recent, idx)...)
}

// settle answers the redelivered messages ps[i] for i in dups: nil when
// the store holds the same text under their id, ErrConflict when it holds
// another. It returns the other messages of ps, in order, and those of
// dups the store does not hold.
func (e *Engine) settle(ctx context.Context, c *conv, ps []*pending, dups []int) []*pending {
	ids := make([]string, 0, len(dups))
	for _, i := range dups {
		ids = append(ids, ps[i].msg.ID)
	}
	stored, err := e.store.Received(ctx, c.addr, ids)
	if err != nil {
		err = fmt.Errorf("check redelivery in %s: %w", c.addr, err)
	}
	rest := make([]*pending, 0, len(ps))
	for i, p := range ps {
		if !slices.Contains(dups, i) {
			rest = append(rest, p)
			continue
		}
		text, ok := stored[p.msg.ID]
		switch {
		case err != nil:
			p.done <- err
		case ok:
			p.done <- sameText(text, p.msg.Text)
		default:
			rest = append(rest, p)
		}
	}
	return rest
}

// sameText is nil when a redelivered message repeats the stored text.
func sameText(stored, text string) error {
	if stored == text {
		return nil
	}
	return ErrConflict
}

// inbound turns messages into transcript entries of snap, numbering them.
func inbound(snap *Snapshot, ps []*pending) []Entry {
	out := make([]Entry, len(ps))
	for i, p := range ps {
		snap.Seq++
		out[i] = Entry{Seq: snap.Seq, Direction: Inbound, PlatformID: p.msg.ID, Text: p.msg.Text, Choice: p.msg.Choice, At: p.msg.At, Flow: snap.Flow, State: snap.State}
		if p.msg.ID != "" {
			snap.RecentIDs = append(snap.RecentIDs, p.msg.ID)
		}
	}
	if n := len(snap.RecentIDs); n > recentIDs {
		snap.RecentIDs = slices.Clone(snap.RecentIDs[n-recentIDs:])
	}
	return out
}

// storeOnly commits new messages without answering them: the customer is
// talking to a human, or still typing (then the quiet window timer is
// armed). It returns the store's redeliveries, having written nothing.
func (e *Engine) storeOnly(ctx context.Context, c *conv, fresh []*pending, hold bool) []int {
	snap := c.snap.clone()
	entries := inbound(snap, fresh)
	snap.Updated = e.clock.Now()
	if !hold {
		snap.Processed = snap.Seq
	}
	before := c.snap
	t := &Turn{Address: c.addr, Base: before.Seq, Inbound: entries, State: snap}
	res, err := e.store.Commit(ctx, t)
	if c.staleCommit(err) {
		return nil
	}
	if err == nil && res.Duplicate {
		return redelivered(res, len(fresh))
	}
	if err == nil {
		c.snap = snap
		if hold {
			c.burst = append(c.burst, entries...)
			e.arm(c, e.quietWindow(c.prog))
		} else {
			// Messages another instance stored for this one are told now.
			in := t.Inbound
			if len(c.burst) > 0 {
				in = append(slices.Clone(c.burst), t.Inbound...)
				c.burst = nil
			}
			e.notify(ctx, before, t, in, snap, nil)
		}
	}
	for _, p := range fresh {
		p.done <- err
	}
	return nil
}

// redelivered returns the indexes of a duplicate commit's redelivered
// messages (all n of them for a store that does not say which).
func redelivered(res CommitResult, n int) []int {
	if len(res.Redelivered) > 0 {
		return res.Redelivered
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	return all
}

// arm (re)starts the conversation's timer: after d, the burst is answered.
func (e *Engine) arm(c *conv, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
	}
	addr := c.addr
	var t Timer
	t = e.clock.AfterFunc(d, func() {
		// A timer that went off no longer holds the conversation in
		// memory (forget, evict): its tick is in the mailbox.
		c.mu.Lock()
		if c.timer == t {
			c.timer = nil
		}
		c.mu.Unlock()
		// A closed engine resumes the burst at its next start.
		_ = e.enqueue(addr, nil)
	})
	c.timer = t
}

// answer reads the burst and the fresh messages as one turn, runs it
// through the conversation's flow, commits everything the turn wrote, and
// only then acknowledges the messages and delivers the replies. It returns
// the store's redeliveries, having written nothing.
func (e *Engine) answer(ctx context.Context, c *conv, fresh []*pending, now time.Time) []int {
	c.mu.Lock()
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.mu.Unlock()

	snap := c.snap.clone()
	t := &Turn{Address: c.addr, Base: c.snap.Seq, Inbound: inbound(snap, fresh)}
	var text strings.Builder
	for _, en := range c.burst {
		appendLine(&text, en.Text)
	}
	for _, en := range t.Inbound {
		appendLine(&text, en.Text)
	}

	s := e.session(c, snap, now)
	s.run(ctx, text.String(), lastChoice(c.burst, t.Inbound), c.locale)

	if s.analysis != nil {
		if n := len(t.Inbound); n > 0 {
			t.Inbound[n-1].Analysis = s.analysis
		} else if n := len(c.burst); n > 0 {
			t.Analysed = map[int64]*Analysis{c.burst[n-1].Seq: s.analysis}
		}
	}
	res, err := e.commitTurn(ctx, c, s, t)
	if c.staleCommit(err) {
		return nil
	}
	if err == nil && res.Duplicate {
		return redelivered(res, len(fresh))
	}
	switch {
	case err != nil && len(c.burst) > 0:
		// Already acknowledged messages wait for an answer: try again later.
		e.retry(ctx, c, err)
	case err != nil:
		// The caller learns it and sends the messages again.
		e.log.Warn("turn not committed", "addr", c.addr.String(), "err", err)
	case c.failures > 0:
		if c.failures >= stallAfter {
			e.log.Info("stalled turn committed at last", "addr", c.addr.String(), "failures", c.failures)
		}
		c.failures = 0
	}
	for _, p := range fresh {
		p.done <- err
	}
	return nil
}

// retry schedules another try of a burst's answer whose commit failed,
// backing off, and raises the alarm when it keeps failing: a customer's
// stored messages are waiting for an answer.
func (e *Engine) retry(ctx context.Context, c *conv, err error) {
	c.failures++
	d := max(e.quietWindow(c.prog), retryInitial)
	for i := 1; i < c.failures && d < retryMax; i++ {
		d *= 2
	}
	d = min(d, retryMax)
	switch {
	case c.failures < stallAfter:
		e.log.Warn("turn not committed; trying again", "addr", c.addr.String(), "failures", c.failures, "retry_in", d, "err", err)
	default:
		e.log.Error("turn keeps failing: stored customer messages are unanswered", "addr", c.addr.String(),
			"failures", c.failures, "retry_in", d, "err", err)
	}
	if c.failures == stallAfter {
		e.emit(ctx, Event{Kind: EventStalled, Address: c.addr, Snapshot: c.snap, Err: err, Failures: c.failures})
	}
	e.arm(c, d)
}

// commit is commitTurn for a person's action, which has no inbound messages.
func (e *Engine) commit(ctx context.Context, c *conv, s *session, t *Turn) error {
	_, err := e.commitTurn(ctx, c, s, t)
	return err
}

// commitTurn writes what session s did (with t's inbound messages) in one
// transaction, then adopts the new state, queues the replies, passes a
// handoff on and notifies listeners. A redelivered turn changes nothing.
func (e *Engine) commitTurn(ctx context.Context, c *conv, s *session, t *Turn) (CommitResult, error) {
	snap := s.snap
	t.Base = c.snap.Seq
	// A person's action in the middle of a held burst leaves the burst unanswered.
	if !s.action || len(c.burst) == 0 {
		snap.Processed = snap.Seq + int64(len(s.replies))
	}
	var inbound []Entry
	if !s.action && len(c.burst) > 0 {
		inbound = slices.Clone(c.burst)
		for i := range inbound {
			if a, ok := t.Analysed[inbound[i].Seq]; ok {
				inbound[i].Analysis = a
			}
		}
	}
	inbound = append(inbound, t.Inbound...)
	var answers []string
	if !s.action {
		for _, en := range inbound {
			if en.PlatformID != "" {
				answers = append(answers, en.PlatformID)
			}
		}
	}
	// The replies' metadata is stored with them, so that a reply resent
	// from the outbox is the Reply the turn made.
	t.Outbound = make([]Entry, len(s.replies))
	for i := range s.replies {
		r := &s.replies[i]
		snap.Seq++
		r.Seq, r.Answers, r.Status, r.At = snap.Seq, answers, snap.Status, s.now
		t.Outbound[i] = Entry{Seq: r.Seq, Direction: Outbound, Author: s.author, Text: r.Text, At: s.now, Flow: r.Flow, State: r.State,
			Choices: r.Choices, Lang: r.Lang, Answers: r.Answers, Status: r.Status}
	}
	snap.Updated = s.now
	snap.FlowsVersion = s.prog.hash
	t.State = snap
	t.Handoff = s.handoff
	t.Rating = s.rating

	res, err := e.store.Commit(ctx, t)
	if err != nil || res.Duplicate {
		return res, err
	}
	before := c.snap
	c.snap, c.prog = snap, s.prog
	if snap.Processed == snap.Seq {
		c.burst = nil
	}
	for i := range s.replies {
		if i < len(res.OutboxIDs) {
			s.replies[i].OutboxID = res.OutboxIDs[i]
		}
	}
	// The handoff is passed on and the listeners hear of the turn before
	// its replies go out (the ticket exists when the customer reads that a
	// person takes over), and all of it before the messages are
	// acknowledged, so whoever waits on Handle and then Flush sees it.
	if s.handoff != nil && e.escalator != nil {
		if err := e.escalator.Escalate(ctx, *s.handoff); err != nil {
			e.log.Error("escalate", "addr", c.addr.String(), "reason", s.handoff.Reason, "err", err)
		}
	}
	e.notify(ctx, before, t, inbound, snap, s.answers)
	if c.away {
		// The holder delivers them, after its own.
		e.tell(ctx, c.addr, len(s.replies) > 0)
	} else {
		e.out.enqueue(c.addr, s.replies)
	}
	return res, nil
}

func appendLine(b *strings.Builder, s string) {
	if b.Len() > 0 {
		b.WriteByte('\n')
	}
	b.WriteString(s)
}

// load reads a conversation from the store the first time its worker needs
// it, and picks the flows version it runs on.
func (e *Engine) load(ctx context.Context, c *conv) error {
	if !c.loaded {
		snap, err := e.store.Load(ctx, c.addr)
		switch {
		case errors.Is(err, ErrNotFound):
			now := e.clock.Now()
			snap = &Snapshot{Address: c.addr, Status: StatusBot, Started: now, Updated: now}
		case err != nil:
			return err
		}
		c.snap = snap
		c.burst = nil
		if snap.Processed < snap.Seq {
			if err := e.loadBurst(ctx, c); err != nil {
				return err
			}
		}
		c.prog = e.version(ctx, snap)
		c.loaded = true
	}
	// Move to the newest flows when the conversation's place exists there.
	if cur := e.prog.Load(); c.prog != cur && cur.has(c.snap.Flow, c.snap.State) {
		c.prog = cur
	}
	return nil
}

// loadBurst reads the stored messages the bot has not answered yet.
func (e *Engine) loadBurst(ctx context.Context, c *conv) error {
	tr, err := e.store.Transcript(ctx, c.addr)
	if err != nil {
		return err
	}
	for _, en := range tr {
		if en.Direction == Inbound && en.Seq > c.snap.Processed {
			c.burst = append(c.burst, en)
		}
	}
	if len(c.burst) > 0 {
		c.burstStart = c.burst[0].At
	}
	return nil
}

// version returns the program a stored conversation continues on: the
// current flows when its state exists there, else the version it started on.
func (e *Engine) version(ctx context.Context, snap *Snapshot) *program {
	cur := e.prog.Load()
	if snap.FlowsVersion == "" || snap.FlowsVersion == cur.hash || cur.has(snap.Flow, snap.State) {
		return cur
	}
	if p := e.kept(snap.FlowsVersion); p != nil {
		return p
	}
	p, err := e.loadVersion(ctx, snap.FlowsVersion)
	if err != nil || !p.has(snap.Flow, snap.State) {
		e.log.Warn("conversation's flow version is gone; starting over", "addr", snap.Address.String(), "version", short(snap.FlowsVersion), "err", err)
		snap.Flow, snap.State = "", ""
		return cur
	}
	e.keep(p)
	return p
}

// keep remembers p for the conversations that load on it, without keeping
// it alive, and forgets the versions the garbage collector dropped.
func (e *Engine) keep(p *program) {
	e.versions.Range(func(k, v any) bool {
		if v.(weak.Pointer[program]).Value() == nil {
			e.versions.CompareAndDelete(k, v)
		}
		return true
	})
	e.versions.Store(p.hash, weak.Make(p))
}

// kept returns the compiled version hash when it is still in memory.
func (e *Engine) kept(hash string) *program {
	if v, ok := e.versions.Load(hash); ok {
		return v.(weak.Pointer[program]).Value()
	}
	return nil
}

func (e *Engine) loadVersion(ctx context.Context, hash string) (*program, error) {
	src, err := e.store.Flows(ctx, hash)
	if err != nil {
		return nil, err
	}
	f, err := flows.Parse("flows@"+short(hash), src)
	if err != nil {
		return nil, err
	}
	return compile(f, e.newAnalyzer)
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

// clone returns a deep copy of s that a turn may change freely.
func (s *Snapshot) clone() *Snapshot {
	c := *s
	c.Offered = slices.Clone(s.Offered)
	c.Moods = slices.Clone(s.Moods)
	c.RecentIDs = slices.Clone(s.RecentIDs)
	if s.Visited != nil {
		c.Visited = make(map[string]int, len(s.Visited))
		for k, v := range s.Visited {
			c.Visited[k] = v
		}
	}
	return &c
}

// blank reports whether s shows nothing: only spaces and invisible
// format characters (such as U+200B) are left once cleanText removed the
// control characters.
func blank(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) })
}

// cleanText makes a message safe to store and read: valid UTF-8, no control
// characters but newlines and tabs, at most MaxStoredBytes.
func cleanText(s string) string {
	if len(s) > MaxStoredBytes {
		s = s[:MaxStoredBytes]
		// Drop a rune the cut split in two.
		for len(s) > 0 {
			if r, size := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || size != 1 {
				break
			}
			s = s[:len(s)-1]
		}
	}
	clean := utf8.ValidString(s)
	for i := 0; clean && i < len(s); i++ {
		if b := s[i]; b < 0x20 && b != '\n' && b != '\t' || b == 0x7f {
			clean = false
		}
	}
	if clean {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		if r == '\r' {
			return '\n'
		}
		return -1
	}, s)
}

// MaxChoiceBytes bounds a message's Choice; flows' option ids are short
// identifiers, so a longer one names no option.
const MaxChoiceBytes = 256

// cleanChoice returns a message's Choice fit to store: "" when it cannot
// name an option (too long, not UTF-8, control characters).
func cleanChoice(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > MaxChoiceBytes || !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
		return ""
	}
	return s
}
