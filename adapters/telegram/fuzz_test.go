package telegram

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/calmbot/calmbot/bot"
)

var updateTestdata = flag.Bool("update", false, "rewrite testdata/*.json from the fake Bot API")

// TestCaptureUpdates keeps testdata/*.json (the fuzz seeds) equal to the
// updates the fake Bot API sends; -update rewrites them.
func TestCaptureUpdates(t *testing.T) {
	p := newPlatform(t)
	f := p.f
	f.sayAll(1, "en", []string{"my order hasn't arrived"})
	f.update(2, "it", map[string]any{"edited_message": map[string]any{"message_id": 7, "from": userJSON(2, "it"), "chat": chatJSON(2), "date": 1767603600, "edit_date": 1767603700, "text": "corretto"}})
	f.update(3, "de", map[string]any{"message": map[string]any{"message_id": 8, "from": userJSON(3, "de"), "chat": chatJSON(3), "date": 1767603600,
		"sticker": map[string]any{"file_id": "CAAC", "file_unique_id": "AgAD", "type": "regular", "width": 512, "height": 512, "is_animated": false, "is_video": false}}})
	f.tapMessage(4, "fi", &fakeMessage{ID: 9, Chat: 4, Text: "Valitse:", Buttons: []fakeButton{{"Seuraa", "c:1:trace"}, {"Uusi", "c:2:resend"}}}, "c:2:resend")
	f.update(-1005, "en", map[string]any{"message": map[string]any{"message_id": 10, "from": userJSON(5, "en"), "chat": chatJSON(-1005), "date": 1767603600, "text": "/start@calm_test_bot"}})
	names := []string{"message", "edited", "sticker", "callback", "group"}
	f.mu.Lock()
	pending := f.pending
	f.mu.Unlock()
	for i, u := range pending {
		path := filepath.Join("testdata", names[i]+".json")
		got := normalizeDates(string(u.raw))
		if *updateTestdata {
			if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestCaptureUpdates -update)", err)
		}
		if strings.TrimSpace(string(want)) != got {
			t.Errorf("%s differs from the fake's update:\n got %s\nwant %s", path, got, want)
		}
	}
}

// normalizeDates makes captured updates stable: the fake dates messages now.
func normalizeDates(s string) string {
	for {
		i := strings.Index(s, `"date":17`)
		if i < 0 || strings.HasPrefix(s[i:], `"date":1767603600`) {
			break
		}
		j := i + len(`"date":`)
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		s = s[:j] + "1767603600" + s[k:]
	}
	return s
}

// FuzzUpdate feeds arbitrary JSON through the inbound path: decoding, the
// reading of the update and the handling (with a recording handler). It
// must never panic, and a message it hands on must be one the engine takes.
func FuzzUpdate(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"update_id":1,"callback_query":{"id":"1","from":{"id":1},"message":{"message_id":1,"chat":{"id":1,"type":"private"},"date":0},"data":"c:1:x"}}`))
	f.Add([]byte(`{"update_id":1,"message":null}`))
	api := newFakeAPI(f)
	a, err := New(fakeToken, WithAPIURL(api.URL()), WithLogger(testLogger(f)))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		u, err := decodeUpdate(raw)
		if err != nil {
			return
		}
		ev := a.read(u)
		if ev.kind == evText || ev.kind == evTap {
			m := ev.msg
			if m.Address.Channel != Channel || m.Address.Conversation == "" || m.Address.Conversation == "0" || m.ID == "" {
				t.Fatalf("message with a bad address or id: %+v", m)
			}
			if ev.kind == evText && strings.TrimSpace(m.Text) == "" {
				t.Fatalf("empty text handed on: %+v", m)
			}
			if !utf8.ValidString(m.Text) {
				t.Fatalf("invalid UTF-8 handed on: %q", m.Text)
			}
		}
		var got []bot.Message
		h := handlerFunc(func(_ context.Context, m bot.Message) error { got = append(got, m); return nil })
		if err := a.process(context.Background(), h, u); err != nil {
			t.Fatalf("process: %v", err)
		}
		if len(got) > 1 {
			t.Fatalf("one update handed on %d messages", len(got))
		}
	})
}

// A tap is handed on as the option's id in Choice with the button's label
// as the text; a tap on a message whose buttons Telegram no longer shows
// falls back to the option's number.
func TestReadTap(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "callback.json"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(fakeToken, WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, raw          string
		text, choice, from string
	}{
		{"with its keyboard", string(raw), "Uusi", "resend", "4"},
		{"inaccessible message", `{"update_id":1,"callback_query":{"id":"7","from":{"id":5,"first_name":"Ada","last_name":"L"},"message":{"message_id":3,"chat":{"id":5,"type":"private"},"date":0},"data":"c:2:resend"}}`, "2", "", "5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := decodeUpdate([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			ev := a.read(u)
			if ev.kind != evTap || ev.msg.Text != tt.text || ev.msg.Choice != tt.choice || ev.msg.From.ID != tt.from {
				t.Errorf("read %+v, want a tap with text %q choice %q from %s", ev.msg, tt.text, tt.choice, tt.from)
			}
		})
	}
}
