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

// TestEvalTestSplit checks that --split test heads the table with its
// warning and measures only the sets with a test split, and that another
// split is refused.
func TestEvalTestSplit(t *testing.T) {
	dir := t.TempDir()
	res := runCmd(t, "", "eval", "--data", dir, "--split", "test")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, testSplitBanner) {
		t.Errorf("no test-split banner in:\n%s", res.stdout)
	}
	var missing []string
	for _, l := range strings.Split(res.stdout, "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[1] == "missing" {
			missing = append(missing, f[0])
		}
	}
	if got, want := strings.Join(missing, ","), strings.Join(evaluate.TestSetNames(), ","); got != want {
		t.Errorf("rows %q, want %q", got, want)
	}
	if !strings.Contains(res.stdout, "xlmt/english_test_text.txt") {
		t.Errorf("the missing xlmt-en row does not name its test file:\n%s", res.stdout)
	}
	if res := runCmd(t, "", "eval", "--data", dir); strings.Contains(res.stdout, testSplitBanner) {
		t.Errorf("the dev split carries the test banner:\n%s", res.stdout)
	}
	for _, args := range [][]string{{"--split", "val"}, {"--split", "test", "--set", "mwoz"}} {
		if res := runCmd(t, "", append([]string{"eval", "--data", dir}, args...)...); res.code != 2 {
			t.Errorf("eval %q: exit %d, want 2; stderr %q", args, res.code, res.stderr)
		}
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
