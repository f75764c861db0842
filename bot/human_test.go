package bot_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
)

// recorder is a Listener that keeps the kinds of events per conversation.
type recorder struct {
	mu     sync.Mutex
	events map[bot.Address][]bot.Event
}

func (r *recorder) Notify(_ context.Context, ev bot.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.events == nil {
		r.events = map[bot.Address][]bot.Event{}
	}
	r.events[ev.Address] = append(r.events[ev.Address], ev)
}

func (r *recorder) kinds(a bot.Address) []bot.EventKind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []bot.EventKind
	for _, ev := range r.events[a] {
		out = append(out, ev.Kind)
	}
	return out
}

func TestPersonTakesOverAndReleases(t *testing.T) {
	rec := &recorder{}
	h := newHarness(t, bot.WithListener(rec))
	ctx := context.Background()
	c := h.Chat("en")
	c.Say("intent:late")
	c.Say("human")

	if err := h.Engine.Tell(ctx, c.Addr, func(t *flows.Texts) flows.Text { return t.Waiting }, map[string]string{"position": "2", "wait": "3 minutes"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Engine.Post(ctx, c.Addr, "agent:ada", "Hi, I am Ada. I see your parcel is late; I am checking with the carrier."); err != nil {
		t.Fatal(err)
	}
	got := texts(c.Replies())
	want := []string{"You are number 2 in line; about 3 minutes.", "Hi, I am Ada. I see your parcel is late; I am checking with the carrier."}
	if !slices.Equal(got, want) {
		t.Errorf("while with a person: %q, want %q", got, want)
	}
	// The customer's messages are stored, the bot stays quiet.
	if rs := c.Say("thanks, yes"); len(rs) != 0 {
		t.Errorf("bot spoke: %q", texts(rs))
	}
	// The person hands back at "agree and repeat" after setting up the resend.
	if err := h.Engine.Release(ctx, c.Addr, "", "nowhere"); !errors.Is(err, bot.ErrUnknownState) {
		t.Errorf("release to a missing state: %v", err)
	}
	c.Snapshot()
	snap := c.Snapshot()
	if snap.Status != bot.StatusHuman {
		t.Fatalf("status %s", snap.Status)
	}
	if err := h.Engine.Release(ctx, c.Addr, "", "close"); err != nil {
		t.Fatal(err)
	}
	if got := texts(c.Replies()); len(got) != 1 || got[0] != "Is there anything else I can help with?" {
		t.Errorf("after release: %q", got)
	}
	// A person helped: after the farewell the customer is offered the
	// rating, once, with the scores as buttons.
	closing := c.Say("no")
	if got := texts(closing); len(got) != 2 || got[0] != "It was a pleasure to help. You can reach us here or at help@example.com." ||
		got[1] != "How would you rate the help you got, from 1 to 5?" {
		t.Fatalf("bot closes: %q", got)
	}
	var scores []string
	for _, ch := range closing[1].Choices {
		scores = append(scores, ch.ID+"="+ch.Label)
	}
	if !slices.Equal(scores, []string{"1=1", "2=2", "3=3", "4=4", "5=5"}) {
		t.Errorf("rating choices %q, want 1 to 5", scores)
	}
	if snap := c.Snapshot(); snap.Status != bot.StatusRating || !snap.RatingOffered {
		t.Errorf("after the farewell: %s, offered %v", snap.Status, snap.RatingOffered)
	}
	c.Tap("5", "5")
	if snap := c.Snapshot(); snap.Score != 5 {
		t.Errorf("after tapping 5: score %d", snap.Score)
	}
	if err := h.Engine.Release(ctx, c.Addr, "", "close"); !errors.Is(err, bot.ErrNotWithHuman) {
		t.Errorf("release of an ended conversation: %v", err)
	}

	tr, _ := h.Engine.Transcript(ctx, c.Addr)
	var authors []string
	for _, e := range tr {
		if e.Author != "" {
			authors = append(authors, e.Author)
		}
	}
	if !slices.Equal(authors, []string{"agent:ada"}) {
		t.Errorf("authors in transcript: %q", authors)
	}
	kinds := rec.kinds(c.Addr)
	for _, k := range []bot.EventKind{bot.EventStarted, bot.EventMessage, bot.EventReply, bot.EventHandoff, bot.EventReleased, bot.EventEnded} {
		if !slices.Contains(kinds, k) {
			t.Errorf("no %s event in %v", k, kinds)
		}
	}
	if kinds[0] != bot.EventStarted {
		t.Errorf("first event %s, want started", kinds[0])
	}
}

func TestFinishAsksForRating(t *testing.T) {
	rec := &recorder{}
	h := newHarness(t, bot.WithListener(rec))
	ctx := context.Background()

	tests := []struct {
		name    string
		answers []string
		score   int
		comment string
		final   bot.Status
	}{
		{"score and comment", []string{"4", "faster next time"}, 4, "faster next time", bot.StatusEnded},
		{"stars", []string{"⭐⭐⭐⭐⭐", "all good"}, 5, "all good", bot.StatusEnded},
		{"no rating, a new concern", []string{"intent:late my other parcel is late too"}, 0, "", bot.StatusBot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := h.Chat("en")
			c.Say("human")
			if err := h.Engine.Finish(ctx, c.Addr, true); err != nil {
				t.Fatal(err)
			}
			if got := texts(c.Replies()); len(got) != 1 || got[0] != "How would you rate the help you got, from 1 to 5?" {
				t.Errorf("finish: %q", got)
			}
			for _, a := range tt.answers {
				c.Say(a)
			}
			snap := c.Snapshot()
			if snap.Status != tt.final {
				t.Errorf("status %s, want %s", snap.Status, tt.final)
			}
			var rated []*bot.Rating
			for _, ev := range rec.events[c.Addr] {
				if ev.Kind == bot.EventRated {
					rated = append(rated, ev.Rating)
				}
			}
			if tt.score == 0 {
				if len(rated) != 0 || snap.State != "confirm" {
					t.Errorf("rated %v, state %q: want no rating and the new concern's flow", rated, snap.State)
				}
				return
			}
			if len(rated) != 1 || rated[0].Score != tt.score {
				t.Errorf("rated events %+v, want one with score %d", rated, tt.score)
			}
			rs := h.Store.Ratings(c.Addr)
			if len(rs) != 1 || rs[0].Score != tt.score || rs[0].Comment != tt.comment {
				t.Errorf("stored ratings %+v", rs)
			}
		})
	}
	c := h.Chat("en")
	c.Say("human")
	if err := h.Engine.Finish(ctx, c.Addr, false); err != nil {
		t.Fatal(err)
	}
	if got := texts(c.Replies()); len(got) != 1 || got[0] != "It was a pleasure to help. You can reach us here or at help@example.com." {
		t.Errorf("finish without rating: %q", got)
	}
	if err := h.Engine.Finish(ctx, c.Addr, false); !errors.Is(err, bot.ErrNotWithHuman) {
		t.Errorf("second finish: %v", err)
	}
}

func TestPostNeedsAConversation(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	err := h.Engine.Post(ctx, bot.Address{Channel: "test", Conversation: "nobody"}, "agent:a", "hello")
	if !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("post to an unknown conversation: %v", err)
	}
	if err := h.Engine.Post(ctx, bot.Address{Channel: "test", Conversation: "x"}, "agent:a", "  "); !errors.Is(err, bot.ErrEmptyText) {
		t.Errorf("empty post: %v", err)
	}
}
