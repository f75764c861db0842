package handoff_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
	"github.com/calmbot/calmbot/handoff"
)

func TestActionsForbidden(t *testing.T) {
	r := newRig(t, defaultFlows(t))
	r.agent("ada", handoff.PresenceOnline, 2)
	r.agent("bob", handoff.PresenceOnline, 2)
	_, queued := r.handoff("I want to talk to a human")
	_, held := r.handoff("I want to talk to a human")
	_, done := r.handoff("I want to talk to a human")
	for _, id := range []int64{held.ID, done.ID} {
		if _, err := r.svc.Claim(r.ctx, "ada", id); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.svc.Close(r.ctx, "ada", done.ID); err != nil {
		t.Fatal(err)
	}
	actions := []struct {
		name string
		do   func(agent string, id int64) error
	}{
		{"reply", func(a string, id int64) error { return r.svc.Reply(r.ctx, a, id, "hi") }},
		{"note", func(a string, id int64) error { _, err := r.svc.Note(r.ctx, a, id, "n"); return err }},
		{"invite", func(a string, id int64) error { _, err := r.svc.Invite(r.ctx, a, id, "bob"); return err }},
		{"transfer", func(a string, id int64) error {
			_, err := r.svc.Transfer(r.ctx, a, id, handoff.Target{Skill: "billing"}, "")
			return err
		}},
		{"release", func(a string, id int64) error { return r.svc.Release(r.ctx, a, id, "", "") }},
		{"close", func(a string, id int64) error { return r.svc.Close(r.ctx, a, id) }},
	}
	cases := []struct {
		name  string
		agent string
		id    int64
		want  error
	}{
		{"queued ticket", "ada", queued.ID, handoff.ErrForbidden},
		{"someone else's", "bob", held.ID, handoff.ErrForbidden},
		{"closed ticket", "ada", done.ID, handoff.ErrClosed},
		{"unknown ticket", "ada", 9999, handoff.ErrNotFound},
	}
	for _, a := range actions {
		for _, c := range cases {
			t.Run(a.name+"/"+c.name, func(t *testing.T) {
				wantErr(t, a.name, a.do(c.agent, c.id), c.want)
			})
		}
	}
	if got := r.ticket(held.ID); got.Status != handoff.StatusAssigned || len(got.Notes) != 0 || len(got.Invited) != 0 {
		t.Errorf("refused actions changed the ticket: %+v", got)
	}
	wantErr(t, "empty reply", r.svc.Reply(r.ctx, "ada", held.ID, "  "), handoff.ErrInvalid)
	_, err := r.svc.Invite(r.ctx, "ada", held.ID, "nobody")
	wantErr(t, "invite unknown agent", err, handoff.ErrNotFound)
	wantErr(t, "release to unknown stage", r.svc.Release(r.ctx, "ada", held.ID, "late_delivery", "nowhere"), handoff.ErrUnknownStage)
}

func TestInviteBothReply(t *testing.T) {
	r := newRig(t, defaultFlows(t))
	r.agent("ada", handoff.PresenceOnline, 1)
	r.agent("bob", handoff.PresenceOnline, 1)
	c, tk := r.handoff("I want to talk to a human")
	c.Replies()
	updates, cancel := r.svc.Subscribe("bob")
	defer cancel()
	r.clock.Advance(20 * time.Second)
	if _, err := r.svc.Claim(r.ctx, "ada", tk.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Invite(r.ctx, "ada", tk.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(10 * time.Second)
	if err := r.svc.Reply(r.ctx, "ada", tk.ID, "Hi, I am Ada, I have read everything."); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(10 * time.Second)
	if err := r.svc.Reply(r.ctx, "bob", tk.ID, "Bob from billing here, joining Ada."); err != nil {
		t.Fatal(err)
	}
	var authors []string
	for _, rep := range c.Replies() {
		authors = append(authors, rep.Author)
	}
	if want := []string{"agent:ada", "agent:bob"}; !slices.Equal(authors, want) {
		t.Errorf("customer got replies by %v, want %v", authors, want)
	}
	// bob's capacity is not used by helping.
	if a, _ := r.svc.Agent("bob"); a.Active != 0 {
		t.Errorf("bob active %d, want 0", a.Active)
	}
	got := r.ticket(tk.ID)
	if d, ok := got.ResponseTime(); !ok || d != 30*time.Second || got.Overdue(r.clock.Now()) {
		t.Errorf("first response %v (%v), overdue %v; want 30s, within the 60s target", d, ok, got.Overdue(r.clock.Now()))
	}
	// The customer's answer reaches both agents, live.
	c.Say("thanks, both of you")
	if !sawMessage(t, updates, "thanks, both of you") {
		t.Error("bob's subscription missed the customer's message")
	}
	if err := r.svc.Leave(r.ctx, "bob", tk.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "reply after leaving", r.svc.Reply(r.ctx, "bob", tk.ID, "hi"), handoff.ErrForbidden)
}

// sawMessage reads updates until a message with text arrives.
func sawMessage(t *testing.T, updates <-chan handoff.Update, text string) bool {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case u := <-updates:
			if u.Kind == handoff.UpdateMessage && u.Entry != nil && u.Entry.Text == text {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

func TestTransferKeepsEverything(t *testing.T) {
	r := newRig(t, defaultFlows(t))
	r.agent("ada", handoff.PresenceOnline, 1)
	r.agent("bob", handoff.PresenceOnline, 1, "billing")
	r.agent("cy", handoff.PresenceOnline, 1)
	r.agent("dee", handoff.PresenceOffline, 1)
	c, tk := r.handoff("My parcel still hasn't arrived, this is ridiculous!", "yes", "I want to talk to a human")
	if _, err := r.svc.Claim(r.ctx, "ada", tk.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Note(r.ctx, "ada", tk.ID, "Order 1234, carrier says delivered"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Invite(r.ctx, "ada", tk.ID, "cy"); err != nil {
		t.Fatal(err)
	}
	before, err := r.svc.Summary(r.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.svc.Transfer(r.ctx, "ada", tk.ID, handoff.Target{Agent: "dee"}, "")
	wantErr(t, "transfer to an offline agent", err, handoff.ErrUnavailable)

	got, err := r.svc.Transfer(r.ctx, "ada", tk.ID, handoff.Target{Agent: "bob"}, "refund needs billing")
	if err != nil {
		t.Fatal(err)
	}
	if got.Owner != "bob" || got.Status != handoff.StatusAssigned || len(got.Notes) != 1 || !slices.Equal(got.Invited, []string{"cy"}) {
		t.Errorf("after transfer: %+v", got)
	}
	if len(got.Transfers) != 1 || got.Transfers[0] != (handoff.Transfer{From: "ada", ToAgent: "bob", Note: "refund needs billing", At: r.clock.Now()}) {
		t.Errorf("transfers: %+v", got.Transfers)
	}
	after, err := r.svc.Summary(r.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Text() != before.Text() {
		t.Errorf("summary changed with the transfer:\n%s\nvs\n%s", after.Text(), before.Text())
	}
	wantErr(t, "ada replies after handing over", r.svc.Reply(r.ctx, "ada", tk.ID, "hi"), handoff.ErrForbidden)
	if err := r.svc.Reply(r.ctx, "bob", tk.ID, "Bob here, I can see the whole conversation."); err != nil {
		t.Fatal(err)
	}
	_, err = r.svc.Transfer(r.ctx, "cy", tk.ID, handoff.Target{Agent: "ada"}, "")
	if err != nil {
		t.Fatalf("invited agent transfers: %v", err)
	}

	// Back to the queue for a skill: the customer hears the new position.
	c.Replies()
	got, err = r.svc.Transfer(r.ctx, "ada", tk.ID, handoff.Target{Skill: "Billing"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != handoff.StatusQueued || got.Owner != "" || got.Skill != "billing" || len(got.Transfers) != 3 || len(got.Notes) != 1 {
		t.Errorf("back to the queue: %+v", got)
	}
	r.check()
	if said := said(c); !contains(said, "number 1 in line") {
		t.Errorf("customer after the transfer to the queue: %q", said)
	}
	q, _ := r.svc.Queue("bob")
	if len(q) != 1 || q[0].ID != tk.ID {
		t.Errorf("bob's queue: %v", convs(q))
	}
}

func TestReleaseToStage(t *testing.T) {
	r := newRig(t, defaultFlows(t))
	r.agent("ada", handoff.PresenceOnline, 1)
	c, tk := r.handoff("My parcel still hasn't arrived, this is ridiculous!", "yes", "I want to talk to a human")
	if _, err := r.svc.Claim(r.ctx, "ada", tk.ID); err != nil {
		t.Fatal(err)
	}
	stages, err := r.svc.Stages(r.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range stages {
		names = append(names, string(s.Kind)+":"+s.State)
	}
	// No option was chosen: the agreement has nothing to repeat.
	want := []string{":", "acknowledge:acknowledge", "acknowledge:reassure", "confirm:clarify", "confirm:confirm", "choices:options", "close:close"}
	if !slices.Equal(names, want) {
		t.Errorf("stages: got %v\nwant %v", names, want)
	}
	if err := r.svc.Release(r.ctx, "ada", tk.ID, "", "agree"); !errors.Is(err, bot.ErrStageNeedsChoice) {
		t.Errorf("release to agree with no option chosen: %v, want ErrStageNeedsChoice", err)
	}
	c.Replies()
	if err := r.svc.Release(r.ctx, "ada", tk.ID, "", "close"); err != nil {
		t.Fatal(err)
	}
	if got := said(c); !contains(got, "anything else I can help you with") {
		t.Errorf("bot after release: %q", got)
	}
	snap := c.Snapshot()
	if snap.Status != bot.StatusBot || snap.State != "close" {
		t.Errorf("conversation after release: %s at %s", snap.Status, snap.State)
	}
	got := r.ticket(tk.ID)
	if got.Status != handoff.StatusClosed || got.Outcome != handoff.OutcomeReleased {
		t.Errorf("ticket after release: %s %s", got.Status, got.Outcome)
	}
	// The bot carries on by itself.
	if got := c.Say("no, that's all"); len(got) == 0 {
		t.Error("the bot did not answer after the release")
	}
	if a, _ := r.svc.Agent("ada"); a.Active != 0 {
		t.Errorf("ada still holds %d conversations", a.Active)
	}
}

func TestStagesAfterAChoice(t *testing.T) {
	r := newRig(t, defaultFlows(t))
	r.agent("ada", handoff.PresenceOnline, 1)
	c, tk := r.handoff("My parcel still hasn't arrived, this is ridiculous!", "yes", "1", "I want to talk to a human")
	if _, err := r.svc.Claim(r.ctx, "ada", tk.ID); err != nil {
		t.Fatal(err)
	}
	if s := c.Snapshot(); s.Chosen == "" {
		t.Fatalf("no option chosen: %+v", s)
	}
	stages, err := r.svc.Stages(r.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var agree *handoff.Stage
	for i, st := range stages {
		if strings.ContainsAny(st.Say, "{}") {
			t.Errorf("stage %s is labelled with template text: %q", st.State, st.Say)
		}
		if st.State == "agree" {
			agree = &stages[i]
		}
	}
	if agree == nil || !strings.Contains(agree.Say, "trace") {
		t.Fatalf("agreement stage %+v, want it with the chosen option's text", agree)
	}
	c.Replies()
	if err := r.svc.Release(r.ctx, "ada", tk.ID, "", "agree"); err != nil {
		t.Fatal(err)
	}
	if got := said(c); len(got) != 1 || strings.ContainsAny(got[0], "{}") {
		t.Errorf("bot after release to agree: %q", got)
	}
}

func TestCloseAsksRating(t *testing.T) {
	r := newRig(t, serviceFlows(t, flows.Service{}))
	r.agent("ada", handoff.PresenceOnline, 1)
	c, tk := r.handoff("I want to talk to a human")
	if _, err := r.svc.Claim(r.ctx, "ada", tk.ID); err != nil {
		t.Fatal(err)
	}
	c.Replies()
	if err := r.svc.Close(r.ctx, "ada", tk.ID); err != nil {
		t.Fatal(err)
	}
	if got := said(c); len(got) != 1 || !contains(got, "from 1 to 5") {
		t.Errorf("after close: %q", got)
	}
	if got := r.ticket(tk.ID); got.Status != handoff.StatusClosed || got.Outcome != handoff.OutcomeClosed {
		t.Errorf("ticket: %s %s", got.Status, got.Outcome)
	}
	if got := c.Say("5"); len(got) != 1 || !contains([]string{got[0].Text}, "could we do better") {
		t.Errorf("after the score: %v", got)
	}
	c.Say("nothing, great help")
	if st := c.Snapshot().Status; st != bot.StatusEnded {
		t.Errorf("status after rating: %s", st)
	}
}

// TestReleasedElsewhere: a conversation given back to the bot without the
// desk (another agent surface) closes its ticket, durably.
func TestReleasedElsewhere(t *testing.T) {
	r := newRig(t, defaultFlows(t))
	c, tk := r.handoff("I want to talk to a human")
	if err := r.h.Engine.Release(r.ctx, c.Addr, "", ""); err != nil {
		t.Fatal(err)
	}
	if len(r.svc.Tickets()) != 0 {
		t.Error("ticket still open")
	}
	r.check()
	stored, err := r.store.Ticket(r.ctx, tk.ID)
	if err != nil || stored.Status != handoff.StatusClosed || stored.Outcome != handoff.OutcomeEnded {
		t.Errorf("stored ticket: %+v, %v", stored, err)
	}
}
