package sqlite

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/calmbot/calmbot/bot"
)

// TestBatchUndo puts into one batch, among good turns, every kind of turn
// the writer must undo: a redelivery, a stale turn and a turn that fails
// (twice: the second one runs after the writer went back to savepoints).
// Each gets its own outcome, and the good turns are committed with the
// outbox ids their rows really have.
func TestBatchUndo(t *testing.T) {
	errBoom := errors.New("boom")
	s, g := openGated(t, func(tr *bot.Turn) error {
		if tr.Address == addr("fail1") || tr.Address == addr("fail2") {
			return errBoom
		}
		return nil
	})
	ctx := context.Background()
	for _, a := range []string{"dup", "stale"} {
		if r := <-commitAsync(s, turn(addr(a), 1, a+"1", "reply"), g); r.err != nil {
			t.Fatal(r.err)
		}
	}
	redelivered := turn(addr("dup"), 3, "dup1", "reply to the redelivery")
	stale := turn(addr("stale"), 1, "stale-x", "reply on an old snapshot")
	goods := []bot.Address{addr("good1"), addr("good2"), addr("good3"), addr("dup")}
	results := g.batch(t, s,
		turn(goods[0], 1, "g1", "a", "b"),
		redelivered,
		turn(goods[1], 1, "g2", "c"),
		turn(addr("fail1"), 1, "f1", "never"),
		stale,
		turn(addr("fail2"), 1, "f2", "never"),
		turn(goods[2], 1, "g3", "d", "e", "f"),
		turn(goods[3], 3, "dup3", "g"),
	)
	if r := results[1]; r.err != nil || !r.res.Duplicate || !slices.Equal(r.res.Redelivered, []int{0}) {
		t.Errorf("redelivery = %+v, %v, want a duplicate of inbound 0", r.res, r.err)
	}
	if r := results[4]; !errors.Is(r.err, bot.ErrStale) {
		t.Errorf("stale turn = %+v, %v, want ErrStale", r.res, r.err)
	}
	for _, i := range []int{3, 5} {
		if r := results[i]; !errors.Is(r.err, errBoom) {
			t.Errorf("failing turn %d = %+v, %v, want %v", i, r.res, r.err, errBoom)
		}
	}
	var ids []int64
	for n, i := range []int{0, 2, 6, 7} {
		r := results[i]
		if r.err != nil || r.res.Duplicate {
			t.Errorf("turn %d = %+v, %v, want committed", i, r.res, r.err)
			continue
		}
		var want []int64
		for _, e := range mustTranscript(t, s, goods[n]) {
			if e.Direction == bot.Outbound && e.Seq > 2 || goods[n] != addr("dup") && e.Direction == bot.Outbound {
				want = append(want, e.OutboxID)
			}
		}
		if !slices.Equal(r.res.OutboxIDs, want) {
			t.Errorf("turn %d: outbox ids %v, want those stored, %v", i, r.res.OutboxIDs, want)
		}
		ids = append(ids, r.res.OutboxIDs...)
	}
	for _, a := range []string{"fail1", "fail2"} {
		if got := mustTranscript(t, s, addr(a)); len(got) != 0 {
			t.Errorf("%s left %d transcript entries", a, len(got))
		}
	}
	if got := mustTranscript(t, s, addr("stale")); len(got) != 2 {
		t.Errorf("stale conversation has %d entries, want its first turn's 2", len(got))
	}
	// Pending holds the first turns' replies and the good turns', no other.
	var pending []int64
	for _, o := range mustPending(t, s) {
		if o.Address != addr("stale") && (o.Address != addr("dup") || o.Seq > 2) {
			pending = append(pending, o.ID)
		}
	}
	slices.Sort(ids)
	if !slices.Equal(pending, ids) {
		t.Errorf("pending replies %v, want the good turns' %v", pending, ids)
	}
	if sn, err := s.Load(ctx, addr("dup")); err != nil || sn.Seq != 4 {
		t.Errorf("Load(dup) = %+v, %v, want seq 4", sn, err)
	}
}

// TestManyRows commits a turn with more rows than one INSERT holds: every
// reply gets its own outbox id, in order, and a redelivery in the second
// INSERT is still found.
func TestManyRows(t *testing.T) {
	s, _ := openStore(t)
	a := addr("many")
	var replies []string
	for i := range 2*maxRows + 3 {
		replies = append(replies, "reply "+strconv.Itoa(i))
	}
	res := mustCommit(t, s, turn(a, 1, "m1", replies...))
	got := mustTranscript(t, s, a)
	if len(got) != len(replies)+1 {
		t.Fatalf("transcript has %d entries, want %d", len(got), len(replies)+1)
	}
	for i, e := range got[1:] {
		if e.Text != replies[i] || res.OutboxIDs[i] != e.OutboxID {
			t.Errorf("reply %d: %q with id %d, committed as id %d", i, e.Text, e.OutboxID, res.OutboxIDs[i])
		}
	}
	// A burst of new messages whose last one was stored already.
	base := int64(len(replies) + 1)
	tr := &bot.Turn{Address: a, Base: base, State: &bot.Snapshot{Address: a, Status: bot.StatusBot, Seq: base + maxRows + 1}}
	for i := range maxRows + 1 {
		pid := "n" + strconv.Itoa(i)
		if i == maxRows {
			pid = "m1"
		}
		tr.Inbound = append(tr.Inbound, bot.Entry{Seq: base + int64(i) + 1, Direction: bot.Inbound, PlatformID: pid, Text: "burst"})
	}
	res = mustCommit(t, s, tr)
	if !res.Duplicate || !slices.Equal(res.Redelivered, []int{maxRows}) {
		t.Errorf("burst with a redelivery = %+v, want Redelivered [%d]", res, maxRows)
	}
	if got := mustTranscript(t, s, a); len(got) != len(replies)+1 {
		t.Errorf("the duplicate burst left %d entries, want %d", len(got), len(replies)+1)
	}
}

// TestMarkSentMany marks more replies sent than one statement holds, in a
// count that needs a padded list: exactly those are sent.
func TestMarkSentMany(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	var ids []int64
	for i := range 150 {
		a := addr("m" + strconv.Itoa(i))
		ids = append(ids, mustCommit(t, s, turn(a, 1, "p", "one", "two")).OutboxIDs...)
	}
	marked := ids[:len(ids)-7] // 293 ids: 64, 64, 64, 64 and 37 padded to 64
	if err := s.MarkSent(ctx, marked); err != nil {
		t.Fatal(err)
	}
	var pending []int64
	for _, o := range mustPending(t, s) {
		pending = append(pending, o.ID)
	}
	if want := ids[len(ids)-7:]; !slices.Equal(pending, want) {
		t.Errorf("pending after MarkSent = %v, want %v", pending, want)
	}
}
