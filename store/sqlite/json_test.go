package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"testing"

	"github.com/calmbot/calmbot/bot"
)

// TestStoredJSON: the JSON columns of a turn hold what encoding/json
// with HTML escaping off writes, the bytes the store wrote before it
// appended them itself.
func TestStoredJSON(t *testing.T) {
	s, path := openStore(t)
	a := addr("json")
	mustCommit(t, s, turn(a, 1, "p1"))

	text := "<b>&</b> \u2028 \"quoted\" \x01 ümlaut \xff"
	tr := turn(a, 2, "p2", "reply")
	tr.Inbound[0].Analysis = &bot.Analysis{Lang: "en", Sentiment: -0.25, Label: text, Intent: "x", IntentScore: 1e-7}
	tr.Analysed = map[int64]*bot.Analysis{1: {Lang: "it", Label: text, InScope: true, Choice: text}}
	tr.Outbound[0].Choices = []bot.Choice{{ID: "1", Label: text}, {ID: "<2>", Label: "two"}}
	tr.Outbound[0].Answers = []string{"p2", text}
	ev := map[string]any{"sentiment": -0.25, "label": text, "attempts": 2, "human_request": true, "sentiments": []float64{-0.1, -0.25}}
	tr.Handoff = &bot.HandoffRecord{Address: a, Reason: "customer_request", Evidence: ev, Lang: "en", At: t0}
	tr.State.Status = bot.StatusHuman
	tr.State.Chosen = text
	tr.State.Visited = map[string]int{"confirm": 2, "acknowledge": 1, text: 3}
	tr.State.Handoff = tr.Handoff
	mustCommit(t, s, tr)

	db := rawDB(t, path)
	check := func(what, query string, v any) {
		t.Helper()
		var got sql.NullString
		if err := db.QueryRowContext(context.Background(), query, a.Channel, a.Conversation).Scan(&got); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		if w := bytes.TrimSuffix(want.Bytes(), []byte{'\n'}); got.String != string(w) {
			t.Errorf("%s:\ngot  %s\nwant %s", what, got.String, w)
		}
	}
	const conv = `(SELECT id FROM conversations WHERE channel = ? AND conversation = ?)`
	check("snapshot", `SELECT snapshot FROM conversations WHERE channel = ? AND conversation = ?`, tr.State)
	check("inbound analysis", `SELECT analysis FROM messages WHERE conv_id = `+conv+` AND seq = 2`, tr.Inbound[0].Analysis)
	check("analysed", `SELECT analysis FROM messages WHERE conv_id = `+conv+` AND seq = 1`, tr.Analysed[1])
	check("choices", `SELECT choices FROM messages WHERE conv_id = `+conv+` AND seq = 3`, tr.Outbound[0].Choices)
	check("answers", `SELECT answers FROM messages WHERE conv_id = `+conv+` AND seq = 3`, tr.Outbound[0].Answers)
	check("evidence", `SELECT evidence FROM handoffs WHERE conv_id = `+conv, ev)
}
