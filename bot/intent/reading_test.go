package intent

import (
	"strings"
	"testing"

	"github.com/calmbot/calmbot/flows"
)

// TestOutOfScopeQuestions checks that questions about matters no concern
// flow covers never read as a concern even when they share a word with a
// flow's examples ("delivery", "consegna"): they are out of scope or, where
// the default flows keep an answer for them (issue 13), that answer. The first of each language are the
// misreadings of issue 12; the rest are phrasings the background class
// (elsewhere.go) does not have.
func TestOutOfScopeQuestions(t *testing.T) {
	a := newDefaultAnalyzer(t)
	tests := []struct{ lang, text string }{
		{"en", "can I change my delivery address?"},
		{"en", "where is my invoice?"},
		{"en", "my password reset email never came"},
		{"en", "I'd like to change the shipping address on my order"},
		{"en", "where can I download my invoice"},
		{"en", "I never received the password reset link"},
		{"en", "can I get a copy of my receipt please"},
		{"it", "vorrei cambiare l'indirizzo di consegna"},
		{"it", "posso modificare l'indirizzo di consegna?"},
		{"it", "dove trovo la fattura del mio ordine"},
		{"it", "non ricevo l'email per cambiare password"},
		{"de", "kann ich meine Lieferadresse ändern?"},
		{"de", "wie kann ich die Lieferadresse ändern"},
		{"de", "wo finde ich die Rechnung zu meiner Bestellung"},
		{"de", "ich habe keine Mail zum Passwort zurücksetzen bekommen"},
		{"fi", "voinko vaihtaa toimitusosoitteen?"},
		{"fi", "voinko muuttaa toimitusosoitetta"},
		{"fi", "mistä löydän tilaukseni laskun"},
		{"fi", "en saanut salasanan vaihtolinkkiä"},
	}
	for _, tt := range tests {
		for _, lang := range []string{tt.lang, ""} {
			if got := analyze(a, lang, tt.text); got.InScope && !strings.HasPrefix(got.Intent, flows.AnswerPrefix) {
				t.Errorf("%s %q (conversation language %q): in scope as %s %.2f, want out of scope or an answer", tt.lang, tt.text, lang, got.Intent, got.IntentScore)
			}
		}
	}
	// Issue 12: a question about a matter no answer covers is not given
	// an answer that shares its question word ("quanto costa la
	// spedizione").
	for _, tt := range []struct{ lang, text string }{
		{"it", "quanto dura la garanzia"},
		{"it", "quanto dura la garanzia?"},
	} {
		if got := analyze(a, tt.lang, tt.text); got.InScope {
			t.Errorf("%s %q: in scope as %s %.2f, want out of scope", tt.lang, tt.text, got.Intent, got.IntentScore)
		}
	}
	// The concerns themselves still read.
	for _, tt := range []struct{ lang, text, want string }{
		{"en", "my delivery is two weeks late", "late_delivery"},
		{"it", "la consegna è in ritardo di una settimana", "late_delivery"},
		{"de", "meine Lieferung ist immer noch nicht da", "late_delivery"},
		{"fi", "toimitus on myöhässä", "late_delivery"},
		{"en", "I was charged twice, check my invoice", "double_charge"},
	} {
		if got := analyze(a, tt.lang, tt.text); !got.InScope || got.Intent != tt.want {
			t.Errorf("%s %q: %s %.2f in scope %v, want %s", tt.lang, tt.text, got.Intent, got.IntentScore, got.InScope, tt.want)
		}
	}
}

// TestChatterNamesNoConcern checks that a lone answer or courtesy names no
// concern, in the conversation's language and as a first message.
func TestChatterNamesNoConcern(t *testing.T) {
	a := newDefaultAnalyzer(t)
	tests := []struct {
		lang, text string
		goodbye    bool
	}{
		{"en", "no", false}, {"en", "ok", false}, {"en", "no, thanks", true}, {"en", "yes", false},
		{"en", "thanks, bye", true}, {"en", "ok thank you, goodbye", true}, {"en", "thanks", true},
		{"it", "non", false}, {"it", "no", false}, {"it", "sì", false}, {"it", "no grazie", true},
		{"it", "grazie, arrivederci", true}, {"it", "grazie mille, buona giornata", true},
		{"de", "ja", false}, {"de", "nein", false}, {"de", "nein danke", true}, {"de", "ok", false},
		{"de", "danke, tschüss", true}, {"de", "danke schön, auf Wiedersehen", true}, {"de", "danke tschuss", true},
		{"fi", "ei", false}, {"fi", "joo", false}, {"fi", "ei kiitos", true}, {"fi", "ok", false},
		{"fi", "kiitos, heippa", true}, {"fi", "kiitos paljon, hyvää päivänjatkoa", true},
	}
	for _, tt := range tests {
		for _, lang := range []string{tt.lang, ""} {
			got := analyze(a, lang, tt.text)
			if got.InScope || got.Intent != "" {
				t.Errorf("%s %q (conversation language %q): intent %s %.2f in scope %v, want none", tt.lang, tt.text, lang, got.Intent, got.IntentScore, got.InScope)
			}
			if got.Goodbye != tt.goodbye {
				t.Errorf("%s %q (conversation language %q): goodbye %v, want %v", tt.lang, tt.text, lang, got.Goodbye, tt.goodbye)
			}
		}
	}
	// "ja" alone is German, not the Finnish "and".
	if got := analyze(a, "", "ja"); got.Lang != "de" {
		t.Errorf(`"ja" as a first message: language %s, want de`, got.Lang)
	}
	// A concern with a courtesy is no goodbye.
	if got := analyze(a, "en", "thanks, but my parcel never arrived"); got.Goodbye || !got.InScope {
		t.Errorf("concern with thanks: goodbye %v in scope %v, want false, true", got.Goodbye, got.InScope)
	}
}
