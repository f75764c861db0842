package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/evaluate"
)

// TestTrainSentiment trains on tiny train splits in a temporary data
// directory, twice, and checks that the model files are equal.
func TestTrainSentiment(t *testing.T) {
	dir := t.TempDir()
	for _, sp := range evaluate.SentimentTrainSplits() {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(sp.Texts)), 0o755); err != nil {
			t.Fatal(err)
		}
		texts := "awful, I hate it\nthe train leaves at nine\nlovely, thank you\n"
		if err := os.WriteFile(filepath.Join(dir, sp.Texts), []byte(texts), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, sp.Labels), []byte("0\n1\n2\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var models [2][]byte
	for i := range models {
		out := filepath.Join(t.TempDir(), "model.bin")
		res := runCmd(t, "", "train", "sentiment", "--data", dir, "--out", out)
		if res.code != 0 {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		if !strings.Contains(res.stdout, "trained on 9 texts") {
			t.Errorf("stdout %q, want the number of texts", res.stdout)
		}
		if !strings.Contains(res.stdout, "5-fold cross-validation on the train splits, macro-F1: de ") || !strings.Contains(res.stdout, "calibration offsets") {
			t.Errorf("stdout %q, want the cross-validation figures and the calibration", res.stdout)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		models[i] = data
	}
	if len(models[0]) == 0 || !bytes.Equal(models[0], models[1]) {
		t.Error("two trainings on the same data wrote different files")
	}
	if res := runCmd(t, "", "train", "sentiment", "--data", t.TempDir(), "--out", filepath.Join(t.TempDir(), "m.bin")); res.code == 0 {
		t.Error("training without data succeeded")
	}
	if res := runCmd(t, "", "train", "intents"); res.code != 2 {
		t.Errorf("train intents: exit %d, want 2", res.code)
	}
}
