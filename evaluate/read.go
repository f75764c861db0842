// Package evaluate measures calmbot's language layer on labelled data: it
// reads the evaluation sets described in ../shared/data/README.md, runs a
// bot.Analyzer over them and computes accuracy, macro-F1, per-class F1,
// Pearson r, in-scope accuracy and out-of-scope recall.
//
// The data is never shipped with calmbot: Run reads it from a directory
// given at run time and reports a set whose files are absent as missing.
package evaluate

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Sentiment labels.
const (
	Negative = "negative"
	Neutral  = "neutral"
	Positive = "positive"
)

// Labelled is a text with its label: a sentiment or an intent.
type Labelled struct {
	Text  string
	Label string
}

// Rated is a text with a mean human rating.
type Rated struct {
	Text   string
	Rating float64
}

// Turn is one turn of a rated dialogue.
type Turn struct {
	Dialogue int    // 0-based position of the dialogue in the file
	Role     string // USER or SYSTEM
	Text     string
	Ratings  []int // the raters' satisfaction, 1..5; none for system turns
}

// Mean returns the mean of the turn's ratings, or 0 with none.
func (t Turn) Mean() float64 {
	if len(t.Ratings) == 0 {
		return 0
	}
	sum := 0
	for _, r := range t.Ratings {
		sum += r
	}
	return float64(sum) / float64(len(t.Ratings))
}

// CLINC holds the splits of the CLINC150 development file.
type CLINC struct {
	Train    []Labelled `json:"train"`
	Val      []Labelled `json:"val"`
	OOSTrain []Labelled `json:"oos_train"`
	OOSVal   []Labelled `json:"oos_val"`
}

// UnmarshalJSON reads an item [text, intent].
func (l *Labelled) UnmarshalJSON(data []byte) error {
	var pair []string
	if err := json.Unmarshal(data, &pair); err != nil {
		return err
	}
	if len(pair) != 2 {
		return fmt.Errorf("want [text, intent], got %d items", len(pair))
	}
	l.Text, l.Label = pair[0], pair[1]
	return nil
}

// ReadCLINC reads CLINC150's JSON: {"train": [[text, intent], ...], "val",
// "oos_train", "oos_val"}.
func ReadCLINC(r io.Reader) (*CLINC, error) {
	var c CLINC
	if err := json.NewDecoder(r).Decode(&c); err != nil {
		return nil, fmt.Errorf("read clinc150: %w", err)
	}
	if len(c.Train) == 0 {
		return nil, errors.New("read clinc150: no train split")
	}
	return &c, nil
}

// ReadXLMT reads XLM-T tweets: one text per line of texts and the label
// (0 negative, 1 neutral, 2 positive) on the same line of labels.
func ReadXLMT(texts, labels io.Reader) ([]Labelled, error) {
	ts, err := readLines(texts)
	if err != nil {
		return nil, fmt.Errorf("read xlm-t texts: %w", err)
	}
	ls, err := readLines(labels)
	if err != nil {
		return nil, fmt.Errorf("read xlm-t labels: %w", err)
	}
	for len(ls) > 0 && strings.TrimSpace(ls[len(ls)-1]) == "" {
		ls = ls[:len(ls)-1]
	}
	if len(ts) < len(ls) {
		return nil, fmt.Errorf("read xlm-t: %d labels but %d texts", len(ls), len(ts))
	}
	names := map[string]string{"0": Negative, "1": Neutral, "2": Positive}
	out := make([]Labelled, 0, len(ls))
	for i, l := range ls {
		name, ok := names[strings.TrimSpace(l)]
		if !ok {
			return nil, fmt.Errorf("read xlm-t: label line %d: %q is not 0, 1 or 2", i+1, l)
		}
		out = append(out, Labelled{Text: ts[i], Label: name})
	}
	return out, nil
}

// ReadGermEval reads GermEval 2017: url<TAB>text<TAB>relevance<TAB>sentiment[<TAB>aspects].
func ReadGermEval(r io.Reader) ([]Labelled, error) {
	return readTSV(r, "germeval2017", 4, 1, 3)
}

// ReadXED reads XED's mapped file: label<TAB>text.
func ReadXED(r io.Reader) ([]Labelled, error) {
	return readTSV(r, "xed", 2, 1, 0)
}

func readTSV(r io.Reader, name string, minCols, textCol, labelCol int) ([]Labelled, error) {
	lines, err := readLines(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	var out []Labelled
	for i, line := range lines {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < minCols {
			return nil, fmt.Errorf("read %s: line %d: %d columns, want at least %d", name, i+1, len(f), minCols)
		}
		label := strings.ToLower(strings.TrimSpace(f[labelCol]))
		switch label {
		case Negative, Neutral, Positive:
		default:
			return nil, fmt.Errorf("read %s: line %d: unknown label %q", name, i+1, f[labelCol])
		}
		out = append(out, Labelled{Text: f[textCol], Label: label})
	}
	return out, nil
}

// ReadVADER reads a VADER ground-truth file: id<TAB>mean<TAB>text.
func ReadVADER(r io.Reader) ([]Rated, error) {
	lines, err := readLines(r)
	if err != nil {
		return nil, fmt.Errorf("read vader: %w", err)
	}
	var out []Rated
	for i, line := range lines {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 {
			return nil, fmt.Errorf("read vader: line %d: want id<TAB>mean<TAB>text", i+1)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(f[1]), 64)
		if err != nil {
			return nil, fmt.Errorf("read vader: line %d: %w", i+1, err)
		}
		out = append(out, Rated{Text: f[2], Rating: v})
	}
	return out, nil
}

// ReadBanking77 reads Banking77's CSV: a header, then text,category.
func ReadBanking77(r io.Reader) ([]Labelled, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 2
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read banking77: %w", err)
	}
	if head[0] != "text" || head[1] != "category" {
		return nil, fmt.Errorf("read banking77: header %q, want text,category", head)
	}
	var out []Labelled
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read banking77: %w", err)
		}
		out = append(out, Labelled{Text: rec[0], Label: rec[1]})
	}
}

// ReadDialogues reads rated dialogues (the user-satisfaction MultiWOZ file):
// role<TAB>text<TAB>action<TAB>ratings, a blank line between dialogues;
// ratings are comma-separated 1..5. The USER "OVERALL" line rates a whole
// dialogue and is skipped.
func ReadDialogues(r io.Reader) ([]Turn, error) {
	lines, err := readLines(r)
	if err != nil {
		return nil, fmt.Errorf("read dialogues: %w", err)
	}
	var out []Turn
	dialogue, inDialogue := 0, false
	for i, line := range lines {
		if strings.TrimSpace(line) == "" {
			if inDialogue {
				dialogue++
				inDialogue = false
			}
			continue
		}
		inDialogue = true
		f := strings.Split(line, "\t")
		if len(f) < 2 {
			return nil, fmt.Errorf("read dialogues: line %d: want role<TAB>text<TAB>action<TAB>ratings", i+1)
		}
		if f[1] == "OVERALL" {
			continue
		}
		t := Turn{Dialogue: dialogue, Role: f[0], Text: f[1]}
		if len(f) >= 4 && strings.TrimSpace(f[3]) != "" {
			for _, s := range strings.Split(f[3], ",") {
				v, err := strconv.Atoi(strings.TrimSpace(s))
				if err != nil || v < 1 || v > 5 {
					return nil, fmt.Errorf("read dialogues: line %d: rating %q is not 1..5", i+1, s)
				}
				t.Ratings = append(t.Ratings, v)
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// readLines returns r's lines without their line endings.
func readLines(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	var out []string
	for sc.Scan() {
		out = append(out, strings.TrimSuffix(sc.Text(), "\r"))
	}
	return out, sc.Err()
}

// openRead opens path and reads it with read.
func openRead[T any](path string, read func(io.Reader) (T, error)) (T, error) {
	fh, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer fh.Close()
	return read(fh)
}
