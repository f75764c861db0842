package assist_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/handoff/assist"
)

// reply is one labelled agent reply of testdata/replies/<lang>.txt.
type reply struct {
	line  int
	rules []assist.Rule
	ctx   assist.Context
	text  string
}

// readReplies reads a labelled set: "rules | context | reply" per line,
// rules comma-separated or "-", context "apologised" and "options=N".
func readReplies(t testing.TB, lang string) []reply {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "replies", lang+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []reply
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			t.Fatalf("%s.txt:%d: want rules | context | reply", lang, n)
		}
		r := reply{line: n, ctx: assist.Context{Lang: lang}, text: strings.ReplaceAll(strings.TrimSpace(parts[2]), `\n`, "\n")}
		for name := range strings.SplitSeq(strings.TrimSpace(parts[0]), ",") {
			if name = strings.TrimSpace(name); name != "-" {
				if !slices.Contains(assist.Rules, assist.Rule(name)) {
					t.Fatalf("%s.txt:%d: unknown rule %q", lang, n, name)
				}
				r.rules = append(r.rules, assist.Rule(name))
			}
		}
		for c := range strings.SplitSeq(strings.TrimSpace(parts[1]), ",") {
			switch c = strings.TrimSpace(c); {
			case c == "":
			case c == "apologised":
				r.ctx.Earlier = append(r.ctx.Earlier, apologies[lang])
			case strings.HasPrefix(c, "options="):
				r.ctx.Options, err = strconv.Atoi(strings.TrimPrefix(c, "options="))
				if err != nil {
					t.Fatalf("%s.txt:%d: %v", lang, n, err)
				}
			default:
				t.Fatalf("%s.txt:%d: unknown context %q", lang, n, c)
			}
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// apologies are what the bot said earlier in an "apologised" conversation.
var apologies = map[string]string{
	"en": "Thank you for telling us, and I am sorry you are still waiting.",
	"it": "Grazie per avercelo segnalato, e mi dispiace per l'attesa.",
	"de": "Danke, dass Sie sich melden, und entschuldigen Sie die Wartezeit.",
	"fi": "Kiitos, että kerroit, ja pahoittelen odotusta.",
}

// floors are the lowest precision and recall each rule may have in each
// language on the labelled set.
const precisionFloor, recallFloor = 0.9, 0.8

// TestLabelled reports each rule's precision and recall per language on
// the labelled replies and fails below the floors.
func TestLabelled(t *testing.T) {
	var table strings.Builder
	fmt.Fprintf(&table, "%-4s %-16s %4s %4s %4s %9s %6s\n", "lang", "rule", "tp", "fp", "fn", "precision", "recall")
	for _, lang := range langs {
		replies := readReplies(t, lang)
		if len(replies) < 100 {
			t.Errorf("%s: %d labelled replies, want at least 100", lang, len(replies))
		}
		tp, fp, fn := map[assist.Rule]int{}, map[assist.Rule]int{}, map[assist.Rule]int{}
		for _, r := range replies {
			var got []assist.Rule
			for _, h := range assist.Check(r.text, r.ctx) {
				if !slices.Contains(got, h.Rule) {
					got = append(got, h.Rule)
				}
				if r.text[h.Span.Start:h.Span.End] != h.Text || h.Why == "" {
					t.Errorf("%s.txt:%d: hint %+v: span or why wrong", lang, r.line, h)
				}
			}
			for _, rule := range assist.Rules {
				want, have := slices.Contains(r.rules, rule), slices.Contains(got, rule)
				switch {
				case want && have:
					tp[rule]++
				case have:
					fp[rule]++
					t.Logf("%s.txt:%d: false %s: %s", lang, r.line, rule, r.text)
				case want:
					fn[rule]++
					t.Logf("%s.txt:%d: missed %s: %s", lang, r.line, rule, r.text)
				}
			}
		}
		for _, rule := range assist.Rules {
			p, rc := ratio(tp[rule], tp[rule]+fp[rule]), ratio(tp[rule], tp[rule]+fn[rule])
			fmt.Fprintf(&table, "%-4s %-16s %4d %4d %4d %9.2f %6.2f\n", lang, rule, tp[rule], fp[rule], fn[rule], p, rc)
			if tp[rule]+fn[rule] < 8 {
				t.Errorf("%s %s: %d labelled examples, want at least 8", lang, rule, tp[rule]+fn[rule])
			}
			if p < precisionFloor || rc < recallFloor {
				t.Errorf("%s %s: precision %.2f recall %.2f, floors %.2f and %.2f", lang, rule, p, rc, precisionFloor, recallFloor)
			}
		}
	}
	t.Logf("\n%s", table.String())
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// langs are the languages of the labelled sets.
var langs = []string{"en", "it", "de", "fi"}
