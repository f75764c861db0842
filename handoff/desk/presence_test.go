package desk_test

import (
	"testing"
	"time"

	"github.com/calmbot/calmbot/handoff"
)

// TestPresenceFollowsDesk checks that an agent is online while a desk of
// theirs is open, away a minute after the last one closed, offline ten
// minutes after, that no waiting customer's estimate counts them then, and
// that they are online again when the desk reopens.
func TestPresenceFollowsDesk(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 1)
	_, tk := r.handoff("I want to talk to a human")
	c := r.login("ada")
	presence := func() handoff.Presence {
		t.Helper()
		a, err := r.svc.Agent("ada")
		if err != nil {
			t.Fatal(err)
		}
		return a.Presence
	}

	ev := c.events()
	r.h.Clock.Advance(30 * time.Minute)
	if p := presence(); p != handoff.PresenceOnline {
		t.Fatalf("desk open for 30 minutes: %s, want online", p)
	}
	if e, err := r.svc.Estimate(tk.ID); err != nil || e.Unavailable || e.Online != 1 {
		t.Fatalf("estimate with ada's desk open: %+v, %v", e, err)
	}

	// The desk closes; the server notices when the stream ends (a minute
	// later on the fake clock, as the clock moves on in seconds meanwhile)
	// and ada is away.
	ev.cancel()
	deadline := time.Now().Add(10 * time.Second)
	for presence() == handoff.PresenceOnline {
		if time.Now().After(deadline) {
			t.Fatal("ada still online 10 s after her desk closed")
		}
		// A fake second per real millisecond at most: a server slow to see
		// the stream end (a loaded machine) must not move the clock past
		// the session's lifetime before it does.
		r.h.Clock.Advance(time.Second)
		time.Sleep(time.Millisecond)
	}
	if p := presence(); p != handoff.PresenceAway {
		t.Fatalf("desk closed: %s, want away", p)
	}
	if e, err := r.svc.Estimate(tk.ID); err != nil || !e.Unavailable || e.Online != 0 {
		t.Errorf("estimate with ada away: %+v, %v; want nobody available", e, err)
	}
	r.h.Clock.Advance(8 * time.Minute)
	if p := presence(); p != handoff.PresenceAway {
		t.Fatalf("desk closed 9 minutes: %s, want away", p)
	}
	r.h.Clock.Advance(2 * time.Minute)
	if p := presence(); p != handoff.PresenceOffline {
		t.Fatalf("desk closed 11 minutes: %s, want offline", p)
	}

	// The desk reopens (the session is still valid): ada is back.
	c.events()
	if p := presence(); p != handoff.PresenceOnline {
		t.Errorf("desk reopened: %s, want online", p)
	}
}

// TestPresenceChosenAway checks that an agent who chose "away" is not put
// online by the desk.
func TestPresenceChosenAway(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 1)
	c := r.login("ada")
	c.events()
	c.call("PUT", "/desk/api/me/presence", map[string]string{"presence": "away"}, 200, nil)
	c.events() // a second tab
	r.h.Clock.Advance(time.Hour)
	if a, err := r.svc.Agent("ada"); err != nil || a.Presence != handoff.PresenceAway {
		t.Errorf("chose away: %+v, %v", a, err)
	}
}
