package sqlite

import (
	"context"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
)

var t0 = time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC)

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

func addr(conv string) bot.Address { return bot.Address{Channel: "test", Conversation: conv} }

// turn builds the engine's usual turn: the customer message seq with
// platform id pid (none when ""), replies after it, and the new snapshot.
func turn(a bot.Address, seq int64, pid string, replies ...string) *bot.Turn {
	t := &bot.Turn{
		Address: a,
		Base:    seq - 1,
		Inbound: []bot.Entry{{Seq: seq, Direction: bot.Inbound, PlatformID: pid, Text: "message " + strconv.FormatInt(seq, 10),
			At: t0.Add(time.Duration(seq) * time.Second)}},
	}
	last := seq
	for _, r := range replies {
		last++
		t.Outbound = append(t.Outbound, bot.Entry{Seq: last, Direction: bot.Outbound, Text: r,
			At: t0.Add(time.Duration(last) * time.Second), Flow: "late_delivery", State: "confirm"})
	}
	t.State = &bot.Snapshot{Address: a, Status: bot.StatusBot, Lang: "en", FlowsVersion: "h1",
		Flow: "late_delivery", State: "confirm", Seq: last, Processed: seq,
		RecentIDs: []string{pid}, Started: t0, Updated: t0.Add(time.Duration(last) * time.Second)}
	return t
}

func mustCommit(t testing.TB, s *Store, tr *bot.Turn) bot.CommitResult {
	t.Helper()
	res, err := s.Commit(context.Background(), tr)
	if err != nil {
		t.Fatalf("Commit(%s): %v", tr.Address, err)
	}
	return res
}

func mustTranscript(t testing.TB, s *Store, a bot.Address) []bot.Entry {
	t.Helper()
	got, err := s.Transcript(context.Background(), a)
	if err != nil {
		t.Fatalf("Transcript(%s): %v", a, err)
	}
	return got
}

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
