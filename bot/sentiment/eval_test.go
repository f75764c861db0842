package sentiment

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// evalSet is a labelled development set in /work/shared/data/eval.
type evalSet struct {
	name, lang string
	read       func(dir string) ([]string, []string, error) // texts, labels
}

var xlmtLabels = map[string]string{"0": Negative, "1": Neutral, "2": Positive}

func xlmt(name string) func(string) ([]string, []string, error) {
	return func(dir string) ([]string, []string, error) {
		var texts, labels []string
		for _, split := range []string{"train", "val"} {
			t, err := readLines(filepath.Join(dir, "xlmt", name+"_"+split+"_text.txt"))
			if err != nil {
				return nil, nil, err
			}
			l, err := readLines(filepath.Join(dir, "xlmt", name+"_"+split+"_labels.txt"))
			if err != nil {
				return nil, nil, err
			}
			for i := range min(len(t), len(l)) {
				texts = append(texts, t[i])
				labels = append(labels, xlmtLabels[strings.TrimSpace(l[i])])
			}
		}
		return texts, labels, nil
	}
}

// tsv reads files with the label in column labelCol and the text in textCol.
func tsv(file string, textCol, labelCol int) func(string) ([]string, []string, error) {
	return func(dir string) ([]string, []string, error) {
		lines, err := readLines(filepath.Join(dir, file))
		if err != nil {
			return nil, nil, err
		}
		var texts, labels []string
		for _, line := range lines {
			f := strings.Split(line, "\t")
			if len(f) <= max(textCol, labelCol) {
				continue
			}
			texts = append(texts, f[textCol])
			labels = append(labels, f[labelCol])
		}
		return texts, labels, nil
	}
}

var evalSets = []evalSet{
	{"xlmt-en", "en", xlmt("english")},
	{"xlmt-it", "it", xlmt("italian")},
	{"xlmt-de", "de", xlmt("german")},
	{"germeval2017", "de", tsv("germeval2017/dev.tsv", 1, 3)},
	{"xed-fi", "fi", tsv("xed/xed_fi_dev.tsv", 1, 0)},
}

// TestEval logs accuracy and macro-F1 on the development sets; it is skipped
// when they are absent. Run: go test -run TestEval -v ./bot/sentiment/
func TestEval(t *testing.T) {
	dir := os.Getenv("CALMBOT_EVAL")
	if dir == "" {
		dir = "/work/shared/data/eval"
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no eval data in", dir)
	}
	s := New()
	classes := []string{Negative, Neutral, Positive}
	for _, set := range evalSets {
		t.Run(set.name, func(t *testing.T) {
			texts, labels, err := set.read(dir)
			if err != nil {
				t.Skip(err)
			}
			conf := map[[2]string]int{}
			ok := 0
			for i, text := range texts {
				_, got := s.Score(text, set.lang)
				conf[[2]string{labels[i], got}]++
				if got == labels[i] {
					ok++
				}
			}
			f1 := 0.0
			for _, c := range classes {
				tp := float64(conf[[2]string{c, c}])
				var fp, fn float64
				for _, o := range classes {
					if o != c {
						fp += float64(conf[[2]string{o, c}])
						fn += float64(conf[[2]string{c, o}])
					}
				}
				if tp > 0 {
					p, r := tp/(tp+fp), tp/(tp+fn)
					f1 += 2 * p * r / (p + r)
				}
			}
			f1 /= float64(len(classes))
			acc := float64(ok) / float64(len(texts))
			t.Logf("confusion (want,got): %v", conf)
			t.Logf("%s (%s): n=%d accuracy=%.3f macro-F1=%.3f", set.name, set.lang, len(texts), acc, f1)
			// A floor well under the measured figures: it catches a broken
			// lexicon or rule, not a small change in accuracy.
			if f1 < 0.3 {
				t.Errorf("macro-F1 %.3f < 0.3", f1)
			}
		})
	}
}

func readLines(name string) ([]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out, sc.Err()
}
