package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// parseFlags parses a subcommand's arguments. Flags may come before or
// after its positional arguments ("agents add ada --skills billing"), and
// everything after "--" is positional. -h prints the command's help on
// stdout, as "calmbot help CMD" does, and returns errHelpShown; a bad flag
// prints the error and a one-line hint on stderr and returns an exit code 2.
func (e *env) parseFlags(fs *flag.FlagSet, args []string, helpCmd string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(e.stdout)
			fs.Usage()
			return nil, errHelpShown
		}
		if err != nil {
			fs.SetOutput(e.stderr)
			return nil, &exitError{code: 2, msg: fmt.Sprintf("%s: %v (see calmbot help %s)", fs.Name(), err, helpCmd)}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	fs.SetOutput(e.stderr)
	return positional, nil
}

// errHelpShown says a command printed its help because it was asked to;
// the command then ends with exit code 0.
var errHelpShown = errors.New("help shown")

// helpOK turns errHelpShown into success.
func helpOK(err error) error {
	if errors.Is(err, errHelpShown) {
		return nil
	}
	return err
}

// optionalDuration is a duration flag whose absence means "decide later",
// without a sentinel value in the help text.
type optionalDuration struct {
	d   time.Duration
	set bool
}

func (o *optionalDuration) String() string {
	if o == nil || !o.set {
		return ""
	}
	return o.d.String()
}

func (o *optionalDuration) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("want a duration such as 2s or 500ms")
	}
	if d < 0 {
		return errors.New("must not be negative")
	}
	o.d, o.set = d, true
	return nil
}

// commandNames lists calmbot's commands, as the usage does.
func commandNames() []string {
	return []string{"serve", "agents", "chat", "flows", "bench", "analyze", "eval", "train", "migrate", "help", "version"}
}
