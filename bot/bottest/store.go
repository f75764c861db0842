package bottest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/calmbot/calmbot/bot"
)

// Store is an in-memory bot.Store for tests. FailCommits makes Commit fail
// while it is set.
type Store struct {
	// LocalLeases grants conversation leases (bot.Leases) within the process.
	bot.LocalLeases

	mu          sync.Mutex
	convs       map[bot.Address]*bot.Snapshot
	entries     map[bot.Address][]bot.Entry
	seen        map[string]string // dedupeKey -> text
	handoffs    map[bot.Address][]bot.HandoffRecord
	ratings     map[bot.Address][]bot.Rating
	outbox      map[int64]bot.Outgoing
	claims      map[int64]claim
	nextID      int64
	flows       map[string][]byte
	commits     int
	transcripts int // Transcript calls

	// FailCommits, while non-nil, is returned by Commit, which then writes nothing.
	FailCommits error

	hook     func(*bot.Turn) // see SetCommitHook
	markHook func([]int64)   // see SetMarkHook
	now      func() time.Time
}

// claim is an outbox entry's claim by an owner, live until until.
type claim struct {
	owner string
	until time.Time
}

var _ bot.Store = (*Store)(nil)

// NewStore returns an empty Store.
func NewStore() *Store {
	return &Store{
		convs:    map[bot.Address]*bot.Snapshot{},
		entries:  map[bot.Address][]bot.Entry{},
		seen:     map[string]string{},
		handoffs: map[bot.Address][]bot.HandoffRecord{},
		ratings:  map[bot.Address][]bot.Rating{},
		outbox:   map[int64]bot.Outgoing{},
		claims:   map[int64]claim{},
		flows:    map[string][]byte{},
		now:      time.Now,
	}
}

// Load implements bot.Store.
func (s *Store) Load(_ context.Context, addr bot.Address) (*bot.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, ok := s.convs[addr]
	if !ok {
		return nil, fmt.Errorf("conversation %s: %w", addr, bot.ErrNotFound)
	}
	c := *snap
	c.Offered = slices.Clone(snap.Offered)
	c.RecentIDs = slices.Clone(snap.RecentIDs)
	if snap.Visited != nil {
		c.Visited = map[string]int{}
		for k, v := range snap.Visited {
			c.Visited[k] = v
		}
	}
	return &c, nil
}

// Commit implements bot.Store.
func (s *Store) Commit(_ context.Context, t *bot.Turn) (bot.CommitResult, error) {
	s.mu.Lock()
	hook := s.hook
	s.mu.Unlock()
	if hook != nil {
		hook(t)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.FailCommits != nil {
		return bot.CommitResult{}, s.FailCommits
	}
	var dups []int
	for i, en := range t.Inbound {
		if en.PlatformID == "" {
			continue
		}
		_, seen := s.seen[dedupeKey(t.Address, en.PlatformID)]
		if seen || slices.ContainsFunc(t.Inbound[:i], func(x bot.Entry) bool { return x.PlatformID == en.PlatformID }) {
			dups = append(dups, i)
		}
	}
	if len(dups) > 0 {
		// Like a real store: a redelivery writes nothing at all.
		return bot.CommitResult{Duplicate: true, Redelivered: dups}, nil
	}
	if t.State != nil {
		var stored int64
		if snap, ok := s.convs[t.Address]; ok {
			stored = snap.Seq
		}
		if t.Base != stored {
			return bot.CommitResult{}, fmt.Errorf("commit %s on seq %d, stored %d: %w", t.Address, t.Base, stored, bot.ErrStale)
		}
	}
	s.commits++
	for _, en := range t.Inbound {
		if en.PlatformID != "" {
			s.seen[dedupeKey(t.Address, en.PlatformID)] = en.Text
		}
		s.entries[t.Address] = append(s.entries[t.Address], en)
	}
	for seq, a := range t.Analysed {
		es := s.entries[t.Address]
		for i := range es {
			if es[i].Seq == seq && es[i].Direction == bot.Inbound {
				es[i].Analysis = a
			}
		}
	}
	var res bot.CommitResult
	for _, en := range t.Outbound {
		s.nextID++
		en.OutboxID = s.nextID
		s.entries[t.Address] = append(s.entries[t.Address], en)
		s.outbox[s.nextID] = bot.Outgoing{ID: s.nextID, Address: t.Address, Author: en.Author, Text: en.Text, Choices: en.Choices,
			Lang: en.Lang, Flow: en.Flow, State: en.State, Seq: en.Seq, Answers: slices.Clone(en.Answers), Status: en.Status}
		res.OutboxIDs = append(res.OutboxIDs, s.nextID)
	}
	if t.State != nil {
		c := *t.State
		s.convs[t.Address] = &c
	}
	if t.Handoff != nil {
		s.handoffs[t.Address] = append(s.handoffs[t.Address], *t.Handoff)
	}
	if r := t.Rating; r != nil {
		rs := s.ratings[t.Address]
		i := slices.IndexFunc(rs, func(x bot.Rating) bool { return x.At.Equal(r.At) })
		if i >= 0 {
			rs[i] = *r
		} else {
			s.ratings[t.Address] = append(rs, *r)
		}
	}
	return res, nil
}

// dedupeKey identifies a platform message: platform ids are unique within
// a conversation (Telegram's message_id, Slack's ts), not across them.
func dedupeKey(a bot.Address, id string) string {
	return a.Channel + "\x00" + a.Conversation + "\x00" + id
}

// Received implements bot.Store.
func (s *Store) Received(_ context.Context, addr bot.Address, ids []string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		if text, ok := s.seen[dedupeKey(addr, id)]; ok && id != "" {
			out[id] = text
		}
	}
	return out, nil
}

// Transcript implements bot.Store.
func (s *Store) Transcript(_ context.Context, addr bot.Address) ([]bot.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.transcripts++
	out := slices.Clone(s.entries[addr])
	for i := range out {
		if out[i].OutboxID != 0 {
			_, pending := s.outbox[out[i].OutboxID]
			out[i].Sent = !pending
		}
	}
	return out, nil
}

// Pending implements bot.Store.
func (s *Store) Pending(_ context.Context, after int64, limit int) ([]bot.Outgoing, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.pending(after)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// pending returns the outbox entries above after, oldest first.
func (s *Store) pending(after int64) []bot.Outgoing {
	var out []bot.Outgoing
	for _, o := range s.outbox {
		if o.ID > after {
			o.Answers = slices.Clone(o.Answers)
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b bot.Outgoing) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// ClaimOutbox implements bot.Store.
func (s *Store) ClaimOutbox(_ context.Context, c bot.OutboxClaim) ([]bot.Outgoing, error) {
	if c.Owner == "" || c.Limit < 1 || c.Lease <= 0 {
		return nil, fmt.Errorf("claim outbox: need an owner, a limit and a lease, got %+v", c)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	held := map[bot.Address]bool{} // conversations another owner holds
	for id, cl := range s.claims {
		if o, ok := s.outbox[id]; ok && cl.owner != c.Owner && cl.until.After(now) {
			held[o.Address] = true
		}
	}
	var out []bot.Outgoing
	for _, o := range s.pending(c.After) {
		if len(out) == c.Limit {
			break
		}
		if held[o.Address] || c.Channels != nil && !slices.Contains(c.Channels, o.Address.Channel) {
			continue
		}
		s.claims[o.ID] = claim{owner: c.Owner, until: now.Add(c.Lease)}
		out = append(out, o)
	}
	return out, nil
}

// MarkSent implements bot.Store.
func (s *Store) MarkSent(_ context.Context, ids []int64) error {
	s.mu.Lock()
	hook := s.markHook
	s.mu.Unlock()
	if hook != nil {
		hook(ids)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		delete(s.outbox, id)
		delete(s.claims, id)
	}
	return nil
}

// SetMarkHook makes every MarkSent call f first, outside the store's lock
// (a test blocks in it to hold a delivery between send and mark); nil
// removes it.
func (s *Store) SetMarkHook(f func(ids []int64)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.markHook = f
}

// SetNow replaces the clock claims expire on (time.Now by default).
func (s *Store) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Unanswered implements bot.Store.
func (s *Store) Unanswered(_ context.Context) ([]bot.Address, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []bot.Address
	for addr, snap := range s.convs {
		for _, en := range s.entries[addr] {
			if en.Direction == bot.Inbound && en.Seq > snap.Processed {
				out = append(out, addr)
				break
			}
		}
	}
	return out, nil
}

// SaveFlows implements bot.Store.
func (s *Store) SaveFlows(_ context.Context, hash string, source []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flows[hash] = slices.Clone(source)
	return nil
}

// Flows implements bot.Store.
func (s *Store) Flows(_ context.Context, hash string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	src, ok := s.flows[hash]
	if !ok {
		return nil, fmt.Errorf("flows %s: %w", hash, bot.ErrNotFound)
	}
	return src, nil
}

// Handoffs returns the handoffs stored for addr.
func (s *Store) Handoffs(addr bot.Address) []bot.HandoffRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.handoffs[addr])
}

// Ratings returns the ratings stored for addr.
func (s *Store) Ratings(addr bot.Address) []bot.Rating {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ratings[addr])
}

// Transcripts counts the Transcript calls.
func (s *Store) Transcripts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transcripts
}

// Commits counts the commits that wrote something.
func (s *Store) Commits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commits
}

// ErrInjected is a ready-made error for FailCommits.
var ErrInjected = errors.New("injected store failure")

// SetCommitHook makes every Commit call f first, outside the store's lock
// (a test blocks in it to hold the conversation's worker); nil removes it.
func (s *Store) SetCommitHook(f func(*bot.Turn)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = f
}

// SetFailCommits sets or clears FailCommits safely.
func (s *Store) SetFailCommits(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.FailCommits = err
}

var _ bot.TranscriptFromStore = (*Store)(nil)

// TranscriptFrom implements bot.TranscriptFromStore: the entries after seq
// after, copied without the rest.
func (s *Store) TranscriptFrom(_ context.Context, addr bot.Address, after int64) ([]bot.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.entries[addr]
	i, _ := slices.BinarySearchFunc(all, after+1, func(e bot.Entry, seq int64) int { return cmp.Compare(e.Seq, seq) })
	out := slices.Clone(all[i:])
	for i := range out {
		if out[i].OutboxID != 0 {
			_, pending := s.outbox[out[i].OutboxID]
			out[i].Sent = !pending
		}
	}
	return out, nil
}
