// Package telegram is calmbot's Telegram adapter: customers write to the bot
// in private chats, and, given WithAgentGroup, agents take tickets in a
// group chat (agent.go), on github.com/go-telegram/bot.
//
// Updates arrive by long polling (getUpdates, the default: no public URL
// needed) or by webhook (Webhook, an http.Handler). Either way an update is
// acknowledged to Telegram only after the engine stored it: the poll offset
// moves past an update only once Handle returned nil, and a webhook request
// is answered 200 only then. Messages of one chat reach the engine in order.
// Several instances sharing a bot token elect the one that polls (WithLeader).
//
// Replies are plain text (no parse mode, nothing to escape), split at
// Telegram's 4,096 characters on word boundaries; offered choices come as an
// inline keyboard below the numbered list, and a tap is read as choosing
// that option.
package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/calmbot/calmbot/bot"
)

// Channel is the Telegram adapter's channel name.
const Channel = "telegram"

// DefaultAPIURL is the Bot API server used unless WithAPIURL says otherwise.
const DefaultAPIURL = "https://api.telegram.org"

// Defaults of the options.
const (
	DefaultPollTimeout = 50 * time.Second
	DefaultBackoffMin  = 500 * time.Millisecond
	DefaultBackoffMax  = 30 * time.Second
)

// ErrUnauthorized is returned by Start when Telegram refuses the bot token.
var ErrUnauthorized = errors.New("telegram refused the bot token (getMe answered 401 Unauthorized): copy the token BotFather gave you again, or make a new one with /token")

// ErrStarted is returned by Start on an adapter that is already running.
var ErrStarted = errors.New("telegram adapter already started")

// Adapter is the Telegram customer channel: it feeds the engine the
// customers' private messages and button taps, and is the bot.Sender of
// Channel.
type Adapter struct {
	api         *tg.Bot
	token       string
	apiURL      string
	client      *http.Client
	log         *slog.Logger
	state       bot.State
	webhookURL  string
	webhookPath string
	secret      string
	pollTimeout time.Duration
	backoffMin  time.Duration
	backoffMax  time.Duration
	// leader, when set, elects the instance that polls (WithLeader);
	// polling is whether this one did at the last check.
	leader      Leader
	leaderCheck time.Duration
	polling     bool

	mu       sync.Mutex
	h        bot.Handler
	cancel   context.CancelFunc
	done     chan struct{}
	readyErr error
	me       *models.User
	told     map[int64]bool // group chats already told to write privately
	group    *agentGroup    // the agent group, nil without one

	kbMu      sync.Mutex
	keyboards map[int64]int // chat -> the message carrying the open question's keyboard; 0 for none
	// posting is held, per chat (by its id modulo the array), while a
	// question is sent and recorded: a tap that arrives before the
	// question is recorded waits for it rather than reading as stale.
	posting [64]sync.Mutex
	partsMu sync.Mutex
	parts   map[int64]int // outbox id -> parts of a split reply already sent
}

// Option configures an Adapter.
type Option func(*Adapter)

// WithAPIURL sets the Bot API server (default DefaultAPIURL): a local Bot
// API server, a proxy, or a fake in tests.
func WithAPIURL(u string) Option {
	return func(a *Adapter) { a.apiURL = strings.TrimRight(u, "/") }
}

// WithHTTPClient sets the HTTP client of every Bot API call. Its Timeout,
// if any, must be longer than the poll timeout.
func WithHTTPClient(c *http.Client) Option { return func(a *Adapter) { a.client = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(a *Adapter) { a.log = l } }

// WithState sets where the adapter keeps what must survive a restart (the
// poll offset, which message carries a chat's buttons): a namespace of its
// own, such as adapters.Namespace(store, "telegram"). By default it is kept
// in memory.
func WithState(s bot.State) Option { return func(a *Adapter) { a.state = s } }

// WithWebhook switches from long polling to a webhook: Start registers url
// with setWebhook and secret as its secret_token, and the handler from
// Webhook must be reachable at url; Routes serves it at url's path
// (DefaultWebhookPath when url has none, for a proxy that rewrites it). The
// secret is 1-256 characters of A-Z, a-z, 0-9, _ and -.
func WithWebhook(url, secret string) Option {
	return func(a *Adapter) { a.webhookURL, a.secret = url, secret }
}

// DefaultWebhookPath is where Routes serves the webhook when its URL has no
// path.
const DefaultWebhookPath = "/telegram/webhook"

// WithPollTimeout sets how long one getUpdates call waits for updates
// (default 50 s).
func WithPollTimeout(d time.Duration) Option { return func(a *Adapter) { a.pollTimeout = d } }

// WithBackoff sets the wait after a failed Bot API call or a failed Handle:
// it starts at min and doubles up to max.
func WithBackoff(min, max time.Duration) Option {
	return func(a *Adapter) { a.backoffMin, a.backoffMax = min, max }
}

var (
	_ bot.Adapter = (*Adapter)(nil)
	_ bot.Router  = (*Adapter)(nil)
	_ bot.Readier = (*Adapter)(nil)
)

// New returns a Telegram adapter for the bot with token. It does not connect:
// Start does. Register it as the sender of Channel: e.Register(telegram.Channel, a).
func New(token string, opts ...Option) (*Adapter, error) {
	a := &Adapter{
		token:       strings.TrimSpace(token),
		apiURL:      DefaultAPIURL,
		log:         slog.Default(),
		pollTimeout: DefaultPollTimeout,
		backoffMin:  DefaultBackoffMin,
		backoffMax:  DefaultBackoffMax,
		told:        map[int64]bool{},
		keyboards:   map[int64]int{},
		parts:       map[int64]int{},
	}
	for _, o := range opts {
		o(a)
	}
	if a.token == "" {
		return nil, errors.New("telegram: no bot token")
	}
	if a.webhookURL != "" {
		if !validSecret(a.secret) {
			return nil, errors.New("telegram: a webhook needs a secret of 1-256 characters A-Z, a-z, 0-9, _ or -")
		}
		u, err := url.Parse(a.webhookURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("telegram: the webhook must be an https:// URL, got %q", a.webhookURL)
		}
		a.webhookPath = u.Path
		if a.webhookPath == "" || a.webhookPath == "/" {
			a.webhookPath = DefaultWebhookPath
		}
	}
	if a.state == nil {
		a.state = bot.NewMemoryState()
	}
	if a.client == nil {
		// Replies to many chats go out at once: keep their connections
		// (the default keeps 2 per host and opens a new one for each other).
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		a.client = &http.Client{Timeout: a.pollTimeout + 30*time.Second, Transport: tr}
	}
	// go-telegram streams each request's multipart body through a pipe,
	// which net/http sends chunked, a write per part: read it whole first,
	// so that a call is one write with a Content-Length.
	sdkClient := *a.client
	sdkClient.Transport = wholeBodies{base: a.client.Transport}
	api, err := tg.New(a.token,
		tg.WithSkipGetMe(),
		tg.WithServerURL(a.apiURL),
		tg.WithHTTPClient(a.pollTimeout, &sdkClient),
		tg.WithErrorsHandler(func(err error) { a.log.Warn("telegram client", "err", err) }),
		tg.WithNotAsyncHandlers(),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	a.api = api
	return a, nil
}

// Channel returns the channel name, "telegram".
func (a *Adapter) Channel() string { return Channel }

// Start connects to Telegram (getMe), registers or removes the webhook and
// starts polling, then returns; the adapter runs until ctx is cancelled or
// Stop is called. A refused token fails with ErrUnauthorized. An
// unreachable API does not fail Start: the adapter keeps trying with
// backoff and Ready reports why it is not running yet.
func (a *Adapter) Start(ctx context.Context, h bot.Handler) error {
	a.mu.Lock()
	if a.done != nil {
		a.mu.Unlock()
		return ErrStarted
	}
	a.h = h
	a.done = make(chan struct{})
	a.readyErr = errors.New("telegram: connecting")
	runCtx, cancel := context.WithCancel(ctx)
	a.cancel = cancel
	a.mu.Unlock()

	connected, err := a.connect(ctx)
	if errors.Is(err, ErrUnauthorized) {
		cancel()
		a.mu.Lock()
		a.readyErr = err
		close(a.done)
		a.mu.Unlock()
		return err
	}
	if err != nil {
		a.log.Warn("telegram: Bot API not reachable; retrying in the background", "url", a.apiURL, "err", err)
		a.setReady(fmt.Errorf("telegram: Bot API not reachable: %w", err))
	}
	go a.run(runCtx, connected)
	return nil
}

// Stop stops polling and waits, at most until ctx is done, for the updates
// being handled. A webhook stays registered with Telegram, which keeps the
// updates until calmbot is back.
func (a *Adapter) Stop(ctx context.Context) error {
	a.mu.Lock()
	cancel, done := a.cancel, a.done
	a.mu.Unlock()
	if done == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("telegram: stop: %w", ctx.Err())
	}
}

// Routes returns the webhook's route ("POST <path>") in webhook mode, and
// nothing when polling.
func (a *Adapter) Routes() map[string]http.Handler {
	if a.webhookURL == "" {
		return nil
	}
	return map[string]http.Handler{"POST " + a.webhookPath: a.Webhook()}
}

// Ready returns nil while the adapter is connected to Telegram, else why
// not (for /readyz).
func (a *Adapter) Ready() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.done == nil {
		return errors.New("telegram: not started")
	}
	return a.readyErr
}

func (a *Adapter) setReady(err error) {
	a.mu.Lock()
	a.readyErr = err
	a.mu.Unlock()
}

func (a *Adapter) handler() bot.Handler {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.h
}

// connect calls getMe once and, when it answers, sets the webhook up (or
// removes one, for polling). connected reports whether it got that far.
func (a *Adapter) connect(ctx context.Context) (connected bool, err error) {
	me, err := a.api.GetMe(ctx)
	if err != nil {
		if errors.Is(err, tg.ErrorUnauthorized) || errors.Is(err, tg.ErrorNotFound) {
			// api.telegram.org answers 404 to a token of the wrong shape.
			return false, ErrUnauthorized
		}
		return false, fmt.Errorf("getMe: %w", err)
	}
	if a.webhookURL != "" {
		_, err = a.api.SetWebhook(ctx, &tg.SetWebhookParams{URL: a.webhookURL, SecretToken: a.secret, AllowedUpdates: allowedUpdates})
		if err != nil {
			return false, fmt.Errorf("setWebhook: %w", err)
		}
	} else if _, err = a.api.DeleteWebhook(ctx, &tg.DeleteWebhookParams{}); err != nil {
		return false, fmt.Errorf("deleteWebhook: %w", err)
	}
	a.mu.Lock()
	a.me = me
	a.readyErr = nil
	a.mu.Unlock()
	a.log.Info("telegram connected", "bot", "@"+me.Username, "mode", a.mode())
	return true, nil
}

func (a *Adapter) mode() string {
	if a.webhookURL != "" {
		return "webhook"
	}
	return "polling"
}

// run keeps connecting until it succeeds, then polls (or, with a webhook,
// waits for the end).
func (a *Adapter) run(ctx context.Context, connected bool) {
	defer func() {
		a.mu.Lock()
		a.readyErr = errors.New("telegram: stopped")
		close(a.done)
		a.mu.Unlock()
	}()
	wait := a.backoffMin
	for !connected {
		if !sleep(ctx, wait) {
			return
		}
		wait = min(2*wait, a.backoffMax)
		var err error
		connected, err = a.connect(ctx)
		if err != nil && ctx.Err() == nil {
			a.log.Warn("telegram: still not connected", "err", err, "retry_in", wait)
			a.setReady(fmt.Errorf("telegram: %w", err))
		}
	}
	if a.group != nil {
		var wg sync.WaitGroup
		defer wg.Wait()
		wg.Go(func() { a.runGroup(ctx) })
	}
	if a.webhookURL != "" {
		<-ctx.Done()
		return
	}
	a.poll(ctx)
}

// sleep waits d; false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func validSecret(s string) bool {
	if len(s) == 0 || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// wholeBodies is an http.RoundTripper that reads a request's streamed body
// whole before sending it (go-telegram's bodies are a few kilobytes).
type wholeBodies struct{ base http.RoundTripper }

func (w wholeBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	base := w.base
	if base == nil {
		base = http.DefaultTransport
	}
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength > 0 {
		return base.RoundTrip(r)
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("telegram: read the request body: %w", err)
	}
	c := r.Clone(r.Context())
	c.Body, c.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	c.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	if len(b) == 0 {
		c.Body, c.GetBody = http.NoBody, nil // else net/http sends an unknown length
	}
	return base.RoundTrip(c)
}
