package sentiment

import (
	"fmt"
	"maps"
	"os"
	"slices"
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

// TestDecisionSweep compares the settings of the decision between rules
// and model (params: gate, modelSure, negKeep, the decisive readings,
// shortText, the neutral bands) on the out-of-fold predictions of the
// train splits, with the default training settings. Like TestTrainSweep
// it reads no dev or val file, and runs only when CALMBOT_SWEEP is set:
//
//	CALMBOT_SWEEP=1 go test -run TestDecisionSweep -v ./bot/sentiment/
func TestDecisionSweep(t *testing.T) {
	if os.Getenv("CALMBOT_SWEEP") == "" {
		t.Skip("set CALMBOT_SWEEP=1 to compare decision settings")
	}
	texts, err := evaluate.ReadSentimentTrain(evalDir(t))
	if err != nil {
		t.Fatal(err)
	}
	exs := make([]Example, len(texts))
	for i, tx := range texts {
		exs[i] = Example{Text: tx.Text, Lang: tx.Lang, Label: tx.Label}
	}
	hs, err := crossValidate(exs, defaultTrain, &defaultParams)
	if err != nil {
		t.Fatal(err)
	}
	type variant struct {
		name string
		set  func(*params)
	}
	vs := []variant{{"default", func(*params) {}}}
	for _, g := range []float64{0.3, 0.4, 0.6, 0.7} {
		vs = append(vs, variant{fmt.Sprintf("gate=%.1f", g), func(p *params) { p.gate = g }})
	}
	for _, ms := range []float32{0, 0.4, 0.6, 0.7} {
		vs = append(vs, variant{fmt.Sprintf("modelSure=%.1f", ms), func(p *params) { p.modelSure = ms }})
	}
	for _, d := range []struct {
		name string
		bit  uint8
	}{{"negated", decideNegated}, {"idiom", decideIdiom}, {"question", decideQuestion}, {"thanks", decideThanks}, {"short", decideShort}, {"complaint", decideComplaint}} {
		vs = append(vs, variant{"-decide " + d.name, func(p *params) { p.decide &^= d.bit }})
	}
	for _, n := range []int{2, 6} {
		vs = append(vs, variant{fmt.Sprintf("shortText=%d", n), func(p *params) { p.shortText = n }})
	}
	for _, k := range []float32{0.3, 2} {
		vs = append(vs, variant{fmt.Sprintf("negKeep.de=%.1f", k), func(p *params) { p.negKeep = map[string]float32{"de": k} }})
	}
	for _, lang := range []string{"en", "it", "de"} {
		for _, b := range []float64{0.04, 0.12, 0.28} {
			vs = append(vs, variant{fmt.Sprintf("boundary.%s=%.2f", lang, b), func(p *params) {
				p.boundary = maps.Clone(p.boundary)
				p.boundary[lang] = b
			}})
		}
	}
	for _, v := range vs {
		p := defaultParams
		v.set(&p)
		conf := map[string]*[nClasses][nClasses]int{}
		for i := range hs {
			h := hs[i]
			if conf[h.lang] == nil {
				conf[h.lang] = &[nClasses][nClasses]int{}
			}
			h.rule = -1
			if h.r.decisive(&p) {
				h.rule = slices.Index(classLabels[:], p.label(h.r.value, h.lang))
			}
			conf[h.lang][h.class][offsets{}.label(&h, h.full, &p)]++
		}
		line, mean := "", 0.0
		for _, l := range []string{"de", "en", "it"} {
			f := macroF1(conf[l])
			mean += f / 3
			line += fmt.Sprintf(" %s=%.3f", l, f)
		}
		t.Logf("%-20s cv macro-F1 mean=%.4f%s", v.name, mean, line)
	}
}
