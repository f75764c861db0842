package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/calmbot/calmbot"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/intent"
	"github.com/calmbot/calmbot/flows"
)

// defaultFlowsFile is read when no flow file is named and it exists.
const defaultFlowsFile = "flows.yaml"

// analyzer is the standard bot.AnalyzerFactory.
func analyzer(f *flows.File) (bot.Analyzer, error) { return intent.New(f) }

// flowsPath picks the flow file: the flag, then $CALMBOT_FLOWS, then
// ./flows.yaml; "" means the built-in default flows.
func (e *env) flowsPath(flag string) string {
	if flag != "" {
		return flag
	}
	if p := e.getenv("CALMBOT_FLOWS"); p != "" {
		return p
	}
	if _, err := os.Stat(defaultFlowsFile); err == nil {
		return defaultFlowsFile
	}
	return ""
}

// loadFlows reads and validates a flow file (the built-in one for ""),
// printing every diagnostic and failing on errors.
func (e *env) loadFlows(path string) (*flows.File, error) {
	f, err := e.parseFlows(path)
	if err != nil {
		var ds flows.Diagnostics
		if errors.As(err, &ds) {
			e.printDiagnostics(ds)
			return nil, &exitError{code: 1, msg: fmt.Sprintf("%s has errors; nothing was started", displayName(path))}
		}
		return nil, &exitError{code: 1, msg: err.Error()}
	}
	if ds := f.Validate(); len(ds) > 0 {
		e.printDiagnostics(ds)
		return nil, &exitError{code: 1, msg: fmt.Sprintf("%s has errors; nothing was started", displayName(path))}
	}
	return f, nil
}

// builtinFlows parses the flows compiled into the binary, with their tests.
func (e *env) builtinFlows() (*flows.File, error) {
	f, err := flows.Parse("(built-in flows.yaml)", calmbot.DefaultFlows())
	if err != nil {
		return nil, err
	}
	tests, err := flows.ParseTests("(built-in flows.test.yaml)", calmbot.DefaultFlowTests())
	if err != nil {
		return nil, err
	}
	f.Tests = append(f.Tests, tests...)
	return f, nil
}

func displayName(path string) string {
	if path == "" {
		return "the built-in flows.yaml"
	}
	return path
}

func (e *env) printDiagnostics(ds flows.Diagnostics) {
	for _, d := range ds.Sort() {
		if d.Severity == flows.SeverityWarning {
			fmt.Fprintln(e.stderr, d.String()+" [warning]")
			continue
		}
		fmt.Fprintln(e.stderr, d.String())
	}
}

// dbPath picks the database: the flag, then $CALMBOT_DATABASE_URL, then
// $CALMBOT_DB, then calmbot.db.
func (e *env) dbPath(flag string) string {
	if flag != "" {
		return flag
	}
	if p := e.getenv("CALMBOT_DATABASE_URL"); p != "" {
		return p
	}
	if p := e.getenv("CALMBOT_DB"); p != "" {
		return p
	}
	return "calmbot.db"
}
