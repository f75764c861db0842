package evaluate

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func open(t *testing.T, path string) *os.File {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fh.Close() })
	return fh
}

func TestReadXLMT(t *testing.T) {
	got, err := ReadXLMT(open(t, "testdata/eval/xlmt/english_val_text.txt"), open(t, "testdata/eval/xlmt/english_val_labels.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Labelled{
		{"I love this, thank you so much", Positive},
		{"the train was late again, awful", Negative},
		{"the meeting is at noon", Neutral},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, tt := range []struct{ name, texts, labels string }{
		{"bad label", "a\nb\n", "0\n3\n"},
		{"more labels than texts", "a\n", "0\n1\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ReadXLMT(strings.NewReader(tt.texts), strings.NewReader(tt.labels)); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestReadTSV(t *testing.T) {
	ge, err := ReadGermEval(open(t, "testdata/eval/germeval2017/dev.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []Labelled{{"Die Bahn ist wieder zu spät, furchtbar", Negative}, {"Der Zug fährt um acht", Neutral}}; !reflect.DeepEqual(ge, want) {
		t.Errorf("germeval: got %q, want %q", ge, want)
	}
	xed, err := ReadXED(open(t, "testdata/eval/xed/xed_fi_dev.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []Labelled{{"Kiitos, tämä on ihanaa", Positive}, {"Tämä on kamalaa", Negative}}; !reflect.DeepEqual(xed, want) {
		t.Errorf("xed: got %q, want %q", xed, want)
	}
	for _, tt := range []struct {
		name string
		read func(r *strings.Reader) error
	}{
		{"xed unknown label", func(r *strings.Reader) error { _, err := ReadXED(r); return err }},
		{"germeval short line", func(r *strings.Reader) error { _, err := ReadGermEval(r); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.read(strings.NewReader("joy\tteksti\n")); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestReadVADER(t *testing.T) {
	got, err := ReadVADER(open(t, "testdata/eval/vader/amazonReviewSnippets_GroundTruth.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Rated{{"great little player, works well", 2.5}, {"broke after a day, terrible", -3.1}, {"it is a dvd player", 0.2}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := ReadVADER(strings.NewReader("1_1\tgood\tnot a number\n")); err == nil {
		t.Error("bad mean: no error")
	}
}

func TestReadCLINC(t *testing.T) {
	c, err := ReadCLINC(open(t, "testdata/eval/clinc150/clinc150_dev.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Train) != 6 || len(c.Val) != 2 || len(c.OOSTrain) != 1 || len(c.OOSVal) != 1 {
		t.Errorf("splits %d %d %d %d, want 6 2 1 1", len(c.Train), len(c.Val), len(c.OOSTrain), len(c.OOSVal))
	}
	if got, want := c.Val[1], (Labelled{"set an alarm at eight", "alarm"}); got != want {
		t.Errorf("val[1] %q, want %q", got, want)
	}
	for _, bad := range []string{`{"train": [["only text"]]}`, `{"val": []}`, `[`} {
		if _, err := ReadCLINC(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestReadBanking77(t *testing.T) {
	got, err := ReadBanking77(open(t, "testdata/eval/banking77/train.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 25 || got[0] != (Labelled{"Where is my card, it has not arrived", "card_arrival"}) {
		t.Errorf("got %d rows, first %q", len(got), got[0])
	}
	if _, err := ReadBanking77(strings.NewReader("query,label\na,b\n")); err == nil {
		t.Error("bad header: no error")
	}
}

func TestBankingSplit(t *testing.T) {
	data, err := ReadBanking77(open(t, "testdata/eval/banking77/train.csv"))
	if err != nil {
		t.Fatal(err)
	}
	train, test, held := bankingSplit(data)
	if !reflect.DeepEqual(held, []string{"pin_blocked"}) {
		t.Errorf("held out %q, want [pin_blocked]", held)
	}
	oos := 0
	for _, d := range test {
		if d.Label == "" {
			oos++
		}
	}
	if len(train) != 16 || len(test) != 9 || oos != 5 {
		t.Errorf("train %d test %d out of scope %d, want 16 9 5", len(train), len(test), oos)
	}
	for _, d := range train {
		if d.Label == "pin_blocked" {
			t.Errorf("held-out intent trained: %q", d.Text)
		}
	}
}

func TestReadDialogues(t *testing.T) {
	got, err := ReadDialogues(open(t, "testdata/eval/uss/MWOZ.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Fatalf("%d turns, want 6 (OVERALL skipped)", len(got))
	}
	if got[2].Role != "USER" || !reflect.DeepEqual(got[2].Ratings, []int{1, 2, 2}) || !near(got[2].Mean(), 5.0/3) {
		t.Errorf("turn 2: %+v", got[2])
	}
	if got[1].Role != "SYSTEM" || len(got[1].Ratings) != 0 || got[1].Mean() != 0 {
		t.Errorf("turn 1: %+v", got[1])
	}
	if got[4].Dialogue != 1 || got[3].Dialogue != 0 {
		t.Errorf("dialogues %d %d, want 0 1", got[3].Dialogue, got[4].Dialogue)
	}
	if _, err := ReadDialogues(strings.NewReader("USER\thi\tx\t3,9\n")); err == nil {
		t.Error("rating 9: no error")
	}
}

func TestConfusion(t *testing.T) {
	var c Confusion
	for _, p := range [][2]string{ // got, want
		{Negative, Negative}, {Negative, Negative}, {Neutral, Negative},
		{Neutral, Neutral}, {Negative, Neutral},
		{Positive, Positive}, {Neutral, Positive}, {Positive, Positive},
	} {
		c.Add(p[0], p[1])
	}
	if c.N() != 8 || !near(c.Accuracy(), 5.0/8) {
		t.Errorf("n %d accuracy %v, want 8 0.625", c.N(), c.Accuracy())
	}
	// negative: tp 2, predicted 3, actual 3 -> P=R=F1=2/3.
	if p, r, f := c.PRF(Negative); !near(p, 2.0/3) || !near(r, 2.0/3) || !near(f, 2.0/3) {
		t.Errorf("negative P %v R %v F1 %v, want 2/3 each", p, r, f)
	}
	// neutral: tp 1, predicted 3, actual 2 -> P 1/3, R 1/2, F1 0.4.
	if f := c.F1(Neutral); !near(f, 0.4) {
		t.Errorf("neutral F1 %v, want 0.4", f)
	}
	// positive: tp 2, predicted 2, actual 3 -> F1 0.8.
	if f := c.F1(Positive); !near(f, 0.8) {
		t.Errorf("positive F1 %v, want 0.8", f)
	}
	want := (2.0/3 + 0.4 + 0.8) / 3
	if m := c.MacroF1(Negative, Neutral, Positive); !near(m, want) {
		t.Errorf("macro-F1 %v, want %v", m, want)
	}
	if m := c.MacroF1(); !near(m, want) {
		t.Errorf("macro-F1 over true labels %v, want %v", m, want)
	}
	if got := c.Labels(); !reflect.DeepEqual(got, []string{Negative, Neutral, Positive}) {
		t.Errorf("labels %q", got)
	}
}

func TestConfusionEdges(t *testing.T) {
	var empty Confusion
	if empty.Accuracy() != 0 || empty.MacroF1() != 0 || empty.F1(Negative) != 0 {
		t.Error("empty confusion: want zeros")
	}
	var never Confusion // negative never predicted, never true
	never.Add(Positive, Positive)
	if p, r, f := never.PRF(Negative); p != 0 || r != 0 || f != 0 {
		t.Errorf("absent label: %v %v %v, want zeros", p, r, f)
	}
	if m := never.MacroF1(Negative, Positive); !near(m, 0.5) {
		t.Errorf("macro-F1 with an absent label %v, want 0.5 (it counts as 0)", m)
	}
}

func TestPearson(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
		want float64
		ok   bool
	}{
		{"perfect", []float64{1, 2, 3}, []float64{2, 4, 6}, 1, true},
		{"inverse", []float64{1, 2, 3}, []float64{3, 2, 1}, -1, true},
		{"none", []float64{1, 2, 3, 4}, []float64{1, -1, -1, 1}, 0, true},
		{"constant", []float64{1, 1, 1}, []float64{1, 2, 3}, 0, false},
		{"one pair", []float64{1}, []float64{1}, 0, false},
		{"lengths differ", []float64{1, 2}, []float64{1, 2, 3}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Pearson(tt.x, tt.y)
			if ok != tt.ok || !near(got, tt.want) {
				t.Errorf("got %v %v, want %v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestScope(t *testing.T) {
	results := []ScopeResult{
		{Got: "a", Score: 0.9, Want: "a"},
		{Got: "b", Score: 0.8, Want: "a"}, // wrong intent: never right
		{Got: "b", Score: 0.4, Want: "b"}, // right but weak
		{Got: "a", Score: 0.6},            // out of scope
		{Got: "b", Score: 0.2},
	}
	tests := []struct {
		th          float64
		inAcc, oosR float64
	}{
		{0, 2.0 / 3, 0},
		{0.5, 1.0 / 3, 0.5},
		{0.7, 1.0 / 3, 1},
		{1, 0, 1},
	}
	for _, tt := range tests {
		got := Scope(results, tt.th)
		if !near(got.InScopeAccuracy, tt.inAcc) || !near(got.OOSRecall, tt.oosR) {
			t.Errorf("threshold %v: %+v, want in-scope %v oos %v", tt.th, got, tt.inAcc, tt.oosR)
		}
	}
	if got := Scope(nil, 0.5); got.InScopeAccuracy != 0 || got.OOSRecall != 0 {
		t.Errorf("no results: %+v", got)
	}
}

func TestDetection(t *testing.T) {
	var d Detection
	if d.Precision() != 0 || d.Recall() != 0 {
		t.Error("empty detection: want zeros")
	}
	for _, c := range [][2]bool{{true, true}, {true, false}, {false, true}, {false, true}, {false, false}} {
		d.Add(c[0], c[1])
	}
	if !near(d.Precision(), 0.5) || !near(d.Recall(), 1.0/3) {
		t.Errorf("precision %v recall %v, want 0.5 1/3", d.Precision(), d.Recall())
	}
}

// wordAnalyzer is a test analyzer: sentiment from a few words, intent by
// the most words shared with one intent's examples.
type wordAnalyzer struct{ f *flows.File }

func (w wordAnalyzer) Analyze(_ context.Context, in bot.AnalyzeInput) bot.Analysis {
	text := strings.ToLower(in.Text)
	out := bot.Analysis{Lang: in.Lang, Label: Neutral}
	for _, neg := range []string{"awful", "terrible", "useless", "furchtbar", "kamalaa", "late"} {
		if strings.Contains(text, neg) {
			out.Label, out.Sentiment = Negative, -0.8
		}
	}
	for _, pos := range []string{"love", "great", "ihanaa"} {
		if strings.Contains(text, pos) {
			out.Label, out.Sentiment = Positive, 0.8
		}
	}
	best := 0
	for name, intent := range w.f.Intents {
		for _, ex := range intent.Examples[in.Lang] {
			n := 0
			for _, word := range strings.Fields(strings.ToLower(ex)) {
				if len(word) > 3 && strings.Contains(text, word) {
					n++
				}
			}
			if n > best || (n == best && n > 0 && name < out.Intent) {
				best, out.Intent = n, name
			}
		}
	}
	out.IntentScore = min(1, float64(best)/2)
	out.InScope = out.IntentScore >= w.f.Policy.IntentThreshold
	return out
}

func TestRun(t *testing.T) {
	cfg := Config{
		Dir:        "testdata/eval",
		Paths:      map[string]string{},
		Flows:      &flows.File{Languages: []string{"en", "de", "fi"}, Policy: flows.DefaultPolicy()},
		New:        func(f *flows.File) (bot.Analyzer, error) { return wordAnalyzer{f}, nil },
		Thresholds: []float64{0.9, 0.1},
	}
	rows, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Row{}
	var names []string
	for _, r := range rows {
		byName[r.Set] = r
		names = append(names, r.Set)
	}
	if !reflect.DeepEqual(names, SetNames()) {
		t.Fatalf("rows %q, want every set %q", names, SetNames())
	}
	for _, name := range []string{"xlmt-it", "xlmt-de", "vader-movie"} {
		if byName[name].Status != StatusMissing {
			t.Errorf("%s: status %q, want missing", name, byName[name].Status)
		}
	}
	en := byName["xlmt-en"]
	if en.Status != StatusOK || en.N != 3 || *en.Accuracy != 1 || *en.MacroF1 != 1 || *en.NegativeF1 != 1 {
		t.Errorf("xlmt-en: %+v", en)
	}
	if r := byName["vader-amazon"]; r.Pearson == nil || *r.Pearson < 0.9 {
		t.Errorf("vader-amazon: %+v", r)
	}
	clinc := byName["clinc150"]
	if clinc.Status != StatusOK || clinc.N != 3 || clinc.InScopeAccuracy == nil || clinc.OOSRecall == nil || len(clinc.Curve) != 2 {
		t.Fatalf("clinc150: %+v", clinc)
	}
	if clinc.Curve[0].Threshold != 0.1 || *clinc.Threshold != flows.DefaultPolicy().IntentThreshold {
		t.Errorf("clinc150 thresholds: %v then curve %+v", *clinc.Threshold, clinc.Curve)
	}
	if r := byName["banking77"]; r.Status != StatusOK || r.N != 9 || !strings.Contains(r.Note, "pin_blocked") {
		t.Errorf("banking77: %+v", r)
	}
	mwoz := byName["mwoz"]
	if mwoz.N != 3 || *mwoz.Recall != 1 || *mwoz.Precision != 1 {
		t.Errorf("mwoz: %+v", mwoz)
	}

	// --set picks rows; a path flag moves a set.
	cfg.Paths["xlmt-de"] = filepath.Join("testdata", "eval", "xlmt", "english_val_text.txt")
	rows, err = Run(context.Background(), cfg, []string{"xlmt-de", "mwoz"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Set != "xlmt-de" || rows[0].Status != StatusOK || rows[1].Set != "mwoz" {
		t.Errorf("selected rows: %+v", rows)
	}
	if _, err := Run(context.Background(), cfg, []string{"nope"}); err == nil {
		t.Error("unknown set: no error")
	}
}

// TestRunTestSplit checks that --split test reads the test files of the
// sets that have one, and never their dev files.
func TestRunTestSplit(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, data string) {
		t.Helper()
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("xlmt/english_test_text.txt", "I love it\nthis is awful\nthe train leaves at 5\nso awful\n")
	write("xlmt/english_test_labels.txt", "2\n0\n1\n0\n")
	// Dev files only: in the test split these sets are missing.
	write("xlmt/italian_val_text.txt", "great\n")
	write("xlmt/italian_val_labels.txt", "2\n")
	write("germeval2017/dev.tsv", "u\tfurchtbar\ttrue\tnegative\n")
	cfg := Config{
		Dir:   dir,
		Split: SplitTest,
		Flows: &flows.File{Languages: []string{"en", "it", "de", "fi"}, Policy: flows.DefaultPolicy()},
		New:   func(f *flows.File) (bot.Analyzer, error) { return wordAnalyzer{f}, nil },
	}
	rows, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rows {
		names = append(names, r.Set)
		if r.Split != SplitTest {
			t.Errorf("%s: split %q, want test", r.Set, r.Split)
		}
		if r.Set != "xlmt-en" && r.Status != StatusMissing {
			t.Errorf("%s: status %q, want missing (only its dev file exists)", r.Set, r.Status)
		}
	}
	if !reflect.DeepEqual(names, TestSetNames()) {
		t.Errorf("rows %q, want the sets with a test split %q", names, TestSetNames())
	}
	if en := rows[0]; en.Status != StatusOK || en.N != 4 || *en.Accuracy != 1 {
		t.Errorf("xlmt-en test: %+v", en)
	}
	if _, err := Run(context.Background(), cfg, []string{"mwoz"}); err == nil || !strings.Contains(err.Error(), "no test split") {
		t.Errorf("mwoz in the test split: %v, want an error", err)
	}
	cfg.Split = "val"
	if _, err := Run(context.Background(), cfg, nil); err == nil {
		t.Error("split val: no error")
	}
	cfg.Split = ""
	rows, err = Run(context.Background(), cfg, []string{"xlmt-en", "xlmt-it"})
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Status != StatusMissing || rows[1].Status != StatusOK || rows[1].Split != SplitDev {
		t.Errorf("dev split: %+v, want xlmt-en missing (no val file) and xlmt-it measured", rows)
	}
}

func TestRunBadFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Dir:   dir,
		Paths: map[string]string{"clinc150": bad},
		Flows: &flows.File{Languages: []string{"en"}, Policy: flows.DefaultPolicy()},
		New:   func(f *flows.File) (bot.Analyzer, error) { return wordAnalyzer{f}, nil },
	}
	rows, err := Run(context.Background(), cfg, []string{"clinc150", "mwoz"})
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Status != StatusError || rows[0].Error == "" || rows[1].Status != StatusMissing {
		t.Errorf("rows %+v, want an error row then a missing one", rows)
	}
}

// TestSentimentTrainSplits checks that the sentiment model's training data
// and the evaluation sets, dev or test split, never share a file.
func TestSentimentTrainSplits(t *testing.T) {
	measured := MeasuredFiles()
	for _, s := range Sets() {
		for _, p := range []string{s.Path, s.Test} {
			if p != "" && !measured[p] {
				t.Errorf("%s: %s is not among the measured files", s.Name, p)
			}
		}
		if s.Test != "" && (s.Test == s.Path || strings.Contains(s.Test, "_train")) {
			t.Errorf("%s: test split %q must be its own file", s.Name, s.Test)
		}
	}
	if !measured["xlmt/english_test_labels.txt"] {
		t.Error("the XLM-T test labels are not among the measured files")
	}
	for _, sp := range SentimentTrainSplits() {
		for _, p := range []string{sp.Texts, sp.Labels} {
			if measured[p] || !strings.Contains(p, "_train_") {
				t.Errorf("%s: a train split must be a *_train_* file that no set measures", p)
			}
		}
	}
}

// TestReadSentimentTrain reads train splits in the XLM-T layout from a
// directory, each text with its split's language.
func TestReadSentimentTrain(t *testing.T) {
	dir := t.TempDir()
	for _, sp := range SentimentTrainSplits() {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(sp.Texts)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, sp.Texts), []byte("bad "+sp.Lang+"\nok "+sp.Lang+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, sp.Labels), []byte("0\n1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadSentimentTrain(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2*len(SentimentTrainSplits()) {
		t.Fatalf("%d texts, want %d", len(got), 2*len(SentimentTrainSplits()))
	}
	for _, tt := range got {
		if !strings.HasSuffix(tt.Text, " "+tt.Lang) || (tt.Label != Negative && tt.Label != Neutral) {
			t.Errorf("text %q lang %s label %s", tt.Text, tt.Lang, tt.Label)
		}
	}
	if _, err := ReadSentimentTrain(t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("empty dir: %v, want not exist", err)
	}
}
