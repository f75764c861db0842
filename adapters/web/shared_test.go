package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calmbot/calmbot/adapters/web"
	"github.com/calmbot/calmbot/bus"
)

// TestBusWakesOtherInstance: the customer's stream is on instance B, the
// reply is made and sent by instance A (its engine has A as the web
// Sender): the wake goes over the bus and B's stream delivers the reply.
func TestBusWakesOtherInstance(t *testing.T) {
	b := bus.New()
	defer b.Close()
	e := newEnv(t, web.WithBus(b))
	other := web.New(e.h.Engine, web.WithKey([]byte("test key")), web.WithLogger(slog.New(slog.DiscardHandler)), web.WithBus(b))
	for _, a := range []*web.Adapter{e.a, other} {
		if err := a.Start(context.Background(), e.h.Engine); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(a.Close)
	}
	srv := httptest.NewServer(other.Handler())
	t.Cleanup(srv.Close)
	eb := &env{t: t, h: e.h, a: other, srv: srv}

	c := e.create(`{"lang":"en"}`)
	s := eb.open(c, "").read()
	if code, _ := e.post(c, "", "m1", "my parcel has still not arrived"); code != 202 {
		t.Fatalf("post: %d", code)
	}
	if ev, m := s.nextMessage(); ev != "message" || m.Text != "my parcel has still not arrived" {
		t.Errorf("first event on the other instance: %s %+v", ev, m)
	}
	if ev, m := s.nextMessage(); ev != "reply" || m.Text == "" {
		t.Errorf("second event on the other instance: %s %+v, want the bot's reply", ev, m)
	}
}

// TestBusWakesGathered: wakes go out as events naming one or more
// conversations, one a line (those queued while the last event was
// published go together), and every conversation that had news is named.
func TestBusWakesGathered(t *testing.T) {
	b := bus.New()
	defer b.Close()
	ctx := context.Background()
	events, unsub, err := b.Subscribe(ctx, "web/wake")
	if err != nil {
		t.Fatal(err)
	}
	defer unsub()
	e := newEnv(t, web.WithBus(b))
	if err := e.a.Start(ctx, e.h.Engine); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.a.Close)
	const convs = 20
	want := map[string]bool{}
	for i := range convs {
		c := e.create(`{"lang":"en"}`)
		want[c.ID] = true
		if code, _ := e.post(c, "", fmt.Sprint("m", i), "my parcel has still not arrived"); code != 202 {
			t.Fatalf("post: %d", code)
		}
	}
	timeout := time.After(10 * time.Second)
	for len(want) > 0 {
		select {
		case m := <-events:
			for id := range strings.SplitSeq(string(m), "\n") {
				delete(want, id)
			}
		case <-timeout:
			t.Fatalf("no wake for %d conversations", len(want))
		}
	}
}
