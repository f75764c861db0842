package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/adapters/console"
	"github.com/calmbot/calmbot/bot"
)

// recorder is an Engine that keeps the messages it is given.
type recorder struct{ msgs []bot.Message }

func (r *recorder) Handle(_ context.Context, m bot.Message) error {
	r.msgs = append(r.msgs, m)
	return nil
}

func (r *recorder) Flush(context.Context, bot.Address) error { return nil }

// FuzzJSONLines feeds `calmbot chat --jsonl` arbitrary input: it must not
// panic; every non-blank line becomes a message or an error event, and
// what it writes is JSON lines.
func FuzzJSONLines(f *testing.F) {
	for _, s := range []string{
		`{"text": "my parcel has not arrived"}` + "\n" + `{"text": "ja", "lang": "de", "id": "m2"}`,
		`{"text": 5}` + "\n\n" + `not json` + "\n" + `{"text": "x", "extra": 1}`,
		`{"text": "a"} {"text": "b"}`,
		"\xff\xfe{\"text\": \"\x00\"}\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		a := console.New(bytes.NewReader(in), &out, console.JSONLines())
		e := &recorder{}
		if err := a.Run(context.Background(), e); err != nil {
			if len(in) < 1<<20 {
				t.Fatalf("Run = %v", err)
			}
			return
		}
		want := 0
		for line := range strings.SplitSeq(string(in), "\n") {
			if strings.TrimSpace(strings.TrimSuffix(line, "\r")) != "" {
				want++
			}
		}
		events := 0
		for i, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if l == "" {
				continue
			}
			var ev struct {
				Type         string `json:"type"`
				Conversation string `json:"conversation"`
			}
			if err := json.Unmarshal([]byte(l), &ev); err != nil {
				t.Fatalf("output line %q is not JSON: %v", l, err)
			}
			if i == 0 {
				if ev.Type != "conversation" || ev.Conversation != a.Address().Conversation {
					t.Fatalf("first output line %q does not name the conversation %q", l, a.Address().Conversation)
				}
				continue
			}
			events++
		}
		if got := len(e.msgs) + events; got != want {
			t.Errorf("%d messages and %d error events for %d input lines", len(e.msgs), events, want)
		}
		for _, m := range e.msgs {
			if m.Address != a.Address() || m.ID == "" {
				t.Errorf("message %+v: want address %v and an id", m, a.Address())
			}
		}
	})
}
