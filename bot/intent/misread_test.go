package intent

import (
	"context"
	"os"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
)

func newDefaultAnalyzer(t testing.TB) *Analyzer {
	t.Helper()
	const path = "../../flows.yaml"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := flows.Parse(path, data)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	a, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestWeakEvidence checks that one weak or shared word is no intent, while
// one distinctive word alone is.
func TestWeakEvidence(t *testing.T) {
	a := newDefaultAnalyzer(t)
	tests := []struct {
		lang, text, want string // want "" is out of scope
	}{
		{"en", "two", ""},
		{"en", "same", ""},
		{"en", "wrong", ""},
		{"en", "nothing else", ""},
		{"en", "the same again", ""},
		{"it", "tutto a posto", ""},
		{"it", "due", ""},
		{"de", "zwei", ""},
		{"de", "alles gut", ""},
		{"fi", "ei, siinä kaikki", ""},
		{"fi", "sama", ""},
		{"de", "geht", ""},  // issue 12: read as legal_threat ("Das geht vor Gericht")
		{"de", "gehen", ""}, // a verb of every matter
		{"en", "lawyer", "legal_threat"},
		{"de", "kaputt", "damaged_item"},
		{"en", "wrong size", "wrong_item"},
		{"de", "Mein Paket ist kaputt angekommen, eine Frechheit", "damaged_item"},
		{"it", "il mio pacco è arrivato rotto", "damaged_item"},
		{"fi", "paketti tuli rikki", "damaged_item"},
		{"en", "my parcel arrived broken", "damaged_item"},
		{"en", "out of stok", "out_of_stock"},                // a typo
		{"de", "wo bleibt meine bestelung", "late_delivery"}, // a typo
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			got := analyze(a, tt.lang, tt.text)
			if tt.want == "" {
				if got.InScope {
					t.Errorf("%q: in scope as %s (%.2f), want out of scope", tt.text, got.Intent, got.IntentScore)
				}
				return
			}
			if got.Intent != tt.want || !got.InScope {
				t.Errorf("%q: intent %q %.2f in scope %v, want %q", tt.text, got.Intent, got.IntentScore, got.InScope, tt.want)
			}
		})
	}
}

// TestCrossLanguage checks that a word of another language's examples is
// weaker evidence than one of the turn's own language.
func TestCrossLanguage(t *testing.T) {
	f := &flows.File{
		Languages:       []string{"en", "it", "de", "fi"},
		DefaultLanguage: "en",
		Policy:          flows.DefaultPolicy(),
		Intents: map[string]*flows.Intent{
			"lost": {Examples: map[string][]string{
				"de": {"Die Post hat mein Paket verloren", "Post verloren"},
				"en": {"the post office lost my parcel"},
			}},
			"delete": {Examples: map[string][]string{
				"fi": {"Poistakaa kaikki tietoni"},
				"en": {"delete all my data"},
			}},
		},
	}
	a, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang, text, want string
	}{
		{"it", "tutto a posto", ""},    // Italian "posto" is not German "Post"
		{"fi", "ei, siinä kaikki", ""}, // "kaikki" is weak
		{"de", "Post verloren", "lost"},
		{"it", "verloren", ""}, // one word, another language's
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			got := analyze(a, tt.lang, tt.text)
			if tt.want == "" && got.InScope {
				t.Errorf("%q: in scope as %s (%.2f), want out of scope", tt.text, got.Intent, got.IntentScore)
			}
			if tt.want != "" && (got.Intent != tt.want || !got.InScope) {
				t.Errorf("%q: intent %q %.2f in scope %v, want %q", tt.text, got.Intent, got.IntentScore, got.InScope, tt.want)
			}
		})
	}
}

// TestAnswerClauses checks that a yes or no deep in a long reply counts
// only as a short clause of its own, and adverbs only leading the reply.
func TestAnswerClauses(t *testing.T) {
	a := newDefaultAnalyzer(t)
	tests := []struct {
		lang, text string
		want       bot.Answer
	}{
		{"en", "WHERE IS MY PARCEL?!! This is the worst service ever, absolutely useless", bot.AnswerNone},
		{"en", "WHERE IS MY PARCEL … absolutely useless", bot.AnswerNone},
		{"en", "absolutely useless", bot.AnswerNone},
		{"en", "I called you three times about this. Yes.", bot.AnswerYes},
		{"en", "I see. Yes.", bot.AnswerYes},
		{"en", "I read your message twice, no idea what you mean, sure you are right about the address", bot.AnswerNone},
		{"en", "Absolutely!", bot.AnswerYes},
		{"en", "absolutely, go ahead", bot.AnswerYes},
		{"en", "perfect, thanks", bot.AnswerYes},
		{"en", "perfect thanks", bot.AnswerYes},
		{"en", "definitely not", bot.AnswerNo},
		{"en", "not right", bot.AnswerNo},
		{"it", "il pacco è arrivato, certamente non grazie a voi, assolutamente ridicolo", bot.AnswerNone},
		{"it", "assolutamente", bot.AnswerYes},
		{"de", "Das Paket ist da, aber sicher nicht pünktlich, ehrlich gesagt", bot.AnswerNone},
		{"de", "Genau!", bot.AnswerYes},
		{"fi", "aivan", bot.AnswerYes},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			if got := analyze(a, tt.lang, tt.text).Answer; got != tt.want {
				t.Errorf("%q: answer %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

// TestPoliteSentiment checks that polite refusals are neutral and "no
// problem" is mildly positive in every language.
func TestPoliteSentiment(t *testing.T) {
	a := newDefaultAnalyzer(t)
	tests := []struct{ lang, text, want string }{
		{"en", "no thanks", "neutral"},
		{"en", "no thanks, that's all", "neutral"},
		{"it", "no grazie", "neutral"},
		{"de", "nein danke", "neutral"},
		{"fi", "ei kiitos", "neutral"},
		{"en", "no problem", "positive"},
		{"it", "nessun problema", "positive"},
		{"de", "kein Problem", "positive"},
		{"fi", "ei hätää", "positive"},
		{"fi", "ei se mitään", "positive"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			got := analyze(a, tt.lang, tt.text)
			if got.Label != tt.want || got.Sentiment > 0.5 {
				t.Errorf("%q: %s (%.2f), want %s under 0.5", tt.text, got.Label, got.Sentiment, tt.want)
			}
		})
	}
}

// TestFirstMessageLanguage checks that with no conversation language and
// no locale the first message's language is detected, and that short
// replies keep the conversation's language.
func TestFirstMessageLanguage(t *testing.T) {
	a := newDefaultAnalyzer(t)
	tests := []struct {
		text, lang, want string
	}{
		{"tilaamani tuote on loppu varastosta", "", "fi"},
		{"Haastan teidät!!", "", "fi"},
		{"il mio pacco è arrivato rotto", "", "it"},
		{"Mein Paket ist kaputt angekommen", "", "de"},
		{"my parcel never came", "", "en"},
		{"ok", "fi", "fi"},
		{"joo", "fi", "fi"},
		{"2", "it", "it"},
		{"si", "de", "de"},
		{"kiitos", "fi", "fi"},
		{"nein danke", "de", "de"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got := a.Analyze(context.Background(), bot.AnalyzeInput{Text: tt.text, Lang: tt.lang})
			if got.Lang != tt.want {
				t.Errorf("%q (conversation %q): %q, want %q", tt.text, tt.lang, got.Lang, tt.want)
			}
		})
	}
}

// BenchmarkAnalyzeUnsureLanguage is the worst case: a first message with no
// locale whose language the detector is unsure of and that matches no
// intent, so it is matched in every language.
func BenchmarkAnalyzeUnsureLanguage(b *testing.B) {
	a := newDefaultAnalyzer(b)
	in := bot.AnalyzeInput{Text: "Oletko robotti? Kerro vitsi sääennusteesta huomiselle Tampereelle, pankki kortti PayPal salasana"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		a.Analyze(ctx, in)
	}
}
