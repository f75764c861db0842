package flows

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Driver starts conversations for conversation tests. The engine's test
// harness implements it; flows knows nothing of the engine.
type Driver interface {
	// Start begins a new conversation for t (its language and channel).
	Start(ctx context.Context, t *Test) (Session, error)
}

// Session is one conversation started by a Driver.
type Session interface {
	// Say sends one customer turn and returns what the bot did with it.
	Say(ctx context.Context, text string) (Outcome, error)
	// Close ends the conversation and releases its resources.
	Close() error
}

// Outcome is the state of a conversation after one customer turn.
type Outcome struct {
	// Replies are the bot's messages for the turn, in order.
	Replies []string
	// Choices are the ids of the options the replies offered, in order.
	Choices []string
	// Flow, State and Lang are where the conversation is after the turn.
	Flow, State, Lang string
	// Handoff is the reason the turn handed the conversation to a person, or "".
	Handoff string
	// Ended reports whether the conversation has ended.
	Ended bool
}

// TestResult is the result of one conversation test.
type TestResult struct {
	Test *Test
	// Failures describe each expectation that did not hold, as
	// "turn 3 (file:line:col): state = X, want Y"; none means passed.
	Failures []string
	// Duration is how long the test took.
	Duration time.Duration
}

// Passed reports whether the test had no failures.
func (r TestResult) Passed() bool { return len(r.Failures) == 0 }

// RunTests runs the tests one after another, each in a new session of d,
// and returns their results in the same order. A test stops at its first
// turn that fails to run (a Say error); failed expectations are collected
// and the test goes on. When ctx ends, the remaining tests fail with its
// error.
func RunTests(ctx context.Context, tests []*Test, d Driver) []TestResult {
	results := make([]TestResult, 0, len(tests))
	for _, t := range tests {
		start := time.Now()
		failures := runTest(ctx, t, d)
		results = append(results, TestResult{Test: t, Failures: failures, Duration: time.Since(start)})
	}
	return results
}

func runTest(ctx context.Context, t *Test, d Driver) (failures []string) {
	if err := ctx.Err(); err != nil {
		return []string{fmt.Sprintf("not run: %v", err)}
	}
	s, err := d.Start(ctx, t)
	if err != nil {
		return []string{fmt.Sprintf("start: %v", err)}
	}
	defer func() {
		if err := s.Close(); err != nil {
			failures = append(failures, fmt.Sprintf("close: %v", err))
		}
	}()
	for i, turn := range t.Turns {
		where := fmt.Sprintf("turn %d (%s)", i+1, turnPos(t, turn))
		if err := ctx.Err(); err != nil {
			return append(failures, fmt.Sprintf("%s: not run: %v", where, err))
		}
		out, err := s.Say(ctx, turn.Say)
		if err != nil {
			return append(failures, fmt.Sprintf("%s: say %q: %v", where, turn.Say, err))
		}
		for _, msg := range turn.Expect.check(out) {
			failures = append(failures, where+": "+msg)
		}
	}
	return failures
}

func turnPos(t *Test, turn *TestTurn) string {
	if turn.Pos.Line == 0 {
		return t.File
	}
	return t.File + ":" + turn.Pos.String()
}

// check returns what in out does not meet e.
func (e Expect) check(out Outcome) []string {
	var fails []string
	eq := func(what, got, want string) {
		if want != "" && got != want {
			fails = append(fails, fmt.Sprintf("%s = %q, want %q", what, got, want))
		}
	}
	eq("flow", out.Flow, e.Flow)
	eq("state", out.State, e.State)
	eq("lang", out.Lang, e.Lang)
	replies := strings.ToLower(strings.Join(out.Replies, "\n"))
	for _, s := range e.ReplyContains {
		if !strings.Contains(replies, strings.ToLower(s)) {
			fails = append(fails, fmt.Sprintf("replies %s do not contain %q", quoteAll(out.Replies), s))
		}
	}
	for _, s := range e.ReplyNotContains {
		if strings.Contains(replies, strings.ToLower(s)) {
			fails = append(fails, fmt.Sprintf("replies %s contain %q", quoteAll(out.Replies), s))
		}
	}
	if e.Choices != nil && !slices.Equal(out.Choices, e.Choices) {
		fails = append(fails, fmt.Sprintf("choices = [%s], want [%s]", strings.Join(out.Choices, ", "), strings.Join(e.Choices, ", ")))
	}
	switch {
	case e.Handoff == "none" && out.Handoff != "":
		fails = append(fails, fmt.Sprintf("handoff = %q, want none", out.Handoff))
	case e.Handoff != "" && e.Handoff != "none" && out.Handoff != e.Handoff:
		got := out.Handoff
		if got == "" {
			got = "none"
		}
		fails = append(fails, fmt.Sprintf("handoff = %s, want %s", got, e.Handoff))
	}
	if e.Ended && !out.Ended {
		fails = append(fails, "the conversation has not ended, want ended")
	}
	return fails
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// JUnit XML, as read by CI systems.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",cdata"`
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

// WriteJUnit writes results as a JUnit XML report with one test suite
// named suite.
func WriteJUnit(w io.Writer, suite string, results []TestResult) error {
	s := junitSuite{Name: suite, Tests: len(results)}
	var total time.Duration
	for _, r := range results {
		total += r.Duration
		c := junitCase{Classname: suite, Time: seconds(r.Duration)}
		if r.Test != nil {
			c.Name, c.File, c.Line = r.Test.Name, r.Test.File, r.Test.Pos.Line
		}
		if !r.Passed() {
			s.Failures++
			c.Failure = &junitFailure{Message: r.Failures[0], Text: strings.Join(r.Failures, "\n")}
		}
		s.Cases = append(s.Cases, c)
	}
	s.Time = seconds(total)
	doc := junitSuites{Tests: s.Tests, Failures: s.Failures, Time: s.Time, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
}
