// Package storetest is the conformance suite every bot.Store passes: the
// in-memory store of bot/bottest, store/sqlite and, later, store/postgres.
// Each store's tests call Run with a function that opens an empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) bot.Store { return open(t) })
//	}
//
// The suite checks what the engine relies on (atomic, durable turns,
// exact redelivery checks, resume, an ordered outbox) and the primitives
// several instances sharing one store need: the compare-and-swap on
// Turn.Base (bot.ErrStale), the claim-based outbox and, for a store that
// implements bot.Leases, conversation leases.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
)

// Run runs the suite, one subtest per scenario, each on a store open
// returns (empty, and closed by open's own cleanup).
func Run(t *testing.T, open func(t *testing.T) bot.Store) {
	for _, sc := range []struct {
		name string
		test func(t *testing.T, s bot.Store)
	}{
		{"LoadUnknown", testLoadUnknown},
		{"CommitsInOrder", testCommitsInOrder},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Stale", testStale},
		{"RedeliveredTurn", testRedeliveredTurn},
		{"PartlyRedeliveredTurn", testPartlyRedelivered},
		{"SameIDOtherText", testSameIDOtherText},
		{"Received", testReceived},
		{"Unanswered", testUnanswered},
		{"HandedOff", testHandedOff},
		{"OutboxOrder", testOutboxOrder},
		{"OutboxPaging", testOutboxPaging},
		{"OutboxMetadata", testOutboxMetadata},
		{"MarkSentIdempotent", testMarkSent},
		{"ClaimHeadOfQueue", testClaimHead},
		{"ClaimExpires", testClaimExpires},
		{"ClaimChannelsAndCursor", testClaimFilter},
		{"Flows", testFlows},
		{"TranscriptFrom", testTranscriptFrom},
		{"Leases", testLeases},
		{"LeaseExpires", testLeaseExpires},
		{"PruneLeases", testPruneLeases},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.test(t, open(t)) })
	}
}

var t0 = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

func addr(conv string) bot.Address { return bot.Address{Channel: "test", Conversation: conv} }

// conv builds the turns of one conversation as the engine does: each
// turn stores a customer message and its replies on the seq it was
// built on.
type conv struct {
	addr bot.Address
	seq  int64
}

// turn is the conversation's next turn: a message with platform id pid
// (none when "") and replies.
func (c *conv) turn(pid string, replies ...string) *bot.Turn {
	t := &bot.Turn{Address: c.addr, Base: c.seq}
	c.seq++
	in := c.seq
	t.Inbound = []bot.Entry{{Seq: in, Direction: bot.Inbound, PlatformID: pid, Text: "message " + pid, At: t0.Add(time.Duration(in) * time.Second)}}
	for _, r := range replies {
		c.seq++
		t.Outbound = append(t.Outbound, bot.Entry{Seq: c.seq, Direction: bot.Outbound, Text: r, At: t0.Add(time.Duration(c.seq) * time.Second),
			Flow: "late_delivery", State: "confirm", Lang: "en", Answers: answers(pid), Status: bot.StatusBot})
	}
	t.State = &bot.Snapshot{Address: c.addr, Status: bot.StatusBot, Lang: "en", Flow: "late_delivery", State: "confirm",
		Seq: c.seq, Processed: c.seq, RecentIDs: answers(pid), Started: t0, Updated: t0.Add(time.Duration(c.seq) * time.Second)}
	return t
}

func answers(pid string) []string {
	if pid == "" {
		return nil
	}
	return []string{pid}
}

func commit(t *testing.T, s bot.Store, tr *bot.Turn) bot.CommitResult {
	t.Helper()
	res, err := s.Commit(context.Background(), tr)
	if err != nil {
		t.Fatalf("Commit(%s on seq %d): %v", tr.Address, tr.Base, err)
	}
	return res
}

func transcript(t *testing.T, s bot.Store, a bot.Address) []bot.Entry {
	t.Helper()
	tr, err := s.Transcript(context.Background(), a)
	if err != nil {
		t.Fatalf("Transcript(%s): %v", a, err)
	}
	return tr
}

func pending(t *testing.T, s bot.Store) []bot.Outgoing {
	t.Helper()
	out, err := s.Pending(context.Background(), 0, 0)
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	return out
}

func ids(os []bot.Outgoing) []int64 {
	out := make([]int64, len(os))
	for i, o := range os {
		out[i] = o.ID
	}
	return out
}

func texts(os []bot.Outgoing) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.Address.Conversation + ":" + o.Text
	}
	return out
}

func testLoadUnknown(t *testing.T, s bot.Store) {
	if _, err := s.Load(context.Background(), addr("nobody")); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Load of an unknown conversation = %v, want ErrNotFound", err)
	}
	if tr := transcript(t, s, addr("nobody")); len(tr) != 0 {
		t.Errorf("Transcript of an unknown conversation = %+v, want none", tr)
	}
}

func testCommitsInOrder(t *testing.T, s bot.Store) {
	c := &conv{addr: addr("c")}
	for i := range 5 {
		commit(t, s, c.turn(fmt.Sprint("m", i), "reply"))
	}
	tr := transcript(t, s, c.addr)
	if len(tr) != 10 {
		t.Fatalf("transcript has %d entries, want 10", len(tr))
	}
	for i, en := range tr {
		if en.Seq != int64(i+1) {
			t.Errorf("entry %d has seq %d, want %d", i, en.Seq, i+1)
		}
		if want := bot.Direction([]bot.Direction{bot.Inbound, bot.Outbound}[i%2]); en.Direction != want {
			t.Errorf("entry %d is %s, want %s", i, en.Direction, want)
		}
	}
	sn, err := s.Load(context.Background(), c.addr)
	if err != nil || sn.Seq != 10 || sn.Processed != 10 || sn.Flow != "late_delivery" {
		t.Errorf("Load = %+v, %v, want the last turn's snapshot", sn, err)
	}
}

func testConcurrentWriters(t *testing.T, s bot.Store) {
	const convs, turns = 16, 12
	var wg sync.WaitGroup
	errs := make(chan error, convs)
	for i := range convs {
		wg.Go(func() {
			c := &conv{addr: addr(fmt.Sprint("w", i))}
			for j := range turns {
				if _, err := s.Commit(context.Background(), c.turn(fmt.Sprint("m", j), "reply")); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range convs {
		a := addr(fmt.Sprint("w", i))
		tr := transcript(t, s, a)
		if len(tr) != 2*turns {
			t.Errorf("%s: %d entries, want %d", a, len(tr), 2*turns)
			continue
		}
		for j, en := range tr {
			if en.Seq != int64(j+1) {
				t.Errorf("%s: entry %d has seq %d", a, j, en.Seq)
				break
			}
		}
	}
	if got := len(pending(t, s)); got != convs*turns {
		t.Errorf("%d replies pending, want %d", got, convs*turns)
	}
}

func testStale(t *testing.T, s bot.Store) {
	c := &conv{addr: addr("s")}
	commit(t, s, c.turn("m1", "reply"))
	// An instance still on the conversation as it was before m1.
	old := &conv{addr: c.addr}
	if _, err := s.Commit(context.Background(), old.turn("x1", "other reply")); !errors.Is(err, bot.ErrStale) {
		t.Fatalf("Commit on a stale snapshot = %v, want ErrStale", err)
	}
	if _, err := s.Commit(context.Background(), (&conv{addr: addr("fresh"), seq: 3}).turn("y")); !errors.Is(err, bot.ErrStale) {
		t.Errorf("Commit on seq 3 of a conversation not stored = %v, want ErrStale", err)
	}
	if got := len(transcript(t, s, c.addr)); got != 2 {
		t.Errorf("transcript has %d entries after the stale turn, want 2", got)
	}
	if got, _ := s.Received(context.Background(), c.addr, []string{"x1"}); len(got) != 0 {
		t.Errorf("the stale turn's message was stored: %v", got)
	}
	commit(t, s, c.turn("m2", "reply"))
	if sn, err := s.Load(context.Background(), c.addr); err != nil || sn.Seq != 4 {
		t.Errorf("Load = %+v, %v, want seq 4", sn, err)
	}
}

func testRedeliveredTurn(t *testing.T, s bot.Store) {
	c := &conv{addr: addr("r")}
	first := c.turn("m1", "reply")
	commit(t, s, first)
	again := *first
	again.Base = c.seq // as the engine would build it now
	res := commit(t, s, &again)
	if !res.Duplicate || !slices.Equal(res.Redelivered, []int{0}) || len(res.OutboxIDs) != 0 {
		t.Errorf("redelivered turn: %+v, want Duplicate with Redelivered [0] and no outbox ids", res)
	}
	if got := len(transcript(t, s, c.addr)); got != 2 {
		t.Errorf("transcript has %d entries, want 2", got)
	}
	if got := len(pending(t, s)); got != 1 {
		t.Errorf("%d replies pending, want 1", got)
	}
}

func testPartlyRedelivered(t *testing.T, s bot.Store) {
	c := &conv{addr: addr("p")}
	commit(t, s, c.turn("m1", "reply"))
	base := c.seq
	tr := &bot.Turn{Address: c.addr, Base: base, Inbound: []bot.Entry{
		{Seq: base + 1, Direction: bot.Inbound, PlatformID: "m2", Text: "new"},
		{Seq: base + 2, Direction: bot.Inbound, PlatformID: "m1", Text: "message m1"},
	}, State: &bot.Snapshot{Address: c.addr, Status: bot.StatusBot, Seq: base + 2, Processed: base + 2}}
	res := commit(t, s, tr)
	if !res.Duplicate || !slices.Equal(res.Redelivered, []int{1}) {
		t.Fatalf("partly redelivered turn: %+v, want Duplicate with Redelivered [1]", res)
	}
	if got, _ := s.Received(context.Background(), c.addr, []string{"m2"}); len(got) != 0 {
		t.Errorf("a partly redelivered turn wrote its new message: %v", got)
	}
	// The engine drops the redelivery and commits the rest.
	tr.Inbound = tr.Inbound[:1]
	tr.State.Seq, tr.State.Processed = base+1, base+1
	if res := commit(t, s, tr); res.Duplicate {
		t.Errorf("the rest of the turn: %+v, want it written", res)
	}
	if got := len(transcript(t, s, c.addr)); got != 3 {
		t.Errorf("transcript has %d entries, want 3", got)
	}
}

func testSameIDOtherText(t *testing.T, s bot.Store) {
	c := &conv{addr: addr("o")}
	commit(t, s, c.turn("m1"))
	tr := &bot.Turn{Address: c.addr, Base: c.seq, Inbound: []bot.Entry{{Seq: c.seq + 1, Direction: bot.Inbound, PlatformID: "m1", Text: "another text"}},
		State: &bot.Snapshot{Address: c.addr, Status: bot.StatusBot, Seq: c.seq + 1, Processed: c.seq + 1}}
	if res := commit(t, s, tr); !res.Duplicate || !slices.Equal(res.Redelivered, []int{0}) {
		t.Errorf("same id, other text: %+v, want a redelivery (the engine compares the texts)", res)
	}
	got, err := s.Received(context.Background(), c.addr, []string{"m1"})
	if err != nil || got["m1"] != "message m1" {
		t.Errorf("Received = %v, %v, want the first text", got, err)
	}
	// Platform ids are unique within a conversation, not across them.
	other := &conv{addr: addr("o2")}
	if res := commit(t, s, other.turn("m1")); res.Duplicate {
		t.Errorf("the same id in another conversation was taken for a redelivery")
	}
}

func testReceived(t *testing.T, s bot.Store) {
	c := &conv{addr: addr("rc")}
	commit(t, s, c.turn("a"))
	commit(t, s, c.turn(""))
	commit(t, s, c.turn("b"))
	got, err := s.Received(context.Background(), c.addr, []string{"a", "b", "zz", ""})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "message a", "b": "message b"}
	if len(got) != len(want) || got["a"] != want["a"] || got["b"] != want["b"] {
		t.Errorf("Received = %v, want %v", got, want)
	}
	if got, err := s.Received(context.Background(), addr("nobody"), []string{"a"}); err != nil || len(got) != 0 {
		t.Errorf("Received in an unknown conversation = %v, %v, want none", got, err)
	}
}

func testUnanswered(t *testing.T, s bot.Store) {
	answered := &conv{addr: addr("answered")}
	commit(t, s, answered.turn("a1", "reply"))
	waiting := &conv{addr: addr("waiting")}
	commit(t, s, waiting.turn("w1", "reply"))
	// A message held back (a quiet window): stored, not processed.
	tr := waiting.turn("w2")
	tr.State.Processed = tr.State.Seq - 1
	commit(t, s, tr)
	got, err := s.Unanswered(context.Background())
	if err != nil || !slices.Equal(got, []bot.Address{waiting.addr}) {
		t.Errorf("Unanswered = %v, %v, want [%s]", got, err, waiting.addr)
	}
	commit(t, s, waiting.turn("w3", "reply"))
	if got, err := s.Unanswered(context.Background()); err != nil || len(got) != 0 {
		t.Errorf("Unanswered after the answer = %v, %v, want none", got, err)
	}
}

// handedOff is the optional read a server recovers handoffs with.
type handedOff interface {
	HandedOff(ctx context.Context) ([]bot.HandoffRecord, error)
}

func testHandedOff(t *testing.T, s bot.Store) {
	h, ok := s.(handedOff)
	if !ok {
		t.Skip("the store does not list handed off conversations")
	}
	c := &conv{addr: addr("h")}
	tr := c.turn("m1", "a person takes over")
	tr.State.Status = bot.StatusHuman
	tr.Handoff = &bot.HandoffRecord{Address: c.addr, Reason: "explicit_request", Skill: "billing", Lang: "en", At: t0}
	tr.State.Handoff = tr.Handoff
	commit(t, s, tr)
	commit(t, s, (&conv{addr: addr("bot")}).turn("b1", "reply"))
	got, err := h.HandedOff(context.Background())
	if err != nil || len(got) != 1 || got[0].Address != c.addr || got[0].Reason != "explicit_request" {
		t.Fatalf("HandedOff = %+v, %v, want the one handoff", got, err)
	}
	commit(t, s, c.turn("m2", "back to the bot"))
	if got, err := h.HandedOff(context.Background()); err != nil || len(got) != 0 {
		t.Errorf("HandedOff after the release = %+v, %v, want none", got, err)
	}
}

// interleave commits n turns with one reply to each of convs, in turn.
func interleave(t *testing.T, s bot.Store, n int, convs ...*conv) {
	for i := range n {
		for _, c := range convs {
			commit(t, s, c.turn(fmt.Sprint("m", i), fmt.Sprint("r", i)))
		}
	}
}

func testOutboxOrder(t *testing.T, s bot.Store) {
	a, b := &conv{addr: addr("a")}, &conv{addr: addr("b")}
	interleave(t, s, 3, a, b)
	got := pending(t, s)
	if want := []string{"a:r0", "b:r0", "a:r1", "b:r1", "a:r2", "b:r2"}; !slices.Equal(texts(got), want) {
		t.Errorf("Pending = %q, want %q", texts(got), want)
	}
	if !slices.IsSorted(ids(got)) {
		t.Errorf("Pending ids %v are not oldest first", ids(got))
	}
}

func testOutboxPaging(t *testing.T, s bot.Store) {
	a, b := &conv{addr: addr("a")}, &conv{addr: addr("b")}
	interleave(t, s, 5, a, b)
	all := pending(t, s)
	var paged []bot.Outgoing
	var after int64
	for {
		page, err := s.Pending(context.Background(), after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 3 {
			t.Fatalf("a page of %d, limit 3", len(page))
		}
		paged = append(paged, page...)
		if len(page) < 3 {
			break
		}
		after = page[len(page)-1].ID
	}
	if !slices.Equal(ids(paged), ids(all)) {
		t.Errorf("pages %v, want %v", ids(paged), ids(all))
	}
}

func testOutboxMetadata(t *testing.T, s bot.Store) {
	c := &conv{addr: addr("meta")}
	tr := c.turn("m1", "pick one")
	tr.Outbound[0].Choices = []bot.Choice{{ID: "track", Label: "Track it"}}
	tr.Outbound[0].Author = "ann"
	tr.Outbound[0].Status = bot.StatusHuman
	res := commit(t, s, tr)
	got := pending(t, s)
	want := bot.Outgoing{ID: res.OutboxIDs[0], Address: c.addr, Author: "ann", Text: "pick one", Choices: []bot.Choice{{ID: "track", Label: "Track it"}},
		Lang: "en", Flow: "late_delivery", State: "confirm", Seq: 2, Answers: []string{"m1"}, Status: bot.StatusHuman}
	if len(got) != 1 || fmt.Sprintf("%+v", got[0]) != fmt.Sprintf("%+v", want) {
		t.Errorf("Pending = %+v, want [%+v]", got, want)
	}
	claimed, err := s.ClaimOutbox(context.Background(), bot.OutboxClaim{Owner: "a", Limit: 10, Lease: time.Minute})
	if err != nil || len(claimed) != 1 || fmt.Sprintf("%+v", claimed[0]) != fmt.Sprintf("%+v", want) {
		t.Errorf("ClaimOutbox = %+v, %v, want [%+v]", claimed, err, want)
	}
}

func testMarkSent(t *testing.T, s bot.Store) {
	c := &conv{addr: addr("m")}
	res := commit(t, s, c.turn("m1", "one", "two"))
	ctx := context.Background()
	for range 2 {
		if err := s.MarkSent(ctx, []int64{res.OutboxIDs[0], 999999}); err != nil {
			t.Fatalf("MarkSent: %v", err)
		}
	}
	if got := pending(t, s); !slices.Equal(ids(got), res.OutboxIDs[1:]) {
		t.Errorf("Pending = %v, want %v", ids(got), res.OutboxIDs[1:])
	}
	tr := transcript(t, s, c.addr)
	if len(tr) != 3 || !tr[1].Sent || tr[2].Sent || tr[1].OutboxID != res.OutboxIDs[0] {
		t.Errorf("transcript = %+v, want the first reply sent, the second not", tr)
	}
	if err := s.MarkSent(ctx, nil); err != nil {
		t.Errorf("MarkSent(nil) = %v", err)
	}
}

func claim(t *testing.T, s bot.Store, c bot.OutboxClaim) []string {
	t.Helper()
	if c.Lease == 0 {
		c.Lease = time.Minute
	}
	got, err := s.ClaimOutbox(context.Background(), c)
	if err != nil {
		t.Fatalf("ClaimOutbox(%+v): %v", c, err)
	}
	return texts(got)
}

func testClaimHead(t *testing.T, s bot.Store) {
	a, b := &conv{addr: addr("a")}, &conv{addr: addr("b")}
	interleave(t, s, 2, a, b)
	if got, want := claim(t, s, bot.OutboxClaim{Owner: "one", Limit: 1}), []string{"a:r0"}; !slices.Equal(got, want) {
		t.Fatalf("one claims %q, want %q", got, want)
	}
	// Another owner never gets a reply of a conversation held by "one".
	if got, want := claim(t, s, bot.OutboxClaim{Owner: "two", Limit: 10}), []string{"b:r0", "b:r1"}; !slices.Equal(got, want) {
		t.Fatalf("two claims %q, want %q", got, want)
	}
	// An owner's own live claims are handed out again.
	if got, want := claim(t, s, bot.OutboxClaim{Owner: "one", Limit: 10}), []string{"a:r0", "a:r1"}; !slices.Equal(got, want) {
		t.Fatalf("one claims again %q, want %q", got, want)
	}
	pend := pending(t, s)
	if err := s.MarkSent(context.Background(), []int64{pend[0].ID}); err != nil { // a:r0 delivered
		t.Fatal(err)
	}
	if got := claim(t, s, bot.OutboxClaim{Owner: "three", Limit: 10}); len(got) != 0 {
		t.Errorf("three claims %q while the others hold every queue", got)
	}
	if _, err := s.ClaimOutbox(context.Background(), bot.OutboxClaim{Limit: 1, Lease: time.Minute}); err == nil {
		t.Error("a claim without an owner was accepted")
	}
}

func testClaimExpires(t *testing.T, s bot.Store) {
	a := &conv{addr: addr("a")}
	interleave(t, s, 2, a)
	if got := claim(t, s, bot.OutboxClaim{Owner: "crashed", Limit: 10, Lease: time.Millisecond}); len(got) != 2 {
		t.Fatalf("crashed claims %q, want both replies", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := claim(t, s, bot.OutboxClaim{Owner: "next", Limit: 10})
		if slices.Equal(got, []string{"a:r0", "a:r1"}) {
			return
		}
		if len(got) != 0 {
			t.Fatalf("next claims %q, want all of the queue or nothing", got)
		}
		if time.Now().After(deadline) {
			t.Fatal("an expired claim was never handed to another owner")
		}
	}
}

func testClaimFilter(t *testing.T, s bot.Store) {
	a := &conv{addr: addr("a")}
	w := &conv{addr: bot.Address{Channel: "web", Conversation: "w"}}
	interleave(t, s, 3, a, w)
	if got, want := claim(t, s, bot.OutboxClaim{Owner: "one", Channels: []string{"web"}, Limit: 10}), []string{"w:r0", "w:r1", "w:r2"}; !slices.Equal(got, want) {
		t.Errorf("claim on web = %q, want %q", got, want)
	}
	if got := claim(t, s, bot.OutboxClaim{Owner: "one", Channels: []string{}, Limit: 10}); len(got) != 0 {
		t.Errorf("claim on no channel = %q, want nothing", got)
	}
	pend := pending(t, s)
	var paged []string
	var after int64
	for {
		got, err := s.ClaimOutbox(context.Background(), bot.OutboxClaim{Owner: "one", After: after, Limit: 2, Lease: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, texts(got)...)
		if len(got) < 2 {
			break
		}
		after = got[len(got)-1].ID
	}
	if !slices.Equal(paged, texts(pend)) {
		t.Errorf("claimed by pages %q, want %q", paged, texts(pend))
	}
}

func testFlows(t *testing.T, s bot.Store) {
	ctx := context.Background()
	for range 2 {
		if err := s.SaveFlows(ctx, "h1", []byte("version: 1\n")); err != nil {
			t.Fatalf("SaveFlows: %v", err)
		}
	}
	if err := s.SaveFlows(ctx, "h2", []byte("version: 2\n")); err != nil {
		t.Fatal(err)
	}
	for hash, want := range map[string]string{"h1": "version: 1\n", "h2": "version: 2\n"} {
		if got, err := s.Flows(ctx, hash); err != nil || string(got) != want {
			t.Errorf("Flows(%s) = %q, %v, want %q", hash, got, err, want)
		}
	}
	if _, err := s.Flows(ctx, "nope"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Flows of an unknown hash = %v, want ErrNotFound", err)
	}
}

func testTranscriptFrom(t *testing.T, s bot.Store) {
	tf, ok := s.(bot.TranscriptFromStore)
	if !ok {
		t.Skip("the store has no TranscriptFrom")
	}
	c := &conv{addr: addr("tf")}
	for i := range 3 {
		commit(t, s, c.turn(fmt.Sprint("m", i), "reply"))
	}
	all := transcript(t, s, c.addr)
	for _, after := range []int64{0, 3, 6, 9} {
		got, err := tf.TranscriptFrom(context.Background(), c.addr, after)
		if err != nil {
			t.Fatal(err)
		}
		want := all[min(after, int64(len(all))):]
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("TranscriptFrom(%d) = %+v, want %+v", after, got, want)
		}
	}
}

// leases returns s's bot.Leases, skipping the test for a store without.
func leases(t *testing.T, s bot.Store) bot.Leases {
	t.Helper()
	l, ok := s.(bot.Leases)
	if !ok {
		t.Skip("the store grants no leases")
	}
	return l
}

func lease(t *testing.T, l bot.Leases, a bot.Address, owner string, ttl time.Duration) bool {
	t.Helper()
	got, err := l.Lease(context.Background(), a, owner, ttl)
	if err != nil {
		t.Fatalf("Lease(%s, %s, %v): %v", a, owner, ttl, err)
	}
	return got
}

func release(t *testing.T, l bot.Leases, a bot.Address, owner string) {
	t.Helper()
	if err := l.Release(context.Background(), a, owner); err != nil {
		t.Fatalf("Release(%s, %s): %v", a, owner, err)
	}
}

func testLeases(t *testing.T, s bot.Store) {
	l := leases(t, s)
	a, b := addr("a"), addr("b")
	if !lease(t, l, a, "one", time.Minute) {
		t.Fatal("a free lease was refused")
	}
	if !lease(t, l, a, "one", time.Minute) {
		t.Error("the holder's renewal was refused")
	}
	if lease(t, l, a, "two", time.Minute) {
		t.Error("a live lease was granted to another owner")
	}
	if !lease(t, l, b, "two", time.Minute) {
		t.Error("another conversation's free lease was refused")
	}
	release(t, l, a, "two") // not two's: changes nothing
	if lease(t, l, a, "two", time.Minute) {
		t.Error("a lease was granted after another owner released it")
	}
	release(t, l, a, "one")
	if !lease(t, l, a, "two", time.Minute) {
		t.Error("a released lease was refused")
	}
	if lease(t, l, a, "one", time.Minute) {
		t.Error("the former holder took the lease back from its new holder")
	}
	release(t, l, addr("none"), "one") // no lease: not an error
	if _, err := l.Lease(context.Background(), addr("c"), "", time.Minute); err == nil {
		t.Error("a lease without an owner was granted")
	}
}

func testLeaseExpires(t *testing.T, s bot.Store) {
	l := leases(t, s)
	a, r := addr("crashed"), addr("renewed")
	if !lease(t, l, a, "crashed", time.Millisecond) || !lease(t, l, r, "one", 50*time.Millisecond) {
		t.Fatal("a free lease was refused")
	}
	// A renewal runs from now with the new ttl.
	if !lease(t, l, r, "one", time.Hour) {
		t.Fatal("the holder's renewal was refused")
	}
	start := time.Now()
	for taken := false; !taken; {
		taken = lease(t, l, a, "next", time.Minute)
		if time.Since(start) > 5*time.Second {
			t.Fatal("an expired lease was never granted to another owner")
		}
	}
	// Well past the renewed lease's first ttl, it still holds.
	for time.Since(start) < 100*time.Millisecond {
		if lease(t, l, r, "two", time.Minute) {
			t.Fatal("a renewed lease expired at its first ttl")
		}
	}
}

// testPruneLeases: a store whose Leases keep expired leases prunes those
// expired long enough, and only those: a live lease holds, a pruned one
// is free.
func testPruneLeases(t *testing.T, s bot.Store) {
	l := leases(t, s)
	p, ok := l.(bot.LeasePruner)
	if !ok {
		t.Skip("the store's leases are not pruned (no bot.LeasePruner)")
	}
	ctx := context.Background()
	old, live := addr("expired"), addr("live")
	if !lease(t, l, old, "crashed", time.Millisecond) || !lease(t, l, live, "one", time.Hour) {
		t.Fatal("a free lease was refused")
	}
	if n, err := p.PruneLeases(ctx, time.Hour); err != nil || n != 0 {
		t.Errorf("PruneLeases(1h) right away: %d, %v; want 0 pruned", n, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	var pruned int64
	for pruned == 0 {
		n, err := p.PruneLeases(ctx, 0)
		if err != nil {
			t.Fatalf("PruneLeases(0): %v", err)
		}
		pruned += n
		if time.Now().After(deadline) {
			t.Fatal("the expired lease was never pruned")
		}
	}
	if pruned != 1 {
		t.Errorf("pruned %d leases, want 1 (the expired one)", pruned)
	}
	if lease(t, l, live, "two", time.Minute) {
		t.Error("a live lease was pruned: another owner took it")
	}
	if !lease(t, l, old, "next", time.Minute) {
		t.Error("the pruned lease was refused")
	}
}
