package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/net/netutil"

	"github.com/calmbot/calmbot/adapters"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/intent"
	"github.com/calmbot/calmbot/bot/sentiment"
	"github.com/calmbot/calmbot/flows"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/desk"
	"github.com/calmbot/calmbot/metrics"
	"github.com/calmbot/calmbot/webserve"
)

// server is calmbot's help desk on one machine: the engine, the handoff
// queue, the customer web chat, the agent desk and the metrics, on one
// SQLite database.
type server struct {
	log     *slog.Logger
	store   database
	engine  *bot.Engine
	handoff *handoff.Service
	// adapters are the configured channels (the web chat always), started
	// by run in order and stopped in reverse.
	adapters *adapters.Set
	desk     *desk.Desk
	metrics  *metrics.Metrics
	// handler serves the customer listener; admin, when not nil, the
	// admin listener (desk, metrics, health), which handler then leaves out.
	handler, admin http.Handler
	http           httpOptions
	// flowsPath is watched for changes ("" for the built-in flows).
	flowsPath string
	// firstAgent and firstPassword are set when the server created the first agent.
	firstAgent, firstPassword string
}

// serverConfig is what a server is built from.
type serverConfig struct {
	flows     *flows.File
	flowsPath string
	store     database
	keyPath   string // the key signing web chat tokens and desk sessions
	log       *slog.Logger
	quiet     *time.Duration // overrides the flows' quiet window (bench)
	http      httpOptions
	// getenv is the configuration the adapters read (the environment with
	// serve's flags laid over it); nil configures only the web chat.
	getenv func(string) string
}

// httpOptions are the HTTP server's limits and security settings. The zero
// value has no limits (bench); serve fills them from its flags.
type httpOptions struct {
	// admin serves the desk, /metrics, /healthz and /readyz on a listener
	// of their own instead of the customer one.
	admin          bool
	proxies        *webserve.Proxies
	secureCookies  bool
	frameAncestors string // for the chat page; "" is its default
	// maxConns caps the open connections of each listener (0: none).
	maxConns int
	// maxStreams and maxStreamsPerAddr cap the chat's event streams.
	maxStreams, maxStreamsPerAddr int
	// conversationRate and messageRate limit each client address.
	conversationRate, messageRate webserve.Rate
	// bodyTimeout bounds the reading of a request body (0: none).
	bodyTimeout time.Duration
}

// Fixed limits of the HTTP server.
const (
	// shutdownTimeout bounds the stopping of the adapters and HTTP.
	shutdownTimeout = 10 * time.Second

	headerTimeout  = 10 * time.Second
	idleTimeout    = 2 * time.Minute
	maxHeaderBytes = 64 << 10
)

// newServer wires a server together. It does not start anything.
func newServer(ctx context.Context, cfg serverConfig) (*server, error) {
	var key []byte
	var err error
	if ks, ok := cfg.store.(sharedKeyer); ok && cfg.keyPath == "" {
		key, err = ks.SharedKey(ctx)
	} else {
		key, err = loadKey(cfg.keyPath)
	}
	if err != nil {
		return nil, err
	}
	s := &server{log: cfg.log, store: cfg.store, flowsPath: cfg.flowsPath, http: cfg.http}
	// One sentiment scorer serves the handoff desk and every version of
	// the flows' analyzer.
	scorer := sentiment.New()
	hopts := []handoff.Option{handoff.WithLogger(cfg.log), handoff.WithHandoffs(cfg.store), handoff.WithScorer(scorer)}
	var botOpts []bot.Option
	var shared bot.Bus
	var elect func(job string) handoff.Leader
	if sh, ok := cfg.store.(sharer); ok {
		elect = sh.Leader
		// Several instances on one database: each has a name of its own
		// in the outbox claims and on the bus, and one leads the queue.
		instance := instanceName()
		if shared, err = sh.Bus(); err != nil {
			return nil, fmt.Errorf("database bus: %w", err)
		}
		hopts = append(hopts, handoff.WithShared(shared, instance), handoff.WithLeader(sh.Leader("handoff")))
		botOpts = append(botOpts, bot.WithOwner(instance), bot.WithTakeover(takeoverEvery))
		if l, ok := cfg.store.(bot.Leases); ok {
			// One instance at a time answers a conversation and sends its replies.
			botOpts = append(botOpts, bot.WithLeases(l, shared, leaseTTL))
		}
		cfg.log.Info("shared database: running as one of several instances", "instance", instance)
	}
	s.handoff, err = handoff.New(ctx, cfg.store, nil, hopts...)
	if err != nil {
		return nil, fmt.Errorf("handoff queue: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.metrics = metrics.New(reg)
	s.metrics.QueueLength(reg, s.queueLength)

	opts := append(botOpts, bot.WithEscalator(s.handoff), bot.WithListener(s.handoff), bot.WithListener(s.metrics), bot.WithLogger(cfg.log))
	if cfg.quiet != nil {
		opts = append(opts, bot.WithQuietWindow(*cfg.quiet))
	}
	// Every version of the flows loaded makes its answers' series, at zero.
	known := func(f *flows.File) (bot.Analyzer, error) {
		s.metrics.KnowAnswers(f.AnswerNames())
		return intent.New(f, intent.WithScorer(scorer))
	}
	s.engine, err = bot.New(ctx, cfg.store, cfg.flows, known, opts...)
	if err != nil {
		return nil, err
	}
	s.handoff.SetEngine(s.engine)
	s.metrics.Panics(reg, s.engine.Panics)
	h := cfg.http
	s.adapters, err = serveAdapters(h).Build(ctx, adapters.Config{Getenv: cfg.getenv, Log: cfg.log, State: cfg.store, Key: key, Engine: s.engine, Handoff: s.handoff, Bus: shared, Elect: elect})
	if err != nil {
		return nil, err
	}
	s.adapters.RegisterSenders(s.engine)
	s.metrics.Preset(s.adapters.Channels())
	lintChannels(cfg.log, cfg.flows, builtinChannels(), s.adapters.Channels())
	s.desk = desk.New(s.handoff, desk.WithKey(key), desk.WithLogger(cfg.log), desk.WithStats(deskStats{s.metrics}),
		desk.WithTrustedProxies(h.proxies), desk.WithSecureCookies(h.secureCookies), desk.WithRevocations(cfg.store), desk.WithCanned(cfg.store),
		desk.WithHintCounter(s.metrics))

	// Handoffs a crash caught between the engine's commit and the queue.
	recs, err := cfg.store.HandedOff(ctx)
	if err != nil {
		return nil, err
	}
	if n, err := s.handoff.Recover(ctx, recs); err != nil {
		return nil, err
	} else if n > 0 {
		cfg.log.Warn("handoffs recovered into the queue", "count", n)
	}
	if len(s.handoff.Agents()) == 0 {
		s.firstAgent, s.firstPassword = "admin", randomPassword()
		if _, err := s.handoff.AddAgent(ctx, s.firstAgent, s.firstPassword, []string{handoff.AnySkill}, 5); err != nil {
			return nil, fmt.Errorf("create the first agent: %w", err)
		}
	}

	// The operators' side: the desk, the metrics and the health checks.
	admin := http.NewServeMux()
	admin.Handle("/desk/", s.desk.Handler())
	admin.Handle("/desk", s.desk.Handler())
	admin.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	health := func(m *http.ServeMux) {
		m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
		m.HandleFunc("GET /readyz", s.ready)
	}
	health(admin)
	customer := admin
	if h.admin {
		customer = http.NewServeMux()
		health(customer) // load balancers probe the customer side too
		s.admin = s.guard(admin)
	}
	if err := s.adapters.Mount(customer); err != nil {
		return nil, err
	}
	s.handler = s.guard(customer)
	return s, nil
}

// guard puts the server's per-request limits around h: request bodies must
// arrive within the body timeout.
func (s *server) guard(h http.Handler) http.Handler {
	return webserve.BodyTimeout(h, s.http.bodyTimeout)
}

// httpServer returns an http.Server for h: headers must arrive within
// headerTimeout, idle connections close after idleTimeout. There is no
// ReadTimeout or WriteTimeout, which would cut event streams: bodies have
// guard's timeout, stream writes their own.
func (s *server) httpServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: headerTimeout, IdleTimeout: idleTimeout, MaxHeaderBytes: maxHeaderBytes,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
}

// queueLength counts the tickets waiting for a person.
func (s *server) queueLength() int {
	q, err := s.handoff.Queue("")
	if err != nil {
		return 0
	}
	return len(q)
}

// takeoverEvery is how often an instance on a shared database looks for
// conversations another one left unanswered (a crash): they move on
// within twice that.
const takeoverEvery = 5 * time.Second

// leaseTTL is how long an instance on a shared database holds a
// conversation without renewing it: a dead instance's conversations move
// to another within it (and a takeover look, for one nobody writes to).
const leaseTTL = 10 * time.Second

// dbCheck bounds /readyz's question to the database.
const dbCheck = 2 * time.Second

// ready answers 200 once the engine has resumed the previous run's work
// and the database answers.
func (s *server) ready(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.engine.Resumed():
	default:
		http.Error(w, "resuming", http.StatusServiceUnavailable)
		return
	}
	// A database that does not answer within dbCheck is unreachable.
	dctx, cancel := context.WithTimeout(r.Context(), dbCheck)
	defer cancel()
	if _, err := s.store.Flows(dctx, "readyz"); err != nil && !errors.Is(err, bot.ErrNotFound) {
		http.Error(w, "database: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if err := s.adapters.Ready(); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// run serves customers on ln (and, with the admin option, the desk and
// metrics on adminLn) until ctx is done, then shuts down in order: no new
// requests, streams closed, the engine drained. Each listener holds at
// most maxConns connections; the chat's streams are capped well below that
// so health checks and the desk get through.
func (s *server) run(ctx context.Context, ln, adminLn net.Listener, hup <-chan struct{}) error {
	srv := s.httpServer(s.handler)
	srv.RegisterOnShutdown(s.desk.Close)
	if s.http.maxConns > 0 {
		ln = netutil.LimitListener(ln, s.http.maxConns)
	}
	var adminSrv *http.Server
	if s.admin != nil && adminLn != nil {
		adminSrv = s.httpServer(s.admin)
		adminSrv.RegisterOnShutdown(s.desk.Close)
		if s.http.maxConns > 0 {
			adminLn = netutil.LimitListener(adminLn, s.http.maxConns)
		}
	}

	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	start := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil {
				errs <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	start("engine", func() error { return s.engine.Run(runCtx) })
	start("handoff queue", func() error { return s.handoff.Run(runCtx) })
	start("metrics", func() error { s.followQueue(runCtx); return nil })
	if s.flowsPath != "" {
		start("flows watcher", func() error { return s.engine.Watch(runCtx, s.flowsPath, hup, nil) })
	}
	serveErr := make(chan error, 2)
	go func() { serveErr <- srv.Serve(ln) }()
	if adminSrv != nil {
		go func() { serveErr <- fmt.Errorf("admin listener: %w", adminSrv.Serve(adminLn)) }()
	}
	// The adapters start while HTTP already serves (/readyz shows why one
	// is not ready yet); their lifetime ends with adapterCtx or Stop.
	adapterCtx, stopAdapters := context.WithCancel(context.Background())
	defer stopAdapters()
	started := make(chan error, 1)
	go func() { started <- s.adapters.Start(adapterCtx, s.engine) }()

	var err error
	for waiting := true; waiting; {
		select {
		case <-ctx.Done():
			waiting = false
		case err = <-serveErr:
			waiting = false
		case err = <-errs:
			waiting = false
		case err = <-started:
			started = nil
			waiting = err == nil
		}
	}
	shutdownCtx, stop := context.WithTimeout(context.Background(), shutdownTimeout)
	defer stop()
	// First the channels, newest first, so no new customer message comes
	// in (the web chat ends its streams, which HTTP shutdown would wait
	// for); then HTTP; then the engine.
	if started != nil {
		stopAdapters()
		if serr := <-started; serr != nil && err == nil {
			err = serr
		}
	}
	if serr := s.adapters.Stop(shutdownCtx); serr != nil {
		s.log.Warn("adapters did not stop cleanly", "err", serr)
	}
	if serr := srv.Shutdown(shutdownCtx); serr != nil && err == nil {
		err = fmt.Errorf("shut down http: %w", serr)
	}
	if adminSrv != nil {
		if serr := adminSrv.Shutdown(shutdownCtx); serr != nil && err == nil {
			err = fmt.Errorf("shut down admin http: %w", serr)
		}
	}
	cancel()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// observeAssisted measures a closed ticket's sentiment change from the
// handoff to the end by whether the people followed the agent assist.
func (s *server) observeAssisted(ctx context.Context, id int64) {
	r, err := s.handoff.Review(ctx, id)
	if err != nil {
		s.log.Warn("agent assist review of a closed ticket", "ticket", id, "err", err)
		return
	}
	if r.Replies > 0 && r.AtHandoff != nil && r.AtEnd != nil {
		s.metrics.ObserveAssisted(r.Followed(), *r.AtEnd-*r.AtHandoff)
	}
}

// followQueue turns the handoff queue's updates into wait and first
// response measures.
func (s *server) followQueue(ctx context.Context) {
	updates, cancel := s.handoff.Subscribe("")
	defer cancel()
	claimed := map[int64]bool{}
	responded := map[int64]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case u, ok := <-updates:
			if !ok {
				return
			}
			t := u.Ticket
			if t == nil {
				continue
			}
			if !t.Claimed.IsZero() && !claimed[t.ID] {
				claimed[t.ID] = true
				s.metrics.ObserveWait(t.Priority, t.Claimed.Sub(t.Created))
			}
			if !t.FirstResponse.IsZero() && !responded[t.ID] {
				responded[t.ID] = true
				s.metrics.ObserveFirstResponse(t.Priority, t.FirstResponse.Sub(t.Created), t.Target)
			}
			if !t.Open() {
				if responded[t.ID] {
					s.observeAssisted(ctx, t.ID)
				}
				delete(claimed, t.ID)
				delete(responded, t.ID)
			}
		}
	}
}

// deskStats gives the desk's dashboard the containment counts.
type deskStats struct{ m *metrics.Metrics }

func (d deskStats) Counts(context.Context) (desk.Counts, error) {
	t := d.m.Totals()
	return desk.Counts{Conversations: t.Started, Contained: t.Contained, HandedOff: t.HandedOff}, nil
}

// Answers gives the dashboard the knowledge base's answer counts.
func (d deskStats) Answers(context.Context) ([]desk.AnswerCount, error) {
	var out []desk.AnswerCount
	for _, c := range d.m.Answers() {
		out = append(out, desk.AnswerCount{Answer: c.Answer, Answered: c.Answered, Helped: c.Helped, NotHelped: c.NotHelped})
	}
	return out, nil
}

// loadKey reads the server key from path, creating it (0600) on first use,
// so web chat tokens and desk sessions survive restarts.
func loadKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, derr := hex.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(key) < 32 {
			return nil, fmt.Errorf("key file %s is damaged: delete it to make a new one (open chats and desk sessions will need to start again)", path)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write key file: %w", err)
	}
	return key, nil
}

// randomPassword makes a password for the first agent.
func randomPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
