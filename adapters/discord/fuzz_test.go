package discord

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/calmbot/calmbot/bot"
)

// FuzzGatewayEvent feeds gateway payloads to the adapter's inbound
// decoding (discordgo's unmarshalling of the dispatches it handles, then
// the adapter's reading of them), seeded from testdata/events. It must
// never panic, and every message it makes is a Discord one with the
// platform's id.
func FuzzGatewayEvent(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	a, err := New("fuzz-token")
	if err != nil {
		f.Fatal(err)
	}
	a.me = fakeBotID
	f.Fuzz(func(t *testing.T, raw []byte) {
		ms, err := a.decodeEvent(raw)
		if err != nil {
			return
		}
		for _, m := range ms {
			if m.Address.Channel != Channel {
				t.Errorf("message on channel %q", m.Address.Channel)
			}
			if m.ID == "" && m.Choice == "" && m.Text == "" {
				t.Errorf("an empty message: %+v", m)
			}
		}
	})
}

// TestDecodeEvent checks the seeds read as the adapter should.
func TestDecodeEvent(t *testing.T) {
	a, err := New("test-token")
	if err != nil {
		t.Fatal(err)
	}
	a.me = fakeBotID
	tests := []struct {
		file string
		want []bot.Message
	}{
		{"message_create_dm.json", []bot.Message{{ID: "1200000000004194304", Text: "my order hasn't arrived", From: bot.User{ID: "1000000000123456789", Name: "Alice"}}}},
		{"message_create_bot.json", nil},
		{"interaction_create.json", []bot.Message{{ID: "1200000000016777216", Choice: "refund", Locale: "en-GB"}}},
		{"ready.json", nil},
		{"invalid_session.json", nil},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join("testdata", "events", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.decodeEvent(b)
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if len(got) != len(tt.want) {
			t.Fatalf("%s: %d messages, want %d", tt.file, len(got), len(tt.want))
		}
		for i, w := range tt.want {
			g := got[i]
			if g.ID != w.ID || g.Text != w.Text || g.Choice != w.Choice || g.Locale != w.Locale || g.From != w.From {
				t.Errorf("%s: got %+v, want %+v", tt.file, g, w)
			}
		}
	}
}
