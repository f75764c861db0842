package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/evaluate"
	"github.com/calmbot/calmbot/flows"
)

const evalUsage = `Usage: calmbot eval [--data DIR] [--split dev|test] [--set NAME]... [--flows FILE] [--json]

Runs the analyzer over the labelled evaluation sets (../shared/data/eval, see
its README) and prints one table: for the sentiment sets accuracy, macro-F1
and the F1 of the negative class; Pearson r for the rated sets; in-scope
accuracy and out-of-scope recall for the intent sets, with a flow file built
from their training split (the threshold is policy.intent_threshold's
default); recall and precision of frustrated dialogue turns read as negative.
A set whose file is absent is reported as missing.

The development split (--split dev, the default) is the one to tune by.
--split test measures the held-out test splits instead, of the sets that
have one (marked * below): report those figures once a result is fixed,
never tune by them. No training reads either split.

Sets:
%s
Flags:
`

// testSplitBanner heads the table of the test split.
const testSplitBanner = "split: test (held-out test splits: figures to report, never to tune by)"

// evalDataDirs are tried in order when --data is not given.
var evalDataDirs = []string{"shared/data/eval", "../shared/data/eval"}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// floatList is a comma-separated list of numbers.
type floatList []float64

func (l *floatList) String() string {
	var parts []string
	for _, v := range *l {
		parts = append(parts, strconv.FormatFloat(v, 'f', -1, 64))
	}
	return strings.Join(parts, ",")
}

func (l *floatList) Set(v string) error {
	*l = nil
	for _, p := range strings.Split(v, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f < 0 || f > 1 {
			return fmt.Errorf("%q is not a threshold in [0, 1]", p)
		}
		*l = append(*l, f)
	}
	return nil
}

func (e *env) eval(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	data := fs.String("data", "", "eval data `dir` (default ./shared/data/eval or ../shared/data/eval, whichever exists)")
	var sets stringList
	fs.Var(&sets, "set", "measure only this set `name` (repeatable)")
	flowsFlag := fs.String("flows", "", "flow `file` whose analyzer reads the sentiment sets (default $CALMBOT_FLOWS, ./flows.yaml, else the built-in flows)")
	split := fs.String("split", evaluate.SplitDev, "`split` to measure: dev, or test (the held-out test splits)")
	asJSON := fs.Bool("json", false, "print the rows as a JSON array")
	var thresholds floatList
	fs.Var(&thresholds, "curve", "also measure the intent sets at these comma-separated `thresholds` (shown with --json)")
	paths := map[string]*string{}
	var list strings.Builder
	for _, s := range evaluate.Sets() {
		def := "DIR/" + s.Path
		if s.Path == "" {
			def = "built in"
		}
		mark := " "
		if s.Test != "" {
			def += "; with --split test DIR/" + s.Test
			mark = "*"
		}
		paths[s.Name] = fs.String(s.Name, "", "`path` of the "+s.Name+" file (default "+def+")")
		fmt.Fprintf(&list, "  %-13s%s %s\n", s.Name, mark, s.What)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), evalUsage, list.String())
		fs.PrintDefaults()
	}
	rest, err := e.parseFlags(fs, args, "eval")
	if err != nil {
		return helpOK(err)
	}
	if len(rest) > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("eval takes no arguments, got %q", rest)}
	}
	if *split != evaluate.SplitDev && *split != evaluate.SplitTest {
		return &exitError{code: 2, msg: fmt.Sprintf("eval: --split is dev or test, got %q", *split)}
	}
	f, err := e.loadFlows(e.flowsPath(*flowsFlag))
	if err != nil {
		return err
	}
	cfg := evaluate.Config{
		Dir:        evalDataDir(*data),
		Split:      *split,
		Paths:      map[string]string{},
		Flows:      f,
		New:        func(f *flows.File) (bot.Analyzer, error) { return analyzer(f) },
		Thresholds: thresholds,
	}
	for name, p := range paths {
		if *p != "" {
			cfg.Paths[name] = *p
		}
	}
	rows, err := evaluate.Run(ctx, cfg, sets)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	fmt.Fprintf(e.stdout, "data: %s\n", cfg.Dir)
	if cfg.Split == evaluate.SplitTest {
		fmt.Fprintln(e.stdout, testSplitBanner)
	}
	return writeEvalTable(e.stdout, rows)
}

// evalDataDir returns flag, or the first default directory that exists,
// or the first default.
func evalDataDir(flag string) string {
	if flag != "" {
		return flag
	}
	for _, d := range evalDataDirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return filepath.Clean(d)
		}
	}
	return evalDataDirs[0]
}

// writeEvalTable prints rows as an aligned table, "-" for figures that do
// not apply, and the notes after it.
func writeEvalTable(w io.Writer, rows []evaluate.Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "set\tn\tacc\tmacro-F1\tF1 neg\tr\tthreshold\tin-scope acc\toos recall\trecall\tprecision\t")
	var notes []string
	for _, r := range rows {
		if r.Status != evaluate.StatusOK {
			msg := r.Status
			if r.Error != "" {
				msg += ": " + r.Error
			}
			fmt.Fprintf(tw, "%s\t%s\t\t\t\t\t\t\t\t\t\t\n", r.Set, r.Status)
			if r.Status == evaluate.StatusMissing {
				msg += ": " + r.Note
			}
			notes = append(notes, r.Set+": "+msg)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Set, r.N,
			pct(r.Accuracy), num(r.MacroF1), num(r.NegativeF1), num(r.Pearson), num(r.Threshold),
			pct(r.InScopeAccuracy), pct(r.OOSRecall), pct(r.Recall), pct(r.Precision))
		if r.Note != "" {
			notes = append(notes, r.Set+": "+r.Note)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range notes {
		if _, err := fmt.Fprintln(w, n); err != nil {
			return err
		}
	}
	return nil
}

func pct(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(100**v, 'f', 1, 64) + "%"
}

func num(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', 3, 64)
}
