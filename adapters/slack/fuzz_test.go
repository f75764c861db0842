package slack

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/calmbot/calmbot/bot"
)

// FuzzEvent feeds arbitrary JSON through the inbound paths: an Events API
// body (decoding, reading, and the signed request handled end to end) and
// an interaction payload. It must never panic, a message it hands on must
// be one the engine takes, and a signed request is never answered 5xx by a
// handler that stores everything.
func FuzzEvent(f *testing.F) {
	for _, dir := range []string{"events", "interactive"} {
		seeds, _ := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
		for _, s := range seeds {
			b, err := os.ReadFile(s)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{"type":"event_callback","event":{"type":"message","channel_type":"im","channel":"D1","user":"U1","text":" ","ts":"x"}}`))
	f.Add([]byte(`{"type":"event_callback","event":null}`))
	f.Add([]byte(`{"type":"block_actions","user":{"id":"U1"},"container":{"message_ts":"1"},"channel":{"id":"D1"},"actions":[{"action_id":"choice:1","value":"v"}]}`))
	p := newPlatform(f)
	a := p.newAdapter(f)
	if err := a.Start(context.Background(), bot.Handler(nopHandler{})); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = a.Stop(context.Background()) })
	f.Fuzz(func(t *testing.T, raw []byte) {
		if e, err := decodeEvent(raw); err == nil {
			check(t, readEvent(e, self{user: fakeBotUser, id: fakeBotID, team: fakeTeam}))
		}
		var cb slack.InteractionCallback
		if json.Unmarshal(raw, &cb) == nil {
			check(t, readAction(cb, self{user: fakeBotUser, id: fakeBotID}))
		}
		if rec := serve(a, signed(raw, fakeSecret, time.Now())); rec.Code >= 500 {
			t.Fatalf("signed event answered %d", rec.Code)
		}
		form := []byte(url.Values{"payload": {string(raw)}}.Encode())
		if rec := serve(a, signedTo(InteractivePath, "application/x-www-form-urlencoded", form, fakeSecret, time.Now())); rec.Code >= 500 {
			t.Fatalf("signed interaction answered %d", rec.Code)
		}
		if rec := serve(a, signedTo(CommandsPath, "application/x-www-form-urlencoded", raw, fakeSecret, time.Now())); rec.Code >= 500 {
			t.Fatalf("signed slash command answered %d", rec.Code)
		}
	})
}

type nopHandler struct{}

func (nopHandler) Handle(context.Context, bot.Message) error { return nil }

// check fails t when ev hands the engine a message it cannot take.
func check(t *testing.T, ev event) {
	t.Helper()
	if ev.kind != evText && ev.kind != evTap {
		return
	}
	m := ev.msg
	if m.Address.Channel != Channel || m.Address.Conversation == "" || m.ID == "" || m.ID == "act" {
		t.Fatalf("message with a bad address or id: %+v", m)
	}
	if strings.TrimSpace(m.Text) == "" {
		t.Fatalf("empty text handed on: %+v", m)
	}
	if ev.kind == evTap && m.Choice == "" {
		t.Fatalf("a click without a choice: %+v", m)
	}
	if !utf8.ValidString(m.Text) {
		t.Fatalf("invalid UTF-8 handed on: %q", m.Text)
	}
}
