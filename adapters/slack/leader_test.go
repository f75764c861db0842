package slack

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmbot/calmbot/handoff"
)

// TestElectedHandoffChannel: two instances with the handoff channel on one
// handoff service and one state store (on PostgreSQL each instance's
// service sees every update): only the leader posts a ticket and the
// customer's messages in its thread, and after the lead moves the new
// leader carries on with the same message and thread.
func TestElectedHandoffChannel(t *testing.T) {
	d := newAgentDesk(t)
	f := d.p.f
	e := &election{}
	e.leader.Store("a")
	start := func(name string, asked *atomic.Int64) *Adapter {
		return started(t, d.p, d.eng, WithHandoff(d.svc, handoffChannel), WithLeader(candidate{e, name, asked}, 5*time.Millisecond))
	}
	var aAsked atomic.Int64
	d.eng.Register(Channel, start("a", &aAsked))
	start("b", &atomic.Int64{})

	const chat = "uma"
	d.p.Say(t, chat, "en", "my order hasn't arrived")
	eventually(t, "the bot's answer", func() bool { return len(d.p.Sent(chat)) > 0 })
	d.p.Say(t, chat, "en", "I want to talk to a human")
	var tk *handoff.Ticket
	eventually(t, "a ticket", func() bool {
		if ts := d.svc.Tickets(); len(ts) == 1 {
			tk = ts[0]
		}
		return tk != nil
	})
	d.ticket(t, tk.ID, "posted", func(fakeMessage) bool { return true })
	// lines counts text in the threads of the handoff channel.
	lines := func(text string) int {
		n := 0
		for _, m := range f.sentTo(handoffChannel) {
			if m.Thread != "" {
				n += strings.Count(m.Text, text)
			}
		}
		return n
	}
	d.p.Say(t, chat, "en", "where is it")
	eventually(t, "the customer's message in the ticket's thread", func() bool { return lines("where is it") > 0 })

	// b shows the open ticket again when it takes over: its message is
	// edited, not posted again.
	before := f.callCount("chat.update")
	asked := aAsked.Load()
	e.leader.Store("b")
	// a's second question after the move comes once it stopped the
	// handoff channel's loop.
	eventually(t, "a standing by", func() bool { return aAsked.Load() >= asked+2 })
	eventually(t, "b editing the ticket's message", func() bool { return f.callCount("chat.update") > before })
	d.p.Say(t, chat, "en", "anyone there")
	eventually(t, "the next message in the thread", func() bool { return lines("anyone there") > 0 })
	for _, text := range []string{"where is it", "anyone there"} {
		if n := lines(text); n != 1 {
			t.Errorf("%q is in the ticket's thread %d times, want once", text, n)
		}
	}
	posts := 0
	for _, m := range f.sentTo(handoffChannel) {
		if m.Thread == "" {
			posts++
		}
	}
	if posts != 1 {
		t.Errorf("%d messages in the handoff channel, want the ticket's one", posts)
	}
}

// election is a switchable Leader for tests: the instance named leads.
type election struct{ leader atomic.Value }

// candidate is one instance of an election; asked counts its questions.
type candidate struct {
	e     *election
	name  string
	asked *atomic.Int64
}

func (c candidate) Leading(context.Context) bool {
	c.asked.Add(1)
	return c.e.leader.Load() == c.name
}
