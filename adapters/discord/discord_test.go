package discord

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	dg "github.com/bwmarrin/discordgo"

	"github.com/calmbot/calmbot/adapters/adaptertest"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
)

// started is an adapter on a fresh fake with an engine on the in-memory
// store, registered and started.
type started struct {
	p *platform
	a *Adapter
	h *bottest.Harness
}

func start(t *testing.T, opts ...Option) *started {
	t.Helper()
	s := &started{p: newPlatform(t)}
	s.h = bottest.New(t, adaptertest.Flows(t))
	s.a = s.p.newAdapter(t, opts...)
	s.h.Engine.Register(Channel, s.a)
	if err := s.a.Start(context.Background(), s.h.Engine); err != nil {
		t.Fatalf("start: %v", err)
	}
	s.p.f.waitReady(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.a.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return s
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(adaptertest.Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (s *started) inbound(t testing.TB, addr bot.Address) []bot.Entry {
	t.Helper()
	tr, err := s.h.Engine.Transcript(context.Background(), addr)
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		t.Fatal(err)
	}
	var out []bot.Entry
	for _, e := range tr {
		if e.Direction == bot.Inbound {
			out = append(out, e)
		}
	}
	return out
}

func TestSplit(t *testing.T) {
	words := strings.Repeat("word ", 1000) // 5,000 characters
	tests := []struct {
		name string
		text string
		max  int
		want int // parts
	}{
		{"short", "hello there", 2000, 1},
		{"exactly the limit", strings.Repeat("a", 2000), 2000, 1},
		{"words", words, 2000, 3},
		{"one long word", strings.Repeat("x", 4500), 2000, 3},
		{"multibyte", strings.Repeat("è ", 1500), 2000, 2},
		{"escapes kept whole", strings.Repeat(`\*`, 1500), 2000, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := split(tt.text, tt.max)
			if len(parts) != tt.want {
				t.Fatalf("%d parts, want %d", len(parts), tt.want)
			}
			for i, p := range parts {
				if n := utf8.RuneCountInString(p); n > tt.max {
					t.Errorf("part %d has %d characters", i, n)
				}
				if escapedRun([]rune(p))%2 == 1 {
					t.Errorf("part %d ends in a lone escape", i)
				}
			}
			if got, want := strings.Join(parts, ""), strings.Join(strings.Fields(tt.text), ""); strings.ReplaceAll(got, " ", "") != want {
				t.Errorf("parts do not add up to the text")
			}
		})
	}
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text.", "plain text."},
		{"@everyone look", `\@everyone look`},
		{"*bold* _it_ ~~s~~ `code` ||spoiler||", `\*bold\* \_it\_ \~\~s\~\~ \` + "`" + `code\` + "`" + ` \|\|spoiler\|\|`},
		{"# heading\n> quote\n- item", "\\# heading\n\\> quote\n\\- item"},
		{"<@123> [link](http://x)", `\<\@123\> \[link\](http://x)`},
	}
	for _, tt := range tests {
		if got := escape(tt.in); got != tt.want {
			t.Errorf("escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := unescape(escape(tt.in)); got != tt.in {
			t.Errorf("unescape(escape(%q)) = %q", tt.in, got)
		}
	}
}

func TestCustomID(t *testing.T) {
	for _, id := range []string{"refund", strings.Repeat("long-option-", 20), strings.Repeat("è", 99)} {
		c := customID(id)
		if len(c) > maxCustomIDLen || !utf8.ValidString(c) || !strings.HasPrefix(c, choicePrefix) {
			t.Errorf("customID(%.20q) = %q (%d bytes)", id, c, len(c))
		}
	}
	if customID("refund") != "calmbot:refund" {
		t.Errorf("customID(refund) = %q", customID("refund"))
	}
}

// TestEndpoints checks that setEndpoints moves every endpoint the adapter
// uses, including those discordgo derives at init from EndpointDiscord.
func TestEndpoints(t *testing.T) {
	root := theHub().root()
	defer setEndpoints(root)
	const other = "http://127.0.0.1:1/proxy/"
	setEndpoints(other)
	api := other + "api/v9/"
	got := map[string]string{
		"EndpointAPI":                  dg.EndpointAPI,
		"EndpointChannels":             dg.EndpointChannels,
		"EndpointUsers":                dg.EndpointUsers,
		"EndpointGuilds":               dg.EndpointGuilds,
		"EndpointGateway":              dg.EndpointGateway,
		"EndpointGatewayBot":           dg.EndpointGatewayBot,
		"EndpointWebhooks":             dg.EndpointWebhooks,
		"EndpointApplications":         dg.EndpointApplications,
		"EndpointUser":                 dg.EndpointUser("@me"),
		"EndpointUserChannels":         dg.EndpointUserChannels("@me"),
		"EndpointChannelMessages":      dg.EndpointChannelMessages("1"),
		"EndpointChannelMessage":       dg.EndpointChannelMessage("1", "2"),
		"EndpointChannelMessageThread": dg.EndpointChannelMessageThread("1", "2"),
		"EndpointInteractionResponse":  dg.EndpointInteractionResponse("1", "tok"),
		"EndpointWebhookMessage":       dg.EndpointWebhookMessage("1", "tok", "2"),
		"EndpointOAuth2Applications":   dg.EndpointOAuth2Applications,
	}
	for name, v := range got {
		if !strings.HasPrefix(v, api) {
			t.Errorf("%s = %q, not under %q", name, v, api)
		}
	}
	if dg.EndpointGateway != api+"gateway" {
		t.Errorf("EndpointGateway = %q", dg.EndpointGateway)
	}
}

// TestSendErrors checks how Discord's refusals reach the outbox.
func TestSendErrors(t *testing.T) {
	s := start(t)
	f := s.p.f
	_, dm := chatIDs("ivy")
	f.mu.Lock()
	f.channelLocked(dm)
	f.blocked["blocked-dm"] = true
	f.channelLocked("blocked-dm")
	f.mu.Unlock()
	ctx := context.Background()

	s.p.Throttle(3 * time.Second)
	err := s.a.Send(ctx, bot.Reply{Address: bot.Address{Channel: Channel, Conversation: dm}, Text: "hello"})
	var ra bot.RetryAfterError
	if !errors.As(err, &ra) || ra.RetryAfter() != 3*time.Second {
		t.Errorf("429: %v, want a RetryAfterError of 3s", err)
	}
	var perm *bot.PermanentError
	for _, ch := range []string{"1300000000000000000", "blocked-dm"} {
		err := s.a.Send(ctx, bot.Reply{Address: bot.Address{Channel: Channel, Conversation: ch}, Text: "hello"})
		if !errors.As(err, &perm) {
			t.Errorf("send to %s: %v, want a PermanentError", ch, err)
		}
	}
	s.p.FailSends(true)
	err = s.a.Send(ctx, bot.Reply{Address: bot.Address{Channel: Channel, Conversation: dm}, Text: "hello"})
	if err == nil || errors.As(err, &perm) || errors.As(err, &ra) {
		t.Errorf("500: %v, want a plain error (retried later)", err)
	}
	s.p.FailSends(false)
	if err := s.a.Send(ctx, bot.Reply{Address: bot.Address{Channel: Channel, Conversation: dm}, Text: "@everyone *hi*"}); err != nil {
		t.Fatal(err)
	}
	if sent := s.p.Sent("ivy"); len(sent) != 1 || sent[0].Text != "@everyone *hi*" {
		t.Errorf("sent %q", sent)
	}
}

// TestWrongToken: a refused token fails Start with ErrUnauthorized, from
// the REST check and from the gateway's close 4004.
func TestWrongToken(t *testing.T) {
	t.Run("rest 401", func(t *testing.T) {
		a, err := New("not-a-token", WithAPIURL(theHub().root()), WithLogger(testLogger(t)))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Start(context.Background(), bottest.New(t, adaptertest.Flows(t)).Engine); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("start: %v, want ErrUnauthorized", err)
		}
	})
	t.Run("gateway 4004", func(t *testing.T) {
		p := newPlatform(t)
		p.f.rejectAuth = true
		a := p.newAdapter(t)
		if err := a.Start(context.Background(), bottest.New(t, adaptertest.Flows(t)).Engine); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("start: %v, want ErrUnauthorized", err)
		}
	})
}

// TestMissedDuringOutage drops the gateway, has the customer write while
// it is down, and checks the message is handled once after the reconnect:
// replayed on Resume and fetched, or, when the session cannot be resumed
// (Invalid Session, a new Identify), only fetched.
func TestMissedDuringOutage(t *testing.T) {
	for _, invalid := range []bool{false, true} {
		name := "resumed"
		if invalid {
			name = "invalid session"
		}
		t.Run(name, func(t *testing.T) {
			s := start(t)
			f := s.p.f
			const chat = "olga"
			addr := s.p.Address(chat)
			first := s.p.Say(t, chat, "en", "my order hasn't arrived")
			eventually(t, "the first reply", func() bool { return len(s.p.Sent(chat)) > 0 })

			gate := make(chan struct{})
			f.mu.Lock()
			f.gate, f.invalidate = gate, invalid
			f.mu.Unlock()
			f.drop(1)
			missed := s.p.Say(t, chat, "en", "yes")
			f.mu.Lock()
			f.gate = nil
			f.mu.Unlock()
			close(gate)
			f.waitReady(t)

			eventually(t, "the missed message stored", func() bool { return len(s.inbound(t, addr)) >= 2 })
			in := s.inbound(t, addr)
			if len(in) != 2 || in[0].PlatformID != first || in[1].PlatformID != missed {
				t.Fatalf("stored %v", in)
			}
			eventually(t, "the reply to the missed message", func() bool {
				for _, m := range s.p.Sent(chat) {
					if len(m.Buttons) > 0 {
						return true
					}
				}
				return false
			})
			f.mu.Lock()
			ids, res := f.identifies, f.resumes
			f.mu.Unlock()
			if invalid && (ids != 2 || res != 0) || !invalid && (ids != 1 || res != 1) {
				t.Errorf("identifies %d resumes %d", ids, res)
			}
		})
	}
}

// TestSupportChannel: customers writing in a support channel each get a
// thread of their own, which is their conversation.
func TestSupportChannel(t *testing.T) {
	const support = "700000000000000001"
	s := start(t, WithSupportChannels(support), WithGuildLocale("it"))
	f := s.p.f
	say := func(chat, channel, text string) string {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.sayLocked(chat, "", channel, fakeGuild, text)
	}
	zoe := say("zoe", support, "il mio ordine non è arrivato")
	yan := say("yan", support, "my order hasn't arrived")
	// The fake's thread from a message has the message's id.
	eventually(t, "two threads answered", func() bool {
		return len(f.sentTo(zoe)) > 0 && len(f.sentTo(yan)) > 0
	})
	zoeAddr := bot.Address{Channel: Channel, Conversation: zoe}
	say("zoe", zoe, "sì")
	say("yan", zoe, "this is not my thread") // ignored: not the thread's customer
	eventually(t, "zoe's second message", func() bool { return len(s.inbound(t, zoeAddr)) == 2 })
	if st, err := s.h.Engine.Conversation(context.Background(), zoeAddr); err != nil || st.Lang != "it" {
		t.Errorf("zoe's conversation: %+v %v, want it (the guild locale)", st, err)
	}
	if n := len(f.sentTo(support)); n != 0 {
		t.Errorf("%d replies in the support channel itself, want 0 (threads only)", n)
	}
	// zoe writing in the support channel again goes to her thread.
	say("zoe", support, "ancora io")
	eventually(t, "zoe's third message in her thread", func() bool { return len(s.inbound(t, zoeAddr)) == 3 })
}

// TestButtons: a press reaches the engine as the option's choice, is
// acknowledged with a deferred update after it was stored, and the
// question's buttons are disabled.
func TestButtons(t *testing.T) {
	s := start(t)
	f := s.p.f
	const chat = "pia"
	s.p.Say(t, chat, "en", "my order hasn't arrived")
	eventually(t, "confirm", func() bool { return len(s.p.Sent(chat)) >= 2 })
	s.p.Say(t, chat, "en", "yes")
	eventually(t, "options", func() bool {
		sent := s.p.Sent(chat)
		return len(sent) > 0 && len(sent[len(sent)-1].Buttons) == 3
	})
	id := s.p.Tap(t, chat, 2)
	addr := s.p.Address(chat)
	eventually(t, "the press stored", func() bool {
		in := s.inbound(t, addr)
		return len(in) == 3 && in[2].PlatformID == id
	})
	eventually(t, "the press acknowledged and the buttons disabled", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		c := f.channels[addr.Conversation]
		for _, m := range c.msgs {
			for _, b := range buttons(m.Components) {
				if !b.Disabled {
					return false
				}
			}
		}
		return len(f.acks) == 1 && f.acks[0] == id
	})
	if st, err := s.h.Engine.Conversation(context.Background(), addr); err != nil || st.State == "options" {
		t.Errorf("after the press: %v %v", st, err)
	}
}

// TestBotsIgnored: the bot's own messages and other bots' start no turn.
func TestBotsIgnored(t *testing.T) {
	s := start(t)
	f := s.p.f
	_, dm := chatIDs("quinn")
	f.mu.Lock()
	for _, author := range []map[string]any{botUser(), {"id": "42", "username": "otherbot", "bot": true}} {
		f.dispatchLocked("MESSAGE_CREATE", map[string]any{"id": f.idLocked(), "channel_id": dm, "author": author, "content": "my order hasn't arrived"})
	}
	f.mu.Unlock()
	s.p.Say(t, "quinn", "en", "hello")
	addr := s.p.Address("quinn")
	eventually(t, "the customer's message", func() bool { return len(s.inbound(t, addr)) == 1 })
	if in := s.inbound(t, addr); in[0].Text != "hello" {
		t.Errorf("stored %q", in[0].Text)
	}
}

// TestInviteURL pins the numbers the README gives.
func TestInviteURL(t *testing.T) {
	if Intents != 37377 {
		t.Errorf("Intents = %d, the README says 37377", Intents)
	}
	if got, want := InviteURL("123"), "https://discord.com/oauth2/authorize?client_id=123&scope=bot&permissions=309237713920"; got != want {
		t.Errorf("InviteURL = %s, want %s", got, want)
	}
}

// TestGatewayURL: with WithGatewayURL the adapter dials that gateway and
// never asks GET /gateway.
func TestGatewayURL(t *testing.T) {
	p := newPlatform(t)
	p.f.noGateway = true
	ws := "ws" + strings.TrimPrefix(p.f.hub.srv.URL, "http") + "/ws/" + p.f.path
	a := p.newAdapter(t, WithGatewayURL(ws))
	h := bottest.New(t, adaptertest.Flows(t))
	h.Engine.Register(Channel, a)
	if err := a.Start(context.Background(), h.Engine); err != nil {
		t.Fatalf("start: %v", err)
	}
	defer a.Stop(context.Background())
	p.f.waitReady(t)
	p.Say(t, "rita", "en", "my order hasn't arrived")
	eventually(t, "a reply", func() bool { return len(p.Sent("rita")) > 0 })
}
