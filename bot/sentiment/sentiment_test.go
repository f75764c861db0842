package sentiment

import (
	"slices"
	"testing"

	"github.com/calmbot/calmbot/bot/language"
)

func TestScoreDirection(t *testing.T) {
	s := New()
	tests := []struct {
		lang, text, want string
	}{
		{"en", "This is terrible, I am really angry", Negative},
		{"en", "Thank you so much, that was very helpful!", Positive},
		{"en", "My order number is 12345", Neutral},
		{"en", "The service is not good", Negative},
		{"en", "It isn't bad at all", Positive},
		{"en", "no problem", Positive},
		{"en", "The delivery was fast but the product is awful", Negative},
		{"en", "The product is awful but the staff were great", Positive},
		{"en", "😡😡", Negative},
		{"en", "great :)", Positive},
		{"it", "Che schifo, è una vergogna!", Negative},
		{"it", "Grazie mille, siete stati gentilissimi", Positive},
		{"it", "Il mio ordine è il numero 12345", Neutral},
		{"it", "Il servizio non è buono", Negative},
		{"it", "Sono molto arrabbiato", Negative},
		{"it", "Il pacco è arrivato rotto ma il rimborso è stato perfetto", Positive},
		{"de", "Das ist eine Frechheit!", Negative},
		{"de", "So eine Katastrophe, ich bin total enttäuscht", Negative},
		{"de", "Unverschämt, wie man hier behandelt wird", Negative},
		{"de", "Super, vielen Dank!", Positive},
		{"de", "Meine Bestellnummer ist 12345", Neutral},
		{"de", "Das ist nicht gut", Negative},
		{"de", "Das war gar keine schlechte Lösung", Positive},
		{"de", "Was für eine Servicekatastrophe", Negative},
		{"de", "Die Lieferung war schnell, aber die Ware ist kaputt", Negative},
		{"de", "Ich bin ärgerlich", Negative},
		{"fi", "Tämä on surkeaa palvelua", Negative},
		{"fi", "Kiitos, tosi hyvä palvelu!", Positive},
		{"fi", "Tilausnumeroni on 12345", Neutral},
		{"fi", "Palvelu ei ole hyvä", Negative},
		{"fi", "Olen todella pettynyt", Negative},
		{"xx", "👍", Positive},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			v, got := s.Score(tt.text, tt.lang)
			if got != tt.want {
				t.Errorf("Score(%q, %s) = %.3f %s, want %s", tt.text, tt.lang, v, got, tt.want)
			}
			if v < -1 || v > 1 {
				t.Errorf("Score(%q) = %f, outside [-1, 1]", tt.text, v)
			}
		})
	}
}

// TestScoreEmphasis checks that capitals, exclamation marks and boosters
// make a text more intense and dampeners less.
func TestScoreEmphasis(t *testing.T) {
	s := New()
	tests := []struct {
		lang, plain, stronger string
	}{
		{"en", "this is bad", "this is BAD"},
		{"en", "this is bad", "this is bad!!!"},
		{"en", "this is bad", "this is very bad"},
		{"en", "this is slightly bad", "this is bad"},
		{"en", "is it bad?", "is it bad???"},
		{"it", "è brutto", "è molto brutto"},
		{"de", "das ist schlecht", "das ist SCHLECHT"},
		{"de", "das ist schlecht", "das ist echt schlecht"},
		{"fi", "tämä on huono", "tämä on todella huono"},
		{"en", "this is good", "this is good!!"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.stronger, func(t *testing.T) {
			p, _ := s.Score(tt.plain, tt.lang)
			q, _ := s.Score(tt.stronger, tt.lang)
			if p == 0 || (p < 0) != (q < 0) || abs(q) <= abs(p) {
				t.Errorf("Score(%q) = %.3f, Score(%q) = %.3f: want the second stronger, same sign", tt.plain, p, tt.stronger, q)
			}
		})
	}
}

func TestValence(t *testing.T) {
	s := New()
	tests := []struct {
		lang, word string
		neg        bool
	}{
		{"en", "terrible", true},
		{"de", "verargerten", true}, // verärgerten, folded
		{"de", "riesenfrechheit", true},
		{"it", "arrabbiati", true},
		{"fi", "surkeaa", true},
		{"it", "gentilissimi", false},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.word, func(t *testing.T) {
			v, ok := s.Valence(tt.word, tt.lang)
			if !ok || (v < 0) != tt.neg {
				t.Errorf("Valence(%q, %s) = %.2f, %v", tt.word, tt.lang, v, ok)
			}
		})
	}
	if _, ok := s.Valence("parcel", "en"); ok {
		t.Error("Valence(parcel) has a valence")
	}
}

// TestFinnishForms checks that inflected Finnish forms find their base
// form's valence, and that a word does not take the valence of a -ton/-tön
// word (its opposite) that shares its stem.
func TestFinnishForms(t *testing.T) {
	s := New()
	for _, w := range []string{"pettyneitä", "pettyneenä", "tuskallista", "surkeasti", "painajaista", "hemmetin", "pirun", "ääliön"} {
		if v, ok := s.Valence(language.Fold(w), "fi"); !ok || v >= 0 {
			t.Errorf("Valence(%q, fi) = %.2f, %v: want negative", w, v, ok)
		}
	}
	// Plural stems of short words (hyvä -> hyviä, kaunis -> kauniita).
	for _, w := range []string{"hyviä", "hyvien", "kauniita", "kauniin", "ihania"} {
		if v, ok := s.Valence(language.Fold(w), "fi"); !ok || v <= 0 {
			t.Errorf("Valence(%q, fi) = %.2f, %v: want positive", w, v, ok)
		}
	}
	// AFINN-fi words whose sense in customer text is another (fi-calmbot.tsv).
	for _, w := range []string{"missä", "kuten", "asia", "varasin", "vahvistaa", "apua", "voitteko"} {
		if v, ok := s.Valence(language.Fold(w), "fi"); ok {
			t.Errorf("Valence(%q, fi) = %.2f: want none", w, v)
		}
	}
	for _, w := range []string{"sydämeni", "tahansa"} { // my heart (sydämetön, heartless); anyone (tahaton, unintended)
		if v, ok := s.Valence(language.Fold(w), "fi"); ok {
			t.Errorf("Valence(%q, fi) = %.2f: want none", w, v)
		}
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func BenchmarkScore(b *testing.B) {
	s := New()
	b.ReportAllocs()
	for b.Loop() {
		s.Score("My parcel still hasn't arrived and nobody tells me why, this is really ridiculous!!", "en")
	}
}

// TestPolite checks that polite refusals are neutral, not negated thanks,
// and that "no problem" idioms are mildly positive.
func TestPolite(t *testing.T) {
	s := New()
	tests := []struct {
		lang, text, want string
	}{
		{"en", "no thanks", Neutral},
		{"en", "no thanks, that's all", Neutral},
		{"en", "no, thank you", Neutral},
		{"it", "no grazie", Neutral},
		{"it", "no, grazie", Neutral},
		{"de", "nein danke", Neutral},
		{"fi", "ei kiitos", Neutral},
		{"fi", "ei kiitos, ei muuta", Neutral},
		{"en", "no problem", Positive},
		{"en", "no worries", Positive},
		{"it", "nessun problema", Positive},
		{"de", "kein Problem", Positive},
		{"fi", "ei hätää", Positive},
		{"fi", "ei se mitään", Positive},
		{"en", "I have a problem", Negative},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			v, got := s.Score(tt.text, tt.lang)
			if got != tt.want {
				t.Errorf("Score(%q, %s) = %.3f %s, want %s", tt.text, tt.lang, v, got, tt.want)
			}
			if got == Positive && v > 0.5 {
				t.Errorf("Score(%q, %s) = %.3f, want mildly positive (<= 0.5)", tt.text, tt.lang, v)
			}
		})
	}
}

// TestComplaints checks that typical customer-service complaints score
// clearly negative in every language: the engine hands off on them.
func TestComplaints(t *testing.T) {
	s := New()
	tests := []struct{ lang, text string }{
		{"en", "This is the third time I write to you"},
		{"en", "Nobody answers my emails"},
		{"en", "I'm still waiting for my refund"},
		{"en", "This is unacceptable"},
		{"en", "It still doesn't work"},
		{"en", "My parcel never arrived"},
		{"en", "I'm fed up with this"},
		{"en", "what a waste of time"},
		{"en", "this sooo sucks"},
		{"it", "Sono stufo"},
		{"it", "È la terza volta che scrivo"},
		{"it", "Nessuno mi risponde"},
		{"it", "Sto ancora aspettando il rimborso"},
		{"it", "Non funziona niente"},
		{"it", "Il pacco non è mai arrivato"},
		{"it", "Mi prendete in giro?"},
		{"it", "Inaccettabile!"},
		{"de", "Immer noch nicht angekommen"},
		{"de", "Das funktioniert nicht"},
		{"de", "Niemand antwortet mir"},
		{"de", "Ich schreibe zum dritten Mal"},
		{"de", "Schon wieder Verspätung"},
		{"de", "Der Zug ist ausgefallen"},
		{"de", "Klimaanlage ausgefallen, der Zug ist überfüllt"},
		{"de", "Das ist inakzeptabel"},
		{"de", "Es reicht!"},
		{"de", "Streik, Chaos am Bahnhof"},
		{"de", "Heute mal wieder eine Stunde im Zug gestanden"},
		{"fi", "Vieläkään ei ole tullut mitään"},
		{"fi", "Kukaan ei vastaa"},
		{"fi", "Tämä ei toimi"},
		{"fi", "Odotan edelleen vastausta"},
		{"fi", "Tämä on jo kolmas kerta"},
		{"fi", "Tämä ei ole hyväksyttävää"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			v, got := s.Score(tt.text, tt.lang)
			if got != Negative || v > -0.25 {
				t.Errorf("Score(%q, %s) = %.3f %s, want negative <= -0.25", tt.text, tt.lang, v, got)
			}
		})
	}
}

// TestTweetRules checks laughter, elongation, emoticons, German post-negation
// and schön, which folds to schon ("already").
func TestTweetRules(t *testing.T) {
	s := New()
	tests := []struct {
		lang, text, want string
	}{
		{"en", "hahaha", Positive},
		{"it", "ahahahah", Positive},
		{"de", "hehe", Positive},
		{"en", "goooood", Positive},
		{"de", "Das ist nicht schön", Negative},
		{"de", "Das ist schön", Positive},
		{"de", "Ich bin schon da", Neutral},
		{"de", "Das gefällt mir nicht", Negative},
		{"de", "Keine gute Nachricht", Negative},
		{"de", "Die Bahn ist pünktlich, aber das Essen ist kaputt ^^", Negative},
		{"it", "bellissimo ^^", Positive},
		{"en", "Where is my order?", Neutral},
		{"de", "Wo ist der Bahnhof?", Neutral},
		{"de", "Der Zug fährt um 8 Uhr ab", Neutral},
		{"de", "Die Fahrkarte habe ich am Automaten gekauft", Neutral},
		{"it", "Il treno parte alle 8", Neutral},
		{"fi", "Juna lähtee kahdeksalta", Neutral},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			v, got := s.Score(tt.text, tt.lang)
			if got != tt.want {
				t.Errorf("Score(%q, %s) = %.3f %s, want %s", tt.text, tt.lang, v, got, tt.want)
			}
		})
	}
}

func BenchmarkScoreGerman(b *testing.B) {
	s := New()
	b.ReportAllocs()
	for b.Loop() {
		s.Score("Schon wieder Verspätung, die Klimaanlage ist ausgefallen und niemand antwortet. Unzumutbar!!", "de")
	}
}

// TestCompoundSenses: a lexicon word inside a longer word is matched only
// when the longer word is a compound of it, not a word derived with verb
// prefixes or another word that happens to share its letters.
func TestCompoundSenses(t *testing.T) {
	s := New()
	for _, w := range []string{"ungefahr", "gefahren", "festgefahrenen", "abgefahren", "erwarten", "aufgefallen",
		"umgefallen", "gemeinsamen", "zeitraum", "reisezeitraum", "letztendlich", "heisst", "kurze", "angepasst"} {
		if v, ok := s.Valence(w, "de"); ok {
			t.Errorf("Valence(%q, de) = %.2f, want none", w, v)
		}
	}
	for w, neg := range map[string]bool{"zugausfall": true, "zugausfalle": true, "bahnstreik": true,
		"servicekatastrophe": true, "verkehrsunfall": true, "unsicher": true, "problemlos": false} {
		if v, ok := s.Valence(w, "de"); !ok || (v < 0) != neg {
			t.Errorf("Valence(%q, de) = %.2f, %v; want negative %v", w, v, ok, neg)
		}
	}
}

// TestWaitingTimeAhead: a number and a time unit are a waiting time, a
// complaint cue, unless a word before them puts the time ahead or makes
// it a frequency.
func TestWaitingTimeAhead(t *testing.T) {
	s := New()
	tests := []struct {
		lang, text string
		cue        bool
	}{
		{"en", "I have been waiting two weeks", true},
		{"en", "ordered three days ago", true},
		{"en", "the next train leaves in two minutes", false},
		{"en", "a bus every 10 minutes", false},
		{"it", "aspetto da tre settimane", true},
		{"it", "arriva tra due giorni", false},
		{"it", "un treno ogni 10 minuti", false},
		{"de", "seit drei Wochen nichts", true},
		{"de", "vor 3 Wochen bestellt", true},
		{"de", "die Bahn fährt in zwei Minuten", false},
		{"de", "alle 10 Minuten eine S-Bahn", false},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			r := s.read(splitText(tt.text), tt.text, tt.lang)
			if got := r.cues > 0; got != tt.cue {
				t.Errorf("%q: complaint cue %v (cues %d), want %v", tt.text, got, r.cues, tt.cue)
			}
		})
	}
}

func splitText(s string) []language.Token { return language.Split(nil, s) }

// TestFinnishRules checks Finnish negation across the verb and subject,
// complaint idioms and words whose customer sense is another.
func TestFinnishRules(t *testing.T) {
	s := New()
	tests := []struct {
		text string
		want []string
	}{
		{"Ei se ole ollenkaan huono.", []string{Neutral, Positive}},
		{"Toimitus ei ollut tällä kertaa myöhässä, kiitos.", []string{Neutral, Positive}},
		{"Mikä vitsi yritykseksi, en tilaa enää koskaan.", []string{Negative}},
		{"Montako kertaa minun pitää selittää tämä?!", []string{Negative}},
		{"Olen saanut tarpeekseni. Poistakaa tilini.", []string{Negative}},
		{"Tämä ei ole sitä, mitä tilasin.", []string{Negative}},
		{"En pidä tästä ollenkaan.", []string{Negative}},
		{"Kiitos kärsivällisyydestä.", []string{Positive}},
		{"Pakettini ei ole vielä tullut, vaikka sen piti tulla maanantaina.", []string{Negative}},
		{"Missä laskuni on?", []string{Neutral}},
		{"En halua enää ongelmia tilausten kanssa.", []string{Negative, Neutral}}, // the negator negates halua, not ongelmia
		{"En ole tyytyväinen laatuun.", []string{Negative}},
		{"Hyvä jumala, taasko paketti on hukassa?", []string{Negative}},
		{"Herran tähden, vastatkaa jo!", []string{Negative}},
		{"Lopettakaa laskutus.", []string{Negative}},
		{"Muka pikatoimitus.", []string{Negative}},
		{"He eivät tiedä paskaakaan.", []string{Negative}}, // -kaan asks for the negation, which does not reverse it
		{"Hyvä on, odotan.", []string{Neutral}},
		{"Voisitteko tarkistaa tilaukseni?", []string{Neutral}},
		{"Hienoa palvelua, olen odottanut jo viikkoja.", []string{Negative}},
		{"Älkää soittako minulle enää.", []string{Negative}}, // a prohibition
		{"Ette ymmärrä mitään.", []string{Negative}},         // a negated expectation
		{"Ette edes kuuntele.", []string{Negative}},
		{"Älä huoli, kaikki on kunnossa.", []string{Positive}},
		{"Mikset vastaa?", []string{Negative}},             // miksi + et: a negator
		{"Tämä alkaa ärsyttää minua.", []string{Negative}}, // alkaa "begins", not älkää
		{"Liian hidas toimitus.", []string{Negative}},      // an excess
		{"Röyhkeä asiakaspalvelija.", []string{Negative}},
		{"Kaikki toimii nyt hyvin.", []string{Positive}}, // hyvin "well", boosting nothing
		{"Sovellus ei toimi hyvin.", []string{Negative}},
		{"Milloin alennusmyynti alkaa?", []string{Neutral}}, // without accents alkaa may be "begins": no prohibition
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if v, got := s.Score(tt.text, "fi"); !slices.Contains(tt.want, got) {
				t.Errorf("Score(%q) = %.3f %s, want %v", tt.text, v, got, tt.want)
			}
		})
	}
}
