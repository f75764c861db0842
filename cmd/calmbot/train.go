package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/calmbot/calmbot/bot/sentiment"
	"github.com/calmbot/calmbot/evaluate"
)

const trainUsage = `Usage: calmbot train sentiment [--data DIR] [--out FILE]

Fits the sentiment model on the train splits of the sentiment sets (never
their val, dev or test files, which calmbot eval measures) and writes it to
FILE, by default bot/sentiment/model.bin, the file the build embeds. Its
class boundaries are calibrated by 5-fold cross-validation on the same train
splits; it prints the out-of-fold macro-F1 and the offsets taken. The same
data gives the same file. Train splits read:
%s
Flags:
`

func (e *env) train(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	data := fs.String("data", "", "eval data `dir` (default ./shared/data/eval or ../shared/data/eval, whichever exists)")
	out := fs.String("out", "bot/sentiment/model.bin", "model `file` to write")
	fs.Usage = func() {
		var list string
		for _, sp := range evaluate.SentimentTrainSplits() {
			list += fmt.Sprintf("  %s  %s, %s\n", sp.Lang, sp.Texts, sp.Labels)
		}
		fmt.Fprintf(fs.Output(), trainUsage, list)
		fs.PrintDefaults()
	}
	if len(args) == 0 || args[0] != "sentiment" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			fs.SetOutput(e.stdout)
			fs.Usage()
			return nil
		}
		fs.Usage()
		return &exitError{code: 2, msg: "train: the model to train is sentiment"}
	}
	rest, err := e.parseFlags(fs, args[1:], "train")
	if err != nil {
		return helpOK(err)
	}
	if len(rest) > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("train sentiment takes no arguments, got %q", rest)}
	}
	dir := evalDataDir(*data)
	texts, err := evaluate.ReadSentimentTrain(dir)
	if err != nil {
		return fmt.Errorf("train sentiment: %w", err)
	}
	exs := make([]sentiment.Example, len(texts))
	for i, t := range texts {
		exs[i] = sentiment.Example{Text: t.Text, Lang: t.Lang, Label: t.Label}
	}
	tr, err := sentiment.Train(exs)
	if err != nil {
		return fmt.Errorf("train sentiment: %w", err)
	}
	if err := os.WriteFile(*out, tr.Model, 0o644); err != nil {
		return fmt.Errorf("train sentiment: %w", err)
	}
	fmt.Fprintf(e.stdout, "trained on %d texts from %s; wrote %s (%d bytes)\n", len(exs), dir, *out, len(tr.Model))
	langs := slices.Sorted(maps.Keys(tr.CV))
	var cv []string
	for _, l := range langs {
		cv = append(cv, fmt.Sprintf("%s %.3f", l, tr.CV[l]))
	}
	fmt.Fprintf(e.stdout, "%d-fold cross-validation on the train splits, macro-F1: %s; other languages' head %.3f\n", tr.Folds, strings.Join(cv, ", "), tr.CVOther)
	var offs []string
	for _, l := range append(langs, "") {
		if o := tr.Offsets[l]; o != [2]float32{} {
			name := l
			if name == "" {
				name = "other"
			}
			offs = append(offs, fmt.Sprintf("%s %+.1f/%+.1f", name, o[0], o[1]))
		}
	}
	if len(offs) == 0 {
		offs = []string{"none (no shift beat none by two standard errors)"}
	}
	fmt.Fprintf(e.stdout, "calibration offsets (negative/positive): %s\n", strings.Join(offs, ", "))
	return nil
}
