package flows

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func readGood(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // the one diagnostic, as file:line:col: rule: message prefix
	}{
		{"broken yaml", "version: 1\nlanguages: [en\n", "f.yaml:2:12: yaml: "},
		{"unknown key", "version: 1\nlanguage: [en]\n", `f.yaml:2:1: unknown-key: unknown key "language"`},
		{"nested unknown key", "version: 1\nflows:\n  a:\n    start: x\n    stats: {}\n", `f.yaml:5:5: unknown-key: unknown key "stats" in flows.a`},
		{"wrong type", "version: one\n", "f.yaml:1:10: type: version: want an integer, got one"},
		{"float for int", "version: 1.5\n", "f.yaml:1:10: type: version: want an integer, got 1.5"},
		{"list for mapping", "flows: [a, b]\n", "f.yaml:1:8: type: flows: want a mapping, got a sequence"},
		{"string for list", "languages: en\n", "f.yaml:1:12: type: languages: want a sequence, got a string"},
		{"tab indentation", "version: 1\nflows:\n\ta: {}\n", "f.yaml:3:1: yaml: found character"},
		{"empty file", "", "f.yaml:1:1: empty: the file is empty"},
		{"only comments", "# nothing\n", "f.yaml:1:1: empty: the file is empty"},
		{"binary garbage", "\x00\x01\x02\xff\xfe", "f.yaml:1:1: encoding: the file is not UTF-8 text"},
		{"invalid utf-8 later", "version: 1\nlanguages: [\xff]\n", "f.yaml:2:13: encoding: "},
		{"not a mapping", "just words\n", "f.yaml:1:1: type: the file must be a mapping"},
		{"two documents", "version: 1\n---\nversion: 1\n", "f.yaml:3:1: yaml: the file holds more than one YAML document"},
		{"duplicate key", "version: 1\nversion: 1\n", `f.yaml:2:1: yaml: mapping key "version" already defined`},
		{"text as string", "texts:\n  welcome: hi\n", "f.yaml:2:12: type: texts.welcome: want a mapping of languages"},
		{"text channel", "texts:\n  welcome: {en: {default: hi, SMS: yo}}\n", `f.yaml:2:31: unknown-key: unknown key "SMS" in a text`},
		{"text list", "texts:\n  welcome: {en: [hi]}\n", "f.yaml:2:17: type: texts.welcome.en: want a string or a mapping"},
		{"bad duration", "policy:\n  quiet_window: 2 parsecs\n", "f.yaml:2:17: type: policy.quiet_window: want a duration"},
		{"deep block nesting", "a:\n  " + strings.Repeat("- ", 100000) + "x\n", "f.yaml:2:131: yaml: collections nest more than 64 deep"},
		{"deep nesting", "a: " + strings.Repeat("[", 100) + "\n", "f.yaml:1:68: yaml: collections nest more than 64 deep"},
		// YAML tags: on a list they panicked the decoder (issue 7).
		{"core tag on a list", "version: 1\nlanguages: !!str en\n", "f.yaml:2:12: tag: languages: the YAML tag !!str is not supported"},
		{"local tag on a list", "version: 1\nlanguages: !en\n", "f.yaml:2:12: tag: languages: the YAML tag !en is not supported"},
		{"custom tag on a list", "version: 1\nlanguages: !foo x\n", "f.yaml:2:12: tag: languages: the YAML tag !foo is not supported"},
		{"tag on a list of a list", "version: 1\nlanguages: !!seq [en]\n", "f.yaml:2:12: tag: languages: the YAML tag !!seq"},
		{"tag on a list of mappings", "flows: {a: {states: {s: {choices: !!str x}}}}\n", "f.yaml:1:35: tag: flows.a.states.s.choices: the YAML tag !!str"},
		{"tag in a list of mappings", "flows: {a: {states: {s: {choices: [!!str x]}}}}\n", "f.yaml:1:36: tag: flows.a.states.s.choices.0: the YAML tag !!str"},
		{"tag on examples", "intents: {a: {examples: {en: !!str x}}}\n", "f.yaml:1:30: tag: intents.a.examples.en: the YAML tag !!str"},
		{"tag on days", "service: {hours: {days: !!str x}}\n", "f.yaml:1:25: tag: service.hours.days: the YAML tag !!str"},
		{"tag on tests", "tests: !!str x\n", "f.yaml:1:8: tag: tests: the YAML tag !!str"},
		{"tag on turns", "tests: [{name: x, turns: !!str x}]\n", "f.yaml:1:26: tag: tests.0.turns: the YAML tag !!str"},
		{"tag on a mapping", "policy: !!str x\n", "f.yaml:1:9: tag: policy: the YAML tag !!str"},
		{"tag on a duration", "policy: {quiet_window: !!int 2}\n", "f.yaml:1:24: tag: policy.quiet_window: the YAML tag !!int"},
		{"tag on a number", "policy: {intent_threshold: !!float x}\n", "f.yaml:1:28: tag: policy.intent_threshold: the YAML tag !!float"},
		{"tag on an integer", "version: !!str 1\n", "f.yaml:1:10: tag: version: the YAML tag !!str"},
		{"tag on a text", "texts: {welcome: {en: !!str x}}\n", "f.yaml:1:23: tag: texts.welcome.en: the YAML tag !!str"},
		{"tag on a key", "!!str version: 1\n", "f.yaml:1:1: tag: the YAML tag !!str"},
		{"tag on the document", "!!map\nversion: 1\n", "f.yaml:1:1: tag: the YAML tag !!map"},
		{"tag under an anchor", "languages: &x !!str x\n", "f.yaml:1:15: tag: the YAML tag !!str"},
		{"tag on a merge", "policy: {<<: [!!str x]}\n", "f.yaml:1:15: tag: the YAML tag !!str"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("f.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", f)
			}
			var ds Diagnostics
			if !errors.As(err, &ds) || len(ds) != 1 {
				t.Fatalf("Parse error = %#v, want one Diagnostic", err)
			}
			if got := ds[0].String(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("Parse error = %q, want prefix %q", got, tt.want)
			}
			if ds[0].Severity != SeverityError {
				t.Errorf("severity = %v, want error", ds[0].Severity)
			}
		})
	}
}

func TestParseTestsTags(t *testing.T) {
	for _, src := range []string{"tests: !!str x\n", "tests: [{name: x, turns: !!str x}]\n", "tests: [{name: x, turns: [{say: hi, expect: !foo x}]}]\n"} {
		_, err := ParseTests("t.test.yaml", []byte(src))
		var ds Diagnostics
		if !errors.As(err, &ds) || len(ds) != 1 || ds[0].Rule != "tag" || ds[0].Pos.Line != 1 {
			t.Errorf("ParseTests(%q) error = %v, want one tag diagnostic on line 1", src, err)
		}
	}
}

func TestRecoverDecode(t *testing.T) {
	decode := func() (err error) {
		defer recoverDecode("f.yaml", &err)
		var n *Diagnostic
		_ = n.Rule // panics, as a bug in the YAML library would
		return nil
	}
	err := decode()
	var ds Diagnostics
	if !errors.As(err, &ds) || len(ds) != 1 || ds[0].Severity != SeverityError || !strings.HasPrefix(ds[0].String(), "f.yaml: yaml: the YAML decoder failed") {
		t.Errorf("error = %v, want one yaml diagnostic about the decoder", err)
	}
}

func TestParseTooLarge(t *testing.T) {
	data := []byte("version: 1\n# " + strings.Repeat("x", MaxFileSize) + "\n")
	_, err := Parse("big.yaml", data)
	if err == nil || !strings.Contains(err.Error(), "big.yaml: too-large: ") {
		t.Errorf("Parse of %d bytes: error %v, want too-large", len(data), err)
	}
}

func TestParseDefaults(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		want   Policy
	}{
		{"absent", "", DefaultPolicy()},
		{"empty", "policy:\n", DefaultPolicy()},
		{"partial", "policy: {max_attempts: 3}\n", func() Policy { p := DefaultPolicy(); p.MaxAttempts = 3; return p }()},
		{"explicit zero window", "policy: {quiet_window: 0}\n", func() Policy { p := DefaultPolicy(); p.QuietWindow = 0; return p }()},
		{"window in ms", "policy: {quiet_window: 1500ms}\n", func() Policy { p := DefaultPolicy(); p.QuietWindow = Duration(1500 * time.Millisecond); return p }()},
		{"window in seconds", "policy: {quiet_window: 2.5}\n", func() Policy { p := DefaultPolicy(); p.QuietWindow = Duration(2500 * time.Millisecond); return p }()},
		{"window seconds as string", "policy: {quiet_window: \"3\"}\n", func() Policy { p := DefaultPolicy(); p.QuietWindow = Duration(3 * time.Second); return p }()},
		{"zero threshold", "policy: {intent_threshold: 0, sentiment_handoff_below: -0.5}\n", func() Policy {
			p := DefaultPolicy()
			p.IntentThreshold, p.SentimentHandoffBelow = 0, -0.5
			return p
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("f.yaml", []byte("version: 1\nlanguages: [fi, en]\n"+tt.policy))
			if err != nil {
				t.Fatal(err)
			}
			if f.Policy != tt.want {
				t.Errorf("Policy = %+v, want %+v", f.Policy, tt.want)
			}
			if f.DefaultLanguage != "fi" {
				t.Errorf("DefaultLanguage = %q, want fi (the first language)", f.DefaultLanguage)
			}
		})
	}
}

func TestParseGood(t *testing.T) {
	f, err := Parse("good.yaml", readGood(t))
	if err != nil {
		t.Fatal(err)
	}
	fl := f.Flows["late_delivery"]
	if fl.Name != "late_delivery" || fl.States["confirm"].Name != "confirm" || f.Intents["legal_threat"].Name != "legal_threat" {
		t.Errorf("names not filled from keys: flow %q, state %q, intent %q", fl.Name, fl.States["confirm"].Name, f.Intents["legal_threat"].Name)
	}
	if got, want := f.FlowNames(), []string{"late_delivery"}; !slices.Equal(got, want) {
		t.Errorf("FlowNames = %q, want %q", got, want)
	}
	if got, want := f.IntentNames(), []string{"late_delivery", "legal_threat"}; !slices.Equal(got, want) {
		t.Errorf("IntentNames = %q, want %q", got, want)
	}
	if got, want := fl.StateNames(), []string{"acknowledge", "confirm", "options", "agree", "close"}; !slices.Equal(got, want) {
		t.Errorf("StateNames = %q, want %q (source order)", got, want)
	}
	if got, want := fl.States["options"].Events(), []string{"chose", "denied", "still_upset"}; !slices.Equal(got, want) {
		t.Errorf("Events = %q, want %q (source order)", got, want)
	}
	waiting := f.Texts.Waiting["de"]
	if waiting.Default == "" || waiting.Channels["slack"] == "" {
		t.Errorf("texts.waiting.de = %+v, want a default and a slack variant", waiting)
	}
	if s, _ := f.Texts.Waiting.Get("de", "slack"); s != waiting.Channels["slack"] {
		t.Errorf("Get(de, slack) = %q", s)
	}
	if f.Policy.QuietWindow != Duration(1500*time.Millisecond) || f.Policy.MaxAttempts != 3 || f.Policy.MaxUnclear != 2 {
		t.Errorf("Policy = %+v", f.Policy)
	}
	if len(f.Tests) != 1 || f.Tests[0].File != "good.yaml" || f.Tests[0].Pos.Line == 0 || f.Tests[0].Turns[1].Pos.Line == 0 {
		t.Errorf("tests not positioned: %+v", f.Tests)
	}
	if len(f.Hash()) != 64 || f.Hash() == (&File{Source: []byte("x")}).Hash() {
		t.Errorf("Hash = %q", f.Hash())
	}
}

func TestPos(t *testing.T) {
	f, err := Parse("good.yaml", readGood(t))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(f.Source), "\n")
	tests := []struct {
		path string
		at   string // the text at the position
	}{
		{"version", "version: 1"},
		{"flows.late_delivery.states.confirm.on.confirmed", "confirmed: options"},
		{"flows.late_delivery.states.options.choices.1", "id: refund"},
		{"flows.late_delivery.states.options.choices.1.label.de", `de: "Bestellung erstatten"`},
		{"texts.waiting.de.slack", `slack: "Gleich`},
		{"tests.0.turns.2", `say: "send a new one"`},
		// longest existing prefix
		{"flows.late_delivery.states.confirm.on.nothing.here", "on: {confirmed: options"},
		{"flows.late_delivery.states.agree.say.fi", "say:"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p := f.Pos(tt.path)
			if p.Line == 0 {
				t.Fatalf("Pos(%q) = %v, want a position", tt.path, p)
			}
			if got := lines[p.Line-1][p.Col-1:]; !strings.HasPrefix(got, tt.at) {
				t.Errorf("Pos(%q) = %v at %q, want %q", tt.path, p, got, tt.at)
			}
		})
	}
	if p := f.Pos("nothing.at.all"); p != (Pos{}) {
		t.Errorf("Pos of a missing path = %v, want zero", p)
	}
}

func TestOrderWithoutPositions(t *testing.T) {
	f := &File{Flows: map[string]*Flow{"b": {}, "a": {}, "c": {}}}
	if got, want := f.FlowNames(), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("FlowNames = %q, want %q", got, want)
	}
}

func TestLoadTestsFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("flows.yaml", string(readGood(t)))
	test := func(name string) string {
		return "tests:\n  - name: " + name + "\n    turns:\n      - say: hello\n        expect: {state: confirm}\n"
	}
	write("flows.test.yaml", test("a"))
	write("flows.more.test.yaml", test("b"))
	write("flowsextra.test.yaml", test("not mine"))
	write("other.test.yaml", test("not mine either"))
	f, err := Load(filepath.Join(dir, "flows.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names, files []string
	for _, tt := range f.Tests {
		names = append(names, tt.Name)
		files = append(files, filepath.Base(tt.File))
	}
	if want := []string{"late delivery, calm customer", "b", "a"}; !slices.Equal(names, want) {
		t.Errorf("tests = %q, want %q", names, want)
	}
	if want := []string{"flows.yaml", "flows.more.test.yaml", "flows.test.yaml"}; !slices.Equal(files, want) {
		t.Errorf("test files = %q, want %q", files, want)
	}
	if p := f.Tests[2].Turns[0].Pos; p != (Pos{Line: 4, Col: 9}) {
		t.Errorf("turn position = %v, want 4:9 in its own file", p)
	}

	// An error in a tests file names that file; so do Validate's findings.
	write("flows.more.test.yaml", "tests:\n  - name: b\n    turns:\n      - say: hi\n        expect: {state: nowhere}\n")
	f, err = Load(filepath.Join(dir, "flows.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ds := f.Validate()
	want := filepath.Join(dir, "flows.more.test.yaml") + ":5:18: unknown-state: "
	if len(ds) != 1 || !strings.HasPrefix(ds[0].String(), want) {
		t.Errorf("Validate = %v, want one %q", ds, want)
	}
	write("flows.test.yaml", "version: 1\ntests: []\n")
	_, err = Load(filepath.Join(dir, "flows.yaml"))
	want = filepath.Join(dir, "flows.test.yaml") + `:1:1: unknown-key: unknown key "version"`
	if err == nil || err.Error() != want {
		t.Errorf("Load error = %v, want %q", err, want)
	}

	if _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v, want os.ErrNotExist", err)
	}
}

func TestLoadTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, make([]byte, MaxFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	var ds Diagnostics
	if !errors.As(err, &ds) || ds[0].Rule != "too-large" {
		t.Errorf("Load = %v, want a too-large diagnostic", err)
	}
}

func TestDiagnostics(t *testing.T) {
	ds := Diagnostics{
		{File: "b.yaml", Pos: Pos{1, 1}, Rule: "x", Message: "m"},
		{File: "a.yaml", Pos: Pos{10, 2}, Rule: "x", Message: "m", Severity: SeverityWarning},
		{File: "a.yaml", Pos: Pos{2, 5}, Rule: "y", Message: "n"},
		{File: "a.yaml", Pos: Pos{2, 5}, Rule: "y", Message: "n"},
		{File: "a.yaml", Rule: "version", Message: "version is missing"},
	}.Sort()
	want := "a.yaml: version: version is missing\na.yaml:2:5: y: n\na.yaml:10:2: x: m\nb.yaml:1:1: x: m"
	if got := ds.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	if !ds.HasErrors() || (Diagnostics{{Severity: SeverityWarning}}).HasErrors() {
		t.Error("HasErrors is wrong")
	}
	if SeverityWarning.String() != "warning" || SeverityError.String() != "error" {
		t.Error("Severity.String is wrong")
	}
}
