package sentiment

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/bot/language"
	"github.com/calmbot/calmbot/evaluate"
)

// devSet is a dev split the sweep measures (never trained on).
type devSet struct {
	name, lang string
	data       []evaluate.Labelled
}

func readDevSets(t *testing.T, dir string) []devSet {
	t.Helper()
	var out []devSet
	for _, s := range evaluate.Sets() {
		path := filepath.Join(dir, s.Path)
		var data []evaluate.Labelled
		var err error
		switch {
		case strings.HasPrefix(s.Name, "xlmt-"):
			var texts, labels *os.File
			if texts, err = os.Open(path); err == nil {
				if labels, err = os.Open(strings.Replace(path, "_text", "_labels", 1)); err == nil {
					data, err = evaluate.ReadXLMT(texts, labels)
					labels.Close()
				}
				texts.Close()
			}
		case s.Name == "germeval2017":
			data, err = readWith(path, evaluate.ReadGermEval)
		case s.Name == "xed-fi":
			data, err = readWith(path, evaluate.ReadXED)
		default:
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, devSet{s.Name, s.Lang, data})
	}
	return out
}

func readWith(path string, read func(io.Reader) ([]evaluate.Labelled, error)) ([]evaluate.Labelled, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return read(f)
}

// TestTrainSweep trains models with other settings on the train splits and
// logs their figures on the dev splits, to choose defaultTrain. It runs
// only when CALMBOT_SWEEP is set:
//
//	CALMBOT_SWEEP=1 go test -run TestTrainSweep -v ./bot/sentiment/
func TestTrainSweep(t *testing.T) {
	if os.Getenv("CALMBOT_SWEEP") == "" {
		t.Skip("set CALMBOT_SWEEP=1 to compare training settings")
	}
	dir := evalDir(t)
	texts, err := evaluate.ReadSentimentTrain(dir)
	if err != nil {
		t.Fatal(err)
	}
	exs := make([]Example, len(texts))
	for i, tx := range texts {
		exs[i] = Example{Text: tx.Text, Lang: tx.Lang, Label: tx.Label}
	}
	dev := readDevSets(t, dir)
	mw, _, err := readMWOZ(filepath.Join(dir, "uss", "MWOZ.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var mwoz []evaluate.Labelled
	for _, tu := range mw {
		l := Neutral
		if tu.frustrated {
			l = Negative
		}
		mwoz = append(mwoz, evaluate.Labelled{Text: tu.text, Label: l})
	}
	dev = append(dev, devSet{"mwoz", "en", mwoz})
	configs := []trainConfig{defaultTrain}
	for _, f := range []func(*trainConfig){
		func(c *trainConfig) { c.l2 = 3e-3 },
		func(c *trainConfig) { c.l2 = 1e-3 },
		func(c *trainConfig) { c.grams = map[string][2]uint32{"en": {0, 0}, "": {3, 4}} },
		func(c *trainConfig) { c.grams = map[string][2]uint32{"en": {0, 0}, "": {3, 4}}; c.l2 = 1e-3 },
		func(c *trainConfig) {
			c.grams = map[string][2]uint32{"en": {0, 0}, "it": {3, 4}, "": {3, 5}}
			c.l2 = 1e-3
		},
	} {
		if os.Getenv("CALMBOT_SWEEP") == "all" {
			break
		}
		c := defaultTrain
		f(&c)
		configs = append(configs, c)
	}
	for _, c := range configs {
		m, err := train(exs, c)
		if err != nil {
			t.Fatal(err)
		}
		for _, dv := range []struct {
			name   string
			decide uint8
			gate   float64
			sure   float32
		}{
			{"-complaint", defaultParams.decide &^ decideComplaint, 0.5, 0.6},
			{"sure 0", defaultParams.decide, 0.5, 0},
			{"sure 0.5", defaultParams.decide, 0.5, 0.5},
			{"sure 0.7", defaultParams.decide, 0.5, 0.7},
			{"all", defaultParams.decide, defaultParams.gate, defaultParams.modelSure},
			{"-negated", defaultParams.decide &^ decideNegated, 0.5, 0.6},
			{"-idiom", defaultParams.decide &^ decideIdiom, 0.5, 0.6},
			{"-question", defaultParams.decide &^ decideQuestion, 0.5, 0.6},
			{"-thanks", defaultParams.decide &^ decideThanks, 0.5, 0.6},
			{"-short", defaultParams.decide &^ decideShort, 0.5, 0.6},
		} {
			s := newScorer(defaultParams)
			s.p.decide, s.p.gate, s.p.modelSure = dv.decide, dv.gate, dv.sure
			if w, err := strconv.Atoi(os.Getenv("CW")); err == nil {
				s.p.complaintWords = w
			}
			if w, err := strconv.ParseFloat(os.Getenv("NEGKEEP"), 32); err == nil {
				s.p.negKeep = map[string]float32{"de": float32(w)}
			}
			s.model = m
			line := ""
			for _, d := range dev {
				conf := map[[2]string]int{}
				for _, x := range d.data {
					_, got := s.Score(x.Text, d.lang)
					conf[[2]string{x.Label, got}]++
				}
				mt := fromConfusion(conf)
				if d.name == "mwoz" {
					neg := conf[[2]string{Neutral, Negative}] + conf[[2]string{Negative, Negative}]
					line += fmt.Sprintf(" mwoz-neg=%.3f", float64(neg)/float64(mt.n))
					continue
				}
				f := mt.macroF1
				if d.name == "germeval2017" {
					f = mt.f1[Negative]
				}
				line += fmt.Sprintf(" %s=%.3f", d.name, f)
			}
			t.Logf("%+v Score %s:%s", c, dv.name, line)
		}
		s := newScorer(defaultParams)
		type pred struct {
			rule float64
			p    [nClasses]float32
			want string
		}
		preds := make([][]pred, len(dev))
		for k, d := range dev {
			for _, x := range d.data {
				toks := language.Split(nil, x.Text)
				r := s.read(toks, x.Text, d.lang)
				preds[k] = append(preds[k], pred{r.value, m.probs(toks, x.Text, d.lang, s.langs[d.lang], &r), x.Label})
			}
		}
		type decider struct {
			name  string
			label func(p pred, lang string) string
		}
		var deciders []decider
		deciders = append(deciders, decider{"argmax", func(p pred, _ string) string { return argmax(p.p, 0) }})
		if os.Getenv("CALMBOT_SWEEP") != "all" {
			goto decide
		}
		for _, g := range []float64{0.2, 0.3, 0.4, 0.5, 0.6} {
			deciders = append(deciders, decider{fmt.Sprintf("gate %.1f", g), func(p pred, lang string) string {
				if math.Abs(p.rule) >= g {
					return s.p.label(p.rule, lang)
				}
				return argmax(p.p, 0)
			}})
			deciders = append(deciders, decider{fmt.Sprintf("gate %.1f zero-neutral", g), func(p pred, lang string) string {
				if math.Abs(p.rule) >= g {
					return s.p.label(p.rule, lang)
				}
				if p.rule == 0 && max(p.p[0], p.p[2]) < 0.6 {
					return Neutral
				}
				return argmax(p.p, 0)
			}})
		}
		for _, k := range []float64{1, 2, 4, 8} {
			deciders = append(deciders, decider{fmt.Sprintf("poe k=%.0f", k), func(p pred, lang string) string {
				var z [nClasses]float32
				for c := range nClasses {
					z[c] = float32(math.Log(float64(p.p[c]) + 1e-6))
				}
				b := s.p.bound(lang)
				z[classNeg] += float32(k * (-p.rule - b))
				z[classPos] += float32(k * (p.rule - b))
				return argmax(softmax(z), 0)
			}})
		}
		for _, q := range []float32{0.3, 0.5} {
			deciders = append(deciders, decider{fmt.Sprintf("rules-or-model q=%.1f", q), func(p pred, lang string) string {
				if s.p.label(p.rule, lang) == Negative && p.p[classPos] < q {
					return Negative
				}
				return argmax(p.p, 0)
			}})
		}
		for _, shift := range []float32{0.5, 1, 1.5} {
			deciders = append(deciders, decider{fmt.Sprintf("neutral+%.1f", shift), func(p pred, _ string) string { return argmax(p.p, shift) }})
		}
		for _, b := range []float64{0.3, 0.5, 0.7} {
			for _, band := range []float64{0.05, 0.1, 0.15, 0.2} {
				deciders = append(deciders, decider{fmt.Sprintf("blend%.1f band%.2f", b, band), func(p pred, _ string) string {
					v := (1-b)*p.rule + b*float64(p.p[classPos]-p.p[classNeg])
					switch {
					case v >= band:
						return Positive
					case v <= -band:
						return Negative
					}
					return Neutral
				}})
			}
		}
	decide:
		for _, dc := range deciders {
			line := ""
			for k, d := range dev {
				conf := map[[2]string]int{}
				for _, p := range preds[k] {
					conf[[2]string{p.want, dc.label(p, d.lang)}]++
				}
				if d.name == "mwoz" {
					neg := conf[[2]string{Neutral, Negative}] + conf[[2]string{Negative, Negative}]
					line += fmt.Sprintf(" mwoz-neg=%.3f", float64(neg)/float64(len(preds[k])))
					continue
				}
				mt := fromConfusion(conf)
				f := mt.macroF1
				if d.name == "germeval2017" {
					f = mt.f1[Negative]
				}
				line += fmt.Sprintf(" %s=%.3f", d.name, f)
			}
			t.Logf("%+v %s:%s", c, dc.name, line)
		}
	}
}

func argmax(p [nClasses]float32, neutralShift float32) string {
	p[classNeu] += neutralShift * p[classNeu]
	best := classNeu
	for c := range nClasses {
		if p[c] > p[best] {
			best = c
		}
	}
	return classLabels[best]
}
