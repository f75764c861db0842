package language

import (
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		text string
		want string // tokens joined by |; * marks Caps, > marks Break
	}{
		{"I don't want THIS!", "i|don't|want|*this"},
		{"Dov'è l'ordine? nient'altro", "dov'|e|l'|ordine|>nient'|altro"},
		{"Größe: Mäßig", "grosse|>massig"},
		{"no, the billing address", "no|>the|billing|address"},
		{"option #2.", "option|2"},
		{"great :) 👍", "great|:)|👍"},
		{"see http://x.y", "see|http|>x|>y"},
		{"Hyvää päivää", "hyvaa|paivaa"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			var parts []string
			for _, tk := range Split(nil, tt.text) {
				p := tk.Text
				if tk.Caps {
					p = "*" + p
				}
				if tk.Break {
					p = ">" + p
				}
				parts = append(parts, p)
			}
			if got := strings.Join(parts, "|"); got != tt.want {
				t.Errorf("Split(%q) = %s, want %s", tt.text, got, tt.want)
			}
		})
	}
}

func TestStem(t *testing.T) {
	tests := []struct{ lang, a, b string }{
		{"en", "arrived", "arrive"},
		{"en", "parcels", "parcel"},
		{"en", "address", "addresses"},
		{"it", "pacchi", "pacco"},
		{"it", "arrivato", "arrivare"},
		{"de", "lieferungen", "lieferung"},
		{"de", "pakete", "paket"},
		{"fi", "pakettia", "paketti"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.a, func(t *testing.T) {
			if x, y := Stem(tt.lang, tt.a), Stem(tt.lang, tt.b); x != y {
				t.Errorf("Stem(%q) = %q, Stem(%q) = %q: want equal", tt.a, x, tt.b, y)
			}
		})
	}
	if got := Stem("xx", "words"); got != "words" {
		t.Errorf("Stem of an unknown language = %q", got)
	}
}
