package postgres

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

// receive waits for the next message on ch.
func receive(t *testing.T, ch <-chan []byte, what string) []byte {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatalf("%s: subscription closed", what)
		}
		return m
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: nothing received", what)
	}
	return nil
}

func connected(t *testing.T, b *Bus) {
	t.Helper()
	select {
	case <-b.Connected():
	case <-time.After(30 * time.Second):
		t.Fatal("bus never listened")
	}
}

// TestBusAcrossInstances publishes on one instance and receives on the
// other, small payloads in the notification, a large one by id; then the
// receiver's listening connection is cut, events are published while it
// is away, and the catch-up read after it reconnects delivers them, each
// once.
func TestBusAcrossInstances(t *testing.T) {
	ctx := context.Background()
	schema := newSchema()
	a, b := openSchema(t, schema), openSchema(t, schema)
	away := make(chan struct{}, 1)
	resume := make(chan struct{})
	listens := 0
	a.beforeListen = func() {
		if listens++; listens == 2 {
			away <- struct{}{}
			<-resume
		}
	}
	ab, err := a.Bus()
	if err != nil {
		t.Fatal(err)
	}
	bb, err := b.Bus()
	if err != nil {
		t.Fatal(err)
	}
	msgs, cancel, err := ab.Subscribe(ctx, "ticket")
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	other, cancelOther, err := ab.Subscribe(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	defer cancelOther()
	connected(t, ab)

	large := bytes.Repeat([]byte("x"), 3*notifyMax)
	for _, p := range [][]byte{[]byte(`{"id":1}`), {0, 1, 2, 255}, large} {
		if err := bb.Publish(ctx, "ticket", p); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, msgs, "publication"); !bytes.Equal(got, p) {
			t.Errorf("got %d bytes %.20q, want %d bytes %.20q", len(got), got, len(p), p)
		}
	}
	if err := bb.Publish(ctx, "other", []byte("o")); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, other, "other topic"); string(got) != "o" {
		t.Errorf("other topic: %q", got)
	}

	// Cut a's listening connection; publish while it reconnects.
	ab.mu.Lock()
	pid := ab.pid
	ab.mu.Unlock()
	if _, err := b.pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, int64(pid)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-away:
	case <-time.After(30 * time.Second):
		t.Fatal("the bus did not reconnect")
	}
	for i := range 3 {
		if err := bb.Publish(ctx, "ticket", fmt.Appendf(nil, "missed %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	close(resume)
	for i := range 3 {
		if got, want := string(receive(t, msgs, "catch-up")), fmt.Sprint("missed ", i); got != want {
			t.Errorf("after reconnecting: got %q, want %q", got, want)
		}
	}
	connected(t, ab)
	if err := bb.Publish(ctx, "ticket", []byte("live again")); err != nil {
		t.Fatal(err)
	}
	if got := string(receive(t, msgs, "after catch-up")); got != "live again" {
		t.Errorf("after catch-up: got %q (an event delivered twice?)", got)
	}
}
