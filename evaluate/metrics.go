package evaluate

import (
	"math"
	"sort"
)

// Confusion counts predicted against true labels.
type Confusion struct {
	n     int
	right int
	cells map[[2]string]int // [want, got] -> count
}

// Add counts one prediction.
func (c *Confusion) Add(got, want string) {
	if c.cells == nil {
		c.cells = map[[2]string]int{}
	}
	c.n++
	if got == want {
		c.right++
	}
	c.cells[[2]string{want, got}]++
}

// N is the number of predictions counted.
func (c *Confusion) N() int { return c.n }

// Accuracy is the share of right predictions; 0 with none.
func (c *Confusion) Accuracy() float64 {
	if c.n == 0 {
		return 0
	}
	return float64(c.right) / float64(c.n)
}

// Labels returns every label seen, true or predicted, sorted.
func (c *Confusion) Labels() []string {
	seen := map[string]bool{}
	for k := range c.cells {
		seen[k[0]] = true
		seen[k[1]] = true
	}
	out := make([]string, 0, len(seen))
	for l := range seen {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// PRF returns the precision, recall and F1 of label. A ratio with nothing
// to divide by is 0 (no prediction of label: precision 0).
func (c *Confusion) PRF(label string) (precision, recall, f1 float64) {
	var tp, predicted, actual int
	for k, n := range c.cells {
		if k[1] == label {
			predicted += n
		}
		if k[0] == label {
			actual += n
			if k[1] == label {
				tp += n
			}
		}
	}
	return prf(tp, predicted, actual)
}

// F1 returns the F1 of label.
func (c *Confusion) F1(label string) float64 {
	_, _, f1 := c.PRF(label)
	return f1
}

// MacroF1 is the mean F1 over labels; with none given, over every true label.
func (c *Confusion) MacroF1(labels ...string) float64 {
	if len(labels) == 0 {
		seen := map[string]bool{}
		for k := range c.cells {
			if !seen[k[0]] {
				seen[k[0]] = true
				labels = append(labels, k[0])
			}
		}
	}
	if len(labels) == 0 {
		return 0
	}
	sum := 0.0
	for _, l := range labels {
		sum += c.F1(l)
	}
	return sum / float64(len(labels))
}

func prf(tp, predicted, actual int) (precision, recall, f1 float64) {
	if predicted > 0 {
		precision = float64(tp) / float64(predicted)
	}
	if actual > 0 {
		recall = float64(tp) / float64(actual)
	}
	if precision+recall > 0 {
		f1 = 2 * precision * recall / (precision + recall)
	}
	return precision, recall, f1
}

// Detection counts a binary detector's hits (frustrated turns read as
// negative, say).
type Detection struct{ TP, FP, FN, TN int }

// Add counts one case: whether the detector fired and whether it should have.
func (d *Detection) Add(fired, want bool) {
	switch {
	case fired && want:
		d.TP++
	case fired:
		d.FP++
	case want:
		d.FN++
	default:
		d.TN++
	}
}

// Precision is TP / (TP + FP); 0 when the detector never fired.
func (d Detection) Precision() float64 {
	p, _, _ := prf(d.TP, d.TP+d.FP, d.TP+d.FN)
	return p
}

// Recall is TP / (TP + FN); 0 with no positive case.
func (d Detection) Recall() float64 {
	_, r, _ := prf(d.TP, d.TP+d.FP, d.TP+d.FN)
	return r
}

// Pearson returns the correlation of x and y, and false when it is
// undefined: fewer than two pairs, lengths that differ, or a constant series.
func Pearson(x, y []float64) (float64, bool) {
	if len(x) != len(y) || len(x) < 2 {
		return 0, false
	}
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return 0, false
	}
	return sxy / math.Sqrt(sxx*syy), true
}

// ScopeResult is one scored query of an intent set: the intent read, its
// score, and the true intent ("" for an out-of-scope query).
type ScopeResult struct {
	Got   string
	Score float64
	Want  string
}

// ScopeFigures are the intent figures at one threshold.
type ScopeFigures struct {
	Threshold float64 `json:"threshold"`
	// InScopeAccuracy is the share of in-scope queries read as their intent
	// with a score at or above the threshold.
	InScopeAccuracy float64 `json:"in_scope_accuracy"`
	// OOSRecall is the share of out-of-scope queries scored below it.
	OOSRecall float64 `json:"oos_recall"`
}

// Scope computes the figures of results at threshold.
func Scope(results []ScopeResult, threshold float64) ScopeFigures {
	var in, inRight, oos, oosRight int
	for _, r := range results {
		if r.Want == "" {
			oos++
			if r.Score < threshold {
				oosRight++
			}
			continue
		}
		in++
		if r.Got == r.Want && r.Score >= threshold {
			inRight++
		}
	}
	f := ScopeFigures{Threshold: threshold}
	if in > 0 {
		f.InScopeAccuracy = float64(inRight) / float64(in)
	}
	if oos > 0 {
		f.OOSRecall = float64(oosRight) / float64(oos)
	}
	return f
}
