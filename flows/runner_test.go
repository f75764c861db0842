package flows

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeDriver plays back scripted outcomes, one list per test name.
type fakeDriver struct {
	script   map[string][]Outcome
	startErr error
	sayErr   map[string]int // test name -> turn index (0-based) that fails
	closed   []string
}

func (d *fakeDriver) Start(_ context.Context, t *Test) (Session, error) {
	if d.startErr != nil {
		return nil, d.startErr
	}
	return &fakeSession{d: d, name: t.Name}, nil
}

type fakeSession struct {
	d    *fakeDriver
	name string
	turn int
}

func (s *fakeSession) Say(ctx context.Context, text string) (Outcome, error) {
	defer func() { s.turn++ }()
	if i, ok := s.d.sayErr[s.name]; ok && i == s.turn {
		return Outcome{}, errors.New("engine exploded")
	}
	outs := s.d.script[s.name]
	if s.turn >= len(outs) {
		return Outcome{}, errors.New("no more script")
	}
	return outs[s.turn], nil
}

func (s *fakeSession) Close() error {
	s.d.closed = append(s.d.closed, s.name)
	return nil
}

func runnerTests(t *testing.T) []*Test {
	t.Helper()
	f, err := Parse("good.yaml", readGood(t))
	if err != nil {
		t.Fatal(err)
	}
	broken := *f.Tests[0]
	broken.Name = "broken"
	return []*Test{f.Tests[0], &broken}
}

func TestRunTests(t *testing.T) {
	tests := runnerTests(t)
	good := []Outcome{
		{Replies: []string{"Thank you for telling us, and sorry for the wait.", "Just to be sure: ..."}, Flow: "late_delivery", State: "confirm", Lang: "en"},
		{Replies: []string{"Here is what I can do"}, Choices: []string{"resend", "refund"}, Flow: "late_delivery", State: "options"},
		{Replies: []string{"Then we send you a replacement, in 3 to 5 working days, and ..."}, Flow: "late_delivery", State: "agree"},
		{Replies: []string{"Is there anything else?"}, Flow: "late_delivery", State: "close"},
		{Replies: []string{"It was a pleasure."}, Ended: true},
	}
	bad := []Outcome{
		{Replies: []string{"Hello"}, Flow: "other", State: "confirm"},
		{Choices: []string{"refund", "resend"}, State: "options"},
		{Replies: []string{"Then ..."}, State: "agree"},
		{State: "close"},
		{Handoff: "customer_request"},
	}
	d := &fakeDriver{script: map[string][]Outcome{tests[0].Name: good, "broken": bad}}
	results := RunTests(context.Background(), tests, d)
	if len(results) != 2 {
		t.Fatalf("got %d results, want 2", len(results))
	}
	if !results[0].Passed() {
		t.Errorf("good test failed: %q", results[0].Failures)
	}
	want := []string{
		`turn 1 (good.yaml:87:9): flow = "other", want "late_delivery"`,
		`turn 1 (good.yaml:87:9): replies ["Hello"] do not contain "thank you"`,
		`turn 2 (good.yaml:89:9): choices = [refund, resend], want [resend, refund]`,
		`turn 3 (good.yaml:91:9): replies ["Then ..."] do not contain "3 to 5 working days"`,
		`turn 5 (good.yaml:95:9): handoff = "customer_request", want none`,
		`turn 5 (good.yaml:95:9): the conversation has not ended, want ended`,
	}
	if got := results[1].Failures; !slices.Equal(got, want) {
		t.Errorf("failures:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Equal(d.closed, []string{tests[0].Name, "broken"}) {
		t.Errorf("closed sessions = %q, want both", d.closed)
	}
}

func TestRunTestsErrors(t *testing.T) {
	tests := runnerTests(t)
	t.Run("start fails", func(t *testing.T) {
		results := RunTests(context.Background(), tests[:1], &fakeDriver{startErr: errors.New("no engine")})
		if got := results[0].Failures; !slices.Equal(got, []string{"start: no engine"}) {
			t.Errorf("failures = %q", got)
		}
	})
	t.Run("say fails", func(t *testing.T) {
		d := &fakeDriver{sayErr: map[string]int{"broken": 1}, script: map[string][]Outcome{"broken": {{Replies: []string{"thank you"}, Flow: "late_delivery", State: "confirm"}}}}
		results := RunTests(context.Background(), tests[1:], d)
		want := []string{`turn 2 (good.yaml:89:9): say "yes": engine exploded`}
		if got := results[0].Failures; !slices.Equal(got, want) {
			t.Errorf("failures = %q, want %q", got, want)
		}
		if len(d.closed) != 1 {
			t.Error("the session was not closed")
		}
	})
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		results := RunTests(ctx, tests, &fakeDriver{})
		for _, r := range results {
			if r.Passed() || !strings.Contains(r.Failures[0], "context canceled") {
				t.Errorf("failures = %q, want context canceled", r.Failures)
			}
		}
	})
}

func TestExpectCheck(t *testing.T) {
	tests := []struct {
		name string
		e    Expect
		out  Outcome
		want []string
	}{
		{"empty expects nothing", Expect{}, Outcome{State: "x", Handoff: "not_calmed"}, nil},
		{"lang", Expect{Lang: "de"}, Outcome{Lang: "en"}, []string{`lang = "en", want "de"`}},
		{"not contains, case-insensitive", Expect{ReplyNotContains: []string{"SORRY"}}, Outcome{Replies: []string{"so sorry"}}, []string{`replies ["so sorry"] contain "SORRY"`}},
		{"handoff reason", Expect{Handoff: "not_calmed"}, Outcome{}, []string{"handoff = none, want not_calmed"}},
		{"handoff matches", Expect{Handoff: "not_calmed", Ended: true}, Outcome{Handoff: "not_calmed", Ended: true}, nil},
		{"no choices expected", Expect{Choices: []string{}}, Outcome{Choices: []string{"a"}}, []string{"choices = [a], want []"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.check(tt.out); !slices.Equal(got, tt.want) {
				t.Errorf("check = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWriteJUnit(t *testing.T) {
	tests := runnerTests(t)
	results := []TestResult{
		{Test: tests[0], Duration: 1250 * time.Millisecond},
		{Test: tests[1], Duration: 500 * time.Millisecond, Failures: []string{
			`turn 1 (good.yaml:87:9): flow = "other", want "late_delivery"`,
			`turn 2 (good.yaml:89:9): choices = [refund], want [resend, refund]`,
		}},
	}
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, "good.yaml", results); err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/junit.golden", buf.Bytes())
}
