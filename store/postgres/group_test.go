package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/calmbot/calmbot/bot"
)

// commitTogether commits turns in one batch, as one committer gathers
// them, and returns each one's answer.
func commitTogether(s *Store, turns ...*bot.Turn) []*request {
	batch := make([]*request, len(turns))
	for i, t := range turns {
		batch[i] = &request{turn: t, done: make(chan struct{})}
	}
	s.commitBatch(slices.Clone(batch))
	for _, r := range batch {
		<-r.done
	}
	return batch
}

// TestGroupCommitIsolatesFailures puts turns that must fail (a
// redelivery, a stale base, a missing analysed message, a seq taken) in
// one batch with good ones: each gets its own answer and the good ones
// are stored as if alone.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	dup, stale, missing, taken := addr("dup"), addr("stale"), addr("missing"), addr("taken")
	for _, a := range []bot.Address{dup, stale, missing, taken} {
		mustCommit(t, s, turn(a, 1, "m1", "r1"))
	}
	good1 := turn(addr("good1"), 1, "g1", "first", "second", "third")
	good2 := turn(addr("good2"), 1, "g2", "sorry to hear that")
	good2.Handoff = &bot.HandoffRecord{Address: good2.Address, Reason: "explicit_request", Skill: "billing",
		Priority: "high", Lang: "en", At: t0, Evidence: map[string]any{"text": "a person please"}}
	good2.Rating = &bot.Rating{Address: good2.Address, Score: 4, Comment: "fine", At: t0}
	touch := &bot.Turn{Address: addr("touch"), Inbound: []bot.Entry{{Seq: 1, Direction: bot.Inbound, PlatformID: "t1", Text: "typing", At: t0}}}

	redelivery := turn(dup, 3, "m1", "again") // m1 is stored: a redelivery
	old := turn(stale, 1, "m1b", "late")      // built on seq 0, the stored one is 2
	analysed := turn(missing, 3, "m3", "r3")
	analysed.Analysed = map[int64]*bot.Analysis{99: {Lang: "en"}}
	seqTaken := turn(taken, 3, "m3", "r3")
	seqTaken.Inbound[0].Seq = 2 // the reply r1 has seq 2

	rs := commitTogether(s, good1, redelivery, old, analysed, seqTaken, good2, touch)
	if r := rs[0]; r.err != nil || r.res.Duplicate || len(r.res.OutboxIDs) != 3 || !slices.IsSorted(r.res.OutboxIDs) {
		t.Errorf("good1: %+v, %v; want three outbox ids in order", r.res, r.err)
	}
	if r := rs[1]; r.err != nil || !r.res.Duplicate || !slices.Equal(r.res.Redelivered, []int{0}) || r.res.OutboxIDs != nil {
		t.Errorf("redelivery: %+v, %v; want Duplicate, Redelivered [0]", r.res, r.err)
	}
	if r := rs[2]; !errors.Is(r.err, bot.ErrStale) {
		t.Errorf("stale: %+v, %v; want ErrStale", r.res, r.err)
	}
	if r := rs[3]; r.err == nil {
		t.Errorf("missing analysed message: %+v, want an error", r.res)
	}
	if r := rs[4]; r.err == nil {
		t.Errorf("seq taken: %+v, want an error", r.res)
	}
	if r := rs[5]; r.err != nil || len(r.res.OutboxIDs) != 1 {
		t.Errorf("good2: %+v, %v", r.res, r.err)
	}
	if r := rs[6]; r.err != nil || r.res.Duplicate {
		t.Errorf("touch: %+v, %v", r.res, r.err)
	}

	if tr := mustTranscript(t, s, good1.Address); len(tr) != 4 || tr[0].PlatformID != "g1" || tr[3].Text != "third" || tr[3].OutboxID != rs[0].res.OutboxIDs[2] {
		t.Errorf("good1 transcript: %+v", tr)
	}
	for _, a := range []bot.Address{dup, stale, missing, taken} {
		if tr := mustTranscript(t, s, a); len(tr) != 2 {
			t.Errorf("%s: %d entries after its failed turn, want the 2 before it", a, len(tr))
		}
	}
	if sn, err := s.Load(ctx, good2.Address); err != nil || sn.Seq != 2 {
		t.Errorf("good2 snapshot: %+v, %v", sn, err)
	}
	if n := count(t, s, `SELECT count(*) FROM handoffs h JOIN conversations c ON c.id = h.conv_id
		WHERE c.conversation = 'good2' AND h.skill = 'billing' AND h.evidence IS NOT NULL`); n != 1 {
		t.Errorf("good2: %d handoffs stored, want 1", n)
	}
	if n := count(t, s, `SELECT count(*) FROM ratings r JOIN conversations c ON c.id = r.conv_id
		WHERE c.conversation = 'good2' AND r.score = 4 AND r.comment = 'fine'`); n != 1 {
		t.Errorf("good2: %d ratings stored, want 1", n)
	}
	if tr := mustTranscript(t, s, touch.Address); len(tr) != 1 || tr[0].PlatformID != "t1" {
		t.Errorf("touch transcript: %+v", tr)
	}
	if _, err := s.Load(ctx, touch.Address); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("touch: Load: %v, want ErrNotFound (no snapshot)", err)
	}
	if n := count(t, s, `SELECT count(*) FROM conversations WHERE conversation = 'touch' AND last_in = 1`); n != 1 {
		t.Errorf("touch: last_in not raised to 1")
	}
}

// TestGroupCommitAnalysed: a turn's analysis of an inbound message stored
// in an earlier turn is written with the batch.
func TestGroupCommitAnalysed(t *testing.T) {
	s := openStore(t)
	a := addr("held")
	held := turn(a, 1, "m1")
	held.State.Processed = 0
	mustCommit(t, s, held)
	answer := &bot.Turn{Address: a, Base: 1, Analysed: map[int64]*bot.Analysis{1: {Lang: "it", Intent: "late_delivery"}},
		Outbound: []bot.Entry{{Seq: 2, Direction: bot.Outbound, Text: "ciao", At: t0}}}
	sn := *held.State
	sn.Seq, sn.Processed = 2, 1
	answer.State = &sn
	rs := commitTogether(s, answer, turn(addr("other"), 1, "o1", "hi"))
	for i, r := range rs {
		if r.err != nil {
			t.Fatalf("turn %d: %v", i, r.err)
		}
	}
	tr := mustTranscript(t, s, a)
	if len(tr) != 2 || tr[0].Analysis == nil || tr[0].Analysis.Intent != "late_delivery" || tr[1].Text != "ciao" {
		t.Errorf("transcript: %+v", tr)
	}
}

// TestGroupCommitConcurrent commits many conversations' turns at once
// through Commit, as many engine workers do: every turn is stored once,
// in order, whatever batches they shared.
func TestGroupCommitConcurrent(t *testing.T) {
	s := openStore(t)
	const convs, turns = 100, 4
	var wg sync.WaitGroup
	errs := make(chan error, convs)
	for c := range convs {
		wg.Go(func() {
			a := addr(fmt.Sprint("c", c))
			for k := range turns {
				seq := int64(2*k + 1)
				res, err := s.Commit(context.Background(), turn(a, seq, fmt.Sprint("m", seq), "reply"))
				if err != nil || res.Duplicate || len(res.OutboxIDs) != 1 {
					errs <- fmt.Errorf("%s turn %d: %+v, %v", a, k, res, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := count(t, s, `SELECT count(*) FROM messages`); n != convs*turns*2 {
		t.Errorf("%d messages stored, want %d", n, convs*turns*2)
	}
	if n := count(t, s, `SELECT count(*) FROM conversations WHERE seq = $1`, 2*turns); n != convs {
		t.Errorf("%d conversations at seq %d, want %d", n, 2*turns, convs)
	}
}

// TestCommitCancelled: a turn whose context ended before it was committed
// is not written.
func TestCommitCancelled(t *testing.T) {
	s := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := addr("cancelled")
	if _, err := s.Commit(ctx, turn(a, 1, "m1", "r1")); !errors.Is(err, context.Canceled) {
		t.Errorf("Commit with a cancelled context: %v, want context.Canceled", err)
	}
	if tr := mustTranscript(t, s, a); len(tr) != 0 {
		t.Errorf("transcript after a cancelled commit: %+v", tr)
	}
}

// TestCommitAfterClose: Commit on a closed store says so.
func TestCommitAfterClose(t *testing.T) {
	s := openStore(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(context.Background(), turn(addr("late"), 1, "m1", "r1")); !errors.Is(err, ErrClosed) {
		t.Errorf("Commit after Close: %v, want ErrClosed", err)
	}
}
