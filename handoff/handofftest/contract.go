package handofftest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
)

// TestStore checks that an empty s keeps tickets and accounts as a
// handoff.Store must: IDs assigned on create, the highest version kept,
// open and recently closed tickets listed, accounts created once, their
// password and presence changed apart, removed.
func TestStore(t *testing.T, s handoff.Store) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	mk := func(conv string) *handoff.Ticket {
		return &handoff.Ticket{
			Address: bot.Address{Channel: "web", Conversation: conv}, Status: handoff.StatusQueued,
			Reason: "customer_request", Evidence: map[string]any{"sentiment": -0.5, "intent": "late_delivery"},
			Skill: "delivery", Priority: "high", Lang: "en", Flow: "late_delivery", State: "options",
			Target: time.Minute, Created: at, Seq: 7, Version: 1,
		}
	}
	a, b := mk("a"), mk("b")
	for _, x := range []*handoff.Ticket{a, b} {
		if err := s.CreateTicket(ctx, x); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	if a.ID == 0 || b.ID == 0 || a.ID == b.ID {
		t.Fatalf("ids %d, %d: want distinct non-zero", a.ID, b.ID)
	}

	// a is claimed, noted, invited; a late write of an older version is ignored.
	old := *a
	a.Status, a.Owner, a.Invited = handoff.StatusAssigned, "ada", []string{"bob"}
	a.Claimed, a.Assigned = at.Add(time.Minute), at.Add(time.Minute)
	a.Notes = []handoff.Note{{Author: "ada", Text: "VIP customer", At: at.Add(2 * time.Minute)}}
	a.Transfers = []handoff.Transfer{{From: "cy", ToAgent: "ada", Note: "billing question", At: at.Add(time.Minute)}}
	a.Waiting = handoff.Waiting{Told: at, Estimate: 90 * time.Second, Busy: true, Incentive: true}
	a.Version = 3
	if err := s.UpdateTicket(ctx, a); err != nil {
		t.Fatalf("update: %v", err)
	}
	old.Version = 2
	if err := s.UpdateTicket(ctx, &old); err != nil {
		t.Fatalf("update older: %v", err)
	}
	got, err := s.Ticket(ctx, a.ID)
	if err != nil {
		t.Fatalf("ticket: %v", err)
	}
	if !reflect.DeepEqual(got, a) {
		t.Errorf("ticket after updates:\n got %+v\nwant %+v", got, a)
	}
	if _, err := s.Ticket(ctx, 999999); !errors.Is(err, handoff.ErrNotFound) {
		t.Errorf("unknown ticket: got %v, want ErrNotFound", err)
	}
	missing := mk("c")
	missing.ID, missing.Version = 999999, 5
	if err := s.UpdateTicket(ctx, missing); !errors.Is(err, handoff.ErrNotFound) {
		t.Errorf("update unknown ticket: got %v, want ErrNotFound", err)
	}

	// b closes: it leaves the open tickets and joins the recent ones.
	b.Status, b.Outcome, b.Closed, b.EndSeq, b.Version = handoff.StatusClosed, handoff.OutcomeClosed, at.Add(time.Hour), 12, 2
	if err := s.UpdateTicket(ctx, b); err != nil {
		t.Fatalf("close: %v", err)
	}
	open, err := s.OpenTickets(ctx)
	if err != nil {
		t.Fatalf("open tickets: %v", err)
	}
	if len(open) != 1 || open[0].ID != a.ID {
		t.Errorf("open tickets: got %v, want only %d", ids(open), a.ID)
	}
	recent, err := s.RecentTickets(ctx, 10)
	if err != nil {
		t.Fatalf("recent tickets: %v", err)
	}
	if len(recent) != 1 || !reflect.DeepEqual(recent[0], b) {
		t.Errorf("recent tickets: got %v, want %d", ids(recent), b.ID)
	}

	acc := handoff.Account{Agent: handoff.Agent{ID: "ada", Skills: []string{"billing", "delivery"}, Capacity: 3,
		Presence: handoff.PresenceOffline, Created: at, Epoch: 1000}, PasswordHash: []byte("$2a$04$hash")}
	if err := s.CreateAgent(ctx, acc); err != nil {
		t.Fatalf("create agent: %v", err)
	}
	if err := s.CreateAgent(ctx, acc); !errors.Is(err, handoff.ErrAgentExists) {
		t.Errorf("create agent again: got %v, want ErrAgentExists", err)
	}
	// Presence is written alone: it never brings back an old password.
	epoch, err := s.SetAgentPassword(ctx, "ada", []byte("$2a$04$new"))
	if err != nil {
		t.Fatalf("set password: %v", err)
	}
	if epoch <= acc.Epoch {
		t.Errorf("epoch after a password change: %d, want more than %d", epoch, acc.Epoch)
	}
	if err := s.SetAgentPresence(ctx, "ada", handoff.PresenceOnline); err != nil {
		t.Fatalf("set presence: %v", err)
	}
	if err := s.SetAgentName(ctx, "ada", "Ada Lovelace"); err != nil {
		t.Fatalf("set name: %v", err)
	}
	acc.Presence, acc.PasswordHash, acc.Epoch, acc.Name = handoff.PresenceOnline, []byte("$2a$04$new"), epoch, "Ada Lovelace"
	one, err := s.Account(ctx, "ada")
	if err != nil || !reflect.DeepEqual(one, acc) {
		t.Errorf("account: got %+v, %v; want %+v", one, err, acc)
	}
	if _, err := s.Account(ctx, "nobody"); !errors.Is(err, handoff.ErrNotFound) {
		t.Errorf("unknown account: got %v, want ErrNotFound", err)
	}
	if _, err := s.SetAgentPassword(ctx, "nobody", []byte("x")); !errors.Is(err, handoff.ErrNotFound) {
		t.Errorf("password of an unknown agent: got %v, want ErrNotFound", err)
	}
	if err := s.SetAgentPresence(ctx, "nobody", handoff.PresenceOnline); err != nil {
		t.Errorf("presence of an unknown agent: %v, want nil", err)
	}
	if err := s.SetAgentName(ctx, "nobody", "Nobody"); err != nil {
		t.Errorf("name of an unknown agent: %v, want nil", err)
	}
	gone := handoff.Account{Agent: handoff.Agent{ID: "bob", Capacity: 1, Presence: handoff.PresenceOffline, Created: at}, PasswordHash: []byte("h")}
	if err := s.CreateAgent(ctx, gone); err != nil {
		t.Fatalf("create agent bob: %v", err)
	}
	if err := s.RemoveAgent(ctx, "bob"); err != nil {
		t.Fatalf("remove agent: %v", err)
	}
	if err := s.RemoveAgent(ctx, "bob"); !errors.Is(err, handoff.ErrNotFound) {
		t.Errorf("remove agent again: got %v, want ErrNotFound", err)
	}
	accs, err := s.Accounts(ctx)
	if err != nil {
		t.Fatalf("accounts: %v", err)
	}
	if len(accs) != 1 || !reflect.DeepEqual(accs[0], acc) {
		t.Errorf("accounts: got %+v, want [%+v]", accs, acc)
	}
	testIdentities(t, s, at)
}

// testIdentities checks the links of agents to platform users: linked
// once, renamed, refused for another agent or an unknown one, looked up,
// listed in order, unlinked, and removed with their agent.
func testIdentities(t *testing.T, s handoff.Store, at time.Time) {
	t.Helper()
	ctx := context.Background()
	for _, id := range []string{"cy", "dee"} {
		acc := handoff.Account{Agent: handoff.Agent{ID: id, Capacity: 1, Presence: handoff.PresenceOffline, Created: at}}
		if err := s.CreateAgent(ctx, acc); err != nil {
			t.Fatalf("create agent %s: %v", id, err)
		}
	}
	tg := handoff.Identity{Platform: "telegram", UserID: "12345", Name: "Cy"}
	steps := []struct {
		what  string
		agent string
		id    handoff.Identity
		want  error
	}{
		{"link", "cy", tg, nil},
		{"link again, renamed", "cy", handoff.Identity{Platform: "telegram", UserID: "12345", Name: "Cy Young"}, nil},
		{"link another agent's user", "dee", tg, handoff.ErrLinked},
		{"link an unknown agent", "nobody", handoff.Identity{Platform: "slack", UserID: "U1"}, handoff.ErrNotFound},
		{"link a second platform", "cy", handoff.Identity{Platform: "slack", UserID: "U042", Name: "cy"}, nil},
		{"same user id, other platform", "dee", handoff.Identity{Platform: "discord", UserID: "12345", Name: "Dee"}, nil},
	}
	for _, st := range steps {
		if err := s.LinkIdentity(ctx, st.agent, st.id); !errors.Is(err, st.want) || (st.want == nil) != (err == nil) {
			t.Errorf("%s: got %v, want %v", st.what, err, st.want)
		}
	}
	if got, err := s.IdentityAgent(ctx, "telegram", "12345"); err != nil || got != "cy" {
		t.Errorf("agent of telegram:12345: got %q, %v; want cy", got, err)
	}
	if _, err := s.IdentityAgent(ctx, "telegram", "999"); !errors.Is(err, handoff.ErrNotFound) {
		t.Errorf("agent of an unlinked user: got %v, want ErrNotFound", err)
	}
	want := []handoff.Link{
		{Agent: "cy", Identity: handoff.Identity{Platform: "slack", UserID: "U042", Name: "cy"}},
		{Agent: "cy", Identity: handoff.Identity{Platform: "telegram", UserID: "12345", Name: "Cy Young"}},
		{Agent: "dee", Identity: handoff.Identity{Platform: "discord", UserID: "12345", Name: "Dee"}},
	}
	if got, err := s.Identities(ctx); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("identities: got %+v, %v; want %+v", got, err, want)
	}
	if err := s.UnlinkIdentity(ctx, "slack", "U042"); err != nil {
		t.Errorf("unlink: %v", err)
	}
	if err := s.UnlinkIdentity(ctx, "slack", "U042"); !errors.Is(err, handoff.ErrNotFound) {
		t.Errorf("unlink again: got %v, want ErrNotFound", err)
	}
	if err := s.RemoveAgent(ctx, "cy"); err != nil {
		t.Fatalf("remove agent cy: %v", err)
	}
	if _, err := s.IdentityAgent(ctx, "telegram", "12345"); !errors.Is(err, handoff.ErrNotFound) {
		t.Errorf("agent of a removed agent's user: got %v, want ErrNotFound", err)
	}
	// The removed agent's user is free for another.
	if err := s.LinkIdentity(ctx, "dee", tg); err != nil {
		t.Errorf("link a removed agent's user: %v", err)
	}
	if err := s.RemoveAgent(ctx, "dee"); err != nil {
		t.Fatalf("remove agent dee: %v", err)
	}
	if got, err := s.Identities(ctx); err != nil || len(got) != 0 {
		t.Errorf("identities after removing their agents: got %+v, %v; want none", got, err)
	}
}

func ids(ts []*handoff.Ticket) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

// CannedStore is what the desk keeps canned replies in.
type CannedStore interface {
	CannedReplies(ctx context.Context) ([]handoff.Canned, error)
	SaveCanned(ctx context.Context, c handoff.Canned) error
	DeleteCanned(ctx context.Context, id int64) error
}

// TestCanned checks that an empty s keeps canned replies: listed by team,
// title and language, one per team, title and language (a save replaces
// its text), deleted by id.
func TestCanned(t *testing.T, s CannedStore) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for _, c := range []handoff.Canned{
		{Team: "billing", Title: "Refund", Lang: "en", Text: "Your refund is on its way.", Author: "ada", Updated: at},
		{Team: "billing", Title: "Refund", Lang: "it", Text: "Il rimborso è in arrivo.", Author: "ada", Updated: at},
		{Team: "", Title: "Hello", Lang: "", Text: "Hello!", Author: "bob", Updated: at},
		{Team: "billing", Title: "Refund", Lang: "en", Text: "Your refund is on its way: 3-5 days.", Author: "bob", Updated: at.Add(time.Minute)},
	} {
		if err := s.SaveCanned(ctx, c); err != nil {
			t.Fatalf("save canned %+v: %v", c, err)
		}
	}
	got, err := s.CannedReplies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range got {
		keys = append(keys, c.Team+"/"+c.Title+"/"+c.Lang+": "+c.Text+" ("+c.Author+")")
	}
	want := []string{"/Hello/: Hello! (bob)", "billing/Refund/en: Your refund is on its way: 3-5 days. (bob)", "billing/Refund/it: Il rimborso è in arrivo. (ada)"}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("canned replies %q, want %q", keys, want)
	}
	if !got[1].Updated.Equal(at.Add(time.Minute)) || got[1].ID == 0 {
		t.Errorf("saved again: %+v", got[1])
	}
	if err := s.DeleteCanned(ctx, got[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCanned(ctx, got[0].ID); !errors.Is(err, handoff.ErrNotFound) {
		t.Errorf("delete twice: %v, want ErrNotFound", err)
	}
	if left, err := s.CannedReplies(ctx); err != nil || len(left) != 2 {
		t.Errorf("after delete: %+v, %v", left, err)
	}
}

// TestSharedClaims checks a store that several instances share: two
// Services on s (two instances) load one queued ticket; an agent on the
// first claims it, and the claim of another agent on the second is
// refused with handoff.ErrTaken, after which the second shows the ticket
// as the first's agent holds it. s must be empty.
func TestSharedClaims(t *testing.T, s handoff.Store, opts ...handoff.Option) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for _, id := range []string{"ada", "bob"} {
		acc := handoff.Account{Agent: handoff.Agent{ID: id, Skills: []string{handoff.AnySkill}, Capacity: 2,
			Presence: handoff.PresenceOnline, Created: at}, PasswordHash: []byte("$2a$04$x")}
		if err := s.CreateAgent(ctx, acc); err != nil {
			t.Fatalf("create agent %s: %v", id, err)
		}
	}
	tk := &handoff.Ticket{Address: bot.Address{Channel: "web", Conversation: "shared"}, Status: handoff.StatusQueued,
		Reason: "customer_request", Skill: "delivery", Priority: "normal", Lang: "en", Created: at, Version: 1}
	if err := s.CreateTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	a, err := handoff.New(ctx, s, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := handoff.New(ctx, s, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Claim(ctx, "ada", tk.ID); err != nil {
		t.Fatalf("claim on the first instance: %v", err)
	}
	if _, err := b.Claim(ctx, "bob", tk.ID); !errors.Is(err, handoff.ErrTaken) {
		t.Fatalf("claim on the second instance: got %v, want ErrTaken", err)
	}
	got, err := b.Ticket(ctx, tk.ID)
	if err != nil || got.Owner != "ada" || got.Status != handoff.StatusAssigned {
		t.Errorf("ticket on the second instance after its refused claim: %+v, %v; want ada's", got, err)
	}
	stored, err := s.Ticket(ctx, tk.ID)
	if err != nil || stored.Owner != "ada" {
		t.Errorf("stored ticket: %+v, %v; want ada's", stored, err)
	}
	// bob's place was not taken by the refused claim: the next ticket is his.
	tk2 := &handoff.Ticket{Address: bot.Address{Channel: "web", Conversation: "next"}, Status: handoff.StatusQueued,
		Reason: "customer_request", Lang: "en", Created: at, Version: 1}
	if err := s.CreateTicket(ctx, tk2); err != nil {
		t.Fatal(err)
	}
	c, err := handoff.New(ctx, s, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Claim(ctx, "bob", tk2.ID); err != nil {
		t.Errorf("bob's claim of a free ticket: %v", err)
	}
}
