package bot_test

import (
	"context"
	"slices"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
)

// TestActionOnStaleConversation: this instance has the conversation in
// memory when another one, on the same store, commits to it (a customer
// message it took, an agent's reply from its desk). A person's action here
// then finds the store moved on: it takes the conversation as stored and
// runs again, rather than failing with ErrStale at every try.
func TestActionOnStaleConversation(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	addr := bot.Address{Channel: bottest.Channel, Conversation: "shared"}
	if err := h.Engine.Handle(ctx, bot.Message{Address: addr, ID: "m1", Text: "intent:late", Locale: "en"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Engine.Flush(ctx, addr); err != nil {
		t.Fatal(err)
	}
	// The other instance: an agent's reply committed on the stored seq.
	snap, err := h.Store.Load(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	next := *snap
	next.Seq++
	next.Processed = snap.Processed
	if _, err := h.Store.Commit(ctx, &bot.Turn{Address: addr, Base: snap.Seq, State: &next,
		Outbound: []bot.Entry{{Seq: next.Seq, Direction: bot.Outbound, Author: "bob", Text: "bob here"}}}); err != nil {
		t.Fatal(err)
	}
	if err := h.Engine.Post(ctx, addr, "alice", "alice here"); err != nil {
		t.Fatalf("Post after another instance committed: %v", err)
	}
	tr, err := h.Store.Transcript(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range tr {
		if e.Author != "" {
			got = append(got, e.Author+": "+e.Text)
		}
	}
	if want := []string{"bob: bob here", "alice: alice here"}; !slices.Equal(got, want) {
		t.Errorf("people's replies %q, want %q", got, want)
	}
}
