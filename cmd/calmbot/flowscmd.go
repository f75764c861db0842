package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/flows"
)

const flowsUsage = `Usage: calmbot flows <check|test|graph> [flags] [FILE]

  check [--strict] [--channels web,telegram] [FILE...]
                                 validate and lint; prints file:line:col: rule: message
                                 and exits 1 on errors (with --strict, on warnings too);
                                 a text variant for a channel not in --channels is a
                                 warning (default: the channels calmbot runs: web,telegram,discord,slack,console)
  test [--junit OUT] [--run RE] [-v] [FILE]
                                 run the conversation tests of FILE and of the
                                 *.test.yaml files beside it
  graph [--format mermaid|dot] [--flow NAME] [FILE]
                                 draw the flows' state machines

FILE defaults to $CALMBOT_FLOWS, else ./flows.yaml, else the built-in flows.
See docs/flows.md for the format and every rule.
`

func (e *env) flowsHelp(sub string) error {
	switch sub {
	case "check", "test", "graph":
		fs, _ := e.flowsFlags(sub)
		fs.SetOutput(e.stdout)
		fs.Usage()
	default:
		fmt.Fprint(e.stdout, flowsUsage)
	}
	return nil
}

type flowsOptions struct {
	strict   bool
	channels string
	junit    string
	run      string
	verbose  bool
	format   string
	flow     string
}

func (e *env) flowsFlags(sub string) (*flag.FlagSet, *flowsOptions) {
	o := &flowsOptions{}
	fs := flag.NewFlagSet("flows "+sub, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	switch sub {
	case "check":
		fs.BoolVar(&o.strict, "strict", false, "exit 1 on warnings too")
		fs.StringVar(&o.channels, "channels", strings.Join(builtinChannels(), ","), "the `channels` the bot runs, comma-separated: a text's variant for another channel is a warning (unknown-channel)")
	case "test":
		fs.StringVar(&o.junit, "junit", "", "also write a JUnit XML report to `file`")
		fs.StringVar(&o.run, "run", "", "run only the tests whose name matches `regexp`")
		fs.BoolVar(&o.verbose, "v", false, "print every test, not only failures")
	case "graph":
		fs.StringVar(&o.format, "format", "mermaid", "`format`: mermaid or dot")
		fs.StringVar(&o.flow, "flow", "", "draw only this `flow`")
	}
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), flowsUsage, "\nFlags of flows ", sub, ":\n")
		fs.PrintDefaults()
	}
	return fs, o
}

func (e *env) flows(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, flowsUsage)
		return &exitError{code: 2, msg: "flows needs a subcommand: check, test or graph"}
	}
	sub := args[0]
	if sub != "check" && sub != "test" && sub != "graph" {
		fmt.Fprint(e.stderr, flowsUsage)
		return &exitError{code: 2, msg: fmt.Sprintf("unknown flows subcommand %q", sub)}
	}
	fs, o := e.flowsFlags(sub)
	files, err := e.parseFlags(fs, args[1:], "flows "+sub)
	if err != nil {
		return helpOK(err)
	}
	if len(files) == 0 {
		files = []string{e.flowsPath("")}
	}
	if sub != "check" && len(files) > 1 {
		return &exitError{code: 2, msg: fmt.Sprintf("flows %s takes one file, got %d", sub, len(files))}
	}
	switch sub {
	case "check":
		return e.flowsCheck(files, o)
	case "test":
		return e.flowsTest(ctx, files[0], o)
	default:
		return e.flowsGraph(files[0], o)
	}
}

// flowsCheck validates and lints each file.
func (e *env) flowsCheck(files []string, o *flowsOptions) error {
	channels, err := parseChannels(o.channels)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	var errs, warns int
	for _, path := range files {
		f, err := e.parseFlows(path)
		if err != nil {
			var ds flows.Diagnostics
			if !errors.As(err, &ds) {
				return &exitError{code: 1, msg: err.Error()}
			}
			e.printDiagnostics(ds)
			errs += len(ds)
			continue
		}
		ds := append(f.Validate(), f.Lint(flows.WithChannels(channels...))...)
		e.printDiagnostics(ds)
		for _, d := range ds {
			if d.Severity == flows.SeverityError {
				errs++
			} else {
				warns++
			}
		}
	}
	fmt.Fprintf(e.stderr, "%d error(s), %d warning(s)\n", errs, warns)
	if errs > 0 || o.strict && warns > 0 {
		return &exitError{code: 1}
	}
	return nil
}

// parseFlows reads a flow file, or the built-in one for "".
func (e *env) parseFlows(path string) (*flows.File, error) {
	if path == "" {
		return e.builtinFlows()
	}
	return flows.Load(path)
}

// flowsTest runs the conversation tests.
func (e *env) flowsTest(ctx context.Context, path string, o *flowsOptions) error {
	f, err := e.loadFlows(path)
	if err != nil {
		return err
	}
	tests := f.Tests
	if o.run != "" {
		re, err := regexp.Compile(o.run)
		if err != nil {
			return &exitError{code: 2, msg: fmt.Sprintf("--run: %v", err)}
		}
		tests = tests[:0:0]
		for _, t := range f.Tests {
			if re.MatchString(t.Name) {
				tests = append(tests, t)
			}
		}
	}
	if len(tests) == 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%s: no conversation tests to run", displayName(path))}
	}
	d, err := bottest.NewDriver(ctx, f, analyzer)
	if err != nil {
		return err
	}
	defer d.Close()
	start := time.Now()
	results := flows.RunTests(ctx, tests, d)
	failed := 0
	for _, r := range results {
		if len(r.Failures) > 0 {
			failed++
			fmt.Fprintf(e.stdout, "FAIL %s (%s)\n", r.Test.Name, r.Duration.Round(time.Microsecond))
			for _, msg := range r.Failures {
				fmt.Fprintf(e.stdout, "    %s\n", msg)
			}
		} else if o.verbose {
			fmt.Fprintf(e.stdout, "ok   %s (%s)\n", r.Test.Name, r.Duration.Round(time.Microsecond))
		}
	}
	if o.junit != "" {
		out, err := os.Create(o.junit)
		if err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("--junit: %v", err)}
		}
		werr := flows.WriteJUnit(out, displayName(path), results)
		if cerr := out.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("--junit: %v", werr)}
		}
	}
	fmt.Fprintf(e.stdout, "flows: %d passed, %d failed (%s)\n", len(results)-failed, failed, time.Since(start).Round(time.Millisecond))
	if failed > 0 {
		return &exitError{code: 1}
	}
	return nil
}

// flowsGraph draws the flows.
func (e *env) flowsGraph(path string, o *flowsOptions) error {
	f, err := e.loadFlows(path)
	if err != nil {
		return err
	}
	if o.format != "mermaid" && o.format != "dot" {
		return &exitError{code: 2, msg: fmt.Sprintf("--format %q: want mermaid or dot", o.format)}
	}
	if o.flow != "" && f.Flows[o.flow] == nil {
		return &exitError{code: 1, msg: fmt.Sprintf("no flow %q in %s", o.flow, displayName(path))}
	}
	return f.Graph(e.stdout, o.format, o.flow)
}
