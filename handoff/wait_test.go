package handoff_test

import (
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot/bottest"
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
	// want is what matters of an Estimate: not its times.
	type want struct {
		Position          int
		Wait              time.Duration
		Busy, Unavailable bool
		Online, Free      int
	}
	tests := []struct {
		name   string
		agents []ag
		queued int // normal tickets without skill; the last one is estimated
		hold   map[string]int
		want   want
	}{
		{name: "nobody online", agents: []ag{{"ada", handoff.PresenceAway, 2, nil}}, queued: 1,
			// A guess only, not told (the flows say nobody is available).
			want: want{Position: 1, Wait: 6 * time.Minute, Unavailable: true}},
		{name: "free agent", agents: []ag{{"ada", handoff.PresenceOnline, 2, nil}}, queued: 2,
			// 30 s, rounded up as the customer is told it.
			want: want{Position: 2, Wait: time.Minute, Online: 1, Free: 2}},
		{name: "agents full", agents: []ag{{"ada", handoff.PresenceOnline, 1, nil}, {"bob", handoff.PresenceOnline, 1, nil}},
			queued: 3, hold: map[string]int{"ada": 1},
			// ada took the first ticket 2s after it opened: that is the pickup
			// time now. 2nd in line, 1 free place: one conversation must end.
			// Second in line is not more than usual: not busy.
			want: want{Position: 2, Wait: 6 * time.Minute, Online: 2, Free: 1}},
		{name: "offline agents do not count", agents: []ag{{"ada", handoff.PresenceOffline, 5, nil}, {"bob", handoff.PresenceOnline, 1, nil}},
			queued: 3,
			// Third in line where one is usual: busy.
			want: want{Position: 3, Wait: 11 * time.Minute, Busy: true, Online: 1, Free: 1}},
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
			e, err := b.svc.Estimate(last)
			if err != nil {
				t.Fatal(err)
			}
			got := want{e.Position, e.Wait, e.Busy, e.Unavailable, e.Online, e.Free}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
			if !e.Due.Equal(e.Told.Add(e.Wait)) {
				t.Errorf("due %v, want told %v + wait %v", e.Due, e.Told, e.Wait)
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

	// The only agent leaves: the customer is told plainly that nobody is
	// there, without a made-up wait, and only once.
	if _, err := r.svc.SetPresence(r.ctx, "ada", handoff.PresenceOffline); err != nil {
		t.Fatal(err)
	}
	r.check()
	if got := said(c); len(got) != 1 || !contains(got, "Nobody from our team is available") || contains(got, "minute") || contains(got, "busy") {
		t.Errorf("nobody online: %q", got)
	}
	if w := r.ticket(tk.ID).Waiting; !w.Unavailable || w.Busy {
		t.Errorf("waiting record: %+v", w)
	}
	r.clock.Advance(10 * time.Minute)
	r.check()
	if got := said(c); len(got) != 0 {
		t.Errorf("nobody online, told again: %q", got)
	}

	// The customer writes: told again only after a while.
	c.Say("hello? is anyone there?")
	r.check()
	if got := said(c); len(got) != 1 || !contains(got, "Nobody from our team is available") {
		t.Errorf("after writing again: %q", got)
	}

	// ada is back: the customer hears their place and a wait no shorter
	// than the 10 minutes they have waited.
	if _, err := r.svc.SetPresence(r.ctx, "ada", handoff.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	r.check()
	if got := said(c); len(got) != 1 || !contains(got, "number 1 in line") || !contains(got, "about 10 minutes") {
		t.Errorf("an agent is back: %q", got)
	}
}

// TestWaitPromisePassed checks that a customer whose wait ran out is told
// again, each time a longer wait, and that the desk sees the numbers the
// customer was told.
func TestWaitPromisePassed(t *testing.T) {
	r := newRig(t, serviceFlows(t, flows.Service{}))
	r.agent("ada", handoff.PresenceOnline, 1)
	c, tk := r.handoff("I want to talk to a human")
	c.Replies()
	r.check()
	if got := said(c); len(got) != 1 || !contains(got, "about 1 minute") {
		t.Fatalf("first news: %q", got)
	}
	told := r.clock.Now()
	for _, step := range []struct {
		after time.Duration
		want  string // "" for nothing new
	}{
		{30 * time.Second, ""},
		{30 * time.Second, "about 2 minutes"}, // 1 minute passed
		{time.Minute, ""},
		{time.Minute, "about 4 minutes"},
		{3 * time.Minute, ""},
		{time.Minute, "about 8 minutes"},
	} {
		r.clock.Advance(step.after)
		r.check()
		got := said(c)
		switch {
		case step.want == "" && len(got) != 0:
			t.Fatalf("at %v: told %q before the promise passed", r.clock.Now().Sub(told), got)
		case step.want != "" && (len(got) != 1 || !contains(got, step.want)):
			t.Fatalf("at %v: told %q, want %q", r.clock.Now().Sub(told), got, step.want)
		}
		// The desk shows what the customer was told, and when it runs out.
		e, err := r.svc.Estimate(tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		w := r.ticket(tk.ID).Waiting
		if e.Wait != w.Estimate || !e.Told.Equal(w.Told) || !e.Due.Equal(w.Told.Add(w.Estimate)) {
			t.Errorf("desk estimate %+v, customer was told %+v", e, w)
		}
		if e.Told.Sub(tk.Created)+e.Wait < e.Waited {
			t.Errorf("estimate %+v: a total wait shorter than waited", e)
		}
	}
}

// TestBusyOnlyWhenLonger checks that the busy text comes only when the
// queue is longer than usual, not when a single customer waits long.
func TestBusyOnlyWhenLonger(t *testing.T) {
	r := newRig(t, serviceFlows(t, flows.Service{}))
	r.agent("ada", handoff.PresenceOnline, 1)
	var chats []*bottest.Chat
	for i := range 4 {
		c := r.h.Chat("en")
		c.Say("I want to talk to a human")
		c.Replies()
		chats = append(chats, c)
		if i == 0 {
			// ada takes the first: the others wait for her to finish.
			if _, err := r.svc.Next(r.ctx, "ada"); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.check()
	if got := said(chats[1]); len(got) != 1 || contains(got, "busy") || !contains(got, "number 1 in line") {
		t.Errorf("first in line: %q", got)
	}
	if got := said(chats[2]); len(got) != 1 || contains(got, "busy") || !contains(got, "number 2 in line") {
		t.Errorf("second in line: %q", got)
	}
	if got := said(chats[3]); len(got) != 1 || !contains(got, "busy") || !contains(got, "number 3") {
		t.Errorf("third in line where one is usual: %q", got)
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
	if got := said(c); !contains(got, "voucher") {
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
