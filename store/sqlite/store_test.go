package sqlite

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
)

func TestRoundTrip(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	a := addr("c1")
	analysis := &bot.Analysis{Lang: "en", Sentiment: -0.5, Label: "negative", Intent: "late_delivery",
		IntentScore: 0.9, InScope: true, Answer: bot.AnswerYes}
	choices := []bot.Choice{{ID: "track", Label: "Track it"}, {ID: "refund", Label: "Refund"}}
	snap := &bot.Snapshot{Address: a, Status: bot.StatusHuman, Lang: "en", FlowsVersion: "h1",
		Flow: "late_delivery", State: "options", Attempts: 1, Unclear: 2, Offered: []string{"track", "refund"},
		Chosen: "refund", Visited: map[string]int{"options": 2}, Seq: 3, Processed: 1,
		RecentIDs: []string{"m1"}, Started: t0, Updated: t0.Add(time.Minute)}
	handoff := &bot.HandoffRecord{Address: a, Reason: "option_needs_human",
		Evidence: map[string]any{"sentiment": -0.5, "option": "refund"}, Skill: "billing", Priority: "high",
		Flow: "late_delivery", State: "options", Lang: "en", At: t0.Add(time.Minute)}
	tr := &bot.Turn{
		Address: a,
		Inbound: []bot.Entry{{Seq: 1, Direction: bot.Inbound, PlatformID: "m1", Text: "where is my parcel", At: t0, Analysis: analysis}},
		Outbound: []bot.Entry{
			{Seq: 2, Direction: bot.Outbound, Text: "Sorry to hear that.", At: t0, Flow: "late_delivery", State: "acknowledge",
				Lang: "en", Answers: []string{"m1"}, Status: bot.StatusBot},
			{Seq: 3, Direction: bot.Outbound, Text: "What would help?", At: t0, Flow: "late_delivery", State: "options", Choices: choices,
				Lang: "en", Answers: []string{"m1"}, Status: bot.StatusHuman},
		},
		State:   snap,
		Handoff: handoff,
	}
	res := mustCommit(t, s, tr)
	if res.Duplicate || len(res.OutboxIDs) != 2 || res.OutboxIDs[0] >= res.OutboxIDs[1] {
		t.Fatalf("Commit = %+v, want two increasing outbox ids", res)
	}

	t.Run("Load", func(t *testing.T) {
		got, err := s.Load(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, snap) {
			t.Errorf("Load = %+v\nwant %+v", got, snap)
		}
		if _, err := s.Load(ctx, addr("nobody")); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Load(unknown) error = %v, want ErrNotFound", err)
		}
	})
	t.Run("Transcript", func(t *testing.T) {
		want := []bot.Entry{tr.Inbound[0], tr.Outbound[0], tr.Outbound[1]}
		want[1].OutboxID, want[2].OutboxID = res.OutboxIDs[0], res.OutboxIDs[1]
		if got := mustTranscript(t, s, a); !reflect.DeepEqual(got, want) {
			t.Errorf("Transcript =\n%+v\nwant\n%+v", got, want)
		}
		if got := mustTranscript(t, s, addr("nobody")); len(got) != 0 {
			t.Errorf("Transcript(unknown) = %+v, want none", got)
		}
	})
	t.Run("Handoffs", func(t *testing.T) {
		got, err := s.Handoffs(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !reflect.DeepEqual(got[0], *handoff) {
			t.Errorf("Handoffs = %+v, want [%+v]", got, *handoff)
		}
	})
	t.Run("PendingAndMarkSent", func(t *testing.T) {
		want := []bot.Outgoing{
			{ID: res.OutboxIDs[0], Address: a, Text: "Sorry to hear that.", Lang: "en", Flow: "late_delivery", State: "acknowledge",
				Seq: 2, Answers: []string{"m1"}, Status: bot.StatusBot},
			{ID: res.OutboxIDs[1], Address: a, Text: "What would help?", Choices: choices, Lang: "en", Flow: "late_delivery", State: "options",
				Seq: 3, Answers: []string{"m1"}, Status: bot.StatusHuman},
		}
		if got := mustPending(t, s); !reflect.DeepEqual(got, want) {
			t.Fatalf("Pending = %+v, want %+v", got, want)
		}
		if got, err := s.Pending(ctx, 0, 1); err != nil || !reflect.DeepEqual(got, want[:1]) {
			t.Fatalf("Pending(1) = %+v, %v, want %+v", got, err, want[:1])
		}
		if err := s.MarkSent(ctx, []int64{res.OutboxIDs[0], 999999}); err != nil {
			t.Fatal(err)
		}
		if got := mustPending(t, s); !reflect.DeepEqual(got, want[1:]) {
			t.Fatalf("Pending after MarkSent = %+v, want %+v", got, want[1:])
		}
		tr := mustTranscript(t, s, a)
		if got := []bool{tr[0].Sent, tr[1].Sent, tr[2].Sent}; !slices.Equal(got, []bool{false, true, false}) {
			t.Errorf("Sent flags = %v, want [false true false]", got)
		}
	})
	t.Run("Unanswered", func(t *testing.T) {
		// The snapshot's Processed is the inbound message's seq: answered.
		if got, err := s.Unanswered(ctx); err != nil || len(got) != 0 {
			t.Errorf("Unanswered = %v, %v, want none", got, err)
		}
	})
	t.Run("Flows", func(t *testing.T) {
		src := []byte("version: 1\n")
		for range 2 { // idempotent
			if err := s.SaveFlows(ctx, "h1", src); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SaveFlows(ctx, "h1", []byte("other")); err != nil {
			t.Fatal(err)
		}
		got, err := s.Flows(ctx, "h1")
		if err != nil || string(got) != string(src) {
			t.Errorf("Flows(h1) = %q, %v, want %q", got, err, src)
		}
		if _, err := s.Flows(ctx, "h2"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Flows(unknown) error = %v, want ErrNotFound", err)
		}
		if err := s.SaveFlows(ctx, "", src); err == nil {
			t.Error("SaveFlows with an empty hash succeeded")
		}
	})
}

func TestUnanswered(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	a, b, c := addr("a"), addr("b"), addr("c")
	// a: stored, not yet processed (no snapshot at all).
	mustCommit(t, s, &bot.Turn{Address: a, Inbound: []bot.Entry{{Seq: 1, PlatformID: "a1", Text: "hello", At: t0}}})
	// b: answered.
	mustCommit(t, s, turn(b, 1, "b1", "hi"))
	// c: answered, then a new message arrives.
	mustCommit(t, s, turn(c, 1, "c1", "hi"))
	mustCommit(t, s, &bot.Turn{Address: c, Inbound: []bot.Entry{{Seq: 3, PlatformID: "c3", Text: "and?", At: t0}}})

	got, err := s.Unanswered(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bot.Address{a, c}; !slices.Equal(got, want) {
		t.Errorf("Unanswered = %v, want %v", got, want)
	}
	if _, err := s.Load(ctx, a); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Load of a conversation without a snapshot: %v, want ErrNotFound", err)
	}

	// Answering c takes it off the list.
	mustCommit(t, s, &bot.Turn{Address: c, Base: 2, Outbound: []bot.Entry{{Seq: 4, Text: "ok"}},
		State: &bot.Snapshot{Status: bot.StatusBot, Seq: 4, Processed: 3}})
	got, err = s.Unanswered(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bot.Address{a}; !slices.Equal(got, want) {
		t.Errorf("Unanswered after answering c = %v, want %v", got, want)
	}
}

func TestAnalysed(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	a := addr("c1")
	mustCommit(t, s, &bot.Turn{Address: a, Inbound: []bot.Entry{{Seq: 1, PlatformID: "p1", Text: "grr", At: t0}}})
	an := &bot.Analysis{Lang: "en", Sentiment: -0.9, Label: "negative", HumanRequest: true}
	mustCommit(t, s, &bot.Turn{Address: a, Analysed: map[int64]*bot.Analysis{1: an}})
	got := mustTranscript(t, s, a)
	if len(got) != 1 || !reflect.DeepEqual(got[0].Analysis, an) {
		t.Fatalf("Transcript = %+v, want the analysis %+v", got, an)
	}

	// Analysing a message that is not there fails the whole turn.
	_, err := s.Commit(ctx, &bot.Turn{Address: a, Analysed: map[int64]*bot.Analysis{7: an},
		Outbound: []bot.Entry{{Seq: 2, Text: "reply"}}})
	if err == nil {
		t.Fatal("Commit analysing an unknown seq succeeded")
	}
	if got := mustTranscript(t, s, a); len(got) != 1 {
		t.Errorf("after the failed turn, transcript has %d entries, want 1", len(got))
	}
}

func TestRedelivery(t *testing.T) {
	t.Run("SequentialCommits", func(t *testing.T) {
		s, _ := openStore(t)
		ctx := context.Background()
		a := addr("c1")
		first := mustCommit(t, s, turn(a, 1, "m1", "reply"))
		if first.Duplicate {
			t.Fatal("first delivery is a duplicate")
		}
		again := turn(a, 3, "m1", "second reply")
		again.Handoff = &bot.HandoffRecord{Reason: "customer_request", Lang: "en"}
		res := mustCommit(t, s, again)
		if !res.Duplicate || len(res.OutboxIDs) != 0 {
			t.Fatalf("redelivery = %+v, want Duplicate and no outbox ids", res)
		}
		// Nothing of the redelivered turn was written.
		if got := mustTranscript(t, s, a); len(got) != 2 {
			t.Errorf("transcript has %d entries, want 2", len(got))
		}
		if sn, err := s.Load(ctx, a); err != nil || sn.Seq != 2 {
			t.Errorf("Load = %+v, %v, want the first turn's snapshot (seq 2)", sn, err)
		}
		if hs, err := s.Handoffs(ctx, a); err != nil || len(hs) != 0 {
			t.Errorf("Handoffs = %+v, %v, want none", hs, err)
		}
		if got := mustPending(t, s); len(got) != 1 {
			t.Errorf("Pending = %+v, want one reply", got)
		}
	})
	t.Run("SameBatch", func(t *testing.T) {
		s, g := openGated(t, nil)
		a := addr("c1")
		results := g.batch(t, s, turn(a, 1, "m1", "reply"), turn(a, 1, "m1", "reply"))
		for i, r := range results {
			if r.err != nil {
				t.Fatalf("turn %d: %v", i, r.err)
			}
		}
		if results[0].res.Duplicate || !results[1].res.Duplicate {
			t.Errorf("Duplicate = %v, %v, want false, true", results[0].res.Duplicate, results[1].res.Duplicate)
		}
		if got := mustTranscript(t, s, a); len(got) != 2 {
			t.Errorf("transcript has %d entries, want 2", len(got))
		}
	})
	t.Run("Received", func(t *testing.T) {
		s, _ := openStore(t)
		a := addr("r")
		mustCommit(t, s, turn(a, 1, "m1", "reply"))
		mustCommit(t, s, turn(a, 3, "", "reply"))
		mustCommit(t, s, turn(addr("other"), 1, "m2"))
		got, err := s.Received(context.Background(), a, []string{"m1", "m2", "", "m1"})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]string{"m1": "message 1"}; !maps.Equal(got, want) {
			t.Errorf("Received = %v, want %v", got, want)
		}
	})
	t.Run("Rules", func(t *testing.T) {
		tests := []struct {
			name   string
			first  *bot.Turn
			second *bot.Turn
			dup    bool
			stored int // transcript entries of the second turn's conversation
			redo   []int
		}{
			{"empty ids are never duplicates", turn(addr("e"), 1, ""), turn(addr("e"), 2, ""), false, 2, nil},
			{"same id on another channel", turn(addr("x"), 1, "m1"),
				turn(bot.Address{Channel: "web", Conversation: "x"}, 1, "m1"), false, 1, nil},
			// Platform ids are unique within a chat only (Telegram's message_id, Slack's ts).
			{"same id in another conversation of the channel", turn(addr("y1"), 1, "m1"), turn(addr("y2"), 1, "m1"), false, 1, nil},
			// Storing m2 alone would leave a gap at seq 2: nothing is stored,
			// and the caller learns which message to drop.
			{"partly new turn is refused whole", turn(addr("p"), 1, "m1"), &bot.Turn{Address: addr("p"), Inbound: []bot.Entry{
				{Seq: 2, PlatformID: "m2", Text: "new"}, {Seq: 3, PlatformID: "m1", Text: "again"}, {Seq: 4, PlatformID: "m3", Text: "new"}}}, true, 1, []int{1}},
			{"same id twice in a turn", turn(addr("t"), 1, "m1"), &bot.Turn{Address: addr("t"), Inbound: []bot.Entry{
				{Seq: 2, PlatformID: "m2", Text: "new"}, {Seq: 3, PlatformID: "m2", Text: "new"}}}, true, 1, []int{1}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s, _ := openStore(t)
				mustCommit(t, s, tt.first)
				res := mustCommit(t, s, tt.second)
				if res.Duplicate != tt.dup || !slices.Equal(res.Redelivered, tt.redo) {
					t.Errorf("Duplicate = %v, Redelivered = %v, want %v, %v", res.Duplicate, res.Redelivered, tt.dup, tt.redo)
				}
				if got := mustTranscript(t, s, tt.second.Address); len(got) != tt.stored {
					t.Errorf("transcript has %d entries, want %d", len(got), tt.stored)
				}
			})
		}
	})
}

// TestAtomicity checks that a turn failing inside a batch leaves no trace
// while the turns around it are committed.
func TestAtomicity(t *testing.T) {
	errBoom := errors.New("boom")
	failing := addr("failing")
	s, g := openGated(t, func(tr *bot.Turn) error {
		if tr.Address == failing {
			return errBoom
		}
		return nil
	})
	ctx := context.Background()
	bad := turn(failing, 1, "f1", "reply")
	bad.Handoff = &bot.HandoffRecord{Reason: "not_calmed", Lang: "en"}
	// A database error in the middle of a turn: its reply takes the seq of
	// the stored message, after the inbound message was inserted.
	clash := addr("clash")
	if r := <-commitAsync(s, turn(clash, 1, "k1"), g); r.err != nil {
		t.Fatal(r.err)
	}
	sqlErr := &bot.Turn{Address: clash, Inbound: []bot.Entry{{Seq: 2, PlatformID: "k2", Text: "x"}},
		Outbound: []bot.Entry{{Seq: 1, Text: "clashing reply"}}, State: &bot.Snapshot{Seq: 9}}

	results := g.batch(t, s, turn(addr("before"), 1, "b1", "reply"), bad, sqlErr, turn(addr("after"), 1, "a1", "reply"))
	if !errors.Is(results[1].err, errBoom) {
		t.Errorf("failing turn: err = %v, want %v", results[1].err, errBoom)
	}
	if results[2].err == nil {
		t.Error("turn with a clashing seq succeeded")
	}
	for _, i := range []int{0, 3} {
		if r := results[i]; r.err != nil || len(r.res.OutboxIDs) != 1 {
			t.Errorf("turn %d = %+v, %v, want committed", i, r.res, r.err)
		}
	}
	for _, a := range []bot.Address{addr("before"), addr("after")} {
		if got := mustTranscript(t, s, a); len(got) != 2 {
			t.Errorf("%s: transcript has %d entries, want 2", a, len(got))
		}
	}
	if got := mustTranscript(t, s, failing); len(got) != 0 {
		t.Errorf("failing turn left %d transcript entries", len(got))
	}
	if _, err := s.Load(ctx, failing); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("failing turn left a snapshot: %v", err)
	}
	if hs, _ := s.Handoffs(ctx, failing); len(hs) != 0 {
		t.Errorf("failing turn left handoffs %+v", hs)
	}
	if got := mustTranscript(t, s, clash); len(got) != 1 {
		t.Errorf("clashing turn left %d transcript entries, want the first turn's 1", len(got))
	}
	if sn, err := s.Load(ctx, clash); err != nil || sn.Seq != 1 {
		t.Errorf("clashing turn changed the snapshot: %+v, %v", sn, err)
	}
	if got := mustPending(t, s); len(got) != 2 {
		t.Errorf("Pending has %d replies, want 2 (before, after)", len(got))
	}
	// The failed turn's message was not stored: its redelivery is new.
	if r := <-commitAsync(s, turn(clash, 2, "k2", "reply"), g); r.err != nil || r.res.Duplicate {
		t.Errorf("retry of the clashing turn = %+v, %v, want stored", r.res, r.err)
	}
}

// commitAsync commits tr while letting one batch through g.
func commitAsync(s *Store, tr *bot.Turn, g *gate) <-chan result {
	out := make(chan result, 1)
	go func() {
		res, err := s.Commit(context.Background(), tr)
		out <- result{res, err}
	}()
	go func() {
		<-g.sizes
		g.release <- struct{}{}
	}()
	return out
}

func TestCommitInvalid(t *testing.T) {
	s, _ := openStore(t)
	a := addr("c1")
	unmarshalable := turn(a, 1, "m1", "reply")
	unmarshalable.Handoff = &bot.HandoffRecord{Reason: "x", Evidence: map[string]any{"f": func() {}}}
	otherAddr := turn(a, 1, "m1")
	otherAddr.State.Address = addr("c2")
	tests := []struct {
		name string
		turn *bot.Turn
	}{
		{"nil", nil},
		{"no channel", &bot.Turn{Address: bot.Address{Conversation: "x"}}},
		{"no conversation", &bot.Turn{Address: bot.Address{Channel: "x"}}},
		{"snapshot of another conversation", otherAddr},
		{"evidence that is not JSON", unmarshalable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Commit(context.Background(), tt.turn); err == nil {
				t.Fatal("Commit succeeded")
			}
		})
	}
	if got := mustTranscript(t, s, a); len(got) != 0 {
		t.Errorf("invalid turns left %d transcript entries", len(got))
	}
}

func TestDurability(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/calmbot.db"
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range 3 {
		a := addr(fmt.Sprint("c", i))
		ids = append(ids, mustCommit(t, s, turn(a, 1, fmt.Sprint("m", i), "r1", "r2")).OutboxIDs...)
	}
	if err := s.MarkSent(ctx, ids[:2]); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	got := mustPending(t, s)
	var gotIDs []int64
	for _, o := range got {
		gotIDs = append(gotIDs, o.ID)
	}
	if !slices.Equal(gotIDs, ids[2:]) {
		t.Errorf("Pending after reopen = %v, want %v", gotIDs, ids[2:])
	}
	if sn, err := s.Load(ctx, addr("c1")); err != nil || sn.Seq != 3 {
		t.Errorf("Load after reopen = %+v, %v", sn, err)
	}
	// The writer knows no ids after a reopen: updates still land.
	mustCommit(t, s, turn(addr("c1"), 4, "m1b", "r3"))
	if err := s.MarkSent(ctx, ids[2:4]); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path)
	if got := mustTranscript(t, s, addr("c1")); len(got) != 5 {
		t.Errorf("transcript after second reopen has %d entries, want 5", len(got))
	}
	if got := mustPending(t, s); len(got) != 3 { // ids[4], ids[5], and r3
		t.Errorf("Pending after second reopen = %+v, want 3 replies", got)
	}
}

// openAt opens the store at path and closes it at the end of the test.
func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConcurrentCommits(t *testing.T) {
	s, _ := openStore(t, WithMaxBatch(16))
	ctx := context.Background()
	const convs, turns = 40, 25
	var wg sync.WaitGroup
	errs := make(chan error, convs)
	for c := range convs {
		wg.Go(func() {
			a := addr(fmt.Sprint("c", c))
			for i := range turns {
				seq := int64(2*i + 1)
				res, err := s.Commit(ctx, turn(a, seq, fmt.Sprint(a.Conversation, "-", i), "reply"))
				if err == nil && (res.Duplicate || len(res.OutboxIDs) != 1) {
					err = fmt.Errorf("%s turn %d: %+v", a, i, res)
				}
				if err == nil && i%2 == 0 {
					err = s.MarkSent(ctx, res.OutboxIDs)
				}
				if err != nil {
					errs <- err
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
	for c := range convs {
		a := addr(fmt.Sprint("c", c))
		got := mustTranscript(t, s, a)
		if len(got) != 2*turns {
			t.Fatalf("%s: %d entries, want %d", a, len(got), 2*turns)
		}
		for i, e := range got {
			if e.Seq != int64(i+1) {
				t.Fatalf("%s: entry %d has seq %d", a, i, e.Seq)
			}
		}
	}
	if got := mustPending(t, s); len(got) != convs*(turns/2) {
		t.Errorf("Pending has %d replies, want %d", len(got), convs*(turns/2))
	}
}

func TestContext(t *testing.T) {
	t.Run("AlreadyCancelled", func(t *testing.T) {
		s, _ := openStore(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := s.Commit(ctx, turn(addr("c1"), 1, "m1")); !errors.Is(err, context.Canceled) {
			t.Errorf("Commit error = %v, want context.Canceled", err)
		}
		if err := s.MarkSent(ctx, []int64{1}); !errors.Is(err, context.Canceled) {
			t.Errorf("MarkSent error = %v, want context.Canceled", err)
		}
		if got := mustTranscript(t, s, addr("c1")); len(got) != 0 {
			t.Errorf("cancelled commit stored %d entries", len(got))
		}
	})
	t.Run("CancelledWhileQueued", func(t *testing.T) {
		s, g := openGated(t, nil)
		// Park the writer.
		blocker := commitAsyncNoRelease(context.Background(), s, turn(addr("blocker"), 1, "b"))
		<-g.sizes
		ctx, cancel := context.WithCancel(context.Background())
		queued := commitAsyncNoRelease(ctx, s, turn(addr("c1"), 1, "m1", "reply"))
		waitFor(t, "queued turn", func() bool { return len(s.reqs) == 1 })
		cancel()
		if r := <-queued; !errors.Is(r.err, context.Canceled) {
			t.Errorf("Commit error = %v, want context.Canceled", r.err)
		}
		g.release <- struct{}{} // blocker
		if r := <-blocker; r.err != nil {
			t.Fatal(r.err)
		}
		<-g.sizes // the batch holding the cancelled turn, skipped
		g.release <- struct{}{}
		// A commit after it goes through: the writer skipped the cancelled one.
		after := commitAsync(s, turn(addr("c2"), 1, "m2"), g)
		if r := <-after; r.err != nil {
			t.Fatal(r.err)
		}
		if got := mustTranscript(t, s, addr("c1")); len(got) != 0 {
			t.Errorf("cancelled commit stored %d entries", len(got))
		}
	})
}

func commitAsyncNoRelease(ctx context.Context, s *Store, tr *bot.Turn) <-chan result {
	out := make(chan result, 1)
	go func() {
		res, err := s.Commit(ctx, tr)
		out <- result{res, err}
	}()
	return out
}

func TestClose(t *testing.T) {
	t.Run("DrainsQueue", func(t *testing.T) {
		g := newGate()
		path := t.TempDir() + "/calmbot.db"
		s, err := Open(context.Background(), path, withHooks(hooks{beforeBatch: g.hook}))
		if err != nil {
			t.Fatal(err)
		}
		blocker := commitAsyncNoRelease(context.Background(), s, turn(addr("blocker"), 1, "b"))
		<-g.sizes
		var queued []<-chan result
		for i := range 5 {
			queued = append(queued, commitAsyncNoRelease(context.Background(), s, turn(addr(fmt.Sprint("c", i)), 1, fmt.Sprint("m", i), "r")))
			waitFor(t, "queued turn", func() bool { return len(s.reqs) == i+1 })
		}
		closed := make(chan error, 1)
		go func() { closed <- s.Close() }()
		close(g.release)
		if err := <-closed; err != nil {
			t.Fatal(err)
		}
		for i, q := range append(queued, blocker) {
			if r := <-q; r.err != nil {
				t.Errorf("commit %d: %v", i, r.err)
			}
		}
		// After Close, writes fail cleanly.
		if _, err := s.Commit(context.Background(), turn(addr("late"), 1, "l")); !errors.Is(err, ErrClosed) {
			t.Errorf("Commit after Close: %v, want ErrClosed", err)
		}
		if err := s.MarkSent(context.Background(), []int64{1}); !errors.Is(err, ErrClosed) {
			t.Errorf("MarkSent after Close: %v, want ErrClosed", err)
		}
		if err := s.SaveFlows(context.Background(), "h", nil); !errors.Is(err, ErrClosed) {
			t.Errorf("SaveFlows after Close: %v, want ErrClosed", err)
		}
		s2 := openAt(t, path)
		if got := mustPending(t, s2); len(got) != 5 {
			t.Errorf("Pending after reopen has %d replies, want 5", len(got))
		}
	})
}

func TestAuthorAndRating(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	a := addr("r")
	tr := turn(a, 1, "m1", "bot reply")
	tr.Outbound = append(tr.Outbound, bot.Entry{Seq: 3, Direction: bot.Outbound, Author: "agent:ada", Text: "Hi, Ada here", At: time.Unix(100, 0)})
	tr.State.Seq = 3
	at := time.Unix(200, 0)
	tr.Rating = &bot.Rating{Address: a, Score: 4, At: at}
	mustCommit(t, s, tr)
	// The comment follows and replaces the row.
	mustCommit(t, s, &bot.Turn{Address: a, Rating: &bot.Rating{Address: a, Score: 4, Comment: "quicker, please", At: at}})

	got := mustTranscript(t, s, a)
	if len(got) != 3 || got[1].Author != "" || got[2].Author != "agent:ada" {
		t.Errorf("authors: %+v", got)
	}
	rs, err := s.Ratings(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Score != 4 || rs[0].Comment != "quicker, please" || !rs[0].At.Equal(at) {
		t.Errorf("ratings = %+v", rs)
	}
	// A score out of range fails the turn and writes nothing.
	if _, err := s.Commit(ctx, &bot.Turn{Address: a, Rating: &bot.Rating{Address: a, Score: 9, At: time.Unix(300, 0)}}); err == nil {
		t.Error("score 9 was stored")
	}
}

func TestHandedOff(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	held, released := addr("held"), addr("released")
	for _, a := range []bot.Address{held, released} {
		tr := turn(a, 1, "m1", "a colleague takes over")
		tr.State.Status = bot.StatusHuman
		tr.Handoff = &bot.HandoffRecord{Address: a, Reason: "customer_request", Skill: "billing", Priority: "high", Lang: "en", At: time.Unix(50, 0)}
		mustCommit(t, s, tr)
	}
	back := turn(released, 3, "m2", "what else can I do?")
	mustCommit(t, s, back) // status bot again
	got, err := s.HandedOff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Address != held || got[0].Reason != "customer_request" || got[0].Skill != "billing" {
		t.Errorf("HandedOff = %+v, want the held conversation only", got)
	}
}

// TestShutdownHonoursItsDeadline: a writer stuck on a batch does not hold
// Shutdown past its deadline; the turn waiting behind it gets an error.
func TestShutdownHonoursItsDeadline(t *testing.T) {
	s, g := openGated(t, nil)
	done := make(chan error, 1)
	go func() {
		_, err := s.Commit(context.Background(), turn(addr("c1"), 1, "m1", "reply"))
		done <- err
	}()
	<-g.sizes // the writer holds the turn's batch
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want the deadline's error", err)
	}
	if _, err := s.Commit(context.Background(), turn(addr("c2"), 1, "m1")); !errors.Is(err, ErrClosed) {
		t.Errorf("Commit after Shutdown = %v, want ErrClosed", err)
	}
	g.release <- struct{}{}
	if err := <-done; err == nil {
		t.Error("the interrupted turn reports success")
	}
}
