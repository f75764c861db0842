package telegram

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/calmbot/calmbot/bot"
)

// startElected starts two adapters with the agent group on d, a and b,
// elected by e (a leads first).
func startElected(t *testing.T, d *agentDesk, e *election) (a, b *Adapter) {
	t.Helper()
	e.leader.Store("a")
	opts := d.opt
	for _, name := range []string{"a", "b"} {
		d.opt = append(slices.Clip(opts), WithLeader(candidate{e, name}, 5*time.Millisecond))
		d.start(t)
		if a == nil {
			a = d.a
		} else {
			b = d.a
		}
	}
	return a, b
}

// count is how many of the group's messages contain text.
func (d *agentDesk) count(text string) int {
	n := 0
	for _, m := range d.p.f.sentTo(group) {
		n += strings.Count(m.Text, text)
	}
	return n
}

// TestStandbyWebhookAgentReply: in webhook mode any instance receives the
// agent group's updates. An agent's reply that reaches the standby (not
// the instance showing the group) goes to the customer, and the leader
// does not echo it back into the group: what the standby wrote there is
// known through the shared state.
func TestStandbyWebhookAgentReply(t *testing.T) {
	d := newAgentDesk(t, false)
	_, b := startElected(t, d, &election{})
	const chat = 4716
	tk := d.handedOff(t, chat)
	msg := d.ticketMessage(t, tk.ID, "Waiting")
	d.answered(t, d.p.f.groupTap(ada, msg, data(msg, "Claim")))
	d.ticketMessage(t, tk.ID, "Claimed by Ada")

	// The reply reaches b as Telegram's webhook post would.
	ctx := context.Background()
	u := &models.Update{ID: 99001, Message: &models.Message{
		ID: 99001, From: &models.User{ID: ada.ID, FirstName: ada.Name, LanguageCode: "en"},
		Chat: models.Chat{ID: group, Type: "supergroup"}, Date: int(time.Now().Unix()),
		Text:           "Hello from the standby",
		ReplyToMessage: &models.Message{ID: msg.ID, Chat: models.Chat{ID: group, Type: "supergroup"}},
	}}
	if err := b.process(ctx, d.eng, u); err != nil {
		t.Fatalf("the standby's webhook: %v", err)
	}
	eventually(t, "the customer to get the standby's reply", func() bool {
		return sentText(d.p.f.sentTo(chat), "Hello from the standby")
	})
	// The leader relays in order: once the customer's next message is in
	// the group, an echo of the reply would be there too.
	d.p.f.sayAll(chat, "en", []string{"thank you"})
	d.groupLine(t, "👤 Customer: thank you")
	if n := d.count("Hello from the standby"); n != 0 {
		t.Errorf("the agent's reply written in the group was echoed there %d times, want none", n)
	}
}

// TestNewLeaderCatchesUp: what a web customer wrote while no instance led
// the agent group is shown by the next leader, once.
func TestNewLeaderCatchesUp(t *testing.T) {
	d := newAgentDesk(t, false)
	e := &election{}
	a, _ := startElected(t, d, e)
	ctx := context.Background()
	visitor := bot.Address{Channel: "web", Conversation: "visitor-gap"}
	say := func(id, text string) {
		t.Helper()
		if err := d.eng.Handle(ctx, bot.Message{Address: visitor, ID: id, Text: text, Locale: "en"}); err != nil {
			t.Fatal(err)
		}
	}
	say("1", "I want to talk to a human")
	tk := d.ticketOf(t, visitor)
	d.ticketMessage(t, tk.ID, "Waiting")
	say("2", "before the gap")
	d.groupLine(t, "👤 Customer: before the gap")

	// a dies; nobody leads for a while.
	e.leader.Store("nobody")
	stop(t, a)
	say("3", "during the gap")
	e.leader.Store("b")
	d.groupLine(t, "👤 Customer: during the gap")
	say("4", "after the gap")
	d.groupLine(t, "👤 Customer: after the gap")
	for _, text := range []string{"before the gap", "during the gap", "after the gap"} {
		if n := d.count("👤 Customer: " + text); n != 1 {
			t.Errorf("%q is in the group %d times, want once", text, n)
		}
	}
}
