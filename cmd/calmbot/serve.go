package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func (e *env) serveFlags(o *serveOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen `address`")
	fs.StringVar(&o.flows, "flows", "", "flow `file` (default $CALMBOT_FLOWS, else ./flows.yaml if present, else the built-in flows); reloaded when it changes and on SIGHUP")
	fs.StringVar(&o.db, "db", "", "SQLite database `file` (default $CALMBOT_DB, else calmbot.db); its key is kept beside it in FILE.key")
	fs.BoolVar(&o.debug, "debug", false, "log debug messages")
	telegramFlags(fs, &o.telegramToken)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: calmbot [serve] [flags]

Starts the help desk: the customer web chat at /, the agent desk at /desk,
Prometheus metrics at /metrics, and /healthz and /readyz. Everything is
kept in one SQLite database. The first start creates an agent "admin" and
prints its password; manage agents with "calmbot agents".

With a Telegram bot token ($CALMBOT_TELEGRAM_TOKEN or --telegram-token)
customers can also write to the bot on Telegram (long polling; for a
webhook set $CALMBOT_TELEGRAM_WEBHOOK_URL and
$CALMBOT_TELEGRAM_WEBHOOK_SECRET; $CALMBOT_TELEGRAM_API_URL points at
another Bot API server).

Flags:
`)
		fs.PrintDefaults()
	}
	return fs
}

type serveOptions struct {
	addr, flows, db string
	debug           bool
	telegramToken   string
}

func (e *env) serve(ctx context.Context, args []string) error {
	var o serveOptions
	fs := e.serveFlags(&o)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return &exitError{code: 2}
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("serve takes no arguments, got %q", fs.Args())}
	}
	level := slog.LevelInfo
	if o.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))

	path := e.flowsPath(o.flows)
	f, err := e.loadFlows(path)
	if err != nil {
		return err
	}
	dbPath := e.dbPath(o.db)
	st, err := openStore(ctx, dbPath, log)
	if err != nil {
		return err
	}
	defer st.Close()
	tg, tgPath, err := e.newTelegram(o.telegramToken, log, st)
	if err != nil {
		return err
	}
	srv, err := newServer(ctx, serverConfig{flows: f, flowsPath: path, store: st, keyPath: dbPath + ".key", log: log, telegram: tg, telegramPath: tgPath})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("cannot listen on %s: %v (is another calmbot running? choose another port with --addr)", o.addr, err)}
	}
	base := "http://" + ln.Addr().String()
	log.Info("calmbot is running", "chat", base+"/", "desk", base+"/desk/", "metrics", base+"/metrics",
		"flows", displayName(path), "db", dbPath)
	if srv.firstAgent != "" {
		log.Warn("first agent created: log in to the desk and change the password", "name", srv.firstAgent, "password", srv.firstPassword)
	}
	hupSig := make(chan os.Signal, 1)
	signal.Notify(hupSig, syscall.SIGHUP)
	defer signal.Stop(hupSig)
	hup := make(chan struct{})
	go func() {
		for {
			select {
			case <-hupSig:
				select {
				case hup <- struct{}{}:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	err = srv.run(ctx, ln, hup)
	log.Info("calmbot stopped")
	return err
}
