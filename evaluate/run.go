package evaluate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
)

// Set is one evaluation set: a name, the file it reads (relative to the
// data directory; none for a set built in) and what it measures.
type Set struct {
	Name string
	// Path is the file of the development split, the one tuned on.
	Path string
	// Test is the file of the held-out test split, "" when the set has
	// none. Run reads it only with Config.Split SplitTest: it judges a
	// result and is never tuned on, nor trained on (ReadSentimentTrain
	// refuses it).
	Test string
	// Lang is the language of its texts.
	Lang string
	// What says what the row measures, for help texts.
	What string
	run  func(ctx context.Context, r *runner, path string) (Row, error)
}

// Sets returns every set Run knows, in table order.
func Sets() []Set {
	return []Set{
		{Name: "xlmt-en", Path: "xlmt/english_val_text.txt", Test: "xlmt/english_test_text.txt", Lang: "en", What: "English tweets, 3-class sentiment", run: xlmtSet("en")},
		{Name: "xlmt-it", Path: "xlmt/italian_val_text.txt", Test: "xlmt/italian_test_text.txt", Lang: "it", What: "Italian tweets, 3-class sentiment", run: xlmtSet("it")},
		{Name: "xlmt-de", Path: "xlmt/german_val_text.txt", Test: "xlmt/german_test_text.txt", Lang: "de", What: "German tweets, 3-class sentiment", run: xlmtSet("de")},
		{Name: "germeval2017", Path: "germeval2017/dev.tsv", Test: "germeval2017/test.tsv", Lang: "de", What: "German customer feedback, 3-class sentiment", run: labelledSet("de", ReadGermEval)},
		{Name: "xed-fi", Path: "xed/xed_fi_dev.tsv", Test: "xed/xed_fi_test.tsv", Lang: "fi", What: "Finnish subtitles, 3-class sentiment", run: labelledSet("fi", ReadXED)},
		{Name: "vader-amazon", Path: "vader/amazonReviewSnippets_GroundTruth.txt", Lang: "en", What: "English reviews, Pearson r of score and mean rating", run: ratedSet("en")},
		{Name: "vader-movie", Path: "vader/movieReviewSnippets_GroundTruth.txt", Lang: "en", What: "English reviews, Pearson r of score and mean rating", run: ratedSet("en")},
		{Name: "clinc150", Path: "clinc150/clinc150_dev.json", Lang: "en", What: "150 intents: trained on train, measured on val + oos_val", run: clincSet},
		{Name: "banking77", Path: "banking77/train.csv", Lang: "en", What: "77 intents, every 5th category (alphabetical) held out as out of scope", run: bankingSet},
		{Name: "answers", Lang: "*", What: "the flow file's answers: built-in questions in en, it, de, fi with near-misses (or --answers FILE)", run: answersRun},
		{Name: "mwoz", Path: "uss/MWOZ.txt", Lang: "en", What: "MultiWOZ user turns: frustrated (mean satisfaction <= 2) read as negative", run: dialogueSet},
	}
}

// Splits of the sets that Run measures (Config.Split).
const (
	// SplitDev is the development split: the figures to tune by.
	SplitDev = "dev"
	// SplitTest is the held-out test split: figures to report once a
	// result is fixed, never to tune by. Only the sets with a Test file
	// have one.
	SplitTest = "test"
)

// Config says where the data is and how to read it.
type Config struct {
	// Dir is the eval data directory (../shared/data/eval).
	Dir string
	// Split is SplitDev ("" too) or SplitTest.
	Split string
	// Paths overrides a set's file, by set name, in the split measured.
	Paths map[string]string
	// Flows is the flow file whose analyzer reads the sentiment sets.
	Flows *flows.File
	// New builds an Analyzer for a flow file: for Flows, and for the flow
	// files Run builds from the intent sets' training splits.
	New func(*flows.File) (bot.Analyzer, error)
	// Thresholds are extra thresholds at which the intent sets are also
	// measured, besides the flow file's own (Row.Curve).
	Thresholds []float64
}

// Row is one set's figures. A figure that does not apply is nil.
type Row struct {
	Set    string `json:"set"`
	Split  string `json:"split"`  // SplitDev or SplitTest
	Status string `json:"status"` // ok, missing or error
	Error  string `json:"error,omitempty"`
	N      int    `json:"n"`

	Accuracy   *float64 `json:"accuracy,omitempty"`
	MacroF1    *float64 `json:"macro_f1,omitempty"`
	NegativeF1 *float64 `json:"negative_f1,omitempty"`
	Pearson    *float64 `json:"pearson_r,omitempty"`

	Threshold       *float64       `json:"threshold,omitempty"`
	InScopeAccuracy *float64       `json:"in_scope_accuracy,omitempty"`
	OOSRecall       *float64       `json:"oos_recall,omitempty"`
	Curve           []ScopeFigures `json:"curve,omitempty"`

	// Recall and Precision of a detection (frustrated turns read as negative).
	Recall    *float64 `json:"recall,omitempty"`
	Precision *float64 `json:"precision,omitempty"`

	Note    string  `json:"note,omitempty"`
	Seconds float64 `json:"seconds"`
}

// Status values of a Row.
const (
	StatusOK      = "ok"
	StatusMissing = "missing"
	StatusError   = "error"
)

// Run measures the named sets (every set when names is empty), in table
// order, on the split cfg.Split; on SplitTest only the sets that have a
// test split. A set whose file does not exist gets a missing row, one that
// cannot be read an error row; Run fails only on an unknown set name, a
// set without the split asked for, or a config it cannot use.
func Run(ctx context.Context, cfg Config, names []string) ([]Row, error) {
	if cfg.New == nil {
		return nil, errors.New("evaluate: no analyzer factory")
	}
	split := cfg.Split
	if split == "" {
		split = SplitDev
	}
	if split != SplitDev && split != SplitTest {
		return nil, fmt.Errorf("evaluate: unknown split %q (splits: %s, %s)", cfg.Split, SplitDev, SplitTest)
	}
	sets := Sets()
	if split == SplitTest {
		var withTest []Set
		for _, s := range sets {
			if s.Test != "" {
				withTest = append(withTest, s)
			}
		}
		sets = withTest
	}
	want := map[string]bool{}
	for _, n := range names {
		found := false
		for _, s := range sets {
			if s.Name == n {
				found = true
			}
		}
		switch {
		case !found && slices.Contains(SetNames(), n):
			return nil, fmt.Errorf("evaluate: set %q has no %s split (sets with one: %s)", n, split, strings.Join(TestSetNames(), ", "))
		case !found:
			return nil, fmt.Errorf("evaluate: unknown set %q (sets: %s)", n, strings.Join(SetNames(), ", "))
		}
		want[n] = true
	}
	r := &runner{cfg: cfg}
	var rows []Row
	for _, s := range sets {
		if len(want) > 0 && !want[s.Name] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return rows, err
		}
		rel := s.Path
		if split == SplitTest {
			rel = s.Test
		}
		path := cfg.Paths[s.Name]
		if path == "" && rel != "" {
			path = filepath.Join(cfg.Dir, filepath.FromSlash(rel))
		}
		start := time.Now()
		row, err := s.run(ctx, r, path)
		row.Set = s.Name
		row.Split = split
		row.Seconds = time.Since(start).Seconds()
		switch {
		case errors.Is(err, fs.ErrNotExist):
			row = Row{Set: s.Name, Split: split, Status: StatusMissing, Note: path}
		case err != nil:
			row = Row{Set: s.Name, Split: split, Status: StatusError, Error: err.Error()}
		default:
			row.Status = StatusOK
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// SetNames returns the names of every set, in table order.
func SetNames() []string {
	var out []string
	for _, s := range Sets() {
		out = append(out, s.Name)
	}
	return out
}

// TestSetNames returns the names of the sets that have a test split, in
// table order.
func TestSetNames() []string {
	var out []string
	for _, s := range Sets() {
		if s.Test != "" {
			out = append(out, s.Name)
		}
	}
	return out
}

// runner builds the sentiment analyzer once, when a set first needs it.
type runner struct {
	cfg      Config
	analyzer bot.Analyzer
}

func (r *runner) sentimentAnalyzer() (bot.Analyzer, error) {
	if r.analyzer != nil {
		return r.analyzer, nil
	}
	if r.cfg.Flows == nil {
		return nil, errors.New("no flow file for the sentiment sets")
	}
	a, err := r.cfg.New(r.cfg.Flows)
	if err != nil {
		return nil, err
	}
	r.analyzer = a
	return a, nil
}

func ptr(v float64) *float64 { return &v }

// sentimentRow scores labelled texts in lang.
func (r *runner) sentimentRow(ctx context.Context, data []Labelled, lang string) (Row, error) {
	a, err := r.sentimentAnalyzer()
	if err != nil {
		return Row{}, err
	}
	var c Confusion
	for _, d := range data {
		got := a.Analyze(ctx, bot.AnalyzeInput{Text: d.Text, Lang: lang, Locale: lang})
		c.Add(got.Label, d.Label)
	}
	return Row{
		N:          c.N(),
		Accuracy:   ptr(c.Accuracy()),
		MacroF1:    ptr(c.MacroF1(Negative, Neutral, Positive)),
		NegativeF1: ptr(c.F1(Negative)),
	}, nil
}

func xlmtSet(lang string) func(context.Context, *runner, string) (Row, error) {
	return func(ctx context.Context, r *runner, path string) (Row, error) {
		texts, err := os.Open(path)
		if err != nil {
			return Row{}, err
		}
		defer texts.Close()
		labels, err := os.Open(strings.Replace(path, "_text", "_labels", 1))
		if err != nil {
			return Row{}, err
		}
		defer labels.Close()
		data, err := ReadXLMT(texts, labels)
		if err != nil {
			return Row{}, err
		}
		return r.sentimentRow(ctx, data, lang)
	}
}

func labelledSet(lang string, read func(io.Reader) ([]Labelled, error)) func(context.Context, *runner, string) (Row, error) {
	return func(ctx context.Context, r *runner, path string) (Row, error) {
		data, err := openRead(path, read)
		if err != nil {
			return Row{}, err
		}
		return r.sentimentRow(ctx, data, lang)
	}
}

func ratedSet(lang string) func(context.Context, *runner, string) (Row, error) {
	return func(ctx context.Context, r *runner, path string) (Row, error) {
		data, err := openRead(path, ReadVADER)
		if err != nil {
			return Row{}, err
		}
		a, err := r.sentimentAnalyzer()
		if err != nil {
			return Row{}, err
		}
		scores := make([]float64, len(data))
		ratings := make([]float64, len(data))
		for i, d := range data {
			scores[i] = a.Analyze(ctx, bot.AnalyzeInput{Text: d.Text, Lang: lang, Locale: lang}).Sentiment
			ratings[i] = d.Rating
		}
		row := Row{N: len(data)}
		if p, ok := Pearson(scores, ratings); ok {
			row.Pearson = ptr(p)
		}
		return row, nil
	}
}

// intentFlows builds a flow file with one intent per label of train, in lang.
func intentFlows(train []Labelled, lang string) *flows.File {
	f := &flows.File{
		Version:   1,
		Languages: []string{lang},
		Policy:    flows.DefaultPolicy(),
		Intents:   map[string]*flows.Intent{},
	}
	for _, d := range train {
		in := f.Intents[d.Label]
		if in == nil {
			in = &flows.Intent{Name: d.Label, Examples: map[string][]string{}}
			f.Intents[d.Label] = in
		}
		in.Examples[lang] = append(in.Examples[lang], d.Text)
	}
	return f
}

// scopeRow trains an analyzer on train and reads test (Label "" is out of
// scope) at the flow file's threshold and the config's extra ones.
func (r *runner) scopeRow(ctx context.Context, train, test []Labelled, lang string) (Row, error) {
	f := intentFlows(train, lang)
	start := time.Now()
	a, err := r.cfg.New(f)
	if err != nil {
		return Row{}, err
	}
	trained := time.Since(start)
	results := make([]ScopeResult, len(test))
	for i, d := range test {
		got := a.Analyze(ctx, bot.AnalyzeInput{Text: d.Text, Lang: lang, Locale: lang})
		results[i] = ScopeResult{Got: got.Intent, Score: got.IntentScore, Want: d.Label}
	}
	th := f.Policy.IntentThreshold
	fig := Scope(results, th)
	row := Row{
		N:               len(test),
		Threshold:       ptr(th),
		InScopeAccuracy: ptr(fig.InScopeAccuracy),
		OOSRecall:       ptr(fig.OOSRecall),
	}
	ths := append([]float64(nil), r.cfg.Thresholds...)
	sort.Float64s(ths)
	for _, t := range ths {
		row.Curve = append(row.Curve, Scope(results, t))
	}
	oos := 0
	for _, d := range test {
		if d.Label == "" {
			oos++
		}
	}
	row.Note = fmt.Sprintf("%d intents, %d examples, %d out-of-scope queries; trained in %.1fs", len(f.Intents), len(train), oos, trained.Seconds())
	return row, nil
}

func clincSet(ctx context.Context, r *runner, path string) (Row, error) {
	c, err := openRead(path, ReadCLINC)
	if err != nil {
		return Row{}, err
	}
	test := append([]Labelled(nil), c.Val...)
	for _, d := range c.OOSVal {
		test = append(test, Labelled{Text: d.Text})
	}
	return r.scopeRow(ctx, c.Train, test, "en")
}

// bankingSplit holds every 5th category (alphabetically) out as out of
// scope, and of the other categories keeps every 5th query (in file
// order) for the test.
func bankingSplit(data []Labelled) (train, test []Labelled, heldOut []string) {
	seen := map[string]bool{}
	var cats []string
	for _, d := range data {
		if !seen[d.Label] {
			seen[d.Label] = true
			cats = append(cats, d.Label)
		}
	}
	sort.Strings(cats)
	out := map[string]bool{}
	for i, c := range cats {
		if i%5 == 4 {
			out[c] = true
			heldOut = append(heldOut, c)
		}
	}
	count := map[string]int{}
	for _, d := range data {
		if out[d.Label] {
			test = append(test, Labelled{Text: d.Text})
			continue
		}
		count[d.Label]++
		if count[d.Label]%5 == 0 {
			test = append(test, d)
		} else {
			train = append(train, d)
		}
	}
	return train, test, heldOut
}

func bankingSet(ctx context.Context, r *runner, path string) (Row, error) {
	data, err := openRead(path, ReadBanking77)
	if err != nil {
		return Row{}, err
	}
	train, test, heldOut := bankingSplit(data)
	row, err := r.scopeRow(ctx, train, test, "en")
	if err != nil {
		return Row{}, err
	}
	row.Note += fmt.Sprintf("; held out: %d categories (every 5th alphabetically, from %s)", len(heldOut), heldOut[0])
	return row, nil
}

// frustrated is the mean satisfaction at or below which a turn is frustrated.
const frustrated = 2

func dialogueSet(ctx context.Context, r *runner, path string) (Row, error) {
	turns, err := openRead(path, ReadDialogues)
	if err != nil {
		return Row{}, err
	}
	a, err := r.sentimentAnalyzer()
	if err != nil {
		return Row{}, err
	}
	var d Detection
	n := 0
	for _, t := range turns {
		if t.Role != "USER" || len(t.Ratings) == 0 {
			continue
		}
		n++
		got := a.Analyze(ctx, bot.AnalyzeInput{Text: t.Text, Lang: "en", Locale: "en"})
		d.Add(got.Label == Negative, t.Mean() <= frustrated)
	}
	return Row{
		N:         n,
		Recall:    ptr(d.Recall()),
		Precision: ptr(d.Precision()),
		Note:      fmt.Sprintf("%d frustrated user turns; %d read as negative", d.TP+d.FN, d.TP+d.FP),
	}, nil
}
