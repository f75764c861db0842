package handoff_test

import (
	"testing"
	"time"

	"github.com/calmbot/calmbot/flows"
	"github.com/calmbot/calmbot/handoff"
)

func TestEstimate(t *testing.T) {
	type ag struct {
		name     string
		p        handoff.Presence
		capacity int
		skills   []string
	}
	tests := []struct {
		name   string
		agents []ag
		queued int // normal tickets without skill; the last one is estimated
		hold   map[string]int
		want   handoff.Estimate
	}{
		{name: "nobody online", agents: []ag{{"ada", handoff.PresenceAway, 2, nil}}, queued: 1,
			want: handoff.Estimate{Position: 1, Wait: 30*time.Second + 5*time.Minute, Busy: true}},
		{name: "free agent", agents: []ag{{"ada", handoff.PresenceOnline, 2, nil}}, queued: 2,
			want: handoff.Estimate{Position: 2, Wait: 30 * time.Second, Online: 1, Free: 2}},
		{name: "agents full", agents: []ag{{"ada", handoff.PresenceOnline, 1, nil}, {"bob", handoff.PresenceOnline, 1, nil}},
			queued: 3, hold: map[string]int{"ada": 1},
			// ada took the first ticket 2s after it opened: that is the pickup
			// time now. 2nd in line, 1 free place: one conversation must end.
			want: handoff.Estimate{Position: 2, Wait: 2*time.Second + 5*time.Minute, Busy: true, Online: 2, Free: 1}},
		{name: "offline agents do not count", agents: []ag{{"ada", handoff.PresenceOffline, 5, nil}, {"bob", handoff.PresenceOnline, 1, nil}},
			queued: 3,
			want:   handoff.Estimate{Position: 3, Wait: 30*time.Second + 2*5*time.Minute, Busy: true, Online: 1, Free: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBare(t)
			for _, a := range tt.agents {
				b.agent(a.name, a.p, a.capacity, a.skills...)
			}
			var last int64
			for i := range tt.queued {
				last = b.open(string(rune('a'+i)), "", "normal", time.Second)
			}
			for name, n := range tt.hold {
				for range n {
					if _, err := b.svc.Next(b.ctx, name); err != nil {
						t.Fatal(err)
					}
				}
			}
			got, err := b.svc.Estimate(last)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestWaitingCustomer(t *testing.T) {
	r := newRig(t, serviceFlows(t, flows.Service{}))
	r.agent("ada", handoff.PresenceOnline, 1)
	c, tk := r.handoff("I want to talk to a human")
	c.Replies()

	r.check()
	got := said(c)
	if len(got) != 1 || !contains(got, "number 1 in line") || !contains(got, "about 1 minute") {
		t.Fatalf("first news: %q", got)
	}
	r.check()
	if got := said(c); len(got) != 0 {
		t.Errorf("told again without news: %q", got)
	}

	// The only agent leaves: the wait grows past half again and a minute, and nobody is online.
	if _, err := r.svc.SetPresence(r.ctx, "ada", handoff.PresenceOffline); err != nil {
		t.Fatal(err)
	}
	r.check()
	if got := said(c); len(got) != 1 || !contains(got, "unusually busy") || !contains(got, "6 minutes") {
		t.Errorf("after the wait grew: %q", got)
	}
	tk = r.ticket(tk.ID)
	if !tk.Waiting.Busy || tk.Waiting.Estimate != 5*time.Minute+30*time.Second {
		t.Errorf("waiting record: %+v", tk.Waiting)
	}

	// The customer writes: told again only after a while.
	c.Say("hello? is anyone there?")
	r.check()
	if got := said(c); len(got) != 0 {
		t.Errorf("told again at once: %q", got)
	}
	r.clock.Advance(31 * time.Second)
	r.check()
	if got := said(c); len(got) != 1 || !contains(got, "number 1") {
		t.Errorf("after writing again: %q", got)
	}
}

func TestIncentiveOnce(t *testing.T) {
	r := newRig(t, serviceFlows(t, flows.Service{IncentiveAfter: flows.Duration(2 * time.Minute)}))
	r.agent("ada", handoff.PresenceOnline, 1)
	c, tk := r.handoff("I want to talk to a human")
	r.check()
	c.Replies()
	r.clock.Advance(time.Minute)
	r.check()
	if got := said(c); contains(got, "voucher") {
		t.Errorf("incentive too early: %q", got)
	}
	r.clock.Advance(time.Minute)
	r.check()
	if got := said(c); len(got) != 1 || !contains(got, "voucher") {
		t.Errorf("past incentive_after: %q", got)
	}
	for range 3 {
		r.clock.Advance(time.Minute)
		r.check()
	}
	if got := said(c); contains(got, "voucher") {
		t.Errorf("incentive twice: %q", got)
	}
	if !r.ticket(tk.ID).Waiting.Incentive {
		t.Error("incentive not recorded")
	}
}

func TestAfterHours(t *testing.T) {
	// The clock starts on Monday 2026-01-05 at 09:00 UTC.
	hours := &flows.Hours{Timezone: "UTC", Days: []string{"mon", "tue", "wed", "thu", "fri"}, Open: "10:00", Close: "18:00"}
	r := newRig(t, serviceFlows(t, flows.Service{Hours: hours, IncentiveAfter: flows.Duration(time.Minute)}))
	r.agent("ada", handoff.PresenceOffline, 1)
	c, tk := r.handoff("I want to talk to a human")
	c.Replies()
	r.check()
	got := said(c)
	if len(got) != 1 || !contains(got, "answer again at 10:00 UTC") {
		t.Fatalf("after hours: %q", got)
	}
	e, err := r.svc.Estimate(tk.ID)
	if err != nil || !e.AfterHours || !e.Opens.Equal(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("estimate after hours: %+v, %v", e, err)
	}
	r.clock.Advance(30 * time.Minute)
	r.check()
	if got := said(c); len(got) != 0 {
		t.Errorf("told again while closed (no incentive either): %q", got)
	}
	if r.ticket(tk.ID).Status != handoff.StatusQueued {
		t.Error("ticket left the queue after hours")
	}
	// Opening time: the first agent comes; the customer hears their place.
	r.clock.Advance(30 * time.Minute)
	if _, err := r.svc.SetPresence(r.ctx, "ada", handoff.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	r.check()
	if got := said(c); !contains(got, "number 1 in line") || !contains(got, "voucher") {
		t.Errorf("at opening: %q", got)
	}
}

func TestAfterHoursWeekend(t *testing.T) {
	// Closed on Monday: it opens on Tuesday, which the customer is told by name.
	hours := &flows.Hours{Timezone: "Europe/Rome", Days: []string{"tue"}, Open: "08:30", Close: "12:00"}
	r := newRig(t, serviceFlows(t, flows.Service{Hours: hours}))
	c := r.h.Chat("it")
	c.Say("voglio parlare con una persona")
	r.check()
	if got := said(c); !contains(got, "martedì 08:30 CET") {
		t.Errorf("after hours in Italian: %q", got)
	}
}

// TestWaitWordsFromFlows checks that the words of {wait} and {opens} come
// from the flow file when it has them.
func TestWaitWordsFromFlows(t *testing.T) {
	f := serviceFlows(t, flows.Service{Hours: &flows.Hours{Timezone: "UTC", Days: []string{"tue"}, Open: "10:00", Close: "18:00"}})
	f.Texts.WaitWords.OpensLater = text("{day}, {time}", "{day}, {time}", "{day}, {time}", "{day}, {time}")
	f.Texts.WaitWords.Days.Tue = text("on Tue", "mar", "Di", "ti")
	r := newRig(t, f)
	c, _ := r.handoff("I want to talk to a human")
	c.Replies()
	r.check()
	if got := said(c); !contains(got, "at on Tue, 10:00 UTC") {
		t.Errorf("after hours: %q, want the flow file's words", got)
	}
}
