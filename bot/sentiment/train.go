package sentiment

//go:generate go run ../../cmd/calmbot train sentiment --data ../../../shared/data/eval --out model.bin

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/calmbot/calmbot/bot/language"
)

// Example is one labelled text to train the model on.
type Example struct {
	Text string
	// Lang is the language the text is written in.
	Lang string
	// Label is Negative, Neutral or Positive.
	Label string
}

// trainConfig holds the training settings.
type trainConfig struct {
	bits uint32 // 1<<bits hashed buckets
	// grams are the character n-gram lengths per language ("" for the
	// others); {0, 0} is none.
	grams     map[string][2]uint32
	bigrams   bool    // hash word bigrams
	epochs    int     // passes over the examples
	rate      float64 // AdaGrad's learning rate
	l2        float64 // L2 penalty, applied to the weights a text uses
	seed      uint64  // of the shuffle between epochs
	blend     float64 // weight of the model in the value (see model.blend)
	denseRate float64 // learning rate of the dense-only head
	denseL2   float64 // and its L2 penalty
	// stack starts the full head's dense weights at the dense-only head's
	// (fitted first); with freeze they stay there, and the hashed words
	// only correct what the rules' reading gets wrong.
	stack, freeze bool
	// average keeps the mean of the weights after each epoch, which
	// generalises better than the last ones on a few thousand texts.
	average bool
	// negWeight is the weight of a negative example in the loss (the
	// others weigh 1): a missed complaint costs more than a false alarm.
	negWeight float64
	// folds is the number of cross-validation folds over the train
	// examples from which calibrate fits each head's offsets (0 or 1: none).
	folds int
}

// defaultTrain are the settings model.bin is built with. They were chosen
// by cross-validation on the train splits (TestTrainSweep), never by the
// dev splits' figures, which only report the result (calmbot eval).
var defaultTrain = trainConfig{
	bits:      17,
	grams:     map[string][2]uint32{"en": {0, 0}, "it": {3, 4}, "": {3, 5}},
	bigrams:   true,
	epochs:    12,
	rate:      0.2,
	l2:        1e-3,
	seed:      12,
	blend:     0.5,
	denseRate: 0.05,
	denseL2:   1e-4,
	stack:     true,
	freeze:    true,
	average:   true,
	negWeight: 1,
	folds:     5,
}

const (
	trainEps    = 1e-8  // AdaGrad's denominator floor
	quantLevels = 32767 // int16 weights
)

// sample is an Example as the trainer reads it.
type sample struct {
	lang   string
	class  int
	x      [nDense]float32
	hashed []uint32
}

// Trained is a model Train fitted, with what its cross-validation measured.
type Trained struct {
	// Model is the model file, in the format embedded as model.bin.
	Model []byte
	// Folds is the number of cross-validation folds over the train examples.
	Folds int
	// CV is the out-of-fold macro-F1 of each trained language, rules and
	// model together, after calibration; CVOther that of the head for the
	// other languages, over the trained ones.
	CV      map[string]float64
	CVOther float64
	// Offsets are the calibration's shifts of the negative and positive
	// logits per trained language ("" for the other languages' head);
	// {0, 0} where none beat no shift.
	Offsets map[string][2]float32
}

// Train fits the model on exs, calibrates it by cross-validation on exs
// (calibrate.go) and returns it. Give it train splits only: the dev splits
// measure it (calmbot eval). The result depends only on exs and their
// order, so the same data gives the same bytes.
func Train(exs []Example) (Trained, error) {
	m, err := train(exs, defaultTrain)
	if err != nil {
		return Trained{}, err
	}
	cal, err := fitCalibration(exs, defaultTrain, &defaultParams)
	if err != nil {
		return Trained{}, err
	}
	cal.apply(m)
	var buf bytes.Buffer
	if err := m.write(&buf); err != nil {
		return Trained{}, err
	}
	t := Trained{Model: buf.Bytes(), Folds: defaultTrain.folds, CV: cal.cvF1, CVOther: cal.lexF1,
		Offsets: map[string][2]float32{"": cal.lex}}
	for lang, o := range cal.full {
		t.Offsets[lang] = o
	}
	return t, nil
}

// train fits a model on exs with the settings cfg.
func train(exs []Example, cfg trainConfig) (*model, error) {
	if len(exs) == 0 {
		return nil, errors.New("sentiment: no training examples")
	}
	rules := newScorer(defaultParams)
	m := &model{bits: cfg.bits, langs: map[string]int{}, blend: float32(cfg.blend)}
	if cfg.bigrams {
		m.bigrams = 1
	}
	samples := make([]sample, 0, len(exs))
	for i, ex := range exs {
		c := slices.Index(classLabels[:], ex.Label)
		if c < 0 {
			return nil, fmt.Errorf("sentiment: example %d: label %q is not %s, %s or %s", i+1, ex.Label, Negative, Neutral, Positive)
		}
		li, ok := m.langs[ex.Lang]
		if !ok {
			li = len(m.langs)
			m.langs[ex.Lang] = li
			g, ok := cfg.grams[ex.Lang]
			if !ok {
				g = cfg.grams[""]
			}
			m.grams = append(m.grams, g)
		}
		toks := language.Split(nil, ex.Text)
		r := rules.read(toks, ex.Text, ex.Lang)
		sm := sample{lang: ex.Lang, class: c}
		dense(&sm.x, ex.Text, &r)
		sm.hashed = m.hashFeatures(make([]uint32, 0, maxHashed), toks, li, ex.Lang, rules.data(ex.Lang))
		samples = append(samples, sm)
	}
	m.bias = make([][nClasses]float32, len(m.langs))

	trainDense(m, samples, cfg)
	full := trainFull(m, samples, cfg)
	m.scale = full.quantise(m)
	return m, nil
}

// adagrad is one weight vector with AdaGrad's sums of squared gradients.
type adagrad struct {
	w, g []float64
}

func newAdagrad(n int) *adagrad { return &adagrad{w: make([]float64, n), g: make([]float64, n)} }

// step moves weight i down the gradient grad with an L2 penalty.
func (a *adagrad) step(i int, grad, rate, l2 float64) {
	grad += l2 * a.w[i]
	a.g[i] += grad * grad
	a.w[i] -= rate * grad / (math.Sqrt(a.g[i]) + trainEps)
}

// fullWeights are the float weights of the head for trained languages.
type fullWeights struct {
	hashed, dense, bias *adagrad
}

// trainFull fits hashed, dense and per-language bias weights by softmax
// regression with AdaGrad, the examples shuffled before every epoch.
func trainFull(m *model, samples []sample, cfg trainConfig) fullWeights {
	fw := fullWeights{
		hashed: newAdagrad((1 << m.bits) * nClasses),
		dense:  newAdagrad(nDense * nClasses),
		bias:   newAdagrad(len(m.langs) * nClasses),
	}
	denseRate := cfg.rate
	if cfg.stack {
		for i, w := range m.lexDense {
			fw.dense.w[i] = float64(w)
		}
		for li := range m.bias {
			for c := range nClasses {
				fw.bias.w[li*nClasses+c] = float64(m.lexBias[c])
			}
		}
		if cfg.freeze {
			denseRate = 0
		}
	}
	rng := rand.New(rand.NewPCG(cfg.seed, cfg.seed))
	order := make([]int, len(samples))
	for i := range order {
		order[i] = i
	}
	var avg fullWeights
	if cfg.average {
		avg = fullWeights{hashed: newAdagrad(len(fw.hashed.w)), dense: newAdagrad(len(fw.dense.w)), bias: newAdagrad(len(fw.bias.w))}
	}
	for range cfg.epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, k := range order {
			sm := &samples[k]
			li := m.langs[sm.lang]
			wt := 0.0
			if len(sm.hashed) > 0 {
				wt = 1 / math.Sqrt(float64(len(sm.hashed)))
			}
			var z [nClasses]float64
			for c := range nClasses {
				z[c] = fw.bias.w[li*nClasses+c]
				for d, v := range sm.x {
					z[c] += fw.dense.w[d*nClasses+c] * float64(v)
				}
				for _, h := range sm.hashed {
					z[c] += fw.hashed.w[int(h)*nClasses+c] * wt
				}
			}
			p := softmax64(z)
			cw := cfg.classWeight(sm.class)
			for c := range nClasses {
				grad := p[c]
				if c == sm.class {
					grad--
				}
				grad *= cw
				fw.bias.step(li*nClasses+c, grad, cfg.rate, 0)
				for d, v := range sm.x {
					if v != 0 && denseRate > 0 {
						fw.dense.step(d*nClasses+c, grad*float64(v), denseRate, cfg.l2)
					}
				}
				for _, h := range sm.hashed {
					fw.hashed.step(int(h)*nClasses+c, grad*wt, cfg.rate, cfg.l2)
				}
			}
		}
		if cfg.average {
			avg.add(fw, 1/float64(cfg.epochs))
		}
	}
	if cfg.average {
		return avg
	}
	return fw
}

// add adds f times the weights of b to a's.
func (a fullWeights) add(b fullWeights, f float64) {
	for _, p := range [][2]*adagrad{{a.hashed, b.hashed}, {a.dense, b.dense}, {a.bias, b.bias}} {
		for i, w := range p[1].w {
			p[0].w[i] += f * w
		}
	}
}

// quantise stores fw in m, the hashed weights as int16, and returns their scale.
func (fw fullWeights) quantise(m *model) float32 {
	hi := 0.0
	for _, w := range fw.hashed.w {
		hi = max(hi, math.Abs(w))
	}
	scale := hi / quantLevels
	if scale == 0 {
		scale = 1
	}
	m.hashed = make([]byte, 2*len(fw.hashed.w))
	for i, w := range fw.hashed.w {
		binary.LittleEndian.PutUint16(m.hashed[2*i:], uint16(int16(math.Round(w/scale))))
	}
	for i, w := range fw.dense.w {
		m.dense[i] = float32(w)
	}
	for li := range m.bias {
		for c := range nClasses {
			m.bias[li][c] = float32(fw.bias.w[li*nClasses+c])
		}
	}
	return float32(scale)
}

// trainDense fits the dense-only head, for the languages without train
// data, on every language's examples: it learns how the rules' reading
// maps to the labels, whatever the words.
func trainDense(m *model, samples []sample, cfg trainConfig) {
	dw := newAdagrad(nDense * nClasses)
	bw := newAdagrad(nClasses)
	rng := rand.New(rand.NewPCG(cfg.seed+1, cfg.seed+1))
	order := make([]int, len(samples))
	for i := range order {
		order[i] = i
	}
	for range cfg.epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, k := range order {
			sm := &samples[k]
			var z [nClasses]float64
			for c := range nClasses {
				z[c] = bw.w[c]
				for d, v := range sm.x {
					z[c] += dw.w[d*nClasses+c] * float64(v)
				}
			}
			p := softmax64(z)
			cw := cfg.classWeight(sm.class)
			for c := range nClasses {
				grad := p[c]
				if c == sm.class {
					grad--
				}
				grad *= cw
				bw.step(c, grad, cfg.denseRate, 0)
				for d, v := range sm.x {
					if v != 0 {
						dw.step(d*nClasses+c, grad*float64(v), cfg.denseRate, cfg.denseL2)
					}
				}
			}
		}
	}
	for i, w := range dw.w {
		m.lexDense[i] = float32(w)
	}
	for c := range nClasses {
		m.lexBias[c] = float32(bw.w[c])
	}
}

// classWeight is the weight in the loss of an example of class c.
func (cfg *trainConfig) classWeight(c int) float64 {
	if c == classNeg && cfg.negWeight > 0 {
		return cfg.negWeight
	}
	return 1
}

func softmax64(z [nClasses]float64) [nClasses]float64 {
	hi := max(z[0], z[1], z[2])
	sum := 0.0
	for c := range z {
		z[c] = math.Exp(z[c] - hi)
		sum += z[c]
	}
	for c := range z {
		z[c] /= sum
	}
	return z
}
