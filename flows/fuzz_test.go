package flows

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds adds the flow files of the repository matching patterns (paths
// relative to this package) to f's seed corpus.
func fuzzSeeds(f *testing.F, patterns ...string) {
	f.Helper()
	n := 0
	for _, p := range patterns {
		paths, err := filepath.Glob(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, path := range paths {
			data, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
			n++
		}
	}
	if n == 0 {
		f.Fatalf("no seed files match %q", patterns)
	}
}

// tagCrashers panicked the YAML decoder inside Parse (issue 7).
var tagCrashers = []string{
	"version: 1\nlanguages: !!str en\n",
	"version: 1\nlanguages: !en\n",
	"version: 1\nlanguages: !foo x\n",
	"flows: {a: {states: {s: {choices: !!str x}}}}\n",
	"intents: {a: {examples: {en: !!str x}}}\n",
	"service: {hours: {days: !!str x}}\n",
	"tests: [{name: x, turns: !!str x}]\n",
	"languages: &x !!str x\n",
	"languages: !!null\n",
}

// answerSeeds are small answers sections: broken links, a not_helped that
// names itself or nothing, null entries, tags.
var answerSeeds = []string{
	"answers: {a: {examples: {en: [x]}, say: {en: \"x {link}\"}, link: {en: \"http://[::1\"}, not_helped: {answer: a}}}\n",
	"answers: {a: null, b: {not_helped: null, check: false}}\nanswer_texts: null\n",
	"answers: {a: {say: {en: {default: x, web: \"{link}\"}}, link: {en: \"https://x\"}, not_helped: {flow: f, handoff: {}}}}\nflows: {f: {start: s, states: {s: {kind: close}}}}\n",
	"answers: {a: {link: !!str x}}\n",
	"answers: [a]\n",
}

// checkParseError checks that an error of Parse or ParseTests is the
// Diagnostics it documents.
func checkParseError(t *testing.T, err error) {
	t.Helper()
	var ds Diagnostics
	if !errors.As(err, &ds) || len(ds) == 0 {
		t.Fatalf("error %v (%T) is not Diagnostics", err, err)
	}
	for _, d := range ds {
		if d.Severity != SeverityError || d.File == "" || d.Rule == "" || d.Message == "" {
			t.Errorf("incomplete diagnostic %#v", d)
		}
	}
}

// FuzzParse parses arbitrary bytes as a flow file and, when they parse,
// validates, lints and draws them: none of it may panic, and every error
// is a positioned diagnostic.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f, "../flows.yaml", "../bot/testdata/*.yaml", "../bot/intent/testdata/*.yaml",
		"../cmd/calmbot/testdata/*.yaml", "testdata/*.yaml", "testdata/*/*.yaml")
	for _, s := range append(tagCrashers, answerSeeds...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data)
		if err != nil {
			checkParseError(t, err)
			return
		}
		for _, d := range append(file.Validate(), file.Lint()...) {
			if d.File != "fuzz.yaml" || d.Rule == "" {
				t.Errorf("incomplete diagnostic %#v", d)
			}
		}
		for _, format := range []string{"mermaid", "dot"} {
			if err := file.Graph(io.Discard, format, ""); err != nil {
				t.Errorf("Graph(%s) = %v", format, err)
			}
			names := file.FlowNames()
			for _, a := range file.AnswerNames() {
				names = append(names, AnswerPrefix+a)
			}
			for _, name := range names {
				if err := file.Graph(io.Discard, format, name); err != nil {
					t.Errorf("Graph(%s, %q) = %v", format, name, err)
				}
			}
		}
	})
}

// fuzzDriver answers every turn with the same outcome.
type fuzzDriver struct{}

func (fuzzDriver) Start(context.Context, *Test) (Session, error) { return fuzzSession{}, nil }

type fuzzSession struct{}

func (fuzzSession) Say(_ context.Context, text string) (Outcome, error) {
	return Outcome{Replies: []string{text}, Choices: []string{"a"}, Flow: "f", State: "s", Lang: "en"}, nil
}

func (fuzzSession) Close() error { return nil }

// FuzzParseTests parses arbitrary bytes as a conversation tests file and
// runs what parsed against a fake driver, down to the JUnit report.
func FuzzParseTests(f *testing.F) {
	fuzzSeeds(f, "../flows.test.yaml", "../*.test.yaml", "testdata/*.test.yaml")
	for _, s := range tagCrashers {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tests, err := ParseTests("fuzz.test.yaml", data)
		if err != nil {
			checkParseError(t, err)
			return
		}
		results := RunTests(context.Background(), tests, fuzzDriver{})
		if len(results) != len(tests) {
			t.Fatalf("%d results for %d tests", len(results), len(tests))
		}
		if err := WriteJUnit(io.Discard, "fuzz", results); err != nil {
			t.Errorf("WriteJUnit = %v", err)
		}
	})
}
