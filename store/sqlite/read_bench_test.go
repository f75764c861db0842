package sqlite

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
)

// BenchmarkRead measures the reads that decode stored rows: a
// conversation's transcript of 40 entries (each inbound with its analysis,
// each reply with choices) and an outbox of 20 undelivered replies.
//
//	go test -run '^$' -bench Read -benchmem ./store/sqlite/
func BenchmarkRead(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"), WithSynchronous("NORMAL"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	addr := bot.Address{Channel: "bench", Conversation: "c1"}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range int64(20) {
		in, out := 2*i+1, 2*i+2
		t := &bot.Turn{
			Address: addr,
			Base:    2 * i,
			Inbound: []bot.Entry{{Seq: in, PlatformID: "m" + strconv.FormatInt(in, 10), Text: "my order hasn't arrived", At: start,
				Analysis: &bot.Analysis{Lang: "en", Sentiment: -0.4, Label: "negative", Intent: "late_delivery", IntentScore: 0.8, InScope: true}}},
			Outbound: []bot.Entry{{Seq: out, Text: "Shall we track it together?", At: start, Flow: "late_delivery", State: "options",
				Choices: []bot.Choice{{ID: "track", Label: "Track it"}, {ID: "resend", Label: "Send a new one"}}}},
			State: &bot.Snapshot{Address: addr, Status: bot.StatusBot, Lang: "en", FlowsVersion: "h1", Flow: "late_delivery",
				State: "options", Seq: out, Processed: in, Started: start, Updated: start},
		}
		if _, err := s.Commit(ctx, t); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Transcript", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if tr, err := s.Transcript(ctx, addr); err != nil || len(tr) != 40 {
				b.Fatalf("Transcript = %d entries, %v", len(tr), err)
			}
		}
	})
	b.Run("Pending", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if out, err := s.Pending(ctx, 0, 0); err != nil || len(out) != 20 {
				b.Fatalf("Pending = %d replies, %v", len(out), err)
			}
		}
	})
}
