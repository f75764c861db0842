package slack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/calmbot/calmbot/adapters/adaptertest"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
)

// A mention of the app in a channel starts a conversation in the mention's
// thread (team + channel + thread): the bot answers there, its buttons
// work there, follow-ups in the thread continue it without a mention, and
// the channel's other messages and threads are not read.
func TestMention(t *testing.T) {
	ctx := context.Background()
	e, err := bot.New(ctx, bottest.NewStore(), adaptertest.Flows(t), bottest.Analyzer, bot.WithQuietWindow(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	p := newPlatform(t)
	a := started(t, p, e)
	e.Register(Channel, a)
	f := p.f
	const ch, cust = "C0PUBLIC", "U0CUST"
	f.mu.Lock()
	f.channels[ch] = true
	f.users[cust] = "en-US"
	mention, other := f.newTSLocked(), f.newTSLocked()
	f.mu.Unlock()
	say := func(ev map[string]any) {
		ev["channel"], ev["user"] = ch, cust
		if ev["ts"] == nil {
			f.mu.Lock()
			ev["ts"] = f.newTSLocked()
			f.mu.Unlock()
		}
		ev["event_ts"] = ev["ts"]
		f.event(ch, cust, "en-US", ev)
	}
	// Slack sends both the app_mention and, to a member, the channel message.
	say(map[string]any{"type": "app_mention", "text": "<@" + fakeBotUser + "> my order hasn't arrived yet", "ts": mention})
	say(map[string]any{"type": "message", "channel_type": "channel", "text": "<@" + fakeBotUser + "> my order hasn't arrived yet", "ts": mention})
	say(map[string]any{"type": "message", "channel_type": "channel", "text": "lunch, anyone?", "ts": other})
	say(map[string]any{"type": "message", "channel_type": "channel", "text": "sure", "thread_ts": other})

	addr := conv{team: fakeTeam, channel: ch, thread: mention}.address()
	if addr.Conversation != fakeTeam+"/"+ch+"/"+mention {
		t.Fatalf("address %s", addr)
	}
	var question *fakeMessage
	t.Cleanup(func() {
		if t.Failed() {
			for _, m := range f.sentTo(ch) {
				t.Logf("sent %+v", m)
			}
		}
	})
	eventually(t, "the bot's answer", func() bool { return len(threadOf(f, ch, mention)) > 0 })
	say(map[string]any{"type": "message", "channel_type": "channel", "text": "yes", "thread_ts": mention})
	eventually(t, "the bot's question in the mention's thread", func() bool {
		question = f.lastWithButtons(ch)
		return question != nil
	})
	if question.Thread != mention {
		t.Fatalf("the bot answered in thread %q, want the mention's %q", question.Thread, mention)
	}
	n := len(threadOf(f, ch, mention)) // before the click: its answer may come at once
	f.click(cust, question, question.Buttons[0])
	eventually(t, "the click answered in the thread", func() bool { return len(threadOf(f, ch, mention)) > n })
	say(map[string]any{"type": "message", "channel_type": "channel", "text": "thanks, that helps", "thread_ts": mention})
	var in []string
	eventually(t, "four customer messages in the conversation", func() bool {
		tr, _ := e.Transcript(ctx, addr)
		in = in[:0]
		for _, x := range tr {
			if x.Direction == bot.Inbound {
				in = append(in, x.Text)
			}
		}
		return len(in) == 4
	})
	if in[0] != "my order hasn't arrived yet" || in[1] != "yes" || in[2] != question.Buttons[0].Text || in[3] != "thanks, that helps" {
		t.Errorf("the conversation holds %q", in)
	}
	for _, m := range f.sentTo(ch) {
		if m.Thread != mention {
			t.Errorf("the bot posted %q outside the mention's thread (thread %q)", m.Text, m.Thread)
		}
	}
	tr, _ := e.Transcript(ctx, addr)
	for _, x := range tr {
		if strings.Contains(x.Text, "lunch") || x.Text == "sure" {
			t.Errorf("the channel's chatter reached the conversation: %q", x.Text)
		}
	}
}

// threadOf is what the bot posted in channel's thread ts.
func threadOf(f *fakeSlack, channel, ts string) []fakeMessage {
	var out []fakeMessage
	for _, m := range f.sentTo(channel) {
		if m.Thread == ts {
			out = append(out, m)
		}
	}
	return out
}

// TestStripMention takes the app's mentions out of a text, and ends on a
// mention that is never closed, leaving it as written (it looped for ever
// on "<@U0BOT|name" without its '>', a text anyone can send).
func TestStripMention(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"<@U0BOT> where is my order?", "where is my order?"},
		{"hello <@U0BOT|calmbot> there", "hello there"},
		{"<@U0BOT><@U0BOT> twice", "twice"},
		{"<@U1> not the app", "<@U1> not the app"},
		{"open <@U0BOT|calmbot", "open <@U0BOT|calmbot"},
		{"open <@U0BOT", "open <@U0BOT"},
		{"<@U0BOT|", "<@U0BOT|"},
		{"a <@U0BOT|x> b <@U0BOT|y c", "a b <@U0BOT|y c"},
		{"<@U0BOT|y <@U0BOT> c", "<@U0BOT|y c"},
	} {
		got := make(chan string, 1)
		go func() { got <- stripMention(tc.in, fakeBotUser) }()
		select {
		case s := <-got:
			if s != tc.want {
				t.Errorf("stripMention(%q) = %q, want %q", tc.in, s, tc.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("stripMention(%q) did not return", tc.in)
		}
	}
}
