package slack

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

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
	thirdUser      = "U0THIRD"
	strangerUser   = "U0STRANGER" // not a member of the handoff channel
)

// agentDesk is an engine with the handoff service and a fake Slack whose
// handoff channel has agentUser, otherUser and thirdUser as members.
type agentDesk struct {
	p   *platform
	svc *handoff.Service
	eng *bot.Engine
	web *bottest.Sender
}

func newAgentDesk(t *testing.T) *agentDesk {
	t.Helper()
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
	d := &agentDesk{p: newPlatform(t), svc: svc, eng: e, web: bottest.NewSender()}
	e.Register("web", d.web)
	f := d.p.f
	f.mu.Lock()
	f.channels[handoffChannel] = true
	f.members[handoffChannel] = []string{fakeBotUser, agentUser, otherUser, thirdUser}
	for _, u := range []string{agentUser, otherUser, thirdUser, strangerUser} {
		f.users[u] = "en-GB"
	}
	f.names[agentUser] = "Ana"
	f.mu.Unlock()
	return d
}

// start starts the Slack adapter with the handoff channel.
func (d *agentDesk) start(t *testing.T, agents ...string) *Adapter {
	t.Helper()
	a := started(t, d.p, d.eng, WithHandoff(d.svc, handoffChannel, agents...))
	d.eng.Register(Channel, a)
	return a
}

// ticket waits for ticket id's message to satisfy ok and returns it.
func (d *agentDesk) ticket(t *testing.T, id int64, what string, ok func(m fakeMessage) bool) fakeMessage {
	t.Helper()
	var m fakeMessage
	eventually(t, "the ticket message "+what, func() bool {
		var found bool
		m, found = d.p.f.ticketMsg(id)
		return found && ok(m)
	})
	return m
}

func element(m fakeMessage, prefix string) (fakeButton, bool) {
	for _, b := range m.Buttons {
		if strings.HasPrefix(b.ActionID, prefix) {
			return b, true
		}
	}
	return fakeButton{}, false
}

// ephemeralFor waits for an ephemeral message to user containing text.
func (d *agentDesk) ephemeralFor(t *testing.T, user, text string) fakeEphemeral {
	t.Helper()
	var got fakeEphemeral
	eventually(t, "an ephemeral message to "+user+" saying "+strconv.Quote(text), func() bool {
		d.p.f.mu.Lock()
		defer d.p.f.mu.Unlock()
		for _, e := range d.p.f.ephemeralTo {
			if e.User == user && strings.Contains(e.Text, text) {
				got = e
				return true
			}
		}
		return false
	})
	return got
}

func (d *agentDesk) sentToCustomer(chat, text string) bool {
	for _, s := range d.p.Sent(chat) {
		if strings.Contains(s.Text, text) {
			return true
		}
	}
	return false
}

// A customer's handoff becomes a ticket message in the handoff channel with
// Claim, Release, Close and a menu of stages; a stranger's click is
// refused; a member claims it, their thread replies reach the customer's
// DM (a note does not), a colleague's reply is refused ephemerally until
// they are invited (with the picker, or /calmbot invite), the customer's
// next message lands in the thread, and a stage picked from the menu gives
// the conversation back to the bot there.
func TestAgentSide(t *testing.T) {
	ctx := context.Background()
	d := newAgentDesk(t)
	d.start(t)
	f := d.p.f

	const chat = "olga"
	d.p.Say(t, chat, "en", "my order hasn't arrived yet")
	eventually(t, "the bot's answer", func() bool { return len(d.p.Sent(chat)) > 0 })
	d.p.Say(t, chat, "en", "I want to talk to a human, now")
	var tk *handoff.Ticket
	eventually(t, "a ticket", func() bool {
		ts := d.svc.Tickets()
		if len(ts) == 1 {
			tk = ts[0]
		}
		return tk != nil
	})
	ticket := d.ticket(t, tk.ID, "with its buttons and stages", func(m fakeMessage) bool { return len(m.Buttons) == 4 })
	var labels []string
	for _, b := range ticket.Buttons {
		labels = append(labels, b.Text)
	}
	if got := strings.Join(labels, ", "); got != "Claim, Release to the bot, Close, Release to the bot at…" {
		t.Fatalf("ticket elements %q", got)
	}
	stages, _ := element(ticket, ticketPrefix+kindStage+":")
	if len(stages.Options) == 0 || !strings.HasPrefix(stages.Options[0].Value, tk.Flow+"/") {
		t.Fatalf("stage menu %+v (ticket flow %q)", stages, tk.Flow)
	}
	if len(tk.Evidence) > 0 && !strings.Contains(ticket.Text, "*Evidence:* ") {
		t.Errorf("ticket message %q without the evidence %v", ticket.Text, tk.Evidence)
	}
	if !strings.Contains(ticket.Text, "my order hasn't arrived yet") {
		t.Errorf("ticket message %q", ticket.Text)
	}

	// A stranger cannot claim; a member can, and the message shows it.
	f.click(strangerUser, &ticket, ticket.Buttons[0])
	d.ephemeralFor(t, strangerUser, "Only the support team")
	f.click(agentUser, &ticket, ticket.Buttons[0])
	claimed := d.ticket(t, tk.ID, "held", func(m fakeMessage) bool { return strings.Contains(m.Text, "held by <@"+agentUser+">") })
	invite, ok := element(claimed, ticketPrefix+kindInvite+":")
	if !ok || invite.Type != "users_select" {
		t.Fatalf("claimed ticket has no invite picker: %+v", claimed.Buttons)
	}
	ag, err := d.svc.AgentFor(ctx, Channel, agentUser)
	if err != nil || ag.ID == "" {
		t.Fatalf("the claiming member is no agent: %v", err)
	}
	if links, _ := d.svc.Identities(ctx); len(links) != 1 || links[0].Name != "Ana" {
		t.Errorf("identities %+v, want the agent linked with their display name", links)
	}

	f.threadSay(handoffChannel, agentUser, ticket.TS, "!customer sounds upset, be gentle")
	f.threadSay(handoffChannel, agentUser, ticket.TS, "Note: refund approved by finance")
	f.threadSay(handoffChannel, otherUser, ticket.TS, "I can take this")
	f.threadSay(handoffChannel, agentUser, ticket.TS, "Hello, I am Ana from support. I will sort this out.")
	eventually(t, "the agent's reply in the customer's DM", func() bool { return d.sentToCustomer(chat, "I am Ana") })
	refused := d.ephemeralFor(t, otherUser, "is held by <@"+agentUser+">")
	if refused.Thread != ticket.TS || !strings.Contains(refused.Text, "/calmbot invite") {
		t.Errorf("refusal %+v, want it in the ticket's thread, naming the way in", refused)
	}
	eventually(t, "the notes", func() bool { x, _ := d.svc.Ticket(ctx, tk.ID); return len(x.Notes) == 2 })

	// Invited with the picker, the colleague's replies reach the customer;
	// someone off the team cannot be invited.
	f.choose(agentUser, &claimed, invite, strangerUser)
	d.ephemeralFor(t, agentUser, "<@"+strangerUser+"> is not on the support team")
	f.choose(agentUser, &claimed, invite, otherUser)
	d.ticket(t, tk.ID, "with the invited colleague", func(m fakeMessage) bool { return strings.Contains(m.Text, ", with <@"+otherUser+">") })
	f.threadSay(handoffChannel, otherUser, ticket.TS, "Bruno here, I am helping Ana.")
	eventually(t, "the invited colleague's reply", func() bool { return d.sentToCustomer(chat, "Bruno here") })
	for _, s := range d.p.Sent(chat) {
		if strings.Contains(s.Text, "be gentle") || strings.Contains(s.Text, "finance") || strings.Contains(s.Text, "I can take this") {
			t.Errorf("the customer got %q", s.Text)
		}
	}
	// The reply promised without a time frame: the agent alone is coached;
	// "check:" asks for the hints on a draft without sending it.
	if h := d.ephemeralFor(t, agentUser, "Hints on your reply"); !strings.Contains(h.Text, "I will sort") {
		t.Errorf("hints %q do not quote the reply", h.Text)
	}
	f.threadSay(handoffChannel, agentUser, ticket.TS, "check: Unfortunately you should have called us.")
	d.ephemeralFor(t, agentUser, "“Unfortunately”")
	if d.sentToCustomer(chat, "should have called") {
		t.Error("a checked draft reached the customer")
	}

	// /calmbot invite: the only ticket Ana holds; a stranger cannot.
	env := f.command(handoffChannel, agentUser, "invite <@"+thirdUser+"|third>")
	var answer json.RawMessage
	eventually(t, "the command answered", func() bool { answer, ok = f.answerOf(env); return ok })
	if !strings.Contains(string(answer), "can now write to the customer of ticket "+strconv.FormatInt(tk.ID, 10)) {
		t.Errorf("/calmbot invite answered %s", answer)
	}
	if x, _ := d.svc.Ticket(ctx, tk.ID); len(x.Invited) != 2 {
		t.Errorf("invited %q, want two colleagues", x.Invited)
	}
	env = f.command(handoffChannel, strangerUser, "invite <@"+thirdUser+"> "+strconv.FormatInt(tk.ID, 10))
	eventually(t, "the stranger's command answered", func() bool { answer, ok = f.answerOf(env); return ok })
	if !strings.Contains(string(answer), "Only the support team") {
		t.Errorf("a stranger's /calmbot invite answered %s", answer)
	}

	d.p.Say(t, chat, "en", "thank you Ana")
	eventually(t, "the customer's message in the thread", func() bool {
		for _, m := range f.sentTo(handoffChannel) {
			if strings.Contains(m.Text, "thank you Ana") {
				return m.Thread == ticket.TS
			}
		}
		return false
	})

	// A stage from the menu: the bot speaks again from there.
	b, err := d.svc.Brief(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var say string
	for _, st := range b.Stages {
		if st.Flow+"/"+st.State == stages.Options[0].Value {
			say = strings.TrimSuffix(st.Say, "…")
		}
	}
	if r := []rune(say); len(r) > 30 {
		say = string(r[:30])
	}
	if say == "" {
		t.Fatalf("no stage %q in %+v", stages.Options[0].Value, b.Stages)
	}
	before := len(d.p.Sent(chat))
	f.choose(agentUser, &claimed, stages, stages.Options[0].Value)
	d.ticket(t, tk.ID, "released", func(m fakeMessage) bool { return strings.Contains(m.Text, "closed") && len(m.Buttons) == 0 })
	x, _ := d.svc.Ticket(ctx, tk.ID)
	if x.Outcome != handoff.OutcomeReleased {
		t.Errorf("outcome %q, want released", x.Outcome)
	}
	eventually(t, "the bot to speak again from the stage", func() bool {
		for _, s := range d.p.Sent(chat)[before:] {
			if strings.Contains(s.Text, say) {
				return true
			}
		}
		return false
	})
}

// With configured agents, only they act, members of the channel or not.
func TestAgentSideConfiguredAgents(t *testing.T) {
	d := newAgentDesk(t)
	d.start(t, strangerUser)
	f := d.p.f
	if err := d.eng.Handle(context.Background(), bot.Message{Address: bot.Address{Channel: "web", Conversation: "v1"}, ID: "1", Text: "I want to talk to a human", Locale: "en"}); err != nil {
		t.Fatal(err)
	}
	var tk *handoff.Ticket
	eventually(t, "a ticket", func() bool {
		if ts := d.svc.Tickets(); len(ts) == 1 {
			tk = ts[0]
		}
		return tk != nil
	})
	m := d.ticket(t, tk.ID, "posted", func(fakeMessage) bool { return true })
	f.click(agentUser, &m, m.Buttons[0])
	d.ephemeralFor(t, agentUser, "Only the support team")
	f.click(strangerUser, &m, m.Buttons[0])
	d.ticket(t, tk.ID, "held by the configured agent", func(m fakeMessage) bool { return strings.Contains(m.Text, "held by <@"+strangerUser+">") })
	if n := f.callCount("conversations.members"); n != 0 {
		t.Errorf("conversations.members called %d times with configured agents", n)
	}
}

// Tickets opened while the adapter was down are posted when it starts.
func TestTicketsWhileDown(t *testing.T) {
	d := newAgentDesk(t)
	for _, v := range []string{"v1", "v2"} {
		if err := d.eng.Handle(context.Background(), bot.Message{Address: bot.Address{Channel: "web", Conversation: v}, ID: "1", Text: "I want to talk to a human", Locale: "en"}); err != nil {
			t.Fatal(err)
		}
	}
	ts := d.svc.Tickets()
	if len(ts) != 2 {
		t.Fatalf("%d tickets", len(ts))
	}
	d.start(t)
	for _, tk := range ts {
		d.ticket(t, tk.ID, "posted on start", func(m fakeMessage) bool { return strings.Contains(m.Text, "web:v") })
	}
}

// The Slack platform's agent surface, as adaptertest drives it: a handoff
// channel whose members are the suite's agents.
var _ adaptertest.AgentPlatform = (*platform)(nil)

var suiteAgents = map[string]string{"ada": "U0ADA", "bruno": "U0BRUNO"}

func (p *platform) NewAgentAdapter(t testing.TB, api *handoff.Service) adaptertest.Adapter {
	p.f.mu.Lock()
	p.f.channels[handoffChannel] = true
	p.f.members[handoffChannel] = []string{fakeBotUser, "U0ADA", "U0BRUNO"}
	for name, id := range suiteAgents {
		p.f.users[id] = "en-GB"
		p.f.names[id] = strings.ToUpper(name[:1]) + name[1:]
	}
	p.f.mu.Unlock()
	return p.newAdapter(t, WithHandoff(api, handoffChannel))
}

// ticketMsg is ticket id's message in the handoff channel.
func (f *fakeSlack) ticketMsg(id int64) (fakeMessage, bool) {
	for _, m := range f.sentTo(handoffChannel) {
		if m.Thread == "" && strings.HasPrefix(m.Text, "*Ticket "+strconv.FormatInt(id, 10)+"*") {
			return m, true
		}
	}
	return fakeMessage{}, false
}

func (p *platform) waitTicket(t testing.TB, id int64) fakeMessage {
	t.Helper()
	var m fakeMessage
	deadline := time.Now().Add(adaptertest.Timeout)
	for {
		var ok bool
		if m, ok = p.f.ticketMsg(id); ok {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("ticket %d is not in the handoff channel", id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (p *platform) Ticket(t testing.TB, id int64) adaptertest.Sent {
	m := p.waitTicket(t, id)
	s := adaptertest.Sent{Text: unescape(m.Text)}
	for _, b := range m.Buttons {
		if b.Type == "button" {
			s.Buttons = append(s.Buttons, b.Text)
		}
	}
	return s
}

// AgentTap clicks the button and waits until the adapter acknowledged the
// click (it does once it acted on it); a refusal is an ephemeral message,
// so the tap itself is answered silently.
func (p *platform) AgentTap(t testing.TB, agent string, id int64, label string) string {
	t.Helper()
	m := p.waitTicket(t, id)
	for _, b := range m.Buttons {
		if b.Type == "button" && strings.HasPrefix(b.Text, label) {
			p.f.click(suiteAgents[agent], &m, b)
			p.waitAcked(t)
			return ""
		}
	}
	t.Fatalf("ticket %d has no button %q: %+v", id, label, m.Buttons)
	return ""
}

// waitAcked waits until the last event or click was acknowledged.
func (p *platform) waitAcked(t testing.TB) {
	t.Helper()
	p.f.mu.Lock()
	env := p.f.lastEnvelope
	p.f.mu.Unlock()
	deadline := time.Now().Add(adaptertest.Timeout)
	for !p.f.isAcked(env) {
		if time.Now().After(deadline) {
			t.Fatalf("envelope %s not acknowledged", env)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (p *platform) AgentSay(t testing.TB, agent string, id int64, text string) {
	t.Helper()
	m := p.waitTicket(t, id)
	p.f.threadSay(handoffChannel, suiteAgents[agent], m.TS, text)
	p.waitAcked(t)
}

func (p *platform) Thread(id int64) []adaptertest.Sent {
	m, ok := p.f.ticketMsg(id)
	if !ok {
		return nil
	}
	var out []adaptertest.Sent
	for _, s := range p.f.sentTo(handoffChannel) {
		if s.Thread == m.TS {
			out = append(out, adaptertest.Sent{Text: unescape(s.Text)})
		}
	}
	return out
}

// threadSay is user writing text in channel's thread ts (a message.channels
// event).
func (f *fakeSlack) threadSay(channel, user, thread, text string) {
	f.mu.Lock()
	ts := f.newTSLocked()
	f.mu.Unlock()
	f.event(channel, user, "en-GB", map[string]any{"type": "message", "channel": channel, "channel_type": "channel",
		"user": user, "text": escape(text), "ts": ts, "thread_ts": thread, "event_ts": ts})
}

// A stop while a ticket's message is being posted does not lose its ts: the
// next start edits that message instead of posting the ticket again.
func TestStopWhilePosting(t *testing.T) {
	d := newAgentDesk(t)
	f := d.p.f
	runCtx, stop := context.WithCancel(context.Background())
	f.mu.Lock()
	f.onPost = func(channel string) {
		if channel == handoffChannel {
			stop() // the adapter stops before Slack's answer arrives
		}
	}
	f.mu.Unlock()
	a := d.p.newAdapter(t, WithHandoff(d.svc, handoffChannel))
	if err := a.Start(runCtx, d.eng); err != nil {
		t.Fatal(err)
	}
	if err := d.eng.Handle(context.Background(), bot.Message{Address: bot.Address{Channel: "web", Conversation: "v1"}, ID: "1", Text: "I want to talk to a human", Locale: "en"}); err != nil {
		t.Fatal(err)
	}
	<-runCtx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.onPost = nil
	f.mu.Unlock()
	d.start(t)
	posted := func() int {
		n := 0
		for _, m := range f.sentTo(handoffChannel) {
			if m.Thread == "" && strings.HasPrefix(m.Text, "*Ticket ") {
				n++
			}
		}
		return n
	}
	calls := f.callCount("chat.update")
	eventually(t, "the restarted adapter to edit the ticket's message", func() bool { return f.callCount("chat.update") > calls || posted() > 1 })
	if n := posted(); n != 1 {
		t.Errorf("the ticket was posted %d times", n)
	}
}
