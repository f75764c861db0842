package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/evaluate"
)

// TestEvalMissingData checks that sets whose files are absent are reported
// as missing and the command still succeeds, with --set picking rows.
func TestEvalMissingData(t *testing.T) {
	dir := t.TempDir()
	res := runCmd(t, "", "eval", "--data", dir, "--set", "xlmt-en", "--set", "mwoz")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	var rows []string
	for _, l := range lines {
		if f := strings.Fields(l); len(f) >= 2 && f[1] == "missing" {
			rows = append(rows, f[0])
		}
	}
	if strings.Join(rows, ",") != "xlmt-en,mwoz" {
		t.Errorf("missing rows %q, want xlmt-en,mwoz; output:\n%s", rows, res.stdout)
	}
	if res := runCmd(t, "", "eval", "--data", dir, "--set", "nope"); res.code != 2 || !strings.Contains(res.stderr, "unknown set") {
		t.Errorf("unknown set: exit %d, stderr %q", res.code, res.stderr)
	}
}

// TestEvalRealData runs the whole evaluation on the shared data, when this
// machine has it, and checks that the table has a measured row per set.
func TestEvalRealData(t *testing.T) {
	const dir = "../../../shared/data/eval"
	if testing.Short() {
		t.Skip("trains on thousands of examples")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no eval data:", err)
	}
	res := runCmd(t, "", "eval", "--data", dir)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	t.Log("\n" + res.stdout)
	for _, name := range evaluate.SetNames() {
		found := false
		for _, l := range strings.Split(res.stdout, "\n") {
			if f := strings.Fields(l); len(f) > 2 && f[0] == name && f[1] != "missing" && f[1] != "error" {
				found = true
			}
		}
		if !found {
			t.Errorf("no measured row for %s", name)
		}
	}

	res = runCmd(t, "", "eval", "--data", dir, "--set", "xlmt-en", "--json")
	var rows []evaluate.Row
	if err := json.Unmarshal([]byte(res.stdout), &rows); err != nil {
		t.Fatalf("--json: %v\n%s", err, res.stdout)
	}
	if len(rows) != 1 || rows[0].Status != evaluate.StatusOK || rows[0].MacroF1 == nil {
		t.Errorf("--json rows: %+v", rows)
	}
}
