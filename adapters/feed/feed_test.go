package feed

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/calmbot/calmbot/handoff"
)

// source is a handoff service with two open tickets and a subscription the
// test feeds.
type source struct {
	tickets    []*handoff.Ticket
	updates    chan handoff.Update
	subscribed chan struct{}
}

func (s *source) SubscribeAll() (<-chan handoff.Update, func()) {
	close(s.subscribed)
	return s.updates, func() {}
}

func (s *source) Tickets() []*handoff.Ticket { return s.tickets }

func TestFollow(t *testing.T) {
	src := &source{
		tickets:    []*handoff.Ticket{{ID: 1, Status: handoff.StatusQueued}, {ID: 2, Status: handoff.StatusAssigned}},
		updates:    make(chan handoff.Update, 4),
		subscribed: make(chan struct{}),
	}
	shown := make(chan string, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Follow(ctx, src, func(_ context.Context, u handoff.Update) {
			id := u.TicketID
			if u.Ticket != nil && u.Ticket.ID != id {
				t.Errorf("update of ticket %d carries ticket %d", id, u.Ticket.ID)
			}
			shown <- fmt.Sprintf("%s %d", u.Kind, id)
		})
	}()
	<-src.subscribed
	src.updates <- handoff.Update{Kind: handoff.UpdateMessage, TicketID: 2}
	src.updates <- handoff.Update{Kind: handoff.UpdateResync}
	want := []string{"ticket 1", "ticket 2", "message 2", "resync 0", "ticket 1", "ticket 2"}
	var got []string
	for range want {
		select {
		case s := <-shown:
			got = append(got, s)
		case <-time.After(10 * time.Second):
			t.Fatalf("shown %q, want %q", got, want)
		}
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("shown %q, want %q", got, want)
	}
	cancel()
	<-done
}

// The subscription closing ends Follow.
func TestFollowClosed(t *testing.T) {
	src := &source{updates: make(chan handoff.Update), subscribed: make(chan struct{})}
	close(src.updates)
	Follow(context.Background(), src, func(context.Context, handoff.Update) { t.Error("shown an update of a closed subscription") })
}
