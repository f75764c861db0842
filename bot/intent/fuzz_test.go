package intent

import (
	"bufio"
	"context"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
)

// FuzzAnalyze reads arbitrary text (with an arbitrary conversation language
// and platform locale, with and without offered options) with the analyzer
// of the default flows: it must not panic, and its reading must stay in
// range.
func FuzzAnalyze(f *testing.F) {
	file, err := flows.Load("../../flows.yaml")
	if err != nil {
		f.Fatal(err)
	}
	a, err := New(file)
	if err != nil {
		f.Fatal(err)
	}
	// The first choices state's options, offered when the input asks for them.
	var choices []bot.Choice
	for _, name := range file.FlowNames() {
		fl := file.Flows[name]
		for _, sname := range fl.StateNames() {
			if s := fl.States[sname]; len(choices) == 0 && s.Kind == flows.KindChoices {
				for _, c := range s.Choices {
					choices = append(choices, bot.Choice{ID: c.ID, Label: c.Label["en"].Default})
				}
			}
		}
	}
	if len(choices) == 0 {
		f.Fatal("the default flows offer no options")
	}

	fh, err := os.Open("testdata/paraphrases.tsv")
	if err != nil {
		f.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		cols := strings.SplitN(sc.Text(), "\t", 3)
		if len(cols) == 3 && !strings.HasPrefix(cols[0], "#") {
			f.Add(cols[2], cols[0], "", false)
		}
	}
	if err := sc.Err(); err != nil {
		f.Fatal(err)
	}
	for _, s := range []struct {
		text, lang, locale string
		offer              bool
	}{
		{"", "", "", false},
		{"the second one", "en", "en-GB", true},
		{"no, the first please", "", "en", true},
		{"3", "", "", true},
		{"human please!!!", "xx", "zz-ZZ", false},
		{"\x00\xff\xfe", "", "", true},
		{strings.Repeat("very ", 2000) + "angry", "", "", false},
		{"😡😡😡 NOT OK", "fi", "fi-FI", false},
	} {
		f.Add(s.text, s.lang, s.locale, s.offer)
	}
	f.Fuzz(func(t *testing.T, text, lang, locale string, offer bool) {
		in := bot.AnalyzeInput{Text: text, Lang: lang, Locale: locale}
		if offer {
			in.Choices = choices
		}
		got := a.Analyze(context.Background(), in)
		if !slices.Contains(file.Languages, got.Lang) {
			t.Errorf("Lang = %q, not one of the flows' %q", got.Lang, file.Languages)
		}
		if math.IsNaN(got.Sentiment) || got.Sentiment < -1 || got.Sentiment > 1 {
			t.Errorf("Sentiment = %v, want in [-1, 1]", got.Sentiment)
		}
		if !slices.Contains([]string{"negative", "neutral", "positive"}, got.Label) {
			t.Errorf("Label = %q", got.Label)
		}
		if math.IsNaN(got.IntentScore) || got.IntentScore < 0 || got.IntentScore > 1 {
			t.Errorf("IntentScore = %v, want in [0, 1]", got.IntentScore)
		}
		if _, ok := file.Candidates()[got.Intent]; got.Intent != "" && !ok {
			t.Errorf("Intent = %q, not one of the flows' intents", got.Intent)
		}
		if got.InScope && got.Intent == "" {
			t.Error("InScope without an intent")
		}
		if !slices.Contains([]bot.Answer{bot.AnswerNone, bot.AnswerYes, bot.AnswerNo}, got.Answer) {
			t.Errorf("Answer = %q", got.Answer)
		}
		if got.Choice != "" && !slices.ContainsFunc(in.Choices, func(c bot.Choice) bool { return c.ID == got.Choice }) {
			t.Errorf("Choice = %q, not one of the options offered", got.Choice)
		}
	})
}
