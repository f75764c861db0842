package sentiment

import (
	"slices"
	"sync"
	"testing"
)

// TestLanguagesReadOnUse checks that a Scorer reads a language's lexicons
// and rules only when a text in it is first scored, so a server whose
// flows speak English keeps no Danish or Polish lexicon in memory, and
// that a language read late scores as one read at once.
func TestLanguagesReadOnUse(t *testing.T) {
	s := New()
	for lang, l := range s.langs {
		if l.d != nil {
			t.Errorf("%s read before any text in it was scored", lang)
		}
	}
	if v, _ := s.Score("this is awful", "en"); v >= 0 {
		t.Errorf(`"this is awful" scored %.2f, want negative`, v)
	}
	var read []string
	for lang, l := range s.langs {
		if l.d != nil {
			read = append(read, lang)
		}
	}
	if !slices.Equal(read, []string{"en"}) {
		t.Errorf("read after one English text: %v, want [en]", read)
	}
	eager := New()
	langs := eager.Languages() // reads every language
	if len(langs) < 4 {
		t.Fatalf("languages with a lexicon: %v", langs)
	}
	for _, text := range []struct{ text, lang string }{
		{"Tämä on ihan kamalaa palvelua.", "fi"},
		{"Na super, drei Wochen Wartezeit, danke für gar nichts", "de"},
		{"grazie mille, siete stati gentilissimi", "it"},
		{"det er fantastisk", "da"},
	} {
		lv, ll := s.Score(text.text, text.lang)
		ev, el := eager.Score(text.text, text.lang)
		if lv != ev || ll != el {
			t.Errorf("%s %q: read late %.3f %s, read at once %.3f %s", text.lang, text.text, lv, ll, ev, el)
		}
	}
}

// TestLanguagesReadConcurrently scores every language from many goroutines
// at once on a fresh Scorer: each language is read once (run with -race).
func TestLanguagesReadConcurrently(t *testing.T) {
	s := New()
	var langs []string
	for l := range s.langs {
		langs = append(langs, l)
	}
	var wg sync.WaitGroup
	got := make([][]float64, 8)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, l := range langs {
				v, _ := s.Score("great service, thank you, terrible wait", l)
				got[g] = append(got[g], v)
			}
		}()
	}
	wg.Wait()
	for g := 1; g < len(got); g++ {
		if !slices.Equal(got[g], got[0]) {
			t.Fatalf("goroutine %d scored %v, goroutine 0 %v", g, got[g], got[0])
		}
	}
}
