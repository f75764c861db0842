package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/flows"
)

// FuzzAnalyzeStream feeds `calmbot analyze` arbitrary input: it must not
// panic, and it writes one JSON object per non-blank input line (bad lines
// as error objects, counted).
func FuzzAnalyzeStream(f *testing.F) {
	file, err := flows.Load("../../flows.yaml")
	if err != nil {
		f.Fatal(err)
	}
	an, err := analyzer(file)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		`{"id": 1, "text": "my parcel has not arrived"}` + "\n" + `{"id": "b", "text": "dov'è il mio pacco?", "lang": "it"}`,
		`{"id": [1, 2], "text": "I want a human"}`,
		`{"text": null}` + "\n\n" + `not json` + "\n" + `{"id": {"x": 1}}`,
		`{"id": 1, "text": "ok", "extra": true}` + "\r\n" + `{"text": 5}`,
		`{"text": "` + strings.Repeat("á", 3000) + `"}`,
		"\xff\xfe{\"text\": \"\x00\"}",
	} {
		f.Add([]byte(s), uint8(2))
	}
	f.Fuzz(func(t *testing.T, in []byte, workers uint8) {
		var out bytes.Buffer
		bad, err := analyzeStream(context.Background(), an, bytes.NewReader(in), &out, int(workers%4)+1)
		if err != nil {
			// Only a line longer than the scanner's 1 MiB buffer fails the run.
			if len(in) < 1<<20 {
				t.Fatalf("analyzeStream = %v", err)
			}
			return
		}
		want := 0
		for line := range strings.SplitSeq(string(in), "\n") {
			if len(bytes.TrimSpace([]byte(line))) > 0 {
				want++
			}
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if out.Len() == 0 {
			lines = nil
		}
		if len(lines) != want {
			t.Fatalf("%d output lines for %d input lines:\n%s", len(lines), want, out.String())
		}
		errs := 0
		for _, l := range lines {
			var obj map[string]any
			if err := json.Unmarshal([]byte(l), &obj); err != nil {
				t.Fatalf("output line %q is not a JSON object: %v", l, err)
			}
			if _, ok := obj["error"]; ok {
				errs++
			}
		}
		if errs != bad {
			t.Errorf("%d error objects, but %d bad lines reported", errs, bad)
		}
	})
}
