package intent

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/language"
	"github.com/calmbot/calmbot/flows"
)

// TestTrainingIsDeterministic checks that the same flow file always gives
// the same scores.
func TestTrainingIsDeterministic(t *testing.T) {
	a, b := newDefaultAnalyzer(t), newDefaultAnalyzer(t)
	for _, text := range []string{"my parcel never came", "il pacco è arrivato rotto", "hello there", "Ich werde Sie verklagen"} {
		ga := a.Analyze(context.Background(), bot.AnalyzeInput{Text: text})
		gb := b.Analyze(context.Background(), bot.AnalyzeInput{Text: text})
		if ga.Intent != gb.Intent || ga.IntentScore != gb.IntentScore {
			t.Errorf("%q: %s %v, then %s %v", text, ga.Intent, ga.IntentScore, gb.Intent, gb.IntentScore)
		}
	}
	if a.TrainTime() <= 0 {
		t.Errorf("train time %v", a.TrainTime())
	}
}

// TestUnknownWordsLowerTheScore checks that words no example has make a
// turn less sure, and that a turn of unknown words only is out of scope.
func TestUnknownWordsLowerTheScore(t *testing.T) {
	a := newDefaultAnalyzer(t)
	plain := analyze(a, "en", "my parcel has not arrived")
	padded := analyze(a, "en", "my parcel has not arrived, zebra xylophone quantum pineapple")
	if plain.Intent != "late_delivery" || padded.IntentScore >= plain.IntentScore {
		t.Errorf("plain %s %.2f, padded %s %.2f: want late_delivery, padded lower", plain.Intent, plain.IntentScore, padded.Intent, padded.IntentScore)
	}
	// Only a few of their letters are known.
	if got := analyze(a, "en", "zebra xylophone quantum"); got.InScope || got.IntentScore > 0.2 {
		t.Errorf("unknown words: %s %.2f in scope %v, want a score under 0.2", got.Intent, got.IntentScore, got.InScope)
	}
}

func TestNoIntents(t *testing.T) {
	a, err := New(&flows.File{Languages: []string{"en"}, Policy: flows.DefaultPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	if got := analyze(a, "en", "my parcel has not arrived"); got.Intent != "" || got.InScope {
		t.Errorf("no intents: %+v", got)
	}
}

func TestScore(t *testing.T) {
	tests := []struct {
		name     string
		p, known float64
		k        int
		want     float64
	}{
		{"at chance", 0.5, 1, 2, 0},
		{"nothing known", 0.9, 0, 7, 0},
		{"certain", 1, 1, 7, 1},
		{"the threshold point", scoreAt, 1, 1 << 30, 0.5},
		// One intent: nothing to tell apart, the known share decides.
		{"one intent, all known", 1, 1, 1, 1},
		{"one intent, nothing known", 1, 0, 1, 0},
		{"one intent, threshold point", 1, scoreAt, 1, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := score(tt.p, tt.known, tt.k); math.Abs(got-tt.want) > 1e-6 {
				t.Errorf("score(%v, %v, %d) = %v, want %v", tt.p, tt.known, tt.k, got, tt.want)
			}
		})
	}
	if score(0.6, 0.5, 7) >= score(0.6, 1, 7) || score(0.4, 1, 7) >= score(0.6, 1, 7) {
		t.Error("score does not grow with probability and known share")
	}
}

// TestIntentScore checks the intents' reading's shaped known share: its
// square root above the knee, so that a turn with a few unknown names
// keeps most of its score, and linear below it, so that a lone weak word
// stays out of scope.
func TestIntentScore(t *testing.T) {
	tests := []struct {
		name     string
		p, known float64
		k        int
		want     float64
	}{
		{"at chance", 0.5, 1, 2, 0},
		{"nothing known", 0.9, 0, 7, 0},
		{"certain", 1, 1, 7, 1},
		{"the threshold point", intentScoreAt, 1, 1 << 30, 0.5},
		{"one intent, all known", 1, 1, 1, 1},
		{"one intent, nothing known", 1, 0, 1, 0},
		{"one intent, more than known", 1, 2, 1, 1},
		// The share's square root above the knee...
		// intentScoreAt is under the knee's square root: the threshold
		// point is on the linear part.
		{"one intent, threshold point", 1, intentScoreAt * math.Sqrt(knownKnee), 1, 0.5},
		{"one intent, at the knee", 1, knownKnee, 1, mapEvidence(math.Sqrt(knownKnee), intentScoreAt)},
		// ... and linear below it.
		{"one intent, below the knee", 1, knownKnee / 4, 1, mapEvidence(math.Sqrt(knownKnee)/4, intentScoreAt)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := intentScore(tt.p, tt.known, tt.k); math.Abs(got-tt.want) > 1e-6 {
				t.Errorf("intentScore(%v, %v, %d) = %v, want %v", tt.p, tt.known, tt.k, got, tt.want)
			}
		})
	}
	// A turn of a few unknown names among known words scores higher than
	// in the joint reading (TestWeakEvidence checks lone weak words).
	if intentScore(0.9, 0.6, 150) <= score(0.9, 0.6, 150) {
		t.Errorf("known share 0.6: intentScore %v, score %v: want the intents' reading higher", intentScore(0.9, 0.6, 150), score(0.9, 0.6, 150))
	}
	if intentScore(0.6, 0.5, 7) >= intentScore(0.6, 1, 7) || intentScore(0.4, 1, 7) >= intentScore(0.6, 1, 7) {
		t.Error("intentScore does not grow with probability and known share")
	}
}

func TestTable(t *testing.T) {
	m := map[uint64]int32{0: 7, 1 << 40: 1, 12345: 2, 99: 3}
	tb := newTable(m)
	for h, want := range map[uint64]int32{1 << 40: 1, 12345: 2, 99: 3, 5: -1, 1<<40 + 1: -1} {
		if got := tb.get(h); got != want {
			t.Errorf("get(%d) = %d, want %d", h, got, want)
		}
	}
	if got := newTable(nil).get(42); got != -1 {
		t.Errorf("empty table: %d", got)
	}
}

// BenchmarkClassify is the intent classifier's share of Analyze.
func BenchmarkClassify(b *testing.B) {
	a := newTestAnalyzer(b)
	toks := language.Split(nil, "I ordered a new phone two weeks ago and my parcel still hasn't arrived, this is ridiculous!")
	sc := new(scratch)
	b.ReportAllocs()
	for b.Loop() {
		a.clf.classify(sc, toks, "en", a.tables["en"], true)
	}
}

// TestPrecomputedWords checks that reading a turn with the examples' words
// precomputed (their character n-grams summed once at training) gives the
// scores of reading every n-gram, for short turns, turns with unknown
// words and a turn too long for the feature buffer.
func TestPrecomputedWords(t *testing.T) {
	a := newDefaultAnalyzer(t)
	long := strings.Repeat("my parcel still hasn't arrived and the tracking says nothing at all ", 12)
	texts := []struct{ lang, text string }{
		{"en", "I ordered a new phone two weeks ago and my parcel still hasn't arrived, this is ridiculous!"},
		{"en", "how much does shipping to Austria cost?"},
		{"en", "zebra xylophone parcel"},
		{"it", "il pacco è arrivato rotto"},
		{"de", "Ich werde Sie verklagen"},
		{"fi", "tilaukseni ei ole saapunut"},
		{"en", long},
	}
	c := a.clf
	for _, tt := range texts {
		toks := language.Split(nil, tt.text)
		tab := a.tables[tt.lang]
		got := c.classify(new(scratch), toks, tt.lang, tab, true)
		saved := c.words
		c.words = nil
		want := c.classify(new(scratch), toks, tt.lang, tab, true)
		c.words = saved
		if got.intent != want.intent || got.joint != want.joint ||
			math.Abs(got.score-want.score) > 1e-4 || math.Abs(got.jointScore-want.jointScore) > 1e-4 {
			t.Errorf("%q: precomputed %+v, every n-gram %+v", tt.text, got, want)
		}
	}
}
