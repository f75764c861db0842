package slack

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/calmbot/calmbot/adapters/adaptertest"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

const (
	handoffChannel = "C0HANDOFF"
	agentUser      = "U0AGENT"
	otherUser      = "U0OTHER"
)

// A customer's handoff becomes a ticket message in the handoff channel; a
// member claims it with its button, their thread replies reach the
// customer's DM (a note does not), others are refused, and the customer's
// next message lands in the thread.
func TestAgentSide(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := handoff.New(ctx, handofftest.NewStore(), nil, handoff.WithBcryptCost(bcrypt.MinCost), handoff.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	e, err := bot.New(ctx, bottest.NewStore(), adaptertest.Flows(t), bottest.Analyzer, bot.WithQuietWindow(0),
		bot.WithEscalator(svc), bot.WithListener(svc), bot.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	svc.SetEngine(e)
	p := newPlatform(t)
	p.f.mu.Lock()
	p.f.channels[handoffChannel] = true
	p.f.users[agentUser] = "en-GB"
	p.f.users[otherUser] = "en-GB"
	p.f.mu.Unlock()
	a := started(t, p, e, WithHandoff(svc, handoffChannel))
	e.Register(Channel, a)

	const chat = "olga"
	p.Say(t, chat, "en", "I want to talk to a human, now")
	var ticket *fakeMessage
	eventually(t, "the ticket message", func() bool {
		ticket = p.f.lastWithButtons(handoffChannel)
		return ticket != nil && len(ticket.Buttons) == 3
	})
	if !strings.Contains(ticket.Text, "*Ticket ") || ticket.Buttons[0].Text != "Claim" {
		t.Fatalf("ticket message %q with buttons %+v", ticket.Text, ticket.Buttons)
	}

	p.f.click(agentUser, ticket, ticket.Buttons[0])
	eventually(t, "the claim shown", func() bool {
		for _, m := range p.f.sentTo(handoffChannel) {
			if m.TS == ticket.TS {
				return strings.Contains(m.Text, "held by") && len(m.Buttons) == 2
			}
		}
		return false
	})

	reply := func(user, text string) {
		p.f.mu.Lock()
		ts := p.f.newTSLocked()
		p.f.mu.Unlock()
		p.f.event(handoffChannel, user, "en-GB", map[string]any{"type": "message", "channel": handoffChannel, "channel_type": "channel",
			"user": user, "text": text, "ts": ts, "thread_ts": ticket.TS})
	}
	reply(agentUser, "!customer sounds upset, be gentle")
	reply(agentUser, "Note: refund approved by finance")
	reply(otherUser, "I can take this")
	reply(agentUser, "Hello, I am Ana from support. I will sort this out.")
	eventually(t, "the agent's reply in the customer's DM", func() bool {
		for _, s := range p.Sent(chat) {
			if strings.Contains(s.Text, "I am Ana") {
				return true
			}
		}
		return false
	})
	for _, s := range p.Sent(chat) {
		if strings.Contains(s.Text, "be gentle") || strings.Contains(s.Text, "finance") || strings.Contains(s.Text, "I can take this") {
			t.Errorf("the customer got %q", s.Text)
		}
	}
	eventually(t, "the other member refused", func() bool {
		p.f.mu.Lock()
		defer p.f.mu.Unlock()
		return slices.ContainsFunc(p.f.ephemeral[handoffChannel], func(s string) bool { return strings.Contains(s, "held by someone else") })
	})
	// The reply promised without a time frame: the agent alone is coached.
	eventually(t, "the hints on the reply", func() bool {
		p.f.mu.Lock()
		defer p.f.mu.Unlock()
		return slices.ContainsFunc(p.f.ephemeral[handoffChannel], func(s string) bool {
			return strings.Contains(s, "Hints on your reply") && strings.Contains(s, "I will sort")
		})
	})
	reply(agentUser, "check: Unfortunately you should have called us.")
	eventually(t, "the hints on a checked draft", func() bool {
		p.f.mu.Lock()
		defer p.f.mu.Unlock()
		return slices.ContainsFunc(p.f.ephemeral[handoffChannel], func(s string) bool { return strings.Contains(s, "“Unfortunately”") })
	})

	p.Say(t, chat, "en", "thank you Ana")
	eventually(t, "the customer's message in the thread", func() bool {
		for _, m := range p.f.sentTo(handoffChannel) {
			if strings.Contains(m.Text, "thank you Ana") {
				return m.Thread == ticket.TS
			}
		}
		return false
	})
	// Close: the ticket message loses its buttons and says so.
	var claimed *fakeMessage
	for _, m := range p.f.sentTo(handoffChannel) {
		if m.TS == ticket.TS {
			claimed = &m
		}
	}
	if claimed == nil || len(claimed.Buttons) != 2 || claimed.Buttons[1].Text != "Close" {
		t.Fatalf("claimed ticket message %+v", claimed)
	}
	p.f.click(agentUser, claimed, claimed.Buttons[1])
	eventually(t, "the close shown", func() bool {
		for _, m := range p.f.sentTo(handoffChannel) {
			if m.TS == ticket.TS {
				return strings.Contains(m.Text, "closed") && len(m.Buttons) == 0
			}
		}
		return false
	})
	ag, err := svc.AgentFor(ctx, Channel, agentUser)
	if err != nil || ag.ID == "" {
		t.Errorf("the claiming member is no agent: %v", err)
	}
}
