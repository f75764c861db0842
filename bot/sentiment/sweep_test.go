package sentiment

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/evaluate"
)

// TestTrainSweep compares training settings by 5-fold cross-validation on
// the train splits (evaluate.ReadSentimentTrain), to choose defaultTrain:
// for each setting it logs the out-of-fold macro-F1 per language with the
// calibration fitted on the same folds, and the dense-only head's. It reads
// no dev or val file. It runs only when CALMBOT_SWEEP is set:
//
//	CALMBOT_SWEEP=1 go test -run TestTrainSweep -v ./bot/sentiment/
func TestTrainSweep(t *testing.T) {
	if os.Getenv("CALMBOT_SWEEP") == "" {
		t.Skip("set CALMBOT_SWEEP=1 to compare training settings")
	}
	texts, err := evaluate.ReadSentimentTrain(evalDir(t))
	if err != nil {
		t.Fatal(err)
	}
	exs := make([]Example, len(texts))
	for i, tx := range texts {
		exs[i] = Example{Text: tx.Text, Lang: tx.Lang, Label: tx.Label}
	}
	type setting struct {
		name string
		set  func(*trainConfig)
	}
	settings := []setting{{"default", func(*trainConfig) {}}}
	// CALMBOT_SWEEP=default measures the defaults alone.
	if os.Getenv("CALMBOT_SWEEP") != "default" {
		for _, l2 := range []float64{3e-4, 3e-3} {
			settings = append(settings, setting{fmt.Sprintf("l2=%g", l2), func(c *trainConfig) { c.l2 = l2 }})
		}
		for _, e := range []int{6, 20} {
			settings = append(settings, setting{fmt.Sprintf("epochs=%d", e), func(c *trainConfig) { c.epochs = e }})
		}
		for _, w := range []float64{1.3, 1.6, 2} {
			settings = append(settings, setting{fmt.Sprintf("negWeight=%g", w), func(c *trainConfig) { c.negWeight = w }})
		}
		for _, g := range []map[string][2]uint32{
			{"en": {3, 5}, "it": {3, 4}, "": {3, 5}},
			{"en": {0, 0}, "it": {3, 5}, "": {3, 5}},
			{"en": {0, 0}, "it": {3, 4}, "": {3, 4}},
			{"en": {0, 0}, "it": {2, 4}, "": {2, 5}},
		} {
			settings = append(settings, setting{fmt.Sprintf("grams=%v", g), func(c *trainConfig) { c.grams = g }})
		}
		settings = append(settings,
			setting{"-freeze", func(c *trainConfig) { c.freeze = false }},
			setting{"-stack", func(c *trainConfig) { c.stack, c.freeze = false, false }},
			setting{"rate=0.1", func(c *trainConfig) { c.rate = 0.1 }},
			setting{"denseRate=0.1", func(c *trainConfig) { c.denseRate = 0.1 }},
		)
	}
	for _, st := range settings {
		cfg := defaultTrain
		st.set(&cfg)
		cal, err := fitCalibration(exs, cfg, &defaultParams)
		if err != nil {
			t.Fatal(err)
		}
		var langs []string
		for l := range cal.cvF1 {
			langs = append(langs, l)
		}
		sort.Strings(langs)
		var parts []string
		mean := 0.0
		for _, l := range langs {
			parts = append(parts, fmt.Sprintf("%s=%.3f%v", l, cal.cvF1[l], cal.full[l]))
			mean += cal.cvF1[l] / float64(len(langs))
		}
		t.Logf("%-40s cv macro-F1 mean=%.4f %s lex=%.3f%v", st.name, mean, strings.Join(parts, " "), cal.lexF1, cal.lex)
	}
}
