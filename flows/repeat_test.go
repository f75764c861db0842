package flows

import "testing"

func TestSameIdea(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"I want to be sure I understand you correctly.", "Just to be sure I have it right: it has not arrived?", true},
		{"Vorrei capire bene che cosa intende.", "Per essere sicuri di aver capito bene: non è arrivato?", true},
		{"Ich möchte sichergehen, dass ich Sie richtig verstehe.", "Damit ich es richtig verstehe: ist es nicht da?", true},
		{"Haluan varmistaa, että ymmärrän sinut oikein.", "Varmistan vielä, että ymmärsin oikein?", true},
		{"I did not quite follow that one.", "Just to be sure I have it right: it has not arrived?", false},
		{"Das habe ich nicht ganz mitbekommen.", "Damit ich es richtig verstehe: Ihre Bestellung ist noch nicht da?", false},
		{"Non ho colto del tutto la Sua risposta.", "Per essere sicuri di aver capito bene: il Suo ordine non è arrivato?", false},
		{"En aivan saanut kiinni vastauksestasi.", "Varmistan vielä, että ymmärsin oikein: tilauksesi ei ole tullut?", false},
		{"Sorry, one more time: {choices}", "Here is what I can do: {choices}", false},
	}
	for _, tt := range tests {
		if got := sameIdea(tt.a, tt.b); (got != "") != tt.want {
			t.Errorf("sameIdea(%q, %q) = %q, want repeated %v", tt.a, tt.b, got, tt.want)
		}
	}
}
