package intent

import (
	"context"
	"os"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/evaluate"
	"github.com/calmbot/calmbot/flows"
)

// clincPath is CLINC150's development file in the shared evaluation data
// (../shared/data/eval, see its README), relative to this package.
const clincPath = "../../../shared/data/eval/clinc150/clinc150_dev.json"

// BenchmarkNewCLINC is training on CLINC150's train split (150 intents, 100
// English examples each): New's cost for a large intent set. It is skipped
// when the data is absent.
func BenchmarkNewCLINC(b *testing.B) {
	fh, err := os.Open(clincPath)
	if err != nil {
		b.Skipf("CLINC150 data: %v", err)
	}
	c, err := evaluate.ReadCLINC(fh)
	fh.Close()
	if err != nil {
		b.Fatal(err)
	}
	f := &flows.File{Version: 1, Languages: []string{"en"}, Policy: flows.DefaultPolicy(), Intents: map[string]*flows.Intent{}}
	for _, d := range c.Train {
		in := f.Intents[d.Label]
		if in == nil {
			in = &flows.Intent{Name: d.Label, Examples: map[string][]string{}}
			f.Intents[d.Label] = in
		}
		in.Examples["en"] = append(in.Examples["en"], d.Text)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNew is New on the default flows: training on their intents'
// and answers' examples, the sentiment scorer and the tables.
func BenchmarkNew(b *testing.B) {
	data, err := os.ReadFile("../../flows.yaml")
	if err != nil {
		b.Fatal(err)
	}
	f, err := flows.Parse("../../flows.yaml", data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnalyzeDefaultFlows is BenchmarkAnalyze with the default flows,
// whose answers the classifier reads beside the intents.
func BenchmarkAnalyzeDefaultFlows(b *testing.B) {
	a := newDefaultAnalyzer(b)
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

// BenchmarkAnalyzeAnswer is a knowledge-base question to the default flows.
func BenchmarkAnalyzeAnswer(b *testing.B) {
	a := newDefaultAnalyzer(b)
	in := bot.AnalyzeInput{Text: "how much does shipping to Austria cost?", Lang: "en"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		a.Analyze(ctx, in)
	}
}
