package bot

import (
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/looplab/fsm"

	"github.com/calmbot/calmbot/flows"
)

// TestFireSharedMachine fires events on a flow's one machine from many
// goroutines at once, each from its own state: every transition must land
// where the flow says, whatever the others did to the machine between.
func TestFireSharedMachine(t *testing.T) {
	src, err := os.ReadFile("testdata/engine.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := flows.Parse("engine.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	p, err := compile(f, func(*flows.File) (Analyzer, error) { return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		from, ev, want string
		noTransition   bool
	}{
		{"ack", eventNext, "confirm", false},
		{"confirm", flows.EventConfirmed, "options", false},
		{"confirm", flows.EventDenied, "ack2", false},
		{"ack2", eventNext, "options", false},
		{"confirm", flows.EventUnclear, "confirm", true},
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64*len(cases))
	for range 64 {
		for _, tc := range cases {
			wg.Go(func() {
				got, err := p.fire("late", tc.from, tc.ev)
				var nt fsm.NoTransitionError
				switch {
				case tc.noTransition && !errors.As(err, &nt):
					errs <- errors.New(tc.from + " " + tc.ev + ": want NoTransitionError, got " + errString(err))
				case !tc.noTransition && err != nil:
					errs <- errors.New(tc.from + " " + tc.ev + ": " + err.Error())
				case got != tc.want:
					errs <- errors.New(tc.from + " " + tc.ev + ": landed in " + got + ", want " + tc.want)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if got, err := p.fire("late", "ack", "no-such-event"); err == nil || got != "ack" {
		t.Errorf("unknown event: landed in %q, err %v; want ack and an error", got, err)
	}
	if _, err := p.fire("no-such-flow", "ack", eventNext); !errors.Is(err, errNoMachine) {
		t.Errorf("unknown flow: err %v, want errNoMachine", err)
	}
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}
