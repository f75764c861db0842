package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
)

// encodingJSON is what the SQLite store wrote before the Append
// functions: a json.Encoder with HTML escaping off, without its newline.
func encodingJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// same fails t unless got (from an Append function) is what
// encoding/json writes for v, or both failed.
func same(t *testing.T, v any, got []byte, gotErr error) {
	t.Helper()
	want, wantErr := encodingJSON(v)
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("error %v, encoding/json's %v", gotErr, wantErr)
	}
	if wantErr != nil {
		if gotErr.Error() != wantErr.Error() {
			t.Errorf("error %q, encoding/json's %q", gotErr, wantErr)
		}
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// awkward are strings encoding/json escapes, or does not, in its own way.
var awkward = []string{
	"",
	"plain ascii",
	"ümlaut, 日本語, 🙂",
	`<script>alert("x")</script> & &amp;`,
	"line\u2028para\u2029end",
	"\x00\x01\x07\b\t\n\v\f\r\x1b\x1f\x7f",
	`back\slash "quoted"`,
	"invalid \xff\xfe utf-8 \xc3 cut",
	"surrogate \xed\xa0\x80 half",
	"\ufffd already a replacement",
	"\u00a0\u200b\ufeff",
}

func bigVisited(n int) map[string]int {
	m := make(map[string]int, n)
	for i := range n {
		m["state_"+strconv.Itoa(n-i)] = i - n/2
	}
	return m
}

func TestAppendSnapshot(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 123456789, time.UTC)
	rome := time.FixedZone("CET", 3600)
	full := bot.Snapshot{
		Address: bot.Address{Channel: "web", Conversation: "w-1"}, Status: bot.StatusHuman,
		Lang: "en", FlowsVersion: "abc", Flow: "late", State: "offer", Attempts: 2, Unclear: 1,
		Offered: []string{"a", "b"}, Chosen: "a", Moods: []float64{-0.5, 0.25, 1}, Worst: -0.5,
		Visited: map[string]int{"offer": 1, "confirm": 2, "acknowledge": 3}, Seq: 9, Processed: 8,
		RecentIDs: []string{"1", "2"},
		Handoff: &bot.HandoffRecord{
			Address: bot.Address{Channel: "web", Conversation: "w-1"}, Reason: "customer_request",
			Evidence: map[string]any{
				"attempts": 2, "unclear": int64(1), "sentiment": -0.5, "label": "negative",
				"human_request": true, "sentiments": []float64{-0.5, -0.7}, "intent": "late",
				"nothing": nil, "ids": []string{"x"}, "list": []any{1.5, "y", nil, false},
				"nested": map[string]any{"z": 1, "a": map[string]any{}}, "nil_floats": []float64(nil),
				"nil_strings": []string(nil), "nil_map": map[string]any(nil),
			},
			Skill: "billing", Priority: "high", Flow: "late", State: "offer", Lang: "en", At: at.In(rome),
		},
		HandedOff: true, RatingStep: 1, RatingOffered: true, Score: 5, RatedAt: at,
		Started: at, Updated: at.Add(time.Minute),
	}
	type tc struct {
		name string
		s    bot.Snapshot
	}
	cases := []tc{
		{"zero", bot.Snapshot{}},
		{"full", full},
		{"empty non-nil", bot.Snapshot{Offered: []string{}, Moods: []float64{}, Visited: map[string]int{}, RecentIDs: []string{},
			Handoff: &bot.HandoffRecord{Evidence: map[string]any{}}}},
		{"big visited", bot.Snapshot{Visited: bigVisited(500)}},
		{"visited keys", bot.Snapshot{Visited: map[string]int{"": 0, "Z": 1, "a": 2, "ä": 3, "\x7f": 4, "<&>": 5, "\u2028": 6, "\xff": 7}}},
		{"int extremes", bot.Snapshot{Attempts: math.MaxInt, Unclear: math.MinInt, Seq: math.MaxInt64, Processed: math.MinInt64, Score: -1}},
		{"floats", bot.Snapshot{Moods: []float64{0, math.Copysign(0, -1), 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 123456789e15, -1e-300,
			math.SmallestNonzeroFloat64, math.MaxFloat64, 0.1, 1.0 / 3}, Worst: math.Copysign(0, -1)}},
		{"tiny worst", bot.Snapshot{Worst: 5e-324}},
		{"NaN worst", bot.Snapshot{Worst: math.NaN()}},
		{"Inf mood", bot.Snapshot{Moods: []float64{1, math.Inf(-1)}}},
		{"NaN sentiment evidence", bot.Snapshot{Handoff: &bot.HandoffRecord{Evidence: map[string]any{"s": math.NaN()}}}},
		{"times", bot.Snapshot{
			RatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", -(5*3600+30*60))),
			Started: time.Date(0, 1, 1, 0, 0, 0, 1, time.UTC),
			Updated: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", 23*3600+59*60))}},
		{"local time", bot.Snapshot{Started: time.Unix(1_700_000_000, 5).Local()}},
		{"zone with seconds", bot.Snapshot{Started: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("LMT", 3600+30))}},
		{"year 10000", bot.Snapshot{Updated: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"year -1", bot.Snapshot{Started: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"zone 24h", bot.Snapshot{Started: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600))}},
		{"rated at zone 99h", bot.Snapshot{RatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", -99*3600))}},
		{"evidence of another type", bot.Snapshot{Handoff: &bot.HandoffRecord{Evidence: map[string]any{
			"struct": struct{ A string }{"<b>"}, "f32": float32(0.1), "u": uint8(3)}}}},
		{"evidence unsupported", bot.Snapshot{Handoff: &bot.HandoffRecord{Evidence: map[string]any{"ch": make(chan int)}}}},
	}
	for i, s := range awkward {
		cases = append(cases, tc{fmt.Sprintf("string %d", i), bot.Snapshot{
			Address: bot.Address{Channel: s, Conversation: s}, Status: bot.Status(s), Lang: s, FlowsVersion: s,
			Flow: s, State: s, Offered: []string{s, s}, Chosen: s, Visited: map[string]int{s: 1}, RecentIDs: []string{s},
			Handoff: &bot.HandoffRecord{Reason: "x", Evidence: map[string]any{s: s, "l": []any{s}}, Skill: s, Priority: s, Flow: s, State: s, Lang: s},
		}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := AppendSnapshot(nil, &c.s)
			same(t, &c.s, got, err)
			// After other bytes, which are kept.
			got, err = AppendSnapshot([]byte("prefix"), &c.s)
			if err == nil {
				if !bytes.HasPrefix(got, []byte("prefix")) {
					t.Fatalf("prefix lost: %s", got)
				}
				got = got[len("prefix"):]
			}
			same(t, &c.s, got, err)
		})
	}
	t.Run("nil", func(t *testing.T) {
		got, err := AppendSnapshot(nil, nil)
		same(t, (*bot.Snapshot)(nil), got, err)
	})
}

func TestAppendAnalysis(t *testing.T) {
	cases := []bot.Analysis{
		{},
		{Lang: "en", Sentiment: -0.4, Label: "negative", Intent: "late", IntentScore: 0.87, InScope: true,
			HumanRequest: true, Answer: bot.AnswerYes, Choice: "refund", Goodbye: true},
		{Sentiment: 1e-9, IntentScore: 1e21},
		{Sentiment: math.NaN()},
		{IntentScore: math.Inf(1)},
	}
	for _, s := range awkward {
		cases = append(cases, bot.Analysis{Lang: s, Label: s, Intent: s, Answer: bot.Answer(s), Choice: s})
	}
	for i, a := range cases {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			got, err := AppendAnalysis(nil, &a)
			same(t, &a, got, err)
		})
	}
	got, err := AppendAnalysis(nil, nil)
	same(t, (*bot.Analysis)(nil), got, err)
}

func TestAppendChoicesStringsEvidence(t *testing.T) {
	choices := [][]bot.Choice{nil, {}, {{ID: "1", Label: "One"}, {ID: "<2>", Label: "Zwei & drei \u2028"}}}
	for _, s := range awkward {
		choices = append(choices, []bot.Choice{{ID: s, Label: s}})
	}
	for i, cs := range choices {
		t.Run(fmt.Sprintf("choices %d", i), func(t *testing.T) {
			same(t, &cs, AppendChoices(nil, cs), nil)
		})
	}
	lists := [][]string{nil, {}, awkward}
	for i, ss := range lists {
		t.Run(fmt.Sprintf("strings %d", i), func(t *testing.T) {
			same(t, &ss, AppendStrings(nil, ss), nil)
		})
	}
	evidence := []map[string]any{nil, {}, {"b": 1, "a": -0.5, "c": []float64{1, 2}},
		{"bad": math.Inf(1)}, {"other": struct{ X int }{1}}}
	for i, m := range evidence {
		t.Run(fmt.Sprintf("evidence %d", i), func(t *testing.T) {
			got, err := AppendEvidence(nil, m)
			same(t, m, got, err)
		})
	}
}

// seedSnapshots are the stored snapshots in testdata/snapshots.
func seedSnapshots(tb testing.TB) [][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "snapshots", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no seed snapshots: %v", err)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, bytes.TrimSpace(b))
	}
	return out
}

// TestSeedSnapshots checks that the stored seeds read back and are
// written again exactly as they are stored.
func TestSeedSnapshots(t *testing.T) {
	for _, seed := range seedSnapshots(t) {
		var s bot.Snapshot
		if err := json.Unmarshal(seed, &s); err != nil {
			t.Fatalf("%s: %v", seed, err)
		}
		got, err := AppendSnapshot(nil, &s)
		same(t, &s, got, err)
	}
}

// FuzzAppendSnapshot compares AppendSnapshot and AppendAnalysis with
// encoding/json. A snapshot is read from data (seeded with the stored
// snapshots of testdata/snapshots) and text, a number and a time (unix
// nanoseconds in a zone of offset seconds) are put in its fields, since
// JSON cannot carry invalid UTF-8, NaN or odd zones to it.
func FuzzAppendSnapshot(f *testing.F) {
	for i, seed := range seedSnapshots(f) {
		f.Add(seed, awkward[i%len(awkward)], -0.5, int64(1_700_000_000_123_456_789), 3600)
	}
	f.Add([]byte(`{}`), "\xff<\u2028>", math.NaN(), int64(math.MaxInt64), 24*3600)
	f.Add([]byte(`{"worst":1}`), "", 1e-7, int64(math.MinInt64), -30)
	f.Fuzz(func(t *testing.T, data []byte, text string, num float64, nanos int64, offset int) {
		var s bot.Snapshot
		if json.Unmarshal(data, &s) != nil {
			return
		}
		got, err := AppendSnapshot(nil, &s)
		same(t, &s, got, err)

		at := time.Unix(0, nanos).In(time.FixedZone(text, offset))
		s.Flow, s.Chosen = text, text
		s.Offered = append(s.Offered, text)
		s.Moods = append(s.Moods, num)
		s.Worst = num
		if s.Visited == nil {
			s.Visited = map[string]int{}
		}
		s.Visited[text] = offset
		s.Handoff = &bot.HandoffRecord{Reason: "x", Lang: text, At: at,
			Evidence: map[string]any{text: num, "text": text, "nanos": nanos}}
		s.RatedAt, s.Updated = at, at
		got, err = AppendSnapshot(nil, &s)
		same(t, &s, got, err)

		a := bot.Analysis{Lang: text, Sentiment: num, Label: s.Lang, Intent: s.State, IntentScore: s.Worst,
			InScope: offset%2 == 0, HumanRequest: nanos%2 == 0, Answer: bot.Answer(s.Status), Choice: text, Goodbye: s.HandedOff}
		got, err = AppendAnalysis(nil, &a)
		same(t, &a, got, err)
	})
}

// benchSnapshot is a snapshot as the engine stores it in the middle of
// a flow.
func benchSnapshot(b *testing.B) *bot.Snapshot {
	b.Helper()
	var s bot.Snapshot
	if err := json.Unmarshal(seedSnapshots(b)[0], &s); err != nil {
		b.Fatal(err)
	}
	return &s
}

// BenchmarkAppendSnapshot compares AppendSnapshot with the json.Encoder
// the SQLite store used before.
func BenchmarkAppendSnapshot(b *testing.B) {
	s := benchSnapshot(b)
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = AppendSnapshot(buf[:0], s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		for b.Loop() {
			buf.Reset()
			if err := enc.Encode(s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
