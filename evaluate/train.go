package evaluate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// TrainSplit is a train split of the sentiment sets: the only data the
// sentiment model is fitted on (`calmbot train sentiment`). The val, dev
// and test files that Sets measures are never among them.
type TrainSplit struct {
	Lang string
	// Texts and Labels are paths relative to the data directory, in the
	// XLM-T layout (one text, one label 0/1/2 per line).
	Texts, Labels string
}

// SentimentTrainSplits returns the train splits of the sentiment sets.
// GermEval 2017 and XED come as dev files only, so German customer
// feedback and Finnish are measured, never trained on.
func SentimentTrainSplits() []TrainSplit {
	return []TrainSplit{
		{Lang: "en", Texts: "xlmt/english_train_text.txt", Labels: "xlmt/english_train_labels.txt"},
		{Lang: "it", Texts: "xlmt/italian_train_text.txt", Labels: "xlmt/italian_train_labels.txt"},
		{Lang: "de", Texts: "xlmt/german_train_text.txt", Labels: "xlmt/german_train_labels.txt"},
	}
}

// TrainText is a labelled text of a train split, with its language.
type TrainText struct {
	Labelled
	Lang string
}

// MeasuredFiles returns the files, relative to the data directory, that
// the sets measure in either split (texts and, for XLM-T, labels): the
// files that no training may read.
func MeasuredFiles() map[string]bool {
	measured := map[string]bool{}
	for _, s := range Sets() {
		for _, p := range []string{s.Path, s.Test} {
			if p != "" {
				measured[p] = true
				measured[strings.Replace(p, "_text", "_labels", 1)] = true
			}
		}
	}
	return measured
}

// ReadSentimentTrain reads the train splits from dir, split by split in
// SentimentTrainSplits' order. It refuses a file that Sets measures, in
// the dev or the test split.
func ReadSentimentTrain(dir string) ([]TrainText, error) {
	measured := MeasuredFiles()
	var out []TrainText
	for _, sp := range SentimentTrainSplits() {
		if measured[sp.Texts] || measured[sp.Labels] {
			return nil, fmt.Errorf("evaluate: %s is an evaluation file, not a train split", sp.Texts)
		}
		texts, err := os.Open(filepath.Join(dir, filepath.FromSlash(sp.Texts)))
		if err != nil {
			return nil, err
		}
		labels, err := os.Open(filepath.Join(dir, filepath.FromSlash(sp.Labels)))
		if err != nil {
			texts.Close()
			return nil, err
		}
		data, err := ReadXLMT(texts, labels)
		texts.Close()
		labels.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sp.Texts, err)
		}
		for _, d := range data {
			out = append(out, TrainText{Labelled: d, Lang: sp.Lang})
		}
	}
	return out, nil
}
