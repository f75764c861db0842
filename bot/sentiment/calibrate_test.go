package sentiment

import (
	"math/rand/v2"
	"testing"
)

// heldOuts returns n held-out predictions in lang, a third of each class,
// whose model underrates the negative class by shift: a text gets the
// logit 1 for its class and 0 for the others, less shift for a negative
// one, plus noise. With shift 1.5 a negative text reads as neutral or
// positive, and a negative offset between 0.5 and 1 reads it right without
// reading the others as negative.
func heldOuts(lang string, n int, shift float32, seed uint64) []heldOut {
	rng := rand.New(rand.NewPCG(seed, seed))
	hs := make([]heldOut, n)
	for i := range hs {
		c := i % nClasses
		var z [nClasses]float32
		z[c] = 1
		if c == classNeg {
			z[c] -= shift
		}
		for k := range z {
			z[k] += float32(rng.NormFloat64()) * 0.2
		}
		hs[i] = heldOut{lang: lang, class: c, rule: -1, full: z, lex: z,
			r: reading{neg: -1, pos: 1}} // not silent: the model labels it
	}
	return hs
}

func TestFitOffsets(t *testing.T) {
	full := func(h *heldOut) [nClasses]float32 { return h.full }
	t.Run("a real shift is found", func(t *testing.T) {
		hs := heldOuts("en", 900, 1.5, 1)
		o, f := fitOffsets(hs, full, &defaultParams)
		if o[0] < 0.5 || o[0] > 1 {
			t.Errorf("negative offset %.2f, want 0.5..1", o[0])
		}
		if zero := scoreAt(hs, offsets{}, full); f <= zero {
			t.Errorf("calibrated macro-F1 %.3f, not above the uncalibrated %.3f", f, zero)
		}
	})
	t.Run("no shift without a gain", func(t *testing.T) {
		hs := heldOuts("en", 900, 0, 2)
		if o, _ := fitOffsets(hs, full, &defaultParams); o != (offsets{}) {
			t.Errorf("offsets %v for a calibrated model, want none", o)
		}
	})
	t.Run("rules decide", func(t *testing.T) {
		hs := heldOuts("en", 300, 1.5, 3)
		for i := range hs {
			hs[i].rule = hs[i].class // the rules are right: no offset changes a label
		}
		if o, f := fitOffsets(hs, full, &defaultParams); o != (offsets{}) || f != 1 {
			t.Errorf("offsets %v, macro-F1 %.3f where the rules decide every text, want none and 1", o, f)
		}
	})
}

// scoreAt is the macro-F1 of hs with the offsets o.
func scoreAt(hs []heldOut, o offsets, head func(*heldOut) [nClasses]float32) float64 {
	var conf [nClasses][nClasses]int
	for i := range hs {
		conf[hs[i].class][o.label(&hs[i], head(&hs[i]), &defaultParams)]++
	}
	return macroF1(&conf)
}

// TestCalibrateTrainOnly checks that calibration cross-validates on the
// examples it is given: every example is scored by a model that did not
// see it, in its own fold.
func TestCalibrateTrainOnly(t *testing.T) {
	exs := trainExamples()
	cfg := defaultTrain
	hs, err := crossValidate(exs, cfg, &defaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != len(exs) {
		t.Fatalf("%d held-out predictions for %d examples", len(hs), len(exs))
	}
	for i, h := range hs {
		if h.lang != exs[i].Lang || classLabels[h.class] != exs[i].Label {
			t.Errorf("prediction %d is of %s %s, want %s %s", i, h.lang, classLabels[h.class], exs[i].Lang, exs[i].Label)
		}
	}
	cfg.folds = 1
	if _, err := crossValidate(exs, cfg, &defaultParams); err == nil {
		t.Error("cross-validation with one fold succeeded")
	}
}
