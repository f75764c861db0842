package evaluate

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
)

// answersSet is the labelled set of the default flows' knowledge base
// (testdata/answers.tsv), built in so that the row needs no data directory.
//
//go:embed testdata/answers.tsv
var answersSet []byte

// Question is a customer question labelled with the answer it should get
// ("" for a near-miss that belongs to no answer).
type Question struct {
	Lang   string
	Answer string
	Text   string
}

// ReadAnswers reads a set of questions: tab-separated lines of language,
// answer name (- for none) and text; # starts a comment line.
func ReadAnswers(r io.Reader) ([]Question, error) {
	var out []Question
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || strings.TrimSpace(parts[2]) == "" {
			return nil, fmt.Errorf("line %d: want language, answer (or -) and text separated by tabs", n)
		}
		q := Question{Lang: parts[0], Answer: parts[1], Text: parts[2]}
		if q.Answer == "-" {
			q.Answer = ""
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// answersRun measures the flow file's answers on the built-in set, or on
// the file at path when one is given: answer accuracy (the right answer at
// or above the threshold) and out-of-scope recall (near-misses given no
// answer), at policy.intent_threshold and the config's extra thresholds.
func answersRun(ctx context.Context, r *runner, path string) (Row, error) {
	var qs []Question
	var err error
	if path == "" {
		qs, err = ReadAnswers(bytes.NewReader(answersSet))
	} else {
		qs, err = openRead(path, ReadAnswers)
	}
	if err != nil {
		return Row{}, err
	}
	if r.cfg.Flows == nil || len(r.cfg.Flows.Answers) == 0 {
		return Row{}, fmt.Errorf("the flow file has no answers")
	}
	a, err := r.sentimentAnalyzer()
	if err != nil {
		return Row{}, err
	}
	results := make([]ScopeResult, len(qs))
	perLang := map[string][]ScopeResult{}
	concern := 0
	th := r.cfg.Flows.Policy.IntentThreshold
	for i, q := range qs {
		got := a.Analyze(ctx, bot.AnalyzeInput{Text: q.Text, Lang: q.Lang, Locale: q.Lang})
		res := ScopeResult{Got: got.Intent, Score: got.IntentScore}
		if q.Answer != "" {
			res.Want = flows.AnswerPrefix + q.Answer
		}
		if _, ok := flows.IsAnswer(got.Intent); !ok {
			// A concern intent is no answer: the near-miss is left to
			// the flows, out of the knowledge base's scope.
			if q.Answer == "" && got.IntentScore >= th {
				concern++
			}
			res.Score = 0
		}
		results[i] = res
		perLang[q.Lang] = append(perLang[q.Lang], res)
	}
	fig := Scope(results, th)
	row := Row{N: len(qs), Threshold: ptr(th), InScopeAccuracy: ptr(fig.InScopeAccuracy), OOSRecall: ptr(fig.OOSRecall)}
	ths := append([]float64(nil), r.cfg.Thresholds...)
	sort.Float64s(ths)
	for _, t := range ths {
		row.Curve = append(row.Curve, Scope(results, t))
	}
	var langs []string
	for _, l := range r.cfg.Flows.Languages {
		if rs := perLang[l]; len(rs) > 0 {
			f := Scope(rs, th)
			langs = append(langs, fmt.Sprintf("%s %.1f%%/%.1f%%", l, 100*f.InScopeAccuracy, 100*f.OOSRecall))
		}
	}
	oos := 0
	for _, q := range qs {
		if q.Answer == "" {
			oos++
		}
	}
	row.Note = fmt.Sprintf("%d answers; %d questions, %d near-misses (%d of them read as a concern flow's intent); answer accuracy/near-misses left out per language: %s",
		len(r.cfg.Flows.Answers), len(qs)-oos, oos, concern, strings.Join(langs, ", "))
	return row, nil
}
