package handoff_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/handoff"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text string
		want handoff.Action
	}{
		{"Hello, how can I help?", handoff.Action{Kind: handoff.ActReply, Ticket: 7, Text: "Hello, how can I help?"}},
		{"/note VIP customer", handoff.Action{Kind: handoff.ActNote, Ticket: 7, Text: "VIP customer"}},
		{"!  VIP customer", handoff.Action{Kind: handoff.ActNote, Ticket: 7, Text: "VIP customer"}},
		{"note: VIP customer", handoff.Action{Kind: handoff.ActNote, Ticket: 7, Text: "VIP customer"}},
		{"Note:VIP customer", handoff.Action{Kind: handoff.ActNote, Ticket: 7, Text: "VIP customer"}},
		{"notes are attached", handoff.Action{Kind: handoff.ActReply, Ticket: 7, Text: "notes are attached"}},
		{"/claim", handoff.Action{Kind: handoff.ActClaim, Ticket: 7}},
		{"/close@calmbot", handoff.Action{Kind: handoff.ActClose, Ticket: 7}},
		{"/next", handoff.Action{Kind: handoff.ActNext}},
		{"/leave", handoff.Action{Kind: handoff.ActLeave, Ticket: 7}},
		{"/release", handoff.Action{Kind: handoff.ActRelease, Ticket: 7}},
		{"/release options", handoff.Action{Kind: handoff.ActRelease, Ticket: 7, Stage: "options"}},
		{"/invite @bob", handoff.Action{Kind: handoff.ActInvite, Ticket: 7, Colleague: "bob"}},
		{"/transfer @bob over to you", handoff.Action{Kind: handoff.ActTransfer, Ticket: 7, To: handoff.Target{Agent: "bob"}, Text: "over to you"}},
		{"/transfer billing", handoff.Action{Kind: handoff.ActTransfer, Ticket: 7, To: handoff.Target{Skill: "billing"}}},
		{"/shrug", handoff.Action{Kind: handoff.ActReply, Ticket: 7, Text: "/shrug"}},
		{"/check we'll fix it", handoff.Action{Kind: handoff.ActCheck, Ticket: 7, Text: "we'll fix it"}},
		{"Check: we'll fix it", handoff.Action{Kind: handoff.ActCheck, Ticket: 7, Text: "we'll fix it"}},
	}
	for _, tt := range tests {
		if got := handoff.ParseCommand(7, tt.text); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseCommand(%q) = %+v, want %+v", tt.text, got, tt.want)
		}
	}
}

// TestAct drives a ticket through Act alone, as a platform surface does,
// and checks what each step returns and what a surface subscription sees.
func TestAct(t *testing.T) {
	r := newRig(t, defaultFlows(t))
	r.agent("ada", handoff.PresenceOnline, 2)
	r.agent("bob", handoff.PresenceOnline, 2)
	updates, cancel := r.svc.SubscribeAll()
	defer cancel()
	c, tk := r.handoff("I want to talk to a human")

	act := func(agent string, a handoff.Action) handoff.Result {
		t.Helper()
		res, err := r.svc.Act(r.ctx, agent, a)
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		return res
	}
	if res := act("ada", handoff.Action{Kind: handoff.ActClaim, Ticket: tk.ID}); res.Ticket == nil || res.Ticket.Owner != "ada" {
		t.Errorf("claim: ticket %+v, want ada's", res.Ticket)
	}
	if _, err := r.svc.Act(r.ctx, "bob", handoff.Action{Kind: handoff.ActClaim, Ticket: tk.ID}); !errors.Is(err, handoff.ErrTaken) {
		t.Errorf("second claim: got %v, want ErrTaken", err)
	}
	if res := act("ada", handoff.ParseCommand(tk.ID, "/note VIP")); res.Note == nil || res.Note.Text != "VIP" {
		t.Errorf("note: %+v", res.Note)
	}
	c.Replies()
	if res := act("ada", handoff.ParseCommand(tk.ID, "Hi, Ada here.")); res.Ticket == nil || res.Ticket.FirstResponse.IsZero() {
		t.Errorf("reply: ticket %+v, want a first response", res.Ticket)
	}
	if got := said(c); !contains(got, "Hi, Ada here.") {
		t.Errorf("customer got %q", got)
	}
	act("ada", handoff.Action{Kind: handoff.ActInvite, Ticket: tk.ID, Colleague: " Bob "})
	act("bob", handoff.Action{Kind: handoff.ActLeave, Ticket: tk.ID})
	if _, err := r.svc.Act(r.ctx, "ada", handoff.Action{Kind: handoff.ActTransfer, Ticket: tk.ID,
		To: handoff.Target{Agent: "bob", Skill: "billing"}}); !errors.Is(err, handoff.ErrInvalid) {
		t.Errorf("transfer to an agent and a skill: got %v, want ErrInvalid", err)
	}
	if _, err := r.svc.Act(r.ctx, "ada", handoff.Action{Kind: "dance", Ticket: tk.ID}); !errors.Is(err, handoff.ErrInvalid) {
		t.Errorf("unknown action: got %v, want ErrInvalid", err)
	}
	b, err := r.svc.Brief(r.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Transcript) == 0 || len(b.Stages) == 0 || b.Summary.Reason == "" || b.Estimate != nil {
		t.Errorf("brief: %d entries, %d stages, reason %q, estimate %v", len(b.Transcript), len(b.Stages), b.Summary.Reason, b.Estimate)
	}
	if res := act("ada", handoff.Action{Kind: handoff.ActRelease, Ticket: tk.ID}); res.Ticket == nil || res.Ticket.Status != handoff.StatusClosed {
		t.Errorf("release: ticket %+v, want closed", res.Ticket)
	}

	kinds := map[handoff.UpdateKind]int{}
	for len(updates) > 0 {
		kinds[(<-updates).Kind]++
	}
	for _, k := range []handoff.UpdateKind{handoff.UpdateQueue, handoff.UpdateTicket, handoff.UpdateMessage, handoff.UpdateNote} {
		if kinds[k] == 0 {
			t.Errorf("surface subscription saw no %s update (saw %v)", k, kinds)
		}
	}
}

// TestProvision: a platform user verified by a surface becomes an agent
// once, with an id from the identity, linked, without a desk password; a
// desk agent linked to a platform user is found as that user.
func TestProvision(t *testing.T) {
	r := newRig(t, defaultFlows(t))
	r.agent("ada", handoff.PresenceOnline, 2)
	if _, err := r.svc.AddAgent(r.ctx, "telegram-12345", "password-x", nil, 1); err != nil {
		t.Fatal(err) // the name is taken by someone else
	}
	tg := handoff.Identity{Platform: "Telegram", UserID: "12345", Name: "Grace H."}
	a, err := r.svc.Provision(r.ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "telegram-12345-2" || a.Presence != handoff.PresenceOffline || a.Capacity != handoff.DefaultCapacity {
		t.Errorf("provisioned %+v", a)
	}
	again, err := r.svc.Provision(r.ctx, tg)
	if err != nil || again.ID != a.ID {
		t.Errorf("provision again: %+v, %v; want %s", again, err, a.ID)
	}
	if got, err := r.svc.AgentFor(r.ctx, "telegram", "12345"); err != nil || got.ID != a.ID {
		t.Errorf("agent for telegram:12345: %+v, %v", got, err)
	}
	// No desk password: nothing logs in as them, not even an empty one.
	for _, pw := range []string{"", "password-x"} {
		if _, err := r.svc.Authenticate(r.ctx, a.ID, pw); !errors.Is(err, handoff.ErrBadCredentials) {
			t.Errorf("login of a provisioned agent with %q: got %v, want ErrBadCredentials", pw, err)
		}
	}
	if _, err := r.svc.SetPassword(r.ctx, a.ID, "now-a-desk-agent"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Authenticate(r.ctx, a.ID, "now-a-desk-agent"); err != nil {
		t.Errorf("login after passwd: %v", err)
	}

	slack := handoff.Identity{Platform: "slack", UserID: "U042"}
	if err := r.svc.Link(r.ctx, "ada", slack); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.Link(r.ctx, a.ID, slack); !errors.Is(err, handoff.ErrLinked) {
		t.Errorf("link ada's user to another: got %v, want ErrLinked", err)
	}
	if got, err := r.svc.Provision(r.ctx, slack); err != nil || got.ID != "ada" {
		t.Errorf("provision a linked user: %+v, %v; want ada", got, err)
	}
	if _, err := r.svc.AgentFor(r.ctx, "slack", "U999"); !errors.Is(err, handoff.ErrNotFound) {
		t.Errorf("unlinked user: got %v, want ErrNotFound", err)
	}
	for _, bad := range []handoff.Identity{{Platform: "", UserID: "1"}, {Platform: "telegram", UserID: "a b"}} {
		if _, err := r.svc.Provision(r.ctx, bad); !errors.Is(err, handoff.ErrInvalid) {
			t.Errorf("provision %+v: got %v, want ErrInvalid", bad, err)
		}
	}
	links, err := r.svc.Identities(r.ctx)
	if err != nil || len(links) != 2 || !strings.HasPrefix(links[1].Agent, "telegram-") || links[1].Name != "Grace H." {
		t.Errorf("identities: %+v, %v", links, err)
	}
}
