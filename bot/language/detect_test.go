package language

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDetect(t *testing.T) {
	d := NewDetector([]string{"en", "it", "de", "fi"})
	tests := []struct {
		text    string
		want    string
		minConf float64
	}{
		{"My parcel still hasn't arrived and nobody tells me why", "en", 0.6},
		{"I want to talk to a real person", "en", 0.5},
		{"Il mio pacco non è ancora arrivato, perché?", "it", 0.6},
		{"Vorrei parlare con un operatore", "it", 0.3},
		{"Mein Paket ist immer noch nicht da!", "de", 0.6},
		{"Ich will mit einem Menschen sprechen", "de", 0.6},
		{"Pakettini ei ole vieläkään tullut perille", "fi", 0.5},
		{"Haluan puhua ihmisen kanssa", "fi", 0.3},
		{"Das ist eine Frechheit", "de", 0.4},
		{"Tilaukseni on myöhässä", "fi", 0.2},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, conf := d.Detect(tt.text)
			if got != tt.want || conf < tt.minConf {
				t.Errorf("Detect(%q) = %q, %.2f; want %q with confidence >= %.2f", tt.text, got, conf, tt.want, tt.minConf)
			}
		})
	}
}

func TestDetectShortIsUnsure(t *testing.T) {
	d := NewDetector([]string{"en", "it", "de", "fi"})
	for _, text := range []string{"yes", "ok", "2", "no", "ja", "👍", "", "#2", "Sì"} {
		t.Run(text, func(t *testing.T) {
			if _, conf := d.Detect(text); conf > 0.3 {
				t.Errorf("Detect(%q) confidence = %.2f, want <= 0.3", text, conf)
			}
		})
	}
}

func TestDetectRestricted(t *testing.T) {
	d := NewDetector([]string{"en", "fi"})
	if got, _ := d.Detect("Mein Paket ist immer noch nicht da"); got == "de" {
		t.Errorf("Detect returned an undeclared language %q", got)
	}
	if got := d.Languages(); strings.Join(got, ",") != "en,fi" {
		t.Errorf("Languages() = %v", got)
	}
}

// TestDetectEval measures accuracy on the development sets in
// /work/shared/data/eval (or $CALMBOT_EVAL); it is skipped without them.
func TestDetectEval(t *testing.T) {
	dir := evalDir()
	if dir == "" {
		t.Skip("no eval data")
	}
	d := NewDetector([]string{"en", "it", "de", "fi"})
	sets := []struct{ lang, file string }{
		{"en", "xlmt/english_val_text.txt"},
		{"it", "xlmt/italian_val_text.txt"},
		{"de", "xlmt/german_val_text.txt"},
		{"fi", "xed/xed_fi_dev.tsv"},
	}
	for _, s := range sets {
		f, err := os.Open(filepath.Join(dir, s.file))
		if err != nil {
			t.Fatal(err)
		}
		n, ok := 0, 0
		sc := bufio.NewScanner(f)
		for sc.Scan() && n < 2000 {
			line := sc.Text()
			if i := strings.IndexByte(line, '\t'); i >= 0 {
				line = line[i+1:]
			}
			n++
			if got, _ := d.Detect(line); got == s.lang {
				ok++
			}
		}
		f.Close()
		acc := float64(ok) / float64(n)
		t.Logf("%s: accuracy %.3f on %d texts", s.lang, acc, n)
		if acc < 0.8 {
			t.Errorf("%s: accuracy %.3f < 0.8", s.lang, acc)
		}
	}
}

func evalDir() string {
	dir := os.Getenv("CALMBOT_EVAL")
	if dir == "" {
		dir = "/work/shared/data/eval"
	}
	if _, err := os.Stat(dir); err != nil {
		return ""
	}
	return dir
}

func BenchmarkDetect(b *testing.B) {
	d := NewDetector([]string{"en", "it", "de", "fi"})
	b.ReportAllocs()
	for b.Loop() {
		d.Detect("My parcel still hasn't arrived and nobody tells me why, this is ridiculous")
	}
}

// TestGramTable: the detector's n-gram table gives each listed n-gram the
// languages that list it, and nothing to any other string.
func TestGramTable(t *testing.T) {
	langs := []string{"en", "it", "de", "fi", "fr", "es", "nl", "da", "sv", "pl", "tr"}
	d := NewDetector(langs)
	want := map[string]uint32{}
	for i, l := range langs {
		for _, g := range strings.Fields(profiles[l].ngrams) {
			want[Fold(g)] |= 1 << i
		}
	}
	for g, m := range want {
		if got := d.ngrams.get(gramKey(g)); got != m {
			t.Errorf("n-gram %q: got languages %b, want %b", g, got, m)
		}
	}
	for _, g := range []string{"qx", "_zzz", "xyzzy", "a", "zz_"} {
		if _, listed := want[g]; !listed && d.ngrams.get(gramKey(g)) != 0 {
			t.Errorf("n-gram %q: got languages, want none", g)
		}
	}
}
