package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/calmbot/calmbot/bot/sentiment"
	"github.com/calmbot/calmbot/evaluate"
)

const trainUsage = `Usage: calmbot train sentiment [--data DIR] [--out FILE]

Fits the sentiment model on the train splits of the sentiment sets (never
their val or dev files, which calmbot eval measures) and writes it to FILE,
by default bot/sentiment/model.bin, the file the build embeds. The same data
gives the same file. Train splits read:
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
	model, err := sentiment.Train(exs)
	if err != nil {
		return fmt.Errorf("train sentiment: %w", err)
	}
	if err := os.WriteFile(*out, model, 0o644); err != nil {
		return fmt.Errorf("train sentiment: %w", err)
	}
	fmt.Fprintf(e.stdout, "trained on %d texts from %s; wrote %s (%d bytes)\n", len(exs), dir, *out, len(model))
	return nil
}
