package intent

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// readTSV reads the non-comment lines of a tab-separated testdata file.
func readTSV(t *testing.T, path string, cols int) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != cols {
			t.Fatalf("%s:%d: %d columns, want %d", path, n, len(parts), cols)
		}
		rows = append(rows, parts)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestHumanRequests reads every way of asking for a person in
// testdata/human_requests.tsv, in the conversation's language and with no
// language known (a first message), and the traps, which must never ask.
func TestHumanRequests(t *testing.T) {
	a := newDefaultAnalyzer(t)
	rows := readTSV(t, "testdata/human_requests.tsv", 3)
	type count struct{ asks, found, traps, false_ int }
	counts := map[string]*count{}
	for _, r := range rows {
		lang, want, text := r[0], r[1], r[2]
		c := counts[lang]
		if c == nil {
			c = &count{}
			counts[lang] = c
		}
		known := analyze(a, lang, text)
		first := analyze(a, "", text)
		switch want {
		case "human":
			c.asks++
			if known.HumanRequest && first.HumanRequest {
				c.found++
			}
			if !known.HumanRequest {
				t.Errorf("%s %q: no request for a person", lang, text)
			}
			if !first.HumanRequest {
				t.Errorf("%s %q as a first message (read as %s): no request for a person", lang, text, first.Lang)
			}
		case "none":
			c.traps++
			if known.HumanRequest || first.HumanRequest {
				c.false_++
				t.Errorf("%s %q: read as a request for a person", lang, text)
			}
		default:
			t.Fatalf("want %q: not human or none", want)
		}
	}
	for _, lang := range []string{"en", "it", "de", "fi"} {
		c := counts[lang]
		if c == nil || c.asks < 40 || c.traps < 8 {
			t.Fatalf("%s: %+v, want at least 40 requests and 8 traps", lang, c)
		}
		t.Logf("%s: %d/%d requests read, %d/%d traps asked", lang, c.found, c.asks, c.false_, c.traps)
	}
}

// TestBotRefusalLanguage checks that a refusal of the bot in a first message
// is read in its own language ("keinen Bot bitte" was read as Finnish).
func TestBotRefusalLanguage(t *testing.T) {
	a := newDefaultAnalyzer(t)
	for _, tt := range []struct{ text, lang string }{
		{"keinen Bot bitte", "de"},
		{"ich will keinen Bot", "de"},
		{"non voglio parlare con un bot", "it"},
		{"en halua puhua botin kanssa", "fi"},
		{"I don't want to talk to a bot", "en"},
	} {
		got := analyze(a, "", tt.text)
		if got.Lang != tt.lang || !got.HumanRequest {
			t.Errorf("%q: language %s, human request %v; want %s, true", tt.text, got.Lang, got.HumanRequest, tt.lang)
		}
	}
}
