package evaluate

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedFiles adds the testdata/eval files under rel to f.
func seedFiles(f *testing.F, rels ...string) {
	f.Helper()
	for _, rel := range rels {
		data, err := os.ReadFile(filepath.Join("testdata", "eval", filepath.FromSlash(rel)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// validSentiment reports whether every label of data is a sentiment label.
func validSentiment(data []Labelled) bool {
	for _, d := range data {
		if d.Label != Negative && d.Label != Neutral && d.Label != Positive {
			return false
		}
	}
	return true
}

// FuzzReadSentimentSets reads arbitrary bytes as GermEval 2017 and XED
// files, and as XLM-T labels: an error or labelled texts with a sentiment
// label, never a panic.
func FuzzReadSentimentSets(f *testing.F) {
	seedFiles(f, "germeval2017/dev.tsv", "xed/xed_fi_dev.tsv", "xlmt/english_val_labels.txt")
	f.Add([]byte("u\ttext\ttrue\tNEGATIVE\n\n"))
	f.Add([]byte("positive\t\n0\n1\n2\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for name, read := range map[string]func([]byte) ([]Labelled, error){
			"germeval": func(b []byte) ([]Labelled, error) { return ReadGermEval(bytes.NewReader(b)) },
			"xed":      func(b []byte) ([]Labelled, error) { return ReadXED(bytes.NewReader(b)) },
			"xlmt": func(b []byte) ([]Labelled, error) {
				texts := strings.Repeat("a text\n", bytes.Count(b, []byte("\n"))+1)
				return ReadXLMT(strings.NewReader(texts), bytes.NewReader(b))
			},
		} {
			got, err := read(data)
			if err == nil && !validSentiment(got) {
				t.Errorf("%s: labels outside the three classes: %+v", name, got)
			}
		}
	})
}

// FuzzReadRated reads arbitrary bytes as VADER ground truth and as rated
// dialogues: an error or ratings in range, never a panic.
func FuzzReadRated(f *testing.F) {
	seedFiles(f, "vader/amazonReviewSnippets_GroundTruth.txt", "uss/MWOZ.txt")
	f.Add([]byte("USER\thi\t\t1,5\nSYSTEM\thello\t\t\nUSER\tOVERALL\t\t3\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ReadVADER(bytes.NewReader(data)) // an error or ratings: both answers
		turns, err := ReadDialogues(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, tu := range turns {
			for _, r := range tu.Ratings {
				if r < 1 || r > 5 {
					t.Errorf("turn %+v: rating %d outside 1..5", tu, r)
				}
			}
			if m := tu.Mean(); len(tu.Ratings) > 0 && (m < 1 || m > 5) {
				t.Errorf("turn %+v: mean %v outside 1..5", tu, m)
			}
		}
	})
}

// FuzzReadIntentSets reads arbitrary bytes as CLINC150 JSON and Banking77
// CSV: an error or labelled queries, never a panic.
func FuzzReadIntentSets(f *testing.F) {
	seedFiles(f, "clinc150/clinc150_dev.json", "banking77/train.csv")
	f.Add([]byte(`{"train": [["a", "b"]], "val": [["c"]]}`))
	f.Add([]byte("text,category\n\"a,b\",c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := ReadCLINC(bytes.NewReader(data)); err == nil && len(c.Train) == 0 {
			t.Error("ReadCLINC: no error and no train split")
		}
		_, _ = ReadBanking77(bytes.NewReader(data))
	})
}
