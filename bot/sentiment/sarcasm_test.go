package sentiment

import "testing"

// TestSarcasmInComplaint checks issue 12 item 6: praise and thanks inside a
// complaint do not read as positive, and an angry complaint without swear
// words does not read as neutral.
func TestSarcasmInComplaint(t *testing.T) {
	s := New()
	tests := []struct {
		lang, text string
	}{
		{"de", "Na super, drei Wochen Wartezeit, wirklich toller Service, danke für gar nichts"},
		{"de", "Na toll, schon wieder zu spät. Vielen Dank auch!"},
		{"de", "Echt klasse, seit zwei Wochen warte ich auf mein Paket"},
		{"en", "thanks for nothing"},
		{"en", "great, just great"},
		{"en", "great, just great. my order is three weeks late"},
		{"en", "Wonderful service, I have been waiting two weeks for a reply"},
		{"en", "oh great, the parcel still hasn't arrived"},
		{"it", "complimenti davvero, il pacco è in ritardo di due settimane"},
		{"it", "grazie per niente, aspetto da un mese"},
		{"it", "Ottimo servizio, nessuno mi ha ancora risposto"},
		{"fi", "kiitos tosi paljon, paketti on ollut kolme viikkoa myöhässä"},
		{"fi", "Hienoa palvelua, odotan vieläkin vastausta kahden viikon jälkeen"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			v, label := s.Score(tt.text, tt.lang)
			if label == Positive || v > 0 {
				t.Errorf("Score(%q, %s) = %.3f %s, want not positive (sarcasm in a complaint)", tt.text, tt.lang, v, label)
			}
		})
	}
}

// TestAngerWithoutSwearing checks that an angry complaint in plain words
// reads as negative, not as neutral 0.
func TestAngerWithoutSwearing(t *testing.T) {
	s := New()
	tests := []struct {
		lang, text string
	}{
		{"en", "two weeks late and nobody tells me anything!!"},
		{"en", "I have been waiting for ten days and still no word from you!"},
		{"it", "due settimane di ritardo e nessuno mi dice niente!!"},
		{"de", "zwei Wochen Verspätung und niemand sagt mir etwas!!"},
		{"fi", "kaksi viikkoa myöhässä eikä kukaan kerro mitään!!"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			v, label := s.Score(tt.text, tt.lang)
			if label != Negative || v > -0.2 {
				t.Errorf("Score(%q, %s) = %.3f %s, want negative below -0.2", tt.text, tt.lang, v, label)
			}
		})
	}
}
