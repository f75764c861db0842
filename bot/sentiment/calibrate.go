package sentiment

import (
	"fmt"
	"math"
	"slices"

	"github.com/calmbot/calmbot/bot/language"
)

// Calibration. A softmax fitted on tweets puts its class boundaries where
// the tweets' label shares put them, and the rules decide part of the texts
// before the model is asked (decisive, choose). calibrate moves each head's
// boundaries to where the whole pipeline, rules and model, labels best: it
// adds an offset to the negative and the positive class's bias, per trained
// language for the full head and one pair for the dense-only head. The
// offsets are fitted on out-of-fold predictions of the train examples
// (crossValidate), so neither the dev splits nor the texts a model was
// fitted on choose them.

// Offset grid of calibrate: from -offsetRange to offsetRange in offsetStep.
const (
	offsetRange = 2.0
	offsetStep  = 0.1
)

// heldOut is a train example scored by a model fitted without it.
type heldOut struct {
	lang  string
	class int
	r     reading
	// rule is the class the rules give when they decide alone, else -1.
	rule int
	// full and lex are the logits of the language's head and of the
	// dense-only head.
	full, lex [nClasses]float32
}

// crossValidate scores every example of exs with a model trained with cfg
// on the other folds: example i is in fold i%cfg.folds.
func crossValidate(exs []Example, cfg trainConfig, p *params) ([]heldOut, error) {
	if cfg.folds < 2 {
		return nil, fmt.Errorf("sentiment: cross-validation with %d folds", cfg.folds)
	}
	rules := newScorer(*p)
	out := make([]heldOut, len(exs))
	var rest []Example
	for k := range cfg.folds {
		rest = rest[:0]
		for i, ex := range exs {
			if i%cfg.folds != k {
				rest = append(rest, ex)
			}
		}
		m, err := train(rest, cfg)
		if err != nil {
			return nil, fmt.Errorf("sentiment: fold %d: %w", k+1, err)
		}
		for i := k; i < len(exs); i += cfg.folds {
			ex := exs[i]
			toks := language.Split(nil, ex.Text)
			r := rules.read(toks, ex.Text, ex.Lang)
			h := heldOut{lang: ex.Lang, class: slices.Index(classLabels[:], ex.Label), r: r, rule: -1}
			if r.decisive(p) {
				h.rule = slices.Index(classLabels[:], p.label(r.value, ex.Lang))
			}
			h.full = m.logits(toks, ex.Text, ex.Lang, rules.data(ex.Lang), &r)
			var x [nDense]float32
			dense(&x, ex.Text, &r)
			h.lex = m.lexLogits(&x)
			out[i] = h
		}
	}
	return out, nil
}

// offsets are the shifts of the negative and positive logits of a head.
type offsets [2]float32

// label returns the class the pipeline gives h with the logits z shifted by o.
func (o offsets) label(h *heldOut, z [nClasses]float32, p *params) int {
	if h.rule >= 0 {
		return h.rule
	}
	z[classNeg] += o[0]
	z[classPos] += o[1]
	return p.choose(&h.r, softmax(z), h.lang)
}

// macroF1 returns the macro-F1 over the three classes of a confusion
// matrix counted [want][got].
func macroF1(conf *[nClasses][nClasses]int) float64 {
	sum := 0.0
	for c := range nClasses {
		tp := conf[c][c]
		var predicted, actual int
		for o := range nClasses {
			predicted += conf[o][c]
			actual += conf[c][o]
		}
		if tp > 0 {
			prec, rec := float64(tp)/float64(predicted), float64(tp)/float64(actual)
			sum += 2 * prec * rec / (prec + rec)
		}
	}
	return sum / nClasses
}

// fitOffsets returns the offsets that give hs, labelled with the logits
// picked by head, the best mean macro-F1 over their languages, and that
// figure. A shift must be worth it: the figure of an offset is the mean
// over its neighbours on the grid (one step each way), which keeps a
// lucky spike from being chosen, and an offset that does not beat no
// shift by two standard errors of the figure (sqrt(f(1-f)/n) for n texts
// per language) is not taken. Of equal figures it keeps the smallest shift.
func fitOffsets(hs []heldOut, head func(*heldOut) [nClasses]float32, p *params) (offsets, float64) {
	langs := map[string]int{}
	for _, h := range hs {
		if _, ok := langs[h.lang]; !ok {
			langs[h.lang] = len(langs)
		}
	}
	score := func(o offsets) float64 {
		conf := make([][nClasses][nClasses]int, len(langs))
		for i := range hs {
			h := &hs[i]
			conf[langs[h.lang]][h.class][o.label(h, head(h), p)]++
		}
		sum := 0.0
		for i := range conf {
			sum += macroF1(&conf[i])
		}
		return sum / float64(len(conf))
	}
	steps := int(math.Round(offsetRange / offsetStep))
	side := 2*steps + 3 // the grid and a border for the neighbours
	raw := make([]float64, side*side)
	for i := range side {
		for j := range side {
			raw[i*side+j] = score(offsets{float32(i-steps-1) * offsetStep, float32(j-steps-1) * offsetStep})
		}
	}
	smooth := func(i, j int) float64 {
		sum := 0.0
		for di := -1; di <= 1; di++ {
			for dj := -1; dj <= 1; dj++ {
				sum += raw[(i+di)*side+j+dj]
			}
		}
		return sum / 9
	}
	zero := raw[(steps+1)*side+steps+1]
	best, bestSmooth := offsets{}, smooth(steps+1, steps+1)
	for i := 1; i < side-1; i++ {
		for j := 1; j < side-1; j++ {
			o := offsets{float32(i-steps-1) * offsetStep, float32(j-steps-1) * offsetStep}
			f := smooth(i, j)
			if f > bestSmooth+1e-9 || (f > bestSmooth-1e-9 && abs32(o[0])+abs32(o[1]) < abs32(best[0])+abs32(best[1])) {
				best, bestSmooth = o, f
			}
		}
	}
	n := float64(len(hs)) / float64(len(langs))
	if se := math.Sqrt(zero * (1 - zero) / n); bestSmooth-zero < 2*se {
		return offsets{}, zero
	}
	return best, score(best)
}

func abs32(v float32) float32 { return float32(math.Abs(float64(v))) }

// calibration holds the offsets calibrate fits.
type calibration struct {
	full map[string]offsets // per trained language
	lex  offsets
	// cvF1 is the out-of-fold macro-F1 per trained language with the
	// offsets, and lexF1 the dense-only head's mean over the languages.
	cvF1  map[string]float64
	lexF1 float64
}

// fitCalibration cross-validates cfg on exs (the examples a model is
// trained on) and fits the offsets of each head on the held-out
// predictions; apply adds them to the model's biases.
func fitCalibration(exs []Example, cfg trainConfig, p *params) (calibration, error) {
	hs, err := crossValidate(exs, cfg, p)
	if err != nil {
		return calibration{}, err
	}
	byLang := map[string][]heldOut{}
	for _, h := range hs {
		byLang[h.lang] = append(byLang[h.lang], h)
	}
	cal := calibration{full: map[string]offsets{}, cvF1: map[string]float64{}}
	for lang, hl := range byLang {
		cal.full[lang], cal.cvF1[lang] = fitOffsets(hl, func(h *heldOut) [nClasses]float32 { return h.full }, p)
	}
	cal.lex, cal.lexF1 = fitOffsets(hs, func(h *heldOut) [nClasses]float32 { return h.lex }, p)
	return cal, nil
}

// apply adds the offsets to m's biases.
func (cal calibration) apply(m *model) {
	for lang, li := range m.langs {
		o := cal.full[lang]
		m.bias[li][classNeg] += o[0]
		m.bias[li][classPos] += o[1]
	}
	m.lexBias[classNeg] += cal.lex[0]
	m.lexBias[classPos] += cal.lex[1]
}
