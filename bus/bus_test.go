package bus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/calmbot/calmbot/bus"
)

func TestPublishReachesTheTopicsSubscribers(t *testing.T) {
	b := bus.New()
	ctx := context.Background()
	a1, cancel1, err := b.Subscribe(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	defer cancel1()
	a2, cancel2, _ := b.Subscribe(ctx, "a")
	defer cancel2()
	other, cancel3, _ := b.Subscribe(ctx, "b")
	defer cancel3()
	payload := []byte("ticket 7 claimed")
	if err := b.Publish(ctx, "a", payload); err != nil {
		t.Fatal(err)
	}
	payload[0] = 'X' // the subscribers got a copy
	for i, ch := range []<-chan []byte{a1, a2} {
		if got := string(<-ch); got != "ticket 7 claimed" {
			t.Errorf("subscriber %d got %q", i, got)
		}
	}
	select {
	case m := <-other:
		t.Errorf("topic b got %q", m)
	default:
	}
}

func TestSubscriptionsEnd(t *testing.T) {
	b := bus.New()
	ch, cancel, _ := b.Subscribe(context.Background(), "t")
	cancel()
	cancel() // twice is fine
	if _, ok := <-ch; ok {
		t.Error("channel open after cancel")
	}
	ctx, stop := context.WithCancel(context.Background())
	ch, cancel, _ = b.Subscribe(ctx, "t")
	defer cancel()
	stop()
	if _, ok := <-ch; ok {
		t.Error("channel open after ctx ended")
	}
	if err := b.Publish(context.Background(), "t", nil); err != nil {
		t.Errorf("Publish to nobody = %v", err)
	}
	ch, _, _ = b.Subscribe(context.Background(), "t")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-ch; ok {
		t.Error("channel open after Close")
	}
	if err := b.Publish(context.Background(), "t", nil); !errors.Is(err, bus.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if _, _, err := b.Subscribe(context.Background(), "t"); !errors.Is(err, bus.ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
}

// TestSlowSubscriberDoesNotBlock: Publish never waits for a subscriber
// that does not read; what it misses is counted.
func TestSlowSubscriberDoesNotBlock(t *testing.T) {
	b := bus.New()
	ch, cancel, _ := b.Subscribe(context.Background(), "t")
	defer cancel()
	for i := range 100 {
		if err := b.Publish(context.Background(), "t", fmt.Appendf(nil, "%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := b.Dropped(); got != 100-64 {
		t.Errorf("Dropped = %d, want %d", got, 100-64)
	}
	if got := string(<-ch); got != "0" {
		t.Errorf("first message %q, want the oldest", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	b := bus.New()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ch, cancel, err := b.Subscribe(context.Background(), "t")
			if err != nil {
				t.Error(err)
				return
			}
			defer cancel()
			for range 10 {
				_ = b.Publish(context.Background(), "t", []byte{byte(i)})
			}
			for len(ch) > 0 {
				<-ch
			}
		})
	}
	wg.Wait()
}
