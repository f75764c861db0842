package flows

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity says whether a diagnostic is an error (the file is not loaded) or
// a warning (a lint finding about de-escalation practice).
type Severity int

// The severities of a diagnostic.
const (
	SeverityError   Severity = iota // the file is invalid
	SeverityWarning                 // the file works, but goes against good practice
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one finding about a flow file, with its position.
type Diagnostic struct {
	// File is the name of the file the finding is in.
	File string
	// Pos is where in File; the zero Pos when unknown.
	Pos Pos
	// Rule names the check, e.g. "unknown-target" or "negative-wording".
	Rule string
	// Message says what is wrong, for people.
	Message string
	// Severity is SeverityError for Parse and Validate findings and
	// SeverityWarning for Lint findings.
	Severity Severity
}

// String formats d as "file:line:col: rule: message". The severity is not
// part of it: errors come from Parse and Validate, warnings from Lint, and a
// caller that mixes them shows the severity itself. Without a position the
// form is "file: rule: message".
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Pos.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", d.Pos.Line, d.Pos.Col)
	}
	b.WriteString(": ")
	b.WriteString(d.Rule)
	b.WriteString(": ")
	b.WriteString(d.Message)
	return b.String()
}

// Diagnostics is a list of findings; as an error it reads as one finding per
// line. Parse, Validate and Lint return them sorted by file and position.
type Diagnostics []Diagnostic

// Error joins the diagnostics with newlines.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// HasErrors reports whether any diagnostic has SeverityError.
func (ds Diagnostics) HasErrors() bool {
	return slices.ContainsFunc(ds, func(d Diagnostic) bool { return d.Severity == SeverityError })
}

// Sort orders ds by file, line, column, rule and message, and drops exact
// duplicates. It returns the sorted list.
func (ds Diagnostics) Sort() Diagnostics {
	slices.SortStableFunc(ds, compareDiagnostics)
	return slices.CompactFunc(ds, func(a, b Diagnostic) bool { return a == b })
}

func compareDiagnostics(a, b Diagnostic) int {
	return cmp.Or(
		cmp.Compare(a.File, b.File),
		cmp.Compare(a.Pos.Line, b.Pos.Line),
		cmp.Compare(a.Pos.Col, b.Pos.Col),
		cmp.Compare(a.Rule, b.Rule),
		cmp.Compare(a.Message, b.Message),
		cmp.Compare(a.Severity, b.Severity),
	)
}
