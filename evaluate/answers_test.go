package evaluate

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/intent"
	"github.com/calmbot/calmbot/flows"
)

func TestReadAnswers(t *testing.T) {
	qs, err := ReadAnswers(strings.NewReader("# a comment\nen\tinvoice\twhere is my invoice\n\nde\t-\tWie wird das Wetter?\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Question{{Lang: "en", Answer: "invoice", Text: "where is my invoice"}, {Lang: "de", Text: "Wie wird das Wetter?"}}
	if len(qs) != len(want) || qs[0] != want[0] || qs[1] != want[1] {
		t.Errorf("got %+v, want %+v", qs, want)
	}
	for _, bad := range []string{"en\tinvoice\n", "en\t\tx\n", "\tinvoice\tx\n", "en\tinvoice\t \n"} {
		if _, err := ReadAnswers(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: error %v, want one naming line 1", bad, err)
		}
	}
}

// candidates is wordAnalyzer over the intents and the answers.
func candidates(f *flows.File) (bot.Analyzer, error) {
	g := *f
	g.Intents = f.Candidates()
	return wordAnalyzer{&g}, nil
}

func TestAnswersRow(t *testing.T) {
	f := &flows.File{Languages: []string{"en", "de"}, Policy: flows.DefaultPolicy(),
		Intents: map[string]*flows.Intent{"late": {Examples: map[string][]string{"en": {"parcel never arrived late"}}}},
		Answers: map[string]*flows.Answer{
			"invoice": {Examples: map[string][]string{"en": {"where invoice download"}, "de": {"Rechnung herunterladen bitte"}}},
			"hours":   {Examples: map[string][]string{"en": {"opening hours today"}, "de": {"Öffnungszeiten heute"}}},
		}}
	path := filepath.Join(t.TempDir(), "q.tsv")
	data := "en\tinvoice\tinvoice download please\n" + // right
		"en\thours\twhat are the opening hours\n" + // right
		"en\tinvoice\tthe weather\n" + // no answer: wrong
		"de\tinvoice\tRechnung herunterladen\n" + // right
		"en\t-\tmy parcel never arrived\n" + // a concern's intent: left out of the answers
		"de\t-\tÖffnungszeiten heute\n" // an answer: not left out
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Paths: map[string]string{"answers": path}, Flows: f, New: candidates, Thresholds: []float64{1}}
	rows, err := Run(context.Background(), cfg, []string{"answers"})
	if err != nil {
		t.Fatal(err)
	}
	r := rows[0]
	if r.Status != StatusOK {
		t.Fatalf("row %+v", r)
	}
	if r.N != 6 || !near(*r.InScopeAccuracy, 0.75) || !near(*r.OOSRecall, 0.5) || len(r.Curve) != 1 {
		t.Errorf("n %d, accuracy %v, oos recall %v, curve %+v; want 6, 0.75, 0.5 and one point", r.N, *r.InScopeAccuracy, *r.OOSRecall, r.Curve)
	}
	if !strings.Contains(r.Note, "1 of them read as a concern") || !strings.Contains(r.Note, "en 66.7%/100.0%, de 100.0%/0.0%") {
		t.Errorf("note %q", r.Note)
	}

	cfg.Flows = &flows.File{Languages: []string{"en"}, Policy: flows.DefaultPolicy()}
	if rows, _ := Run(context.Background(), cfg, []string{"answers"}); rows[0].Status != StatusError {
		t.Errorf("a flow file without answers: %+v, want an error row", rows[0])
	}
}

// TestAnswersSet checks the built-in set against the default flows: at
// least 40 questions per language with near-misses among them, each
// labelled with an answer the flows have, and logs the figures `calmbot
// eval --set answers` reports (targets: 90% answered right, 80% of the
// near-misses left out of scope).
func TestAnswersSet(t *testing.T) {
	data, err := os.ReadFile("../flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := flows.Parse("flows.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	qs, err := ReadAnswers(bytes.NewReader(answersSet))
	if err != nil {
		t.Fatal(err)
	}
	n, near := map[string]int{}, map[string]int{}
	for _, q := range qs {
		n[q.Lang]++
		if q.Answer == "" {
			near[q.Lang]++
		} else if f.Answers[q.Answer] == nil {
			t.Errorf("%q is labelled %s, which flows.yaml does not have", q.Text, q.Answer)
		}
	}
	for _, l := range f.Languages {
		if n[l] < 40 || near[l] < 8 {
			t.Errorf("%s: %d questions, %d near-misses; want at least 40 and 8", l, n[l], near[l])
		}
	}
	if testing.Short() {
		return
	}
	cfg := Config{Flows: f, New: func(f *flows.File) (bot.Analyzer, error) { return intent.New(f) }}
	rows, err := Run(context.Background(), cfg, []string{"answers"})
	if err != nil || rows[0].Status != StatusOK {
		t.Fatalf("rows %+v, err %v", rows, err)
	}
	r := rows[0]
	t.Logf("answers at %.2f: %.1f%% answered right, %.1f%% of the near-misses left out; %s", *r.Threshold, 100**r.InScopeAccuracy, 100**r.OOSRecall, r.Note)
}

// FuzzReadAnswers reads arbitrary bytes as a questions file: an error or
// questions with a language and a text, never a panic.
func FuzzReadAnswers(f *testing.F) {
	f.Add(answersSet)
	f.Add([]byte("en\t-\tx\n# c\n\nde\tinvoice\ty\tz\n"))
	f.Add([]byte("en\tinvoice\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		qs, err := ReadAnswers(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, q := range qs {
			if q.Lang == "" || strings.TrimSpace(q.Text) == "" || q.Answer == "-" {
				t.Errorf("question %+v", q)
			}
		}
	})
}
