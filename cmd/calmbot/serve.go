package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/calmbot/calmbot/adapters/web"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/store/sqlite"
	"github.com/calmbot/calmbot/webserve"
)

func (e *env) serveFlags(o *serveOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen `address`")
	fs.StringVar(&o.flows, "flows", "", "flow `file` (default $CALMBOT_FLOWS, else ./flows.yaml if present, else the built-in flows); reloaded when it changes and on SIGHUP")
	fs.StringVar(&o.db, "db", "", "the `database`: a SQLite file or sqlite:FILE (one calmbot at a time), or postgres://... (several instances) (default $CALMBOT_DATABASE_URL, else $CALMBOT_DB, else calmbot.db); a SQLite install keeps its signing key beside the file in FILE.key, a PostgreSQL one in the database")
	fs.StringVar(&o.db, "database", "", "the same as --db")
	fs.StringVar(&o.retention, "retention", "", "prune conversations older than `age` (90d, or a duration like 2160h; at least 1d), at start and daily; conversations with a person or with undelivered replies are kept (default $CALMBOT_RETENTION, else keep for ever)")
	fs.StringVar(&o.retentionMode, "retention-mode", "", "what --retention does to old conversations: `delete|anonymise` (delete everything of them, or replace their texts and ids and keep the counts) (default $CALMBOT_RETENTION_MODE, else delete)")
	fs.BoolVar(&o.debug, "debug", false, "log debug messages")
	fs.StringVar(&o.pprof, "pprof", "", "serve Go's runtime profiles (/debug/pprof/) on this loopback `address` (127.0.0.1:6060), for debugging; off by default")
	fs.StringVar(&o.adminAddr, "admin-addr", "", "serve the desk, /metrics, /healthz and /readyz on this `address` instead of --addr (which then serves only the chat and the health checks)")
	fs.StringVar(&o.trustedProxies, "trusted-proxies", "", "reverse proxies (`CIDR,...`) whose X-Forwarded-For and X-Forwarded-Proto are believed: the client is the right-most address not in them")
	fs.BoolVar(&o.secureCookies, "secure-cookies", false, "always mark the desk's cookies Secure (for HTTPS through a proxy that sends no trusted X-Forwarded-Proto)")
	fs.StringVar(&o.frameAncestors, "frame-ancestors", webserve.FrameSelf, "`sources` that may show the chat page in a frame: 'none', 'self' or origins like https://shop.example.com (the desk may never be framed)")
	fs.IntVar(&o.maxConns, "max-conns", defaultMaxConns, "open connections each listener accepts at `most` (0: no cap)")
	fs.IntVar(&o.maxStreams, "max-streams", web.DefaultMaxStreams, "chat event streams open at `most` over all clients, then 503 (0: no cap)")
	fs.IntVar(&o.maxStreamsPerAddr, "max-streams-per-addr", web.DefaultMaxStreamsPerClient, "chat event streams open at `most` from one client address, then 429 (0: no cap)")
	o.conversationRate = webserve.Rate{N: web.DefaultCreateRate, Per: time.Minute}
	fs.Var(&o.conversationRate, "conversation-rate", "conversations one client address may start, as `N/PERIOD` (30/m, 5/s; off), then 429")
	o.messageRate = webserve.Rate{N: web.DefaultPostRate, Per: time.Minute}
	fs.Var(&o.messageRate, "message-rate", "chat messages one client address may post, as `N/PERIOD`, then 429")
	fs.DurationVar(&o.bodyTimeout, "body-timeout", defaultBodyTimeout, "longest a client may take to send a request body (`duration`; 0: no limit)")
	fs.StringVar(&o.sqliteSync, "sqlite-synchronous", "full", "how a SQLite database makes each commit last: `full|normal` (full: synced at every commit, a power loss loses nothing acknowledged; normal: synced within about a second, a power loss or kernel crash can lose the last second's messages and replies, a crash of calmbot alone loses nothing)")
	fs.Var(&o.sqliteCache, "sqlite-cache", "page caches of a SQLite database, as `WRITER[,READER]` sizes (4MiB, or 4MiB,512KiB): the writing connection's and each reading one's; more can help a database with many conversations open at once, and counts fully in memory once filled (default 1MiB,256KiB)")
	fs.Var(&o.memoryLimit, "memory-limit", "soft limit on the Go runtime's memory, as a `size` (64MiB, 1GiB; off): the garbage collector runs more often near it (default none, or GOMEMLIMIT)")
	telegramFlags(fs, &o.telegramToken)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: calmbot [serve] [flags]

Starts the help desk: the customer web chat at /, the agent desk at /desk,
Prometheus metrics at /metrics, and /healthz and /readyz. Everything is
kept in one SQLite database. The first start creates an agent "admin" and
prints its password: change it in the desk at /desk/account. Manage agents
with "calmbot agents", also while the server runs.

Each flag below --debug can also be set with an environment variable,
CALMBOT_ and the flag's name in capitals with _ for -
(CALMBOT_TRUSTED_PROXIES=10.0.0.0/8); a flag given wins.

With a Telegram bot token ($CALMBOT_TELEGRAM_TOKEN or --telegram-token)
customers can also write to the bot on Telegram (long polling; for a
webhook set $CALMBOT_TELEGRAM_WEBHOOK_URL and
$CALMBOT_TELEGRAM_WEBHOOK_SECRET; $CALMBOT_TELEGRAM_API_URL points at
another Bot API server). With $CALMBOT_TELEGRAM_AGENT_GROUP (a group's
chat id, such as -1001234567890) agents take tickets in that group: each
ticket a message with Claim, Release and Close, in a topic of its own
when the group has topics; every member is an agent, or only the user ids
of $CALMBOT_TELEGRAM_AGENTS (comma-separated).

With a Discord bot token ($CALMBOT_DISCORD_TOKEN) customers can also
write to the bot on Discord: in direct messages, and in the support
channels $CALMBOT_DISCORD_SUPPORT_CHANNELS (channel ids, comma-separated;
each customer gets a thread). $CALMBOT_DISCORD_GUILD_LOCALE is the locale
of server messages; $CALMBOT_DISCORD_API_URL and
$CALMBOT_DISCORD_GATEWAY_URL point at a proxy. With
$CALMBOT_DISCORD_STAFF_CHANNEL (and $CALMBOT_DISCORD_AGENT_ROLES or
$CALMBOT_DISCORD_AGENT_USERS) agents take tickets in that channel.

With a Slack bot token ($CALMBOT_SLACK_BOT_TOKEN, xoxb-...) customers can
also write to the app in Slack direct messages, or mention it in a channel
(the conversation is the mention's thread): over Socket Mode with an
app-level token ($CALMBOT_SLACK_APP_TOKEN, xapp-...), or over the Events
API with the signing secret ($CALMBOT_SLACK_SIGNING_SECRET; Slack posts to
/slack/events, /slack/interactive and /slack/commands). $CALMBOT_SLACK_API_URL
points at another Web API base; $CALMBOT_SLACK_HANDOFF_CHANNEL (a channel id)
is where support staff claim and answer tickets, one thread per ticket: its
members, or only the user ids in $CALMBOT_SLACK_AGENTS.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs
}

// Defaults of serve's limits.
const (
	defaultMaxConns    = 4096
	defaultBodyTimeout = 30 * time.Second
	// storeGrace is how long the database has, once the engine stopped,
	// to write what is queued.
	storeGrace = 10 * time.Second
)

// envName is the environment variable of flag name.
func envName(name string) string {
	return "CALMBOT_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// fromEnv sets serve's HTTP flags not given on the command line from the
// environment.
func (e *env) fromEnv(fs *flag.FlagSet) error {
	envFlags := []string{"admin-addr", "trusted-proxies", "secure-cookies", "frame-ancestors", "max-conns",
		"max-streams", "max-streams-per-addr", "conversation-rate", "message-rate", "body-timeout", "pprof", "memory-limit", "sqlite-synchronous", "sqlite-cache"}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, name := range envFlags {
		if v := e.getenv(envName(name)); v != "" && !given[name] {
			if err := fs.Set(name, v); err != nil {
				return fmt.Errorf("%s=%q: %w", envName(name), v, err)
			}
		}
	}
	return nil
}

// adapterEnv is the adapters' configuration: getenv with the flags given
// laid over it (a flag given wins over its variable).
func (o *serveOptions) adapterEnv(getenv func(string) string) func(string) string {
	return func(key string) string {
		if key == envTelegramToken && o.telegramToken != "" {
			return o.telegramToken
		}
		return getenv(key)
	}
}

type serveOptions struct {
	addr, flows, db          string
	retention, retentionMode string
	debug                    bool
	telegramToken            string

	adminAddr, trustedProxies, frameAncestors string
	pprof                                     string
	secureCookies                             bool
	maxConns, maxStreams, maxStreamsPerAddr   int
	conversationRate, messageRate             webserve.Rate
	bodyTimeout                               time.Duration
	memoryLimit                               memoryLimit
	sqliteSync                                string
	sqliteCache                               sqliteCache
}

// httpOptions checks the HTTP flags.
func (o *serveOptions) httpOptions() (httpOptions, error) {
	h := httpOptions{admin: o.adminAddr != "", secureCookies: o.secureCookies, maxConns: o.maxConns,
		maxStreams: o.maxStreams, maxStreamsPerAddr: o.maxStreamsPerAddr,
		conversationRate: o.conversationRate, messageRate: o.messageRate, bodyTimeout: o.bodyTimeout}
	var err error
	if h.proxies, err = webserve.ParseProxies(o.trustedProxies); err != nil {
		return h, fmt.Errorf("--trusted-proxies (CALMBOT_TRUSTED_PROXIES): %w", err)
	}
	if h.frameAncestors, err = webserve.ParseFrameAncestors(o.frameAncestors); err != nil {
		return h, fmt.Errorf("--frame-ancestors (CALMBOT_FRAME_ANCESTORS): %w", err)
	}
	if o.maxConns < 0 || o.maxStreams < 0 || o.maxStreamsPerAddr < 0 || o.bodyTimeout < 0 {
		return h, errors.New("--max-conns, --max-streams, --max-streams-per-addr and --body-timeout cannot be negative")
	}
	if o.maxConns > 0 && (o.maxStreams == 0 || o.maxStreams > o.maxConns*3/4) {
		return h, fmt.Errorf("--max-streams %d must be set and at most 3/4 of --max-conns %d, so that health checks and the desk still get through", o.maxStreams, o.maxConns)
	}
	return h, nil
}

// sqliteSync checks --sqlite-synchronous for the database dsn and returns
// it as SQLite's PRAGMA value.
func sqliteSync(v, dsn string) (string, error) {
	mode := strings.ToUpper(strings.TrimSpace(v))
	switch mode {
	case "FULL", "NORMAL":
	default:
		return "", fmt.Errorf("--sqlite-synchronous (CALMBOT_SQLITE_SYNCHRONOUS) %q: want full or normal", v)
	}
	if mode != "FULL" && isPostgres(dsn) {
		return "", fmt.Errorf("--sqlite-synchronous %s is for a SQLite database; %s is PostgreSQL (see its synchronous_commit)", v, redact(dsn))
	}
	return mode, nil
}

func (e *env) serve(ctx context.Context, args []string) error {
	var o serveOptions
	fs := e.serveFlags(&o)
	rest, err := e.parseFlags(fs, args, "serve")
	if err != nil {
		return helpOK(err)
	}
	if len(rest) > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("serve takes no arguments, got %q", rest)}
	}
	keep, err := e.retention(o.retention, o.retentionMode)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	if err := e.fromEnv(fs); err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	hopts, err := o.httpOptions()
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	level := slog.LevelInfo
	if o.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	defer o.memoryLimit.apply()()
	if o.memoryLimit > 0 {
		log.Info("memory limit", "limit", o.memoryLimit.String())
	}

	path := e.flowsPath(o.flows)
	f, err := e.loadFlows(path)
	if err != nil {
		return err
	}
	dbPath := e.dbPath(o.db)
	syncMode, err := sqliteSync(o.sqliteSync, dbPath)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	if o.sqliteCache.set() && isPostgres(dbPath) {
		return &exitError{code: 2, msg: fmt.Sprintf("--sqlite-cache is for a SQLite database; %s is PostgreSQL (see its shared_buffers)", redact(dbPath))}
	}
	unlock, err := lockSQLite(dbPath)
	if err != nil {
		return err
	}
	defer unlock()
	if syncMode == "NORMAL" {
		log.Warn("sqlite synchronous=normal: a power loss or kernel crash can lose the messages and replies of about the last second (a crash of calmbot alone loses nothing)")
	}
	st, err := openStore(ctx, dbPath, log, sqlite.WithSynchronous(syncMode), o.sqliteCache.option())
	if err != nil {
		return err
	}
	defer func() {
		// The engine has stopped by now: what is still queued is written
		// within the grace period, or interrupted.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeGrace)
		defer cancel()
		if err := st.Shutdown(sctx); err != nil {
			log.Error("database not closed cleanly", "err", err)
		}
	}()
	keyPath := "" // PostgreSQL: the key is in the database
	if !isPostgres(dbPath) {
		p, _ := sqlitePath(dbPath) // opened: a SQLite file
		keyPath = p + ".key"
	}
	srv, err := newServer(ctx, serverConfig{flows: f, flowsPath: path, store: st, keyPath: keyPath, log: log, http: hopts,
		getenv: o.adapterEnv(e.getenv)})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("cannot listen on %s: %v (is another calmbot running? choose another port with --addr)", o.addr, err)}
	}
	if o.pprof != "" {
		pln, err := profileListen(o.pprof)
		if err != nil {
			ln.Close()
			return &exitError{code: 1, msg: err.Error()}
		}
		pctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		defer func() { stop(); <-done }()
		go func() { defer close(done); serveProfiles(pctx, pln, log) }()
	}
	base := "http://" + ln.Addr().String()
	adminBase := base
	var adminLn net.Listener
	if o.adminAddr != "" {
		if adminLn, err = net.Listen("tcp", o.adminAddr); err != nil {
			ln.Close()
			return &exitError{code: 1, msg: fmt.Sprintf("cannot listen on %s: %v (choose another port with --admin-addr)", o.adminAddr, err)}
		}
		adminBase = "http://" + adminLn.Addr().String()
	}
	// The first agent's line comes before "calmbot is running", which
	// says start-up is over (the tests, and people, wait for it).
	if srv.firstAgent != "" {
		log.Warn("first agent created: log in to the desk and change the password at "+adminBase+"/desk/account",
			"name", srv.firstAgent, "password", srv.firstPassword)
	}
	log.Info("calmbot is running", "chat", base+"/", "desk", adminBase+"/desk/", "metrics", adminBase+"/metrics",
		"flows", displayName(path), "db", redact(dbPath))
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
	pruned := make(chan struct{})
	if keep.keep > 0 {
		log.Info("retention: conversations are kept "+keep.String(), "retention", keep.keep, "mode", keep.mode)
		pctx, stop := context.WithCancel(ctx)
		defer func() { stop(); <-pruned }() // before the store closes
		go func() {
			defer close(pruned)
			t := time.NewTicker(retentionEvery)
			defer t.Stop()
			retain(pctx, st, keep, log, t.C)
		}()
	} else {
		close(pruned)
	}
	if lp, ok := st.(bot.LeasePruner); ok {
		lctx, stop := context.WithCancel(ctx)
		leasesPruned := make(chan struct{})
		defer func() { stop(); <-leasesPruned }() // before the store closes
		go func() {
			defer close(leasesPruned)
			t := time.NewTicker(leasePruneEvery)
			defer t.Stop()
			pruneLeases(lctx, lp, leaseTTL, log, t.C)
		}()
	}
	err = srv.run(ctx, ln, adminLn, hup)
	log.Info("calmbot stopped")
	return err
}
