// Package sqltest is what the tests of the SQL stores (store/sqlite,
// store/postgres) share: helpers that build and commit the engine's turns,
// and TestRetention, the contract of their Prune.
package sqltest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
)

// Addr is the address of conversation conv on the channel "test".
func Addr(conv string) bot.Address { return bot.Address{Channel: "test", Conversation: conv} }

// T0 is when the conversations of Turn start: a time with nanoseconds, which
// the stores keep.
var T0 = time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC)

// Turn builds the engine's usual turn: the customer message seq with
// platform id pid (none when ""), replies after it, and the new snapshot;
// message n is timed n seconds after T0.
func Turn(a bot.Address, seq int64, pid string, replies ...string) *bot.Turn {
	t0 := T0
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

// Committer is the store Commit commits to.
type Committer interface {
	Commit(ctx context.Context, t *bot.Turn) (bot.CommitResult, error)
}

// Commit commits tr to s, failing the test on an error.
func Commit(t testing.TB, s Committer, tr *bot.Turn) bot.CommitResult {
	t.Helper()
	res, err := s.Commit(context.Background(), tr)
	if err != nil {
		t.Fatalf("Commit(%s): %v", tr.Address, err)
	}
	return res
}

// Transcriber is the store Transcript reads.
type Transcriber interface {
	Transcript(ctx context.Context, addr bot.Address) ([]bot.Entry, error)
}

// Transcript returns a's transcript in s, failing the test on an error.
func Transcript(t testing.TB, s Transcriber, a bot.Address) []bot.Entry {
	t.Helper()
	got, err := s.Transcript(context.Background(), a)
	if err != nil {
		t.Fatalf("Transcript(%s): %v", a, err)
	}
	return got
}
