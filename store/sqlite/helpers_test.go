package sqlite

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/store/sqltest"
)

var t0 = sqltest.T0

// openStore opens a store in a fresh directory and closes it at the end of
// the test.
func openStore(t testing.TB, opts ...Option) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "calmbot.db")
	s, err := Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, path
}

// The helpers both SQL stores' tests use, by their short names here.
var (
	addr, turn                 = sqltest.Addr, sqltest.Turn
	mustCommit, mustTranscript = sqltest.Commit, sqltest.Transcript
)

func mustPending(t testing.TB, s *Store) []bot.Outgoing {
	t.Helper()
	got, err := s.Pending(context.Background(), 0, 0)
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	return got
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
	}
}

// gate holds the writer before each batch until the test lets it go, so
// that a test decides which requests share a batch.
type gate struct {
	sizes   chan int      // the size of each batch the writer reached
	release chan struct{} // each send lets one batch through; closed lets all through
}

func newGate() *gate {
	return &gate{sizes: make(chan int, 64), release: make(chan struct{})}
}

func (g *gate) hook(n int) {
	select {
	case g.sizes <- n:
	default:
	}
	<-g.release
}

// result is what a Commit run in a goroutine returned.
type result struct {
	res bot.CommitResult
	err error
}

// batch commits turns in one writer batch, in order, and returns their
// results. The store must have been opened with g's hook.
func (g *gate) batch(t *testing.T, s *Store, turns ...*bot.Turn) []result {
	t.Helper()
	ctx := context.Background()
	// Park the writer on a batch of its own.
	blocker := make(chan result, 1)
	go func() {
		res, err := s.Commit(ctx, &bot.Turn{Address: addr("blocker"), State: &bot.Snapshot{Status: bot.StatusBot}})
		blocker <- result{res, err}
	}()
	if n := <-g.sizes; n != 1 {
		t.Fatalf("blocker batch has %d requests, want 1", n)
	}
	out := make([]chan result, len(turns))
	for i, tr := range turns {
		out[i] = make(chan result, 1)
		go func() {
			res, err := s.Commit(ctx, tr)
			out[i] <- result{res, err}
		}()
		waitFor(t, "queued turn", func() bool { return len(s.reqs) == i+1 })
	}
	g.release <- struct{}{} // the blocker's batch
	if r := <-blocker; r.err != nil {
		t.Fatalf("blocker: %v", r.err)
	}
	if n := <-g.sizes; n != len(turns) {
		t.Fatalf("batch has %d requests, want %d", n, len(turns))
	}
	g.release <- struct{}{}
	results := make([]result, len(turns))
	for i := range out {
		results[i] = <-out[i]
	}
	return results
}

// openGated opens a store whose writer waits for g before each batch and
// calls inTurn, when not nil, inside every turn.
func openGated(t *testing.T, inTurn func(*bot.Turn) error) (*Store, *gate) {
	t.Helper()
	g := newGate()
	s, _ := openStore(t, withHooks(hooks{beforeBatch: g.hook, inTurn: inTurn}))
	// Registered after openStore's cleanup, so it runs first and lets the
	// writer finish.
	t.Cleanup(func() { close(g.release) })
	return s, g
}
