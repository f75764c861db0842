package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/adapters/adaptertest"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

const (
	staffChannel = "710000000000000001"
	agentRole    = "555000000000000001"
)

var _ adaptertest.AgentPlatform = (*platform)(nil)

// NewAgentAdapter implements adaptertest.AgentPlatform: the adapter with
// the staff channel on api, every agent of the suite a member with the
// agent role.
func (p *platform) NewAgentAdapter(t testing.TB, api *handoff.Service) adaptertest.Adapter {
	p.f.mu.Lock()
	p.f.channelLocked(staffChannel).guild = fakeGuild
	p.f.mu.Unlock()
	return p.newAdapter(t, WithStaff(Staff{Desk: api, Channel: staffChannel, Roles: []string{agentRole}}))
}

// ticketMessage waits until ticket id has its message in the staff
// channel and returns the message's id (also its thread's).
func (p *platform) ticketMessage(t testing.TB, id int64) string {
	t.Helper()
	var msg string
	eventually(t, fmt.Sprintf("ticket %d in the staff channel", id), func() bool {
		msg, _ = p.state.Get(context.Background(), ticketMsgKey+strconv.FormatInt(id, 10))
		return msg != ""
	})
	return msg
}

// Ticket implements adaptertest.AgentPlatform.
func (p *platform) Ticket(t testing.TB, id int64) adaptertest.Sent {
	msg := p.ticketMessage(t, id)
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	m := p.f.findLocked(staffChannel, msg)
	s := adaptertest.Sent{Text: unescape(m.Content)}
	for _, b := range buttons(m.Components) {
		s.Buttons = append(s.Buttons, b.Label)
	}
	return s
}

func agentUser(agent string) map[string]any {
	user, _ := chatIDs("agent-" + agent)
	return map[string]any{"id": user, "username": agent, "global_name": strings.ToUpper(agent[:1]) + agent[1:]}
}

// AgentTap implements adaptertest.AgentPlatform: the press is answered
// silently (a deferred update), so it returns "" once acknowledged.
func (p *platform) AgentTap(t testing.TB, agent string, id int64, label string) string {
	t.Helper()
	msg := p.ticketMessage(t, id)
	f := p.f
	f.mu.Lock()
	m := f.findLocked(staffChannel, msg)
	var custom string
	for _, b := range buttons(m.Components) {
		if strings.HasPrefix(b.Label, label) {
			custom = b.CustomID
		}
	}
	if custom == "" {
		f.mu.Unlock()
		t.Fatalf("ticket %d has no %q button", id, label)
	}
	iid := f.idLocked()
	raw, _ := json.Marshal(map[string]any{
		"id": iid, "application_id": fakeBotID, "type": 3, "token": "itoken-" + iid, "version": 1,
		"channel_id": staffChannel, "guild_id": fakeGuild,
		"member":  map[string]any{"user": agentUser(agent), "roles": []string{agentRole}},
		"data":    map[string]any{"custom_id": custom, "component_type": 2},
		"message": m.json(),
	})
	f.dispatchLocked("INTERACTION_CREATE", json.RawMessage(raw))
	f.mu.Unlock()
	eventually(t, "the press acknowledged", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return slices.Contains(f.acks, iid)
	})
	return ""
}

// AgentSay implements adaptertest.AgentPlatform: agent writes in the
// ticket's thread.
func (p *platform) AgentSay(t testing.TB, agent string, id int64, text string) {
	thread := p.ticketMessage(t, id)
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	p.f.channelLocked(thread)
	p.f.dispatchLocked("MESSAGE_CREATE", map[string]any{
		"id": p.f.idLocked(), "channel_id": thread, "guild_id": fakeGuild, "author": agentUser(agent),
		"member": map[string]any{"roles": []string{agentRole}}, "content": text,
	})
}

// Thread implements adaptertest.AgentPlatform.
func (p *platform) Thread(id int64) []adaptertest.Sent {
	msg, _ := p.state.Get(context.Background(), ticketMsgKey+strconv.FormatInt(id, 10))
	if msg == "" {
		return nil
	}
	return p.f.sentTo(msg)
}

// pressStaff has user (with roles) press the button labelled label on the
// staff channel's message of the ticket.
func pressStaff(t *testing.T, f *fakeDiscord, user map[string]any, roles []string, label string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.channels[staffChannel]
	for i := len(c.msgs) - 1; i >= 0; i-- {
		m := c.msgs[i]
		for _, b := range buttons(m.Components) {
			if b.Label != label {
				continue
			}
			id := f.idLocked()
			raw, _ := json.Marshal(map[string]any{
				"id": id, "application_id": fakeBotID, "type": 3, "token": "itoken-" + id, "version": 1,
				"channel_id": staffChannel, "guild_id": fakeGuild,
				"member":  map[string]any{"user": user, "roles": roles},
				"data":    map[string]any{"custom_id": b.CustomID, "component_type": 2},
				"message": m.json(),
			})
			f.dispatchLocked("INTERACTION_CREATE", json.RawMessage(raw))
			return
		}
	}
	t.Fatalf("no %q button in the staff channel", label)
}

// selectStage has user (with roles) choose value in the stage menu of the
// staff channel's message of the ticket.
func selectStage(t *testing.T, f *fakeDiscord, user map[string]any, roles []string, value string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.channels[staffChannel]
	for i := len(c.msgs) - 1; i >= 0; i-- {
		m := c.msgs[i]
		for _, menu := range selects(m.Components) {
			if !slices.ContainsFunc(menu.Options, func(o struct {
				Value string `json:"value"`
			}) bool {
				return o.Value == value
			}) {
				continue
			}
			id := f.idLocked()
			raw, _ := json.Marshal(map[string]any{
				"id": id, "application_id": fakeBotID, "type": 3, "token": "itoken-" + id, "version": 1,
				"channel_id": staffChannel, "guild_id": fakeGuild,
				"member":  map[string]any{"user": user, "roles": roles},
				"data":    map[string]any{"custom_id": menu.CustomID, "component_type": 3, "values": []string{value}},
				"message": m.json(),
			})
			f.dispatchLocked("INTERACTION_CREATE", json.RawMessage(raw))
			return
		}
	}
	t.Fatalf("no stage menu with %q in the staff channel", value)
}

// TestStaffChannel: a handed-off conversation becomes a ticket message in
// the staff channel with a thread; a member with the agent role claims it
// (a member without cannot), writes to the customer from the thread, and
// sees the customer's answer there.
func TestStaffChannel(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := handoff.New(ctx, handofftest.NewStore(), nil, handoff.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := bot.New(ctx, bottest.NewStore(), adaptertest.Flows(t), bottest.Analyzer,
		bot.WithEscalator(svc), bot.WithListener(svc), bot.WithQuietWindow(0), bot.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	svc.SetEngine(eng)

	p := newPlatform(t)
	f := p.f
	f.mu.Lock()
	f.channelLocked(staffChannel).guild = fakeGuild
	f.mu.Unlock()
	a := p.newAdapter(t, WithStaff(Staff{Desk: svc, Channel: staffChannel, Roles: []string{agentRole}}))
	eng.Register(Channel, a)
	if err := a.Start(ctx, eng); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop(context.Background()) })
	f.waitReady(t)

	const chat = "uma"
	p.Say(t, chat, "en", "my order hasn't arrived")
	eventually(t, "the bot's answer", func() bool { return len(p.Sent(chat)) >= 1 })
	p.Say(t, chat, "en", "I want to talk to a human")
	var ticketMsg string
	eventually(t, "the ticket's message in the staff channel", func() bool {
		sent := f.sentTo(staffChannel)
		if len(sent) == 1 && len(sent[0].Buttons) == 3 {
			ticketMsg = sent[0].Text
			return true
		}
		return false
	})
	if !strings.Contains(ticketMsg, "queued") {
		t.Errorf("ticket message %q", ticketMsg)
	}
	var thread string
	f.mu.Lock()
	thread = f.channels[staffChannel].msgs[0].ID
	f.mu.Unlock()
	eventually(t, "the transcript in the ticket's thread", func() bool {
		for _, m := range f.sentTo(thread) {
			if strings.Contains(m.Text, "Customer: I want to talk to a human") {
				return true
			}
		}
		return false
	})

	tickets := svc.Tickets()
	if len(tickets) != 1 {
		t.Fatalf("tickets %v", tickets)
	}
	id := tickets[0].ID
	stranger := map[string]any{"id": "1400000000000000001", "username": "stranger"}
	pressStaff(t, f, stranger, nil, "Claim")
	ada := map[string]any{"id": "1400000000000000002", "username": "ada", "global_name": "Ada"}
	pressStaff(t, f, ada, []string{agentRole}, "Claim")
	eventually(t, "the ticket claimed by Ada", func() bool {
		tk, err := svc.Ticket(ctx, id)
		return err == nil && tk.Owner != ""
	})
	tk, _ := svc.Ticket(ctx, id)
	if ag, err := svc.AgentFor(ctx, Channel, "1400000000000000002"); err != nil || ag.ID != tk.Owner {
		t.Errorf("owner %q, Ada's agent %+v %v", tk.Owner, ag, err)
	}
	if _, err := svc.AgentFor(ctx, Channel, "1400000000000000001"); err == nil {
		t.Errorf("the stranger became an agent")
	}
	eventually(t, "the ticket message shows the claim", func() bool {
		s := f.sentTo(staffChannel)
		return len(s) > 0 && strings.Contains(s[0].Text, "claimed by "+tk.Owner)
	})

	f.mu.Lock()
	f.dispatchLocked("MESSAGE_CREATE", map[string]any{
		"id": f.idLocked(), "channel_id": thread, "guild_id": fakeGuild, "author": ada,
		"member": map[string]any{"roles": []string{agentRole}}, "content": "Hi, Ada here. Let me look at your order.",
	})
	f.mu.Unlock()
	eventually(t, "the agent's reply in the customer's DM", func() bool {
		for _, m := range p.Sent(chat) {
			if strings.Contains(m.Text, "Ada here") {
				return true
			}
		}
		return false
	})
	// Ada checks a draft: the hints are a note in the thread, not sent.
	f.mu.Lock()
	f.dispatchLocked("MESSAGE_CREATE", map[string]any{
		"id": f.idLocked(), "channel_id": thread, "guild_id": fakeGuild, "author": ada,
		"member": map[string]any{"roles": []string{agentRole}}, "content": "/check Unfortunately, please call us.",
	})
	f.mu.Unlock()
	eventually(t, "the hints in the thread", func() bool {
		for _, m := range f.sentTo(thread) {
			if strings.Contains(m.Text, "Hints on your reply") && strings.Contains(m.Text, "call us") {
				return true
			}
		}
		return false
	})
	for _, m := range p.Sent(chat) {
		if strings.Contains(m.Text, "call us") || strings.Contains(m.Text, "Hints") {
			t.Errorf("the customer got %q", m.Text)
		}
	}
	// A claim is exclusive: a second agent's press changes nothing.
	bea := map[string]any{"id": "1400000000000000003", "username": "bea"}
	pressStaff(t, f, bea, []string{agentRole}, "Claim")
	f.mu.Lock()
	f.dispatchLocked("MESSAGE_CREATE", map[string]any{
		"id": f.idLocked(), "channel_id": thread, "guild_id": fakeGuild, "author": bea,
		"member": map[string]any{"roles": []string{agentRole}}, "content": "Bea here too",
	})
	f.mu.Unlock()
	eventually(t, "Bea told to claim first", func() bool {
		for _, m := range f.sentTo(thread) {
			if strings.Contains(m.Text, "claim the ticket first") {
				return true
			}
		}
		return false
	})
	if now, _ := svc.Ticket(ctx, id); now.Owner != tk.Owner {
		t.Errorf("owner %q after Bea's claim, want %q", now.Owner, tk.Owner)
	}
	for _, m := range p.Sent(chat) {
		if strings.Contains(m.Text, "Bea here") {
			t.Errorf("Bea's message reached the customer")
		}
	}

	p.Say(t, chat, "en", "thank you, it is order 1234")
	eventually(t, "the customer's message in the thread", func() bool {
		for _, m := range f.sentTo(thread) {
			if strings.Contains(m.Text, "Customer: thank you, it is order 1234") {
				return true
			}
		}
		return false
	})

	// Ada releases the conversation to a stage chosen in the menu: the bot
	// takes it up there, and the ticket message loses its controls.
	b, err := svc.Brief(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(b.Stages, func(s handoff.Stage) bool { return s.State != "" })
	if i < 0 {
		t.Fatalf("no stage to release to in %+v", b.Stages)
	}
	stage := b.Stages[i]
	selectStage(t, f, ada, []string{agentRole}, stage.Flow+"/"+stage.State)
	eventually(t, "the conversation back with the bot in "+stage.Flow, func() bool {
		snap, err := eng.Conversation(ctx, p.Address(chat))
		return err == nil && snap.Status == bot.StatusBot && snap.Flow == stage.Flow
	})
	said := []rune(stage.Say)
	said = said[:min(len(said), 30)]
	eventually(t, "the customer told what the bot says at "+stage.State, func() bool {
		return slices.ContainsFunc(p.Sent(chat), func(s adaptertest.Sent) bool { return strings.HasPrefix(s.Text, string(said)) })
	})
	eventually(t, "the closed ticket's message without controls", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		m := f.channels[staffChannel].msgs[0]
		return len(buttons(m.Components)) == 0 && len(selects(m.Components)) == 0
	})
}
