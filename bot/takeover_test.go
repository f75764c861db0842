package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
)

// TestTakeover: a message another instance stored and then crashed before
// answering is answered by this one, once it was found unanswered twice
// in a row; without WithTakeover it waits for a restart.
func TestTakeover(t *testing.T) {
	for _, tc := range []struct {
		name     string
		takeover time.Duration
		want     int
	}{{"with takeover", 5 * time.Second, 1}, {"without", 0, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, bot.WithTakeover(tc.takeover))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- h.Engine.Run(ctx) }()
			defer func() { cancel(); <-done }()
			<-h.Engine.Resumed()

			// The crashed instance stored the customer's message, no answer.
			addr := bot.Address{Channel: bottest.Channel, Conversation: "orphan"}
			// (as the engine stores a message in the quiet window).
			snap := &bot.Snapshot{Address: addr, Status: bot.StatusBot, Lang: "en", Seq: 1, RecentIDs: []string{"p1"}}
			if _, err := h.Store.Commit(ctx, &bot.Turn{Address: addr, State: snap,
				Inbound: []bot.Entry{{Seq: 1, Direction: bot.Inbound, PlatformID: "p1", Text: "intent:late"}}}); err != nil {
				t.Fatal(err)
			}
			// Three looks: the first finds it, the second answers it.
			for range 3 {
				waitTimer(t, h.Clock)
				h.Clock.Advance(5 * time.Second)
				if repliedWithin(h, addr, 2*time.Second) {
					break
				}
			}
			if got := len(h.Sender.Replies(addr)); (got > 0) != (tc.want > 0) {
				t.Errorf("%d replies to the orphaned message", got)
			}
		})
	}
}

// repliedWithin polls for a reply to addr for up to d.
func repliedWithin(h *bottest.Harness, addr bot.Address, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if len(h.Sender.Replies(addr)) > 0 {
			return true
		}
		time.Sleep(5 * time.Millisecond) // polling for the engine's answer
	}
	return false
}

// waitTimer waits until Run has scheduled its next tick on c.
func waitTimer(t *testing.T, c *bottest.Clock) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.Pending() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run scheduled no tick")
		}
		time.Sleep(time.Millisecond) // polling for the engine's timer
	}
}
