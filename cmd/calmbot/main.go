// Command calmbot runs calmbot: chat with the bot in a terminal, check, test
// and draw flow files. Run `calmbot help` for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitError carries an exit code; its message, if any, was already printed.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// exitCode prints err (unless it was printed already) and returns the code.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, "calmbot:", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "calmbot:", err)
	return 1
}

const usage = `calmbot: customer-service chatbots that calm angry customers down and hand
them to a person at the right moment.

Usage:
  calmbot [serve] [flags]           start the help desk on 127.0.0.1:8080
  calmbot <command> [flags] [arguments]

Commands:
  serve          the web chat at /, the agent desk at /desk, /metrics (default)
  agents         add and list the agents who log in to the desk
  chat           talk to the bot in this terminal (every turn is stored)
  migrate        copy a SQLite install into PostgreSQL (resumable, counts checked)
  flows check    validate and lint a flow file: file:line:col: rule: message
  flows test     run a flow file's conversation tests
  flows graph    draw the flows as Mermaid or Graphviz DOT
  bench          simulated customers (and agents) against a server over HTTP
  analyze        read JSON lines of customer messages, write their language,
                 sentiment, intent, scope and "a human please" as JSON lines
  eval           measure the analyzer on the labelled sets in ../shared/data/eval
  train sentiment  fit the sentiment model on the sets' train splits (bot/sentiment/model.bin)
  help           show help for a command: calmbot help flows test
  version        print the version


Environment:
  CALMBOT_FLOWS  flow file used when --flows is not given
  CALMBOT_DATABASE_URL  database used when --db is not given: postgres://... (or a SQLite file)
  CALMBOT_DB     database used when neither is given: a SQLite file or sqlite:FILE
  CALMBOT_TELEGRAM_TOKEN           Telegram bot token: serve also runs on Telegram
  CALMBOT_TELEGRAM_API_URL         Bot API server (default https://api.telegram.org)
  CALMBOT_TELEGRAM_WEBHOOK_URL     public https URL for a webhook instead of polling
  CALMBOT_TELEGRAM_WEBHOOK_SECRET  the webhook's secret token (required with the URL)
  CALMBOT_SLACK_BOT_TOKEN          Slack bot token (xoxb-...): serve also runs on Slack
  CALMBOT_SLACK_APP_TOKEN          Slack app-level token (xapp-...): Socket Mode
  CALMBOT_SLACK_SIGNING_SECRET     Slack signing secret: the Events API at /slack/events
  CALMBOT_SLACK_API_URL            Slack Web API base (default https://slack.com/api/)
  CALMBOT_SLACK_HANDOFF_CHANNEL    Slack channel id where agents run handoffs
  CALMBOT_TELEGRAM_AGENT_GROUP     chat id of a Telegram group where agents take tickets
  CALMBOT_TELEGRAM_AGENTS          only these Telegram user ids (comma-separated) act there
  CALMBOT_SLACK_AGENTS             only these Slack user ids (comma-separated) act in the handoff channel
  CALMBOT_DISCORD_TOKEN            Discord bot token: serve also runs on Discord
  CALMBOT_DISCORD_SUPPORT_CHANNELS channel ids where customers write (comma-separated)
  CALMBOT_DISCORD_STAFF_CHANNEL    channel id where agents take tickets
  (calmbot help serve lists every setting, with the rest of Discord's)

Run "calmbot help <command>" for a command's flags.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// run is the whole program; main only wires it to the process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	env := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "-help" && args[0] != "--help" && args[0] != "--version" {
		return env.serve(ctx, args)
	}
	switch args[0] {
	case "serve":
		return env.serve(ctx, args[1:])
	case "agents":
		return env.agents(ctx, args[1:])
	case "chat":
		return env.chat(ctx, args[1:])
	case "migrate":
		return env.migrate(ctx, args[1:])
	case "flows":
		return env.flows(ctx, args[1:])
	case "analyze":
		return env.analyze(ctx, args[1:])
	case "bench":
		return env.bench(ctx, args[1:])
	case "eval":
		return env.eval(ctx, args[1:])
	case "train":
		return env.train(ctx, args[1:])
	case "help", "-h", "-help", "--help":
		return env.help(args[1:])
	case "version", "--version":
		fmt.Fprintln(stdout, "calmbot", version)
		return nil
	default:
		return &exitError{code: 2, msg: fmt.Sprintf("unknown command %q%s\nRun \"calmbot help\" for the commands.", args[0], suggest(args[0]))}
	}
}

// env is the process's outside world, as run received it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// self, when set, is this program run with args (tests run their own
	// binary); nil: os.Executable.
	self func(args []string) *exec.Cmd
}

func (e *env) help(args []string) error {
	switch {
	case len(args) == 0:
		fmt.Fprint(e.stdout, usage)
		return nil
	case args[0] == "chat":
		fs := e.chatFlags(&chatOptions{})
		fs.SetOutput(e.stdout)
		fs.Usage()
		return nil
	case args[0] == "serve":
		fs := e.serveFlags(&serveOptions{})
		fs.SetOutput(e.stdout)
		fs.Usage()
		return nil
	case args[0] == "agents":
		fmt.Fprint(e.stdout, agentsUsage)
		return nil
	case args[0] == "bench":
		return e.bench(context.Background(), []string{"-h"})
	case args[0] == "migrate":
		return e.migrate(context.Background(), []string{"-h"})
	case args[0] == "analyze":
		return e.analyze(context.Background(), []string{"-h"})
	case args[0] == "eval":
		return e.eval(context.Background(), []string{"-h"})
	case args[0] == "train":
		return e.train(context.Background(), []string{"-h"})
	case args[0] == "flows":
		sub := ""
		if len(args) > 1 {
			sub = args[1]
		}
		return e.flowsHelp(sub)
	case args[0] == "help":
		fmt.Fprintln(e.stdout, "Usage: calmbot help [command [subcommand]]\n\nShows a command's help and flags; without a command, the list of commands.")
		return nil
	case args[0] == "version":
		fmt.Fprintln(e.stdout, "Usage: calmbot version\n\nPrints calmbot's version (set at build time with -ldflags \"-X main.version=...\").")
		return nil
	}
	return &exitError{code: 2, msg: fmt.Sprintf("no help for %q: not a command%s\nRun \"calmbot help\" for the commands.", args[0], suggest(args[0]))}
}

// suggest names the command closest to a mistyped one, if one is close.
func suggest(name string) string {
	best, dist := "", 3
	for _, c := range commandNames() {
		if d := editDistance(name, c); d < dist {
			best, dist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
