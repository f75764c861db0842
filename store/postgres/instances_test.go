package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
)

// TestMigrationsOnce opens several instances on a new schema at once:
// each migration is applied once (under the advisory lock; without it
// the CREATE TABLEs of two instances collide) and every instance opens.
func TestMigrationsOnce(t *testing.T) {
	schema := newSchema()
	dsn := dsn(t)
	const n = 6
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			s, err := Open(context.Background(), dsn, WithSchema(schema))
			if err == nil {
				err = s.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("open: %v", err)
		}
	}
	s := openSchema(t, schema)
	steps, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if got := count(t, s, `SELECT count(*) FROM schema_migrations`); got != len(steps) {
		t.Errorf("%d migrations recorded, want %d", got, len(steps))
	}
	if _, err := s.pool.Exec(context.Background(), `INSERT INTO schema_migrations VALUES (99, '0099_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), dsn, WithSchema(schema)); !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("open a newer schema: got %v, want ErrSchemaTooNew", err)
	}
}

// TestRedeliveryAcrossInstances sends one platform message to two
// instances at once, as a webhook redelivery hitting another instance
// does: it is stored once; the other instance's turn is a duplicate or
// stale, never a second copy.
func TestRedeliveryAcrossInstances(t *testing.T) {
	schema := newSchema()
	a, b := openSchema(t, schema), openSchema(t, schema)
	for i := range 20 {
		conv := addr(fmt.Sprint("c", i))
		results := make([]error, 2)
		dup := make([]bool, 2)
		var wg sync.WaitGroup
		for j, s := range []*Store{a, b} {
			wg.Go(func() {
				res, err := s.Commit(context.Background(), turn(conv, 1, "m1", "hello"))
				results[j], dup[j] = err, res.Duplicate
			})
		}
		wg.Wait()
		ok := 0
		for j := range 2 {
			switch {
			case results[j] == nil && !dup[j]:
				ok++
			case results[j] == nil && dup[j], errors.Is(results[j], bot.ErrStale):
			default:
				t.Errorf("%s on instance %d: %v", conv, j, results[j])
			}
		}
		if ok != 1 {
			t.Errorf("%s: %d instances stored the message, want 1", conv, ok)
		}
		if tr := mustTranscript(t, a, conv); len(tr) != 2 {
			t.Errorf("%s: transcript %+v, want the message and one reply", conv, tr)
		}
	}
}

// TestStaleAcrossInstances: a turn built on a snapshot another instance
// has moved on from is refused.
func TestStaleAcrossInstances(t *testing.T) {
	schema := newSchema()
	a, b := openSchema(t, schema), openSchema(t, schema)
	c := addr("c")
	mustCommit(t, a, turn(c, 1, "m1", "r1"))
	mustCommit(t, a, turn(c, 3, "m3", "r3"))
	if _, err := b.Commit(context.Background(), turn(c, 3, "m3b", "r3b")); !errors.Is(err, bot.ErrStale) {
		t.Errorf("turn on an old seq on the other instance: got %v, want ErrStale", err)
	}
	if _, err := b.Commit(context.Background(), turn(c, 5, "m5", "r5")); err != nil {
		t.Errorf("turn on the stored seq on the other instance: %v", err)
	}
}

// TestClaimsAcrossInstances claims one outbox from several owners at once:
// every reply is handed to exactly one owner, and each conversation's
// replies to one owner.
func TestClaimsAcrossInstances(t *testing.T) {
	schema := newSchema()
	stores := []*Store{openSchema(t, schema), openSchema(t, schema), openSchema(t, schema)}
	const convs, turns = 30, 3
	for i := range convs {
		for k := range turns {
			seq := int64(1 + 2*k)
			mustCommit(t, stores[0], turn(addr(fmt.Sprint("c", i)), seq, fmt.Sprint("m", seq), "reply"))
		}
	}
	type got struct {
		owner string
		items []bot.Outgoing
	}
	results := make(chan got, 3*convs*turns)
	var wg sync.WaitGroup
	for j, s := range stores {
		owner := fmt.Sprint("instance-", j)
		wg.Go(func() {
			var after int64
			for {
				items, err := s.ClaimOutbox(context.Background(), bot.OutboxClaim{Owner: owner, After: after, Limit: 7, Lease: time.Minute})
				if err != nil {
					t.Error(err)
					return
				}
				if len(items) == 0 {
					return
				}
				results <- got{owner, items}
				after = items[len(items)-1].ID
			}
		})
	}
	wg.Wait()
	close(results)
	byID := map[int64]string{}
	byConv := map[bot.Address]string{}
	for r := range results {
		for _, o := range r.items {
			if prev, ok := byID[o.ID]; ok && prev != r.owner {
				t.Errorf("reply %d claimed by %s and %s", o.ID, prev, r.owner)
			}
			byID[o.ID] = r.owner
			if prev, ok := byConv[o.Address]; ok && prev != r.owner {
				t.Errorf("conversation %s claimed by %s and %s", o.Address, prev, r.owner)
			}
			byConv[o.Address] = r.owner
		}
	}
	if len(byID) != convs*turns {
		t.Errorf("%d replies claimed, want %d", len(byID), convs*turns)
	}
}

// TestSharedState: adapter state and desk revocations written on one
// instance are read on another.
func TestSharedState(t *testing.T) {
	ctx := context.Background()
	schema := newSchema()
	a, b := openSchema(t, schema), openSchema(t, schema)
	if err := a.Set(ctx, "telegram/offset", "501"); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Get(ctx, "telegram/offset"); err != nil || v != "501" {
		t.Errorf("state on the other instance: %q, %v", v, err)
	}
	if err := a.Set(ctx, "telegram/offset", ""); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Get(ctx, "telegram/offset"); err != nil || v != "" {
		t.Errorf("removed state on the other instance: %q, %v", v, err)
	}
	now := time.Now()
	for _, r := range []struct {
		id      string
		expires time.Time
	}{{"past", now.Add(-time.Minute)}, {"live", now.Add(time.Hour)}, {"live", now.Add(time.Hour)}} {
		if err := a.RevokeSession(ctx, r.id, r.expires); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.RevokeSession(ctx, "other", now.Add(time.Hour)); err != nil { // prunes "past"
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"live": true, "past": false, "never": false} {
		if got, err := b.SessionRevoked(ctx, id); err != nil || got != want {
			t.Errorf("SessionRevoked(%q) on the other instance = %v, %v; want %v", id, got, err, want)
		}
	}
}

// TestSharedKey: every instance gets the key the first one made.
func TestSharedKey(t *testing.T) {
	schema := newSchema()
	a, b := openSchema(t, schema), openSchema(t, schema)
	ka, err := a.SharedKey(context.Background())
	if err != nil || len(ka) != 32 {
		t.Fatalf("key: %x, %v", ka, err)
	}
	kb, err := b.SharedKey(context.Background())
	if err != nil || string(kb) != string(ka) {
		t.Errorf("the other instance's key: %x, %v; want %x", kb, err, ka)
	}
}

// TestLeader: of two instances one leads a job; when it closes, the
// other leads.
func TestLeader(t *testing.T) {
	ctx := context.Background()
	schema := newSchema()
	a := openSchema(t, schema)
	b, err := Open(ctx, dsn(t), WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	lb, la := b.Leader("inform"), a.Leader("inform")
	if !lb.Leading(ctx) {
		t.Fatal("the first instance to ask does not lead")
	}
	if !lb.Leading(ctx) {
		t.Fatal("the leader does not lead when it asks again")
	}
	if la.Leading(ctx) {
		t.Fatal("two instances lead")
	}
	if !a.Leader("other job").Leading(ctx) {
		t.Error("another job's leader is blocked by this one")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if !la.Leading(ctx) {
		t.Error("the leader closed, the other instance does not lead")
	}
}

// TestLeaderFollowerKeepsConnection: an instance that does not lead asks
// again on the connection it has, rather than opening one (a new server
// process) each round.
func TestLeaderFollowerKeepsConnection(t *testing.T) {
	ctx := context.Background()
	schema := newSchema()
	a, b := openSchema(t, schema), openSchema(t, schema)
	if !a.Leader("job").Leading(ctx) {
		t.Fatal("the first instance to ask does not lead")
	}
	lb := b.Leader("job")
	if lb.Leading(ctx) {
		t.Fatal("two instances lead")
	}
	first := lb.backend()
	for range 3 {
		if lb.Leading(ctx) {
			t.Fatal("two instances lead")
		}
		if got := lb.backend(); got != first || got == 0 {
			t.Fatalf("the follower's connection is backend %d, was %d: want the same one kept", got, first)
		}
	}
}

// TestPoolSize: the pool has defaultMaxConns connections unless the DSN's
// pool_max_conns or WithMaxConns says otherwise (pgxpool's own default,
// 4 on a small machine, made the turns wait for a connection).
func TestPoolSize(t *testing.T) {
	ctx := context.Background()
	base := dsn(t)
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	for _, c := range []struct {
		dsn  string
		opts []Option
		want int32
	}{
		{base, nil, defaultMaxConns},
		{base + sep + "pool_max_conns=5", nil, 5},
		{base, []Option{WithMaxConns(7)}, 7},
	} {
		s, err := Open(ctx, c.dsn, append(c.opts, WithSchema(newSchema()))...)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.pool.Config().MaxConns; got != c.want {
			t.Errorf("pool of %d connections, want %d (opts %d)", got, c.want, len(c.opts))
		}
		s.Close()
	}
}
