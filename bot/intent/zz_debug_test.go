package intent

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/language"
	"github.com/calmbot/calmbot/flows"
)

func TestZZDebug(t *testing.T) {
	data, _ := os.ReadFile("../../flows.yaml")
	f, err := flows.Parse("flows.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := New(f)
	for _, line := range strings.Split(os.Getenv("MSGS"), "|") {
		lang, text, _ := strings.Cut(line, ":")
		got := a.Analyze(context.Background(), bot.AnalyzeInput{Text: text, Lang: lang})
		fmt.Printf("%-60q lang=%s intent=%s %.2f in=%v ans=%q sent=%.2f\n", text, got.Lang, got.Intent, got.IntentScore, got.InScope, got.Answer, got.Sentiment)
		tt := a.tables[got.Lang]
		for _, tk := range language.Split(nil, text) {
			if !tt.isContent(tk) {
				continue
			}
			st := language.Stem(got.Lang, tk.Text)
			id, sim := a.index.lookup(tk.Text, st, a.index.find(got.Lang))
			term := ""
			var post []string
			if id >= 0 {
				term = a.index.terms[id]
				for _, p := range a.index.postings[id] {
					post = append(post, a.index.intents[p].name)
				}
			}
			fmt.Printf("    %s -> %s (%s) %.1f %v\n", tk.Text, st, term, sim, post)
		}
	}
}
