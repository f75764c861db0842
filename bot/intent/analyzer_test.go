package intent

import (
	"context"
	"os"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
)

// testFlows parses testdata/flows.yaml.
func testFlows(t testing.TB) *flows.File {
	t.Helper()
	data, err := os.ReadFile("testdata/flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := flows.Parse("testdata/flows.yaml", data)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return f
}

func newTestAnalyzer(t testing.TB) *Analyzer {
	t.Helper()
	a, err := New(testFlows(t))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func analyze(a *Analyzer, lang, text string, choices ...bot.Choice) bot.Analysis {
	return a.Analyze(context.Background(), bot.AnalyzeInput{Text: text, Lang: lang, Choices: choices})
}

func TestNewErrors(t *testing.T) {
	if _, err := New(nil); err == nil {
		t.Error("New(nil) succeeded")
	}
	if _, err := New(&flows.File{}); err == nil {
		t.Error("New with no languages succeeded")
	}
}

func TestIntent(t *testing.T) {
	a := newTestAnalyzer(t)
	tests := []struct {
		lang, text, want string // want "" means out of scope
	}{
		{"en", "my order hasn't arrived", "late_delivery"},
		{"en", "Where is my parcel??", "late_delivery"},
		{"en", "my parcel never came", "late_delivery"},
		{"en", "I've been waiting two weeks for my order, this is ridiculous", "late_delivery"},
		{"en", "The package arrived damaged", "damaged_item"},
		{"en", "you charged me twice!", "billing"},
		{"en", "I'm going to sue", "legal_threat"},
		{"it", "il mio pacco non è ancora arrivato", "late_delivery"},
		{"it", "il prodotto è arrivato rotto", "damaged_item"},
		{"de", "Mein Paket ist immer noch nicht angekommen!", "late_delivery"},
		{"de", "Die Ware ist beschädigt angekommen", "damaged_item"},
		{"de", "Ich werde Sie verklagen", "legal_threat"},
		{"fi", "Pakettini ei ole vieläkään saapunut", "late_delivery"},
		{"fi", "tuote oli rikki", "damaged_item"},
		{"en", "hello", ""},
		{"en", "I have a question", ""},
		{"en", "how do I change my password", ""},
		{"en", "thank you", ""},
		{"it", "ciao, ho una domanda", ""},
		{"de", "Hallo, ich habe eine Frage", ""},
		{"fi", "Hei, minulla on kysymys", ""},
		{"en", "ok", ""},
		{"en", "2", ""},
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
				t.Errorf("%q: intent %q score %.2f in scope %v, want %q in scope", tt.text, got.Intent, got.IntentScore, got.InScope, tt.want)
			}
			if got.IntentScore < 0 || got.IntentScore > 1 {
				t.Errorf("score %f outside [0, 1]", got.IntentScore)
			}
		})
	}
}

func TestAnswer(t *testing.T) {
	a := newTestAnalyzer(t)
	tests := []struct {
		lang, text string
		want       bot.Answer
	}{
		{"en", "yes", bot.AnswerYes},
		{"en", "Yes please!", bot.AnswerYes},
		{"en", "that's right", bot.AnswerYes},
		{"en", "sounds good", bot.AnswerYes},
		{"en", "ok", bot.AnswerYes},
		{"en", "sure, go ahead", bot.AnswerYes},
		{"en", "correct", bot.AnswerYes},
		{"en", "well, yes", bot.AnswerYes},
		{"en", "👍", bot.AnswerYes},
		{"en", "no", bot.AnswerNo},
		{"en", "nope", bot.AnswerNo},
		{"en", "not really", bot.AnswerNo},
		{"en", "that's wrong", bot.AnswerNo},
		{"en", "nothing else", bot.AnswerNo},
		{"en", "no thanks", bot.AnswerNo},
		{"en", "that's all", bot.AnswerNo},
		{"en", "no, the billing address", bot.AnswerNo},
		{"en", "not right", bot.AnswerNo},
		{"en", "that's not right", bot.AnswerNo},
		{"en", "no problem", bot.AnswerYes},
		{"en", "not bad", bot.AnswerNone},
		{"en", "not sure", bot.AnswerNone},
		{"en", "thank you", bot.AnswerNone},
		{"en", "good morning, my parcel is late", bot.AnswerNone},
		{"en", "my parcel is late and there is no tracking number", bot.AnswerNone},
		{"it", "sì", bot.AnswerYes},
		{"it", "si", bot.AnswerYes},
		{"it", "certo", bot.AnswerYes},
		{"it", "va bene", bot.AnswerYes},
		{"it", "esatto", bot.AnswerYes},
		{"it", "d'accordo", bot.AnswerYes},
		{"it", "no", bot.AnswerNo},
		{"it", "niente altro", bot.AnswerNo},
		{"it", "nient'altro, grazie", bot.AnswerNo},
		{"it", "no grazie", bot.AnswerNo},
		{"it", "non è giusto", bot.AnswerNo},
		{"de", "ja", bot.AnswerYes},
		{"de", "Genau", bot.AnswerYes},
		{"de", "richtig", bot.AnswerYes},
		{"de", "passt", bot.AnswerYes},
		{"de", "gerne", bot.AnswerYes},
		{"de", "einverstanden", bot.AnswerYes},
		{"de", "nein", bot.AnswerNo},
		{"de", "nö", bot.AnswerNo},
		{"de", "nichts mehr", bot.AnswerNo},
		{"de", "das wars", bot.AnswerNo},
		{"de", "nicht richtig", bot.AnswerNo},
		{"fi", "kyllä", bot.AnswerYes},
		{"fi", "joo", bot.AnswerYes},
		{"fi", "juu", bot.AnswerYes},
		{"fi", "kyl", bot.AnswerYes},
		{"fi", "selvä", bot.AnswerYes},
		{"fi", "sopii", bot.AnswerYes},
		{"fi", "käy", bot.AnswerYes},
		{"fi", "ei", bot.AnswerNo},
		{"fi", "en", bot.AnswerNo},
		{"fi", "ei kiitos", bot.AnswerNo},
		{"fi", "ei muuta", bot.AnswerNo},
		{"fi", "kiitos", bot.AnswerNone},
		{"de", "si", bot.AnswerYes}, // another declared language, whole reply
		{"fi", "yes", bot.AnswerYes},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			if got := analyze(a, tt.lang, tt.text).Answer; got != tt.want {
				t.Errorf("%q: answer %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestChoice(t *testing.T) {
	a := newTestAnalyzer(t)
	offer := map[string][]bot.Choice{
		"en": {{ID: "track", Label: "Track the parcel together now"}, {ID: "resend", Label: "Send a replacement"}, {ID: "refund", Label: "Refund the order"}},
		"it": {{ID: "track", Label: "Tracciare il pacco insieme ora"}, {ID: "resend", Label: "Spedire un sostituto"}, {ID: "refund", Label: "Rimborsare l'ordine"}},
		"de": {{ID: "track", Label: "Das Paket jetzt gemeinsam verfolgen"}, {ID: "resend", Label: "Ersatz schicken"}, {ID: "refund", Label: "Bestellung erstatten"}},
		"fi": {{ID: "track", Label: "Seurata pakettia yhdessä nyt"}, {ID: "resend", Label: "Lähettää korvaava tuote"}, {ID: "refund", Label: "Hyvittää tilaus"}},
	}
	tests := []struct {
		lang, text, want string
		answer           bot.Answer
	}{
		{"en", "2", "resend", ""},
		{"en", "#2", "resend", ""},
		{"en", "2.", "resend", ""},
		{"en", "option 3", "refund", ""},
		{"en", "the second one", "resend", ""},
		{"en", "I'll take the first", "track", ""},
		{"en", "a replacement please", "resend", ""},
		{"en", "send me a new one", "resend", ""},
		{"en", "I want my money back", "refund", ""},
		{"en", "refund", "refund", ""},
		{"en", "no, the second one", "resend", ""},
		{"en", "I don't want a refund, send a replacement", "resend", ""},
		{"en", "none of these", "", bot.AnswerNo},
		{"en", "neither", "", bot.AnswerNo},
		{"en", "hmm", "", ""},
		{"en", "9", "", ""},
		{"en", "1 or 2", "", ""},
		{"en", "my order number is 12345", "", ""},
		{"it", "secondo", "resend", ""},
		{"it", "il rimborso", "refund", ""},
		{"it", "nessuna", "", bot.AnswerNo},
		{"de", "die zweite", "resend", ""},
		{"de", "Geld zurück bitte", "refund", ""},
		{"de", "keine davon", "", bot.AnswerNo},
		{"fi", "toinen", "resend", ""},
		{"fi", "hyvitys kiitos", "refund", ""},
		{"fi", "ei mikään", "", bot.AnswerNo},
		{"en", "rimborso", "refund", ""},           // an alias in another language
		{"de", "Send a replacement", "resend", ""}, // a label in another language
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			got := analyze(a, tt.lang, tt.text, offer[tt.lang]...)
			if got.Choice != tt.want || got.Answer != tt.answer {
				t.Errorf("%q: choice %q answer %q, want %q %q", tt.text, got.Choice, got.Answer, tt.want, tt.answer)
			}
		})
	}
}

func TestHumanRequest(t *testing.T) {
	a := newTestAnalyzer(t)
	tests := []struct {
		lang, text string
		want       bool
	}{
		{"en", "I want to talk to a human", true},
		{"en", "Can I speak to a real person please?", true},
		{"en", "get me an agent", true},
		{"en", "operator!", true},
		{"en", "human please", true},
		{"en", "I need a representative", true},
		{"en", "let me talk to someone real", true},
		{"en", "I want a person", true},
		{"en", "you're useless, I want to speak to your manager", true},
		{"it", "vorrei parlare con un operatore", true},
		{"it", "voglio parlare con una persona", true},
		{"it", "operatore", true},
		{"de", "Ich will mit einem Menschen sprechen", true},
		{"de", "Bitte verbinden Sie mich mit einem Mitarbeiter", true},
		{"de", "Mitarbeiter bitte", true},
		{"fi", "Haluan puhua ihmisen kanssa", true},
		{"fi", "asiakaspalvelija", true},
		{"fi", "Saisinko ihmisen linjoille", true},
		{"en", "I'm not asking for a human", false},
		{"en", "the agent who delivered it was rude", false},
		{"en", "my personal details are wrong", false},
		{"en", "the delivery person left it outside", false},
		{"en", "my parcel has not arrived", false},
		{"it", "non voglio un operatore, voglio il rimborso", false},
		{"de", "Der Mitarbeiter am Telefon war unfreundlich", false},
		{"fi", "En halua puhua ihmisen kanssa", false},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			if got := analyze(a, tt.lang, tt.text).HumanRequest; got != tt.want {
				t.Errorf("%q: human request %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestLanguage(t *testing.T) {
	a := newTestAnalyzer(t)
	tests := []struct {
		name               string
		text, lang, locale string
		want               string
	}{
		{"short keeps the conversation's", "ok", "de", "", "de"},
		{"number keeps the conversation's", "2", "fi", "en", "fi"},
		{"strong evidence switches", "Il mio pacco non è ancora arrivato, perché?", "en", "", "it"},
		{"locale when unknown", "ok", "", "de-AT", "de"},
		{"undeclared locale", "ok", "", "fr-FR", "en"},
		{"detected when nothing else", "Mein Paket ist nicht da", "", "", "de"},
		{"default when nothing at all", "2", "", "", "en"},
		{"undeclared conversation language", "ok", "sv", "it_IT", "it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := a.Analyze(context.Background(), bot.AnalyzeInput{Text: tt.text, Lang: tt.lang, Locale: tt.locale})
			if got.Lang != tt.want {
				t.Errorf("%q (lang %q, locale %q): %q, want %q", tt.text, tt.lang, tt.locale, got.Lang, tt.want)
			}
		})
	}
}

func TestSentiment(t *testing.T) {
	a := newTestAnalyzer(t)
	tests := []struct{ lang, text, want string }{
		{"de", "Das ist eine Frechheit!!!", "negative"},
		{"en", "Thanks, that was really helpful", "positive"},
		{"it", "Il mio ordine è il numero 12345", "neutral"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got := analyze(a, tt.lang, tt.text)
			if got.Label != tt.want {
				t.Errorf("%q: %s (%.2f), want %s", tt.text, got.Label, got.Sentiment, tt.want)
			}
		})
	}
}

func BenchmarkAnalyze(b *testing.B) {
	a := newTestAnalyzer(b)
	in := bot.AnalyzeInput{
		Text: "I ordered a new phone two weeks ago and my parcel still hasn't arrived, this is ridiculous!",
		Lang: "en",
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		a.Analyze(ctx, in)
	}
}

func BenchmarkAnalyzeChoices(b *testing.B) {
	a := newTestAnalyzer(b)
	in := bot.AnalyzeInput{
		Text:    "I think I'd rather have a replacement sent to me, if that is possible",
		Lang:    "en",
		Choices: []bot.Choice{{ID: "track", Label: "Track the parcel together now"}, {ID: "resend", Label: "Send a replacement"}, {ID: "refund", Label: "Refund the order"}},
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		a.Analyze(ctx, in)
	}
}

// TestChattyIntents: a flow file with an intent of chatter ("yes", "no")
// gets chatter matched to it; without one, chatter matches no intent.
func TestChattyIntents(t *testing.T) {
	yes := &flows.Intent{Name: "yes", Examples: map[string][]string{"en": {"yes", "yeah", "that is correct", "yup", "sure", "correct", "that is a fact", "i agree"}}}
	order := &flows.Intent{Name: "order", Examples: map[string][]string{"en": {"where is my order", "my parcel has not arrived", "track my order"}}}
	for _, tt := range []struct {
		intents map[string]*flows.Intent
		text    string
		want    string
	}{
		{map[string]*flows.Intent{"yes": yes, "order": order}, "yes", "yes"},
		{map[string]*flows.Intent{"yes": yes, "order": order}, "yup", "yes"},
		{map[string]*flows.Intent{"yes": yes, "order": order}, "where is my order", "order"},
		{map[string]*flows.Intent{"order": order}, "yes", ""},
		{map[string]*flows.Intent{"order": order}, "no, thanks", ""},
	} {
		f := &flows.File{Version: 1, Languages: []string{"en"}, Policy: flows.DefaultPolicy(), Intents: tt.intents}
		a, err := New(f)
		if err != nil {
			t.Fatal(err)
		}
		got := a.Analyze(context.Background(), bot.AnalyzeInput{Text: tt.text, Lang: "en"})
		if got.Intent != tt.want {
			t.Errorf("%d intents, %q: got intent %q %.2f, want %q", len(tt.intents), tt.text, got.Intent, got.IntentScore, tt.want)
		}
	}
}
