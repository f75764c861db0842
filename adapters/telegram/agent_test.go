package telegram

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calmbot/calmbot/adapters/adaptertest"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

// group is the agent group's chat id.
const group = -1001234567890

var (
	ada   = fakeUser{ID: 7001, Name: "Ada"}
	bruno = fakeUser{ID: 7002, Name: "Bruno"}
)

// agentDesk is a Telegram adapter with an agent group, on the real engine
// and the real handoff service (both on in-memory stores), with a web chat
// channel beside it.
type agentDesk struct {
	p   *platform
	a   *Adapter
	eng *bot.Engine
	svc *handoff.Service
	web *bottest.Sender
	opt []Option
}

func startAgentDesk(t *testing.T, forum bool, allowed ...int64) *agentDesk {
	t.Helper()
	d := newAgentDesk(t, forum, allowed...)
	d.start(t)
	return d
}

// newAgentDesk is startAgentDesk's desk before its adapter starts.
func newAgentDesk(t *testing.T, forum bool, allowed ...int64) *agentDesk {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := handoff.New(ctx, handofftest.NewStore(), nil, handoff.WithLogger(quiet), handoff.WithBcryptCost(4))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := bot.New(ctx, bottest.NewStore(), adaptertest.Flows(t), bottest.Analyzer,
		bot.WithEscalator(svc), bot.WithListener(svc), bot.WithQuietWindow(0), bot.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	svc.SetEngine(eng)
	d := &agentDesk{p: newPlatform(t), eng: eng, svc: svc, web: bottest.NewSender()}
	d.p.f.forums[group] = forum
	eng.Register("web", d.web)
	d.opt = []Option{WithAgentGroup(group, svc, allowed...)}
	return d
}

// start starts a new adapter on the desk's fake and state.
func (d *agentDesk) start(t *testing.T) {
	t.Helper()
	d.a = d.p.newAdapter(t, d.opt...)
	d.eng.Register(Channel, d.a)
	if err := d.a.Start(context.Background(), d.eng); err != nil {
		t.Fatal(err)
	}
	a := d.a
	t.Cleanup(func() { _ = a.Stop(context.Background()) })
}

// handedOff has Telegram customer chat ask for a person and returns the
// ticket.
func (d *agentDesk) handedOff(t *testing.T, chat int64) *handoff.Ticket {
	t.Helper()
	d.p.f.sayAll(chat, "en", []string{"I want to talk to a human"})
	return d.ticketOf(t, address(chat))
}

func (d *agentDesk) ticketOf(t *testing.T, addr bot.Address) *handoff.Ticket {
	t.Helper()
	var found *handoff.Ticket
	eventually(t, "a ticket for "+addr.String(), func() bool {
		for _, tk := range d.svc.Tickets() {
			if tk.Address == addr {
				found = tk
				return true
			}
		}
		return false
	})
	return found
}

// ticketMessage waits for ticket id's message in the group and returns it.
func (d *agentDesk) ticketMessage(t *testing.T, id int64, want string) fakeMessage {
	t.Helper()
	var m fakeMessage
	eventually(t, "ticket "+strconv.FormatInt(id, 10)+"'s message saying "+strconv.Quote(want), func() bool {
		n := 0
		for _, s := range d.p.f.sentTo(group) {
			if strings.Contains(s.Text, "\n\nTicket #"+strconv.FormatInt(id, 10)+" ·") {
				m, n = s, n+1
			}
		}
		if n > 1 {
			t.Fatalf("ticket %d posted %d times", id, n)
		}
		return n == 1 && strings.Contains(m.Text, want)
	})
	return m
}

// groupLine waits for a message in the group containing text and returns it.
func (d *agentDesk) groupLine(t *testing.T, text string) fakeMessage {
	t.Helper()
	var m fakeMessage
	eventually(t, "the group to read "+strconv.Quote(text), func() bool {
		for _, s := range d.p.f.sentTo(group) {
			if strings.Contains(s.Text, text) {
				m = s
				return true
			}
		}
		return false
	})
	return m
}

func (d *agentDesk) answered(t *testing.T, query string) string {
	t.Helper()
	var text string
	eventually(t, "the tap answered", func() bool {
		var ok bool
		text, ok = d.p.f.answer(query)
		return ok
	})
	return text
}

func data(m fakeMessage, label string) string {
	for _, b := range m.Buttons {
		if strings.HasPrefix(b.Text, label) {
			return b.Data
		}
	}
	return ""
}

func sentText(ms []fakeMessage, text string) bool {
	for _, m := range ms {
		if strings.Contains(m.Text, text) {
			return true
		}
	}
	return false
}

// A Telegram customer's ticket handled in a forum topic: claimed
// exclusively, answered, noted, the customer's messages shown, released to
// the bot with the stage buttons.
func TestAgentGroupForum(t *testing.T) {
	d := startAgentDesk(t, true)
	f := d.p.f
	const customer = 4711
	tk := d.handedOff(t, customer)
	msg := d.ticketMessage(t, tk.ID, "Waiting for an agent")
	if msg.Thread == 0 || f.topics[group][msg.Thread] == "" {
		t.Fatalf("the ticket's message is not in a topic of its own: %+v", msg)
	}
	if got := []string{msg.Buttons[0].Text, msg.Buttons[1].Text, msg.Buttons[2].Text}; got[0] != "Claim" || got[2] != "Close" {
		t.Errorf("buttons %q", got)
	}
	for _, want := range []string{"Customer first wrote: “I want to talk to a human”", "Handoff:", "Waited:"} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("summary lacks %q:\n%s", want, msg.Text)
		}
	}
	transcript := d.groupLine(t, "Transcript so far:")
	if transcript.Thread != msg.Thread || !strings.Contains(transcript.Text, "👤 Customer: I want to talk to a human") {
		t.Errorf("transcript %+v", transcript)
	}

	// Ada claims; Bruno's claim is refused.
	q := f.groupTap(ada, msg, data(msg, "Claim"))
	if got := d.answered(t, q); !strings.Contains(got, "You hold ticket") {
		t.Errorf("Ada's claim answered %q", got)
	}
	msg = d.ticketMessage(t, tk.ID, "Claimed by Ada (telegram-7001)")
	if got, _ := d.svc.Ticket(context.Background(), tk.ID); got.Owner != "telegram-7001" {
		t.Errorf("the desk sees owner %q", got.Owner)
	}
	q = f.groupTap(bruno, msg, data(msg, "Claim"))
	if got := d.answered(t, q); !strings.Contains(got, "already claimed by Ada") {
		t.Errorf("Bruno's claim answered %q", got)
	}

	// Ada answers in the topic; a note stays inside; Bruno may not answer.
	f.groupSay(group, ada, "Hi, Ada here. Let me look at your order.", msg.Thread, 0)
	eventually(t, "the reply at the customer", func() bool { return sentText(f.sentTo(customer), "Ada here") })
	tr, err := d.eng.Transcript(context.Background(), address(customer))
	if err != nil {
		t.Fatal(err)
	}
	if last := tr[len(tr)-1]; last.Author != handoff.Author("telegram-7001") || !strings.Contains(last.Text, "Ada here") {
		t.Errorf("the reply is stored as %+v", last)
	}
	f.groupSay(group, ada, "/note asked twice already", msg.Thread, 0)
	f.groupSay(group, ada, "!prefers e-mail", msg.Thread, 0)
	eventually(t, "the notes", func() bool {
		got, _ := d.svc.Ticket(context.Background(), tk.ID)
		return len(got.Notes) == 2
	})
	got, _ := d.svc.Ticket(context.Background(), tk.ID)
	if got.Notes[0].Text != "asked twice already" || got.Notes[1].Text != "prefers e-mail" || got.Notes[0].Author != "telegram-7001" {
		t.Errorf("notes %+v", got.Notes)
	}
	no := f.groupSay(group, bruno, "I can help too", msg.Thread, 0)
	refusal := d.groupLine(t, "held by Ada")
	if refusal.ReplyTo != no || refusal.Thread != msg.Thread {
		t.Errorf("the refusal is not an answer to Bruno's message in the topic: %+v", refusal)
	}

	// The customer writes: it appears in the topic.
	f.sayAll(customer, "en", []string{"It is order 5521"})
	line := d.groupLine(t, "👤 Customer: It is order 5521")
	if line.Thread != msg.Thread {
		t.Errorf("the customer's message is in thread %d, want %d", line.Thread, msg.Thread)
	}
	if sentText(f.sentTo(group), "🧑‍💼") {
		t.Errorf("Ada's own reply was echoed into the topic")
	}
	for _, s := range f.sentTo(customer) {
		if strings.Contains(s.Text, "twice") || strings.Contains(s.Text, "e-mail") || strings.Contains(s.Text, "help too") {
			t.Errorf("the customer got %q", s.Text)
		}
	}

	// Ada releases to the bot, choosing a stage.
	before := len(f.sentTo(customer))
	q = f.groupTap(ada, msg, data(msg, "Release"))
	d.answered(t, q)
	var stages fakeMessage
	eventually(t, "the stage buttons", func() bool {
		stages = d.ticketMessage(t, tk.ID, "Claimed")
		return data(stages, "What else can I do?") != ""
	})
	if data(stages, "« Back") == "" {
		t.Errorf("no way back among %+v", stages.Buttons)
	}
	q = f.groupTap(ada, stages, data(stages, "What else can I do?"))
	if got := d.answered(t, q); !strings.Contains(got, "back with the bot") {
		t.Errorf("release answered %q", got)
	}
	msg = d.ticketMessage(t, tk.ID, "Released to the bot by Ada")
	if len(msg.Buttons) != 0 {
		t.Errorf("a closed ticket keeps its buttons %+v", msg.Buttons)
	}
	eventually(t, "the bot to speak again", func() bool { return len(f.sentTo(customer)) > before })
	if s, _ := d.eng.Conversation(context.Background(), address(customer)); s.Status == bot.StatusHuman {
		t.Errorf("the conversation is still with a person")
	}
}

// A web chat customer's ticket handled from a group without topics, in
// replies to the ticket's message; a claim made on the web desk shows in
// the group.
func TestAgentGroupRepliesWebCustomer(t *testing.T) {
	d := startAgentDesk(t, false)
	f := d.p.f
	ctx := context.Background()
	visitor := bot.Address{Channel: "web", Conversation: "visitor-1"}
	if err := d.eng.Handle(ctx, bot.Message{Address: visitor, ID: "1", Text: "I want to talk to a human", Locale: "en"}); err != nil {
		t.Fatal(err)
	}
	tk := d.ticketOf(t, visitor)
	msg := d.ticketMessage(t, tk.ID, "Waiting")
	if msg.Thread != 0 || len(f.callsTo("createForumTopic")) != 0 {
		t.Errorf("a topic in a group without topics: %+v", msg)
	}
	q := f.groupTap(ada, msg, data(msg, "Claim"))
	d.answered(t, q)
	d.ticketMessage(t, tk.ID, "Claimed by Ada")
	f.groupSay(group, ada, "Hello from Telegram!", 0, msg.ID)
	eventually(t, "the web customer to get the reply", func() bool {
		for _, r := range d.web.Replies(visitor) {
			if r.Text == "Hello from Telegram!" && r.Author == handoff.Author("telegram-7001") {
				return true
			}
		}
		return false
	})
	if err := d.eng.Handle(ctx, bot.Message{Address: visitor, ID: "2", Text: "Thanks, my order is 5521", Locale: "en"}); err != nil {
		t.Fatal(err)
	}
	line := d.groupLine(t, "👤 Customer: Thanks, my order is 5521")
	if line.ReplyTo != msg.ID {
		t.Errorf("the customer's message answers message %d, want the ticket's %d", line.ReplyTo, msg.ID)
	}
	// A reply to the relayed line is about the ticket too (once the adapter
	// recorded the line, which it does when Telegram answered the send).
	eventually(t, "the line recorded", func() bool {
		v, _ := d.p.state.Get(ctx, postKey+strconv.Itoa(line.ID))
		return v != ""
	})
	f.groupSay(group, ada, "/note order 5521", 0, line.ID)
	eventually(t, "the note", func() bool { got, _ := d.svc.Ticket(ctx, tk.ID); return len(got.Notes) == 1 })

	// The assist checks a draft without sending it, in the group only.
	f.groupSay(group, ada, "/check Unfortunately we'll send it.", 0, msg.ID)
	if hint := d.groupLine(t, "Hints on your reply"); !strings.Contains(hint.Text, "“Unfortunately”") || hint.ReplyTo == 0 {
		t.Errorf("hints %+v", hint)
	}
	for _, r := range d.web.Replies(visitor) {
		if strings.Contains(r.Text, "send it") || strings.Contains(r.Text, "Hints") {
			t.Errorf("the customer got %q", r.Text)
		}
	}

	// A second ticket, claimed on the web desk.
	other := bot.Address{Channel: "web", Conversation: "visitor-2"}
	if err := d.eng.Handle(ctx, bot.Message{Address: other, ID: "1", Text: "I want to talk to a human", Locale: "en"}); err != nil {
		t.Fatal(err)
	}
	tk2 := d.ticketOf(t, other)
	d.ticketMessage(t, tk2.ID, "Waiting")
	if _, err := d.svc.AddAgent(ctx, "grace", "correct horse battery", []string{handoff.AnySkill}, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.Act(ctx, "grace", handoff.Action{Kind: handoff.ActClaim, Ticket: tk2.ID}); err != nil {
		t.Fatal(err)
	}
	m2 := d.ticketMessage(t, tk2.ID, "Claimed by grace.")
	q = f.groupTap(ada, m2, data(m2, "Claim"))
	if got := d.answered(t, q); !strings.Contains(got, "already claimed by grace") {
		t.Errorf("claim of the desk's ticket answered %q", got)
	}
	if err := d.svc.Reply(ctx, "grace", tk2.ID, "Grace from the desk here"); err != nil {
		t.Fatal(err)
	}
	d.groupLine(t, "🧑‍💼 grace: Grace from the desk here")

	// Ada closes hers.
	q = f.groupTap(ada, msg, data(msg, "Close"))
	d.answered(t, q)
	msg = d.ticketMessage(t, tk.ID, "Closed by Ada")
	if len(msg.Buttons) != 0 {
		t.Errorf("buttons kept: %+v", msg.Buttons)
	}
	if got, _ := d.svc.Ticket(ctx, tk.ID); got.Status != handoff.StatusClosed {
		t.Errorf("status %q", got.Status)
	}
}

// Only group members act, and with a list, only the listed users; a
// private message never makes an agent.
func TestAgentGroupWhoIsAnAgent(t *testing.T) {
	d := startAgentDesk(t, false, ada.ID)
	f := d.p.f
	ctx := context.Background()
	tk := d.handedOff(t, 4712)
	msg := d.ticketMessage(t, tk.ID, "Waiting")

	// Bruno is in the group but not on the list.
	q := f.groupTap(bruno, msg, data(msg, "Claim"))
	if got := d.answered(t, q); !strings.Contains(got, "Only the support team") {
		t.Errorf("Bruno's claim answered %q", got)
	}
	// A customer writes to the bot privately, even a command.
	const stranger = 7777
	f.sayAll(stranger, "en", []string{"/claim"})
	f.sayAll(stranger, "en", []string{"hello, my parcel is late"})
	eventually(t, "the stranger answered as a customer", func() bool { return len(f.sentTo(stranger)) > 0 })
	for _, u := range []int64{bruno.ID, stranger} {
		if _, err := d.svc.AgentFor(ctx, Platform, strconv.FormatInt(u, 10)); !errors.Is(err, handoff.ErrNotFound) {
			t.Errorf("user %d: AgentFor = %v, want ErrNotFound", u, err)
		}
	}
	if got, _ := d.svc.Ticket(ctx, tk.ID); got.Status != handoff.StatusQueued {
		t.Errorf("ticket %s, want still queued", got.Status)
	}
	q = f.groupTap(ada, msg, data(msg, "Claim"))
	d.answered(t, q)
	if a, err := d.svc.AgentFor(ctx, Platform, strconv.FormatInt(ada.ID, 10)); err != nil || a.ID != "telegram-7001" {
		t.Errorf("Ada: %v %v", a, err)
	}
}

// A restarted adapter edits the ticket's message it posted before, and
// shows what changed while it was down.
func TestAgentGroupRestart(t *testing.T) {
	d := startAgentDesk(t, true)
	f := d.p.f
	ctx := context.Background()
	tk := d.handedOff(t, 4713)
	msg := d.ticketMessage(t, tk.ID, "Waiting")
	stop, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := d.a.Stop(stop); err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.AddAgent(ctx, "grace", "correct horse battery", []string{handoff.AnySkill}, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.Act(ctx, "grace", handoff.Action{Kind: handoff.ActClaim, Ticket: tk.ID}); err != nil {
		t.Fatal(err)
	}
	d.start(t)
	again := d.ticketMessage(t, tk.ID, "Claimed by grace")
	if again.ID != msg.ID || len(f.topics[group]) != 1 {
		t.Errorf("after the restart: message %d (was %d), %d topics", again.ID, msg.ID, len(f.topics[group]))
	}
	// The topic still leads to the ticket: Ada may note on it once invited.
	if _, err := d.svc.Act(ctx, "grace", handoff.Action{Kind: handoff.ActNote, Ticket: tk.ID, Text: "over to Ada soon"}); err != nil {
		t.Fatal(err)
	}
	d.groupLine(t, "📝 Note by grace: over to Ada soon")
}

// The telegram platform's agent surface, as adaptertest drives it: an
// agent group with topics.
var _ adaptertest.AgentPlatform = (*platform)(nil)

var suiteAgents = map[string]fakeUser{"ada": ada, "bruno": bruno}

func (p *platform) NewAgentAdapter(t testing.TB, api *handoff.Service) adaptertest.Adapter {
	p.f.mu.Lock()
	p.f.forums[group] = true
	p.f.mu.Unlock()
	return p.newAdapter(t, WithAgentGroup(group, api))
}

// ticketMsg is ticket id's message in the group.
func (f *fakeAPI) ticketMsg(id int64) (fakeMessage, bool) {
	for _, s := range f.sentTo(group) {
		if strings.Contains(s.Text, "\n\nTicket #"+strconv.FormatInt(id, 10)+" ·") {
			return s, true
		}
	}
	return fakeMessage{}, false
}

func (p *platform) waitTicket(t testing.TB, id int64) fakeMessage {
	t.Helper()
	var m fakeMessage
	eventually(t, "ticket "+strconv.FormatInt(id, 10)+" in the group", func() bool {
		var ok bool
		m, ok = p.f.ticketMsg(id)
		return ok
	})
	return m
}

func (p *platform) Ticket(t testing.TB, id int64) adaptertest.Sent {
	m := p.waitTicket(t, id)
	s := adaptertest.Sent{Text: m.Text}
	for _, b := range m.Buttons {
		s.Buttons = append(s.Buttons, b.Text)
	}
	return s
}

func (p *platform) AgentTap(t testing.TB, agent string, id int64, label string) string {
	t.Helper()
	m := p.waitTicket(t, id)
	d := data(m, label)
	if d == "" {
		t.Fatalf("ticket %d has no button %q: %+v", id, label, m.Buttons)
	}
	q := p.f.groupTap(suiteAgents[agent], m, d)
	var text string
	eventually(t, "the tap answered", func() bool {
		var ok bool
		text, ok = p.f.answer(q)
		return ok
	})
	return text
}

func (p *platform) AgentSay(t testing.TB, agent string, id int64, text string) {
	m := p.waitTicket(t, id)
	replyTo := 0
	if m.Thread == 0 {
		replyTo = m.ID
	}
	p.f.groupSay(group, suiteAgents[agent], text, m.Thread, replyTo)
}

func (p *platform) Thread(id int64) []adaptertest.Sent {
	m, ok := p.f.ticketMsg(id)
	if !ok {
		return nil
	}
	var out []adaptertest.Sent
	for _, s := range p.f.sentTo(group) {
		if s.ID != m.ID && (m.Thread != 0 && s.Thread == m.Thread || m.Thread == 0 && s.ReplyTo == m.ID) {
			out = append(out, adaptertest.Sent{Text: s.Text})
		}
	}
	return out
}
