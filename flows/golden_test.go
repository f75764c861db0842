package flows

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func diagLines(ds Diagnostics) []byte {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// TestValidateGolden parses and validates each testdata/validate/*.yaml and
// compares the errors with its .golden file. Parse errors count too, so the
// golden files cover broken files as well.
func TestValidateGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/validate/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var ds Diagnostics
			f, err := Parse(filepath.ToSlash(path), data)
			if err != nil {
				ds = err.(Diagnostics)
			} else {
				ds = f.Validate()
			}
			if len(ds) == 0 {
				t.Errorf("%s gives no diagnostic: every case must fail", path)
			}
			for _, d := range ds {
				if d.Severity != SeverityError {
					t.Errorf("%v: severity %v, want error", d, d.Severity)
				}
			}
			golden(t, strings.TrimSuffix(path, ".yaml")+".golden", diagLines(ds))
		})
	}
}

// goldenChannels are the channels the lint cases' bot runs.
var goldenChannels = []string{"console", "web", "telegram", "slack"}

// TestLintGolden lints each testdata/lint/*.yaml, which must be valid, and
// compares the warnings with its .golden file.
func TestLintGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/lint/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse(filepath.ToSlash(path), data)
			if err != nil {
				t.Fatal(err)
			}
			if errs := f.Validate(); len(errs) > 0 {
				t.Errorf("lint cases must be valid files:\n%v", errs)
			}
			ws := f.Lint(WithChannels(goldenChannels...))
			if len(ws) == 0 {
				t.Errorf("%s gives no warning: every case must warn", path)
			}
			for _, d := range ws {
				if d.Severity != SeverityWarning {
					t.Errorf("%v: severity %v, want warning", d, d.Severity)
				}
			}
			golden(t, strings.TrimSuffix(path, ".yaml")+".golden", diagLines(ws))
		})
	}
}

func TestGoodFileIsClean(t *testing.T) {
	for _, path := range []string{"testdata/good.yaml", "testdata/answers.yaml"} {
		f, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if ds := f.Validate(); len(ds) > 0 {
			t.Errorf("%s: Validate:\n%v", path, ds)
		}
		if ds := f.Lint(); len(ds) > 0 {
			t.Errorf("%s: Lint:\n%v", path, ds)
		}
	}
}
