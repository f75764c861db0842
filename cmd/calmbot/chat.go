package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/calmbot/calmbot/adapters/console"
	"github.com/calmbot/calmbot/bot"
)

type chatOptions struct {
	flows        string
	db           string
	lang         string
	jsonl        bool
	conversation string
	quiet        optionalDuration
	verbose      bool
}

func (e *env) chatFlags(o *chatOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&o.flows, "flows", "", "flow `file` (default $CALMBOT_FLOWS, else ./flows.yaml if present, else the built-in flows); reloaded when it changes")
	fs.StringVar(&o.db, "db", "", "the `database`: a SQLite file or sqlite:FILE (one calmbot at a time), or postgres://... (several instances) (default $CALMBOT_DATABASE_URL, else $CALMBOT_DB, else calmbot.db)")
	fs.StringVar(&o.db, "database", "", "the same as --db")
	fs.StringVar(&o.lang, "lang", "", "the customer's `language` as a chat platform would report it (en, it, de, fi); default: detected")
	fs.BoolVar(&o.jsonl, "jsonl", false, `read {"text": ...} lines on stdin and write one JSON object per bot event on stdout`)
	fs.StringVar(&o.conversation, "conversation", "", "conversation `id` to continue, as chat printed it (default: a new conversation)")
	fs.Var(&o.quiet, "quiet-window", "wait this long for a burst of messages to end before answering (default: the flows' policy in a terminal, 0 with --jsonl or piped input)")
	fs.BoolVar(&o.verbose, "v", false, "log the engine's info messages on stderr")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: calmbot chat [flags]

Talk to the bot as a customer would. Every turn is stored in the database, so
a conversation continues where it was with --conversation ID.

Pick an offered option by its number, its label or your own words, in any
of the flows' languages.

With --jsonl, each input line is {"text": "...", "lang": "de"?, "id": "..."?}
and the first output line names the conversation,
  {"type":"conversation","channel":"console","conversation":ID}
and each further line is one of
  {"type":"reply","text":...,"lang":...,"flow":...,"state":...,"choices":[{"id":...,"label":...}]}
  {"type":"handoff","reason":...,"skill":...,"priority":...,"evidence":{...}}
  {"type":"waiting"}   (a message while the conversation waits for a person)
  {"type":"error","line":N,"error":...}     (a bad input line; it is skipped)

Flags:
`)
		fs.PrintDefaults()
	}
	return fs
}

func (e *env) chat(ctx context.Context, args []string) error {
	var o chatOptions
	fs := e.chatFlags(&o)
	rest, err := e.parseFlags(fs, args, "chat")
	if err != nil {
		return helpOK(err)
	}
	if len(rest) > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("chat takes no arguments, got %q", rest)}
	}
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))

	path := e.flowsPath(o.flows)
	f, err := e.loadFlows(path)
	if err != nil {
		return err
	}
	unlock, err := lockSQLite(e.dbPath(o.db))
	if err != nil {
		return err
	}
	defer unlock()
	st, err := openStore(ctx, e.dbPath(o.db), log)
	if err != nil {
		return err
	}
	defer st.Close()

	// The id as chat prints it ("console:ID") is accepted too.
	conv := strings.TrimPrefix(o.conversation, console.Channel+":")
	if conv == "" {
		conv = "console-" + time.Now().UTC().Format("20060102-150405.000")
	}
	copts := []console.Option{console.Conversation(conv)}
	if o.jsonl {
		copts = append(copts, console.JSONLines())
	}
	if snap, err := st.Load(ctx, bot.Address{Channel: console.Channel, Conversation: conv}); err == nil && snap.Status == bot.StatusHuman {
		copts = append(copts, console.Waiting())
	}
	if o.lang != "" {
		copts = append(copts, console.Locale(o.lang))
	}
	con := console.New(e.stdin, e.stdout, copts...)

	quiet := o.quiet.d
	if !o.quiet.set && !o.jsonl && isTerminal(e.stdin) {
		quiet = time.Duration(f.Policy.QuietWindow)
	}
	eng, err := bot.New(ctx, st, f, analyzer, bot.WithEscalator(con), bot.WithLogger(log), bot.WithQuietWindow(quiet))
	if err != nil {
		return err
	}
	eng.Register(console.Channel, con)

	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var runErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		runErr = eng.Run(runCtx)
	}()
	if path != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := eng.Watch(runCtx, path, nil, nil); err != nil {
				log.Warn("flows are not reloaded on change", "err", err)
			}
		}()
	}
	select {
	case <-eng.Resumed():
	case <-ctx.Done():
	}
	if !o.jsonl {
		fmt.Fprintf(e.stderr, "calmbot chat: flows %s (%s), conversation %s:%s stored in %s\nType as the customer; Ctrl-D ends.\n",
			displayName(path), strings.Join(f.Languages, ", "), console.Channel, conv, redact(e.dbPath(o.db)))
	}
	if err = con.Start(ctx, eng); err == nil {
		<-con.Done()
		err = con.Err()
	}
	if err == nil && quiet > 0 {
		// Let the last burst be answered before leaving.
		select {
		case <-time.After(quiet + 200*time.Millisecond):
			err = eng.Flush(ctx, con.Address())
		case <-ctx.Done():
		}
	}
	cancel()
	wg.Wait()
	if err != nil {
		return err
	}
	return runErr
}

// isTerminal reports whether r is a terminal (a person typing).
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
