package intent

import (
	"testing"

	"github.com/calmbot/calmbot/bot/sentiment"
)

// TestWithScorer checks that analyzers built WithScorer share the one
// scorer (a flow reload keeps one copy of the lexicons) and read
// sentiment as an analyzer with a scorer of its own does.
func TestWithScorer(t *testing.T) {
	f := testFlows(t)
	s := sentiment.New()
	a1, err := New(f, WithScorer(s))
	if err != nil {
		t.Fatal(err)
	}
	a2, err := New(f, WithScorer(s))
	if err != nil {
		t.Fatal(err)
	}
	own := newTestAnalyzer(t)
	if a1.scorer != s || a2.scorer != s {
		t.Fatal("WithScorer: the analyzers built a scorer of their own")
	}
	if own.scorer == s {
		t.Fatal("New without WithScorer shares a scorer")
	}
	for _, text := range []string{"this is the worst service ever, two weeks late!!", "thank you, that is great"} {
		got, want := analyze(a1, "en", text), analyze(own, "en", text)
		if got.Sentiment != want.Sentiment || got.Label != want.Label {
			t.Errorf("%q: shared scorer %.3f %s, own scorer %.3f %s", text, got.Sentiment, got.Label, want.Sentiment, want.Label)
		}
	}
}
