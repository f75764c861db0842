// Package slack is calmbot's Slack adapter, on github.com/slack-go/slack:
// customers write to the app in direct messages, or mention it in a
// channel it is in, and the conversation is then the mention's thread
// (addresses are team/channel[/thread]). With WithHandoff, support staff
// work the tickets in a handoff channel (agent.go).
//
// Events arrive over Socket Mode (the default: an app-level xapp- token, no
// public URL needed) or over the Events API (HTTP requests to Routes,
// signed with the app's signing secret). Either way an event is
// acknowledged to Slack only after the engine stored it: a Socket Mode
// envelope is acked once Handle returned nil, and an Events API request is
// answered 200 only then. Messages of one conversation reach the engine in
// order; a message's ts is its platform id, so Slack's redeliveries are
// stored once.
//
// Replies are posted with chat.postMessage, their text escaped for Slack
// (&, <, >) and split at MaxText characters on word boundaries; offered
// choices come as Block Kit buttons below the numbered list, a click is
// read as choosing that option, and the answered question's buttons are
// replaced by the choice made (chat.update).
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/calmbot/calmbot/bot"
)

// Channel is the Slack adapter's channel name.
const Channel = "slack"

// DefaultAPIURL is the Web API base used unless WithAPIURL says otherwise.
const DefaultAPIURL = "https://slack.com/api/"

// Paths of the Events API, interactivity and slash command (/calmbot)
// request URLs Routes serves.
const (
	EventsPath      = "/slack/events"
	InteractivePath = "/slack/interactive"
	CommandsPath    = "/slack/commands"
)

// Defaults of the options.
const (
	DefaultBackoffMin = 500 * time.Millisecond
	DefaultBackoffMax = 30 * time.Second
)

// ErrUnauthorized is returned by Start when Slack refuses the bot token.
var ErrUnauthorized = errors.New("slack refused the bot token (auth.test): copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page again, or reinstall the app")

// ErrStarted is returned by Start on an adapter that is already running.
var ErrStarted = errors.New("slack adapter already started")

// Adapter is the Slack customer channel: it feeds the engine the
// customers' direct messages and button clicks, and is the bot.Sender of
// Channel.
type Adapter struct {
	api        *slack.Client
	sm         *socketmode.Client
	token      string
	appToken   string
	secret     string
	apiURL     string
	client     *http.Client
	log        *slog.Logger
	state      bot.State
	backoffMin time.Duration
	backoffMax time.Duration
	now        func() time.Time

	desk           Desk            // the agent side, nil when off
	handoffChannel string          // where it shows the tickets
	allowed        map[string]bool // the configured agents' Slack user ids; none: the channel's members
	// leader, when set, elects the instance that shows the handoff
	// channel (WithLeader).
	leader      Leader
	leaderCheck time.Duration

	membersMu  sync.Mutex      // held while the members are read
	members    map[string]bool // the handoff channel's members, as last read
	membersAt  time.Time       // when
	usersMu    sync.Mutex
	showMu     sync.Mutex        // held while a ticket's message is shown
	slackUsers map[string]string // agent id -> Slack user id

	mu       sync.Mutex
	h        bot.Handler
	cancel   context.CancelFunc
	done     chan struct{}
	readyErr error
	botUser  string // the app's bot user id, from auth.test
	botID    string
	team     string // the app's team id, from auth.test

	lanes   lanes
	seen    seenEvents
	locales sync.Map // user id -> locale, "" when Slack reports none

	qMu     sync.Mutex     // the open questions' state, read and written as one
	posting [64]sync.Mutex // by channel hash: held while a question is posted and recorded
	partsMu sync.Mutex
	parts   map[int64]int // outbox id -> parts of a split reply already sent
}

// Option configures an Adapter.
type Option func(*Adapter)

// WithAPIURL sets the Web API base URL (default DefaultAPIURL): a proxy, or
// a fake in tests.
func WithAPIURL(u string) Option {
	return func(a *Adapter) { a.apiURL = strings.TrimRight(u, "/") + "/" }
}

// WithAppToken sets the app-level token (xapp-..., with the
// connections:write scope) that turns Socket Mode on.
func WithAppToken(t string) Option { return func(a *Adapter) { a.appToken = strings.TrimSpace(t) } }

// WithSigningSecret sets the app's signing secret, which turns the Events
// API routes on: Routes serves EventsPath and InteractivePath, and every
// request to them must carry Slack's signature.
func WithSigningSecret(s string) Option { return func(a *Adapter) { a.secret = strings.TrimSpace(s) } }

// WithHTTPClient sets the HTTP client of every Web API call.
func WithHTTPClient(c *http.Client) Option { return func(a *Adapter) { a.client = c } }

// WithLogger sets the logger (nil keeps slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(a *Adapter) {
		if l != nil {
			a.log = l
		}
	}
}

// WithState sets where the adapter keeps what must survive a restart
// (which message carries a conversation's buttons): a namespace of its own,
// such as adapters.Namespace(store, "slack"). By default it is kept in
// memory.
func WithState(s bot.State) Option { return func(a *Adapter) { a.state = s } }

// WithBackoff sets the wait after a failed connection or a failed Handle:
// it starts at min and doubles up to max.
func WithBackoff(min, max time.Duration) Option {
	return func(a *Adapter) { a.backoffMin, a.backoffMax = min, max }
}

var (
	_ bot.Adapter = (*Adapter)(nil)
	_ bot.Router  = (*Adapter)(nil)
	_ bot.Readier = (*Adapter)(nil)
)

// New returns a Slack adapter for the app whose bot token is token
// (xoxb-...). It needs WithAppToken (Socket Mode), WithSigningSecret
// (Events API) or both. It does not connect: Start does.
func New(token string, opts ...Option) (*Adapter, error) {
	a := &Adapter{
		token:      strings.TrimSpace(token),
		apiURL:     DefaultAPIURL,
		log:        slog.Default(),
		backoffMin: DefaultBackoffMin,
		backoffMax: DefaultBackoffMax,
		now:        time.Now,
		parts:      map[int64]int{},
	}
	for _, o := range opts {
		o(a)
	}
	switch {
	case a.token == "":
		return nil, errors.New("slack: no bot token")
	case !strings.HasPrefix(a.token, "xoxb-"):
		return nil, errors.New("slack: the bot token must be a Bot User OAuth Token (xoxb-...)")
	case a.appToken == "" && a.secret == "":
		return nil, errors.New("slack: an app-level token (xapp-..., Socket Mode) or a signing secret (Events API) is needed")
	case a.appToken != "" && !strings.HasPrefix(a.appToken, "xapp-"):
		return nil, errors.New("slack: the app-level token must start with xapp-")
	case a.desk != nil && a.handoffChannel == "":
		return nil, errors.New("slack: the agent side needs a handoff channel id")
	}
	if a.state == nil {
		a.state = bot.NewMemoryState()
	}
	if a.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		a.client = &http.Client{Timeout: 30 * time.Second, Transport: tr}
	}
	sopts := []slack.Option{slack.OptionAPIURL(a.apiURL), slack.OptionHTTPClient(a.client)}
	if a.appToken != "" {
		sopts = append(sopts, slack.OptionAppLevelToken(a.appToken))
	}
	a.api = slack.New(a.token, sopts...)
	if a.appToken != "" {
		a.sm = socketmode.New(a.api, socketmode.OptionLog(slogWriter{a.log}))
	}
	return a, nil
}

// Channel returns the channel name, "slack".
func (a *Adapter) Channel() string { return Channel }

// Start checks the bot token (auth.test) and, in Socket Mode, connects,
// then returns; the adapter runs until ctx is cancelled or Stop is called.
// A refused token fails with ErrUnauthorized. An unreachable API does not
// fail Start: Socket Mode keeps trying with backoff and Ready reports why
// it is not connected yet.
func (a *Adapter) Start(ctx context.Context, h bot.Handler) error {
	a.mu.Lock()
	if a.done != nil {
		a.mu.Unlock()
		return ErrStarted
	}
	a.h = h
	a.done = make(chan struct{})
	a.readyErr = errors.New("slack: connecting")
	runCtx, cancel := context.WithCancel(ctx)
	a.cancel = cancel
	a.mu.Unlock()
	a.lanes.start(runCtx)

	if err := a.authTest(ctx); err != nil {
		if errors.Is(err, ErrUnauthorized) {
			cancel()
			a.mu.Lock()
			a.readyErr = err
			close(a.done)
			a.mu.Unlock()
			return err
		}
		a.log.Warn("slack: Web API not reachable; retrying in the background", "url", a.apiURL, "err", err)
		a.setReady(fmt.Errorf("slack: Web API not reachable: %w", err))
	} else if a.sm == nil {
		a.setReady(nil)
	}
	go a.run(runCtx)
	return nil
}

// authTest asks Slack who the bot is.
func (a *Adapter) authTest(ctx context.Context) error {
	resp, err := a.api.AuthTestContext(ctx)
	if err != nil {
		if refused(err) {
			return fmt.Errorf("%w: %v", ErrUnauthorized, err)
		}
		return fmt.Errorf("auth.test: %w", err)
	}
	a.mu.Lock()
	a.botUser, a.botID, a.team = resp.UserID, resp.BotID, resp.TeamID
	a.mu.Unlock()
	a.log.Info("slack connected", "team", resp.Team, "bot", resp.User, "mode", a.mode())
	return nil
}

// refused reports whether err is Slack refusing the token.
func refused(err error) bool {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "invalid_auth", "not_authed", "token_revoked", "account_inactive", "token_expired":
			return true
		}
	}
	switch err.Error() { // socketmode passes the bare error string on
	case "invalid_auth", "not_authed", "token_revoked", "account_inactive", "token_expired":
		return true
	}
	return false
}

func (a *Adapter) mode() string {
	switch {
	case a.sm != nil && a.secret != "":
		return "socket mode and events api"
	case a.sm != nil:
		return "socket mode"
	}
	return "events api"
}

// Stop disconnects and waits, at most until ctx is done, for the events
// being handled. Unacknowledged events are delivered again by Slack.
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
		return fmt.Errorf("slack: stop: %w", ctx.Err())
	}
}

// Routes returns the Events API, interactivity and slash command routes
// when a signing secret is configured, and nothing otherwise.
func (a *Adapter) Routes() map[string]http.Handler {
	if a.secret == "" {
		return nil
	}
	return map[string]http.Handler{
		"POST " + EventsPath:      http.HandlerFunc(a.serveEvents),
		"POST " + InteractivePath: http.HandlerFunc(a.serveInteractive),
		"POST " + CommandsPath:    http.HandlerFunc(a.serveCommand),
	}
}

// Ready returns nil while the adapter can take events (in Socket Mode:
// while connected), else why not (for /readyz).
func (a *Adapter) Ready() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.done == nil {
		return errors.New("slack: not started")
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

// self returns who the app is, as auth.test said.
func (a *Adapter) self() self {
	a.mu.Lock()
	defer a.mu.Unlock()
	return self{user: a.botUser, id: a.botID, team: a.team}
}

// botUserID is the app's bot user id.
func (a *Adapter) botUserID() string { return a.self().user }

// run keeps the Socket Mode connection (when configured) until ctx ends,
// then waits for the events being handled.
func (a *Adapter) run(ctx context.Context) {
	defer func() {
		a.lanes.wait()
		a.mu.Lock()
		a.readyErr = errors.New("slack: stopped")
		close(a.done)
		a.mu.Unlock()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	if a.desk != nil {
		wg.Go(func() { a.runAgents(ctx) })
	}
	if a.sm == nil {
		<-ctx.Done()
		return
	}
	wg.Go(func() { a.receive(ctx) })
	wait := a.backoffMin
	for ctx.Err() == nil {
		err := a.sm.RunContext(ctx)
		if ctx.Err() != nil {
			return
		}
		if refused(err) {
			a.log.Error("slack: Socket Mode refused the app-level token; events stop", "err", err)
			a.setReady(fmt.Errorf("slack: the app-level token was refused: %w", err))
			<-ctx.Done()
			return
		}
		a.log.Warn("slack: Socket Mode ended; reconnecting", "err", err, "retry_in", wait)
		a.setReady(fmt.Errorf("slack: Socket Mode: %w", err))
		if !sleep(ctx, wait) {
			return
		}
		wait = min(2*wait, a.backoffMax)
	}
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

// slogWriter is socketmode's logger on slog, at debug level.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Output(_ int, s string) error {
	w.log.Debug("slack socketmode: " + strings.TrimSpace(s))
	return nil
}
