// Package discord is calmbot's Discord adapter, on
// github.com/bwmarrin/discordgo: customers write to the bot in direct
// messages and in configured support channels, where the bot opens a thread
// for each customer on their first message.
//
// Events arrive over the gateway (intents: guilds, guild messages, direct
// messages and the privileged message content). The gateway has no
// per-event acknowledgement, so the adapter keeps, in its bot.State, the id
// of the last message of each conversation the engine stored; after every
// READY or RESUMED (a start, a reconnect) it fetches each active
// conversation's messages after that id over REST, so nothing sent while
// the connection was down is missed, and a message whose id is not after it
// (a replayed event) is not handled twice. Messages of one conversation
// reach the engine in order, one at a time.
//
// Replies are escaped for Discord markdown, sent with no mentions allowed,
// and split at Discord's 2,000 characters on word boundaries; offered
// choices come as buttons below the numbered list. A button press (an
// interaction) is read as choosing that option, acknowledged with a
// deferred update once stored, and the question's buttons are disabled.
package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	dg "github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/calmbot/calmbot/bot"
)

// Channel is the Discord adapter's channel name.
const Channel = "discord"

// DefaultAPIURL is the root discordgo's REST endpoints are computed from
// unless WithAPIURL says otherwise.
const DefaultAPIURL = "https://discord.com/"

// Intents are the gateway intents the adapter asks for: guilds (thread
// events), guild messages, direct messages and the privileged message
// content intent, which a bot must enable in the Developer Portal to read
// what customers write in support channels.
const Intents = dg.IntentsGuilds | dg.IntentsGuildMessages | dg.IntentsDirectMessages | dg.IntentsMessageContent

// Permissions are the permission bits to grant when inviting the bot: View
// Channels (1<<10), Send Messages (1<<11), Read Message History (1<<16),
// Create Public Threads (1<<35) and Send Messages in Threads (1<<38).
const Permissions int64 = dg.PermissionViewChannel | dg.PermissionSendMessages | dg.PermissionReadMessageHistory |
	dg.PermissionCreatePublicThreads | dg.PermissionSendMessagesInThreads

// InviteURL returns the URL that adds the bot of application appID to a
// server with Permissions.
func InviteURL(appID string) string {
	return fmt.Sprintf("https://discord.com/oauth2/authorize?client_id=%s&scope=bot&permissions=%d", appID, Permissions)
}

// ErrUnauthorized is returned by Start when Discord refuses the bot token.
var ErrUnauthorized = errors.New("discord refused the bot token (401 on /users/@me or gateway close 4004): copy the token from the Developer Portal (Bot > Reset Token) again")

// ErrStarted is returned by Start on an adapter that is already running.
var ErrStarted = errors.New("discord adapter already started")

// Option configures an Adapter.
type Option func(*Adapter)

// WithAPIURL points the adapter at another Discord root (a proxy, a fake):
// the REST API is at url + "api/v9/".
func WithAPIURL(url string) Option {
	return func(a *Adapter) {
		if !strings.HasSuffix(url, "/") {
			url += "/"
		}
		a.apiURL = url
	}
}

// WithGatewayURL makes the adapter connect to the gateway at url (ws:// or
// wss://) instead of the one GET /gateway names.
func WithGatewayURL(url string) Option { return func(a *Adapter) { a.gatewayURL = url } }

// WithHTTPClient makes the adapter's REST calls with c.
func WithHTTPClient(c *http.Client) Option { return func(a *Adapter) { a.client = c } }

// WithLogger sets the adapter's logger.
func WithLogger(l *slog.Logger) Option {
	return func(a *Adapter) {
		if l != nil {
			a.log = l
		}
	}
}

// WithState keeps the adapter's durable values (the last stored message id
// of each conversation, the support threads, the open buttons) in st.
func WithState(st bot.State) Option { return func(a *Adapter) { a.state = st } }

// WithSupportChannels makes messages in the channels ids customer
// conversations, each customer's in a thread of its own.
func WithSupportChannels(ids ...string) Option {
	return func(a *Adapter) {
		for _, id := range ids {
			if id = strings.TrimSpace(id); id != "" {
				a.support[id] = true
			}
		}
	}
}

// WithGuildLocale is the locale of messages written in a server (guild),
// which Discord does not report for messages; "" for none.
func WithGuildLocale(locale string) Option { return func(a *Adapter) { a.guildLocale = locale } }

// WithRetry sets the backoff between attempts to hand the engine a message
// it failed to store.
func WithRetry(min, max time.Duration) Option {
	return func(a *Adapter) { a.retryMin, a.retryMax = min, max }
}

// Adapter is the Discord customer channel: it feeds the engine the
// customers' messages and button presses, and is the bot.Sender of Channel.
type Adapter struct {
	token       string
	apiURL      string
	gatewayURL  string
	client      *http.Client
	log         *slog.Logger
	state       bot.State
	support     map[string]bool
	guildLocale string
	retryMin    time.Duration
	retryMax    time.Duration
	staff       *Staff

	// leader, when set, elects the instance that holds the gateway
	// session, unless sharded, and runs the staff channel (WithLeader),
	// asked every leaderCheck.
	leader      Leader
	leaderCheck time.Duration
	shardID     int // WithShard; shardCount 0 for none
	shardCount  int

	mu       sync.Mutex
	s        *dg.Session
	h        bot.Handler
	ctx      context.Context
	cancel   context.CancelFunc
	me       string
	readyErr error
	queues   map[string]*queue
	active   map[string]bool // conversations whose last id is kept
	order    []string        // active, oldest first
	workers  sync.WaitGroup

	partsMu sync.Mutex
	parts   map[int64]int // outbox id -> parts of a split reply already sent
}

var (
	_ bot.Adapter = (*Adapter)(nil)
	_ bot.Readier = (*Adapter)(nil)
)

// New returns an unstarted adapter for the bot with token (as the
// Developer Portal shows it, without "Bot ").
func New(token string, opts ...Option) (*Adapter, error) {
	token = strings.TrimPrefix(strings.TrimSpace(token), "Bot ")
	if token == "" {
		return nil, errors.New("discord: empty bot token")
	}
	a := &Adapter{
		token: token, apiURL: DefaultAPIURL, log: slog.Default(), state: bot.NewMemoryState(),
		support: map[string]bool{}, retryMin: 100 * time.Millisecond, retryMax: 5 * time.Second,
		queues: map[string]*queue{}, active: map[string]bool{}, parts: map[int64]int{},
	}
	for _, o := range opts {
		o(a)
	}
	if a.client == nil {
		// Replies to many conversations go out at once: keep connections.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		a.client = &http.Client{Timeout: 30 * time.Second, Transport: t}
	}
	if !strings.HasPrefix(a.apiURL, "http://") && !strings.HasPrefix(a.apiURL, "https://") {
		return nil, fmt.Errorf("discord: API URL %q is not http:// or https://", a.apiURL)
	}
	if a.shardCount != 0 && (a.shardCount < 1 || a.shardID < 0 || a.shardID >= a.shardCount) {
		return nil, fmt.Errorf("discord: shard %d of %d: want 0 <= id < count", a.shardID, a.shardCount)
	}
	if a.gatewayURL != "" && !strings.HasPrefix(a.gatewayURL, "ws://") && !strings.HasPrefix(a.gatewayURL, "wss://") {
		return nil, fmt.Errorf("discord: gateway URL %q is not ws:// or wss://", a.gatewayURL)
	}
	return a, nil
}

// Channel implements bot.Adapter.
func (a *Adapter) Channel() string { return Channel }

// Ready implements bot.Readier: an error until the gateway session is
// ready, and while it is down.
func (a *Adapter) Ready() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.readyErr
}

func (a *Adapter) setReady(err error) {
	a.mu.Lock()
	a.readyErr = err
	a.mu.Unlock()
}

// Start implements bot.Adapter: it checks the token (GET /users/@me),
// opens the gateway and returns once the session is ready. With
// WithLeader (unsharded) it returns after the token check: the gateway
// is opened, and the staff channel run, while this instance leads.
func (a *Adapter) Start(ctx context.Context, h bot.Handler) error {
	a.mu.Lock()
	if a.s != nil {
		a.mu.Unlock()
		return ErrStarted
	}
	a.mu.Unlock()
	if err := a.loadActive(ctx); err != nil {
		return err
	}
	setEndpoints(a.apiURL)
	s, err := a.newSession()
	if err != nil {
		return err
	}
	me, err := s.User("@me", dg.WithContext(ctx))
	if err != nil {
		if isStatus(err, http.StatusUnauthorized) {
			return ErrUnauthorized
		}
		return fmt.Errorf("discord: /users/@me: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.mu.Lock()
	a.s, a.h, a.me, a.ctx, a.cancel = s, h, me.ID, runCtx, cancel
	a.readyErr = errors.New("discord: gateway not connected yet")
	if a.electsGateway() {
		a.readyErr = nil // a standby sends; the gateway is another's
	}
	a.mu.Unlock()

	if a.staff != nil && a.leader == nil {
		a.workers.Add(1)
		go a.staffLoop(runCtx)
	}
	if !a.electsGateway() {
		if err := a.openGateway(s); err != nil {
			cancel()
			a.mu.Lock()
			a.s = nil
			a.mu.Unlock()
			return err
		}
	}
	if a.leader != nil {
		// The elected instance runs the staff channel and, unless
		// sharded, opens a gateway session of its own; s then only
		// makes REST calls.
		a.workers.Add(1)
		go a.leadLoop(runCtx)
	}
	go func() {
		select {
		case <-ctx.Done():
			stopCtx, c := context.WithTimeout(context.Background(), 10*time.Second)
			defer c()
			_ = a.Stop(stopCtx)
		case <-runCtx.Done():
		}
	}()
	a.log.Info("discord adapter started", "bot", me.Username, "support_channels", len(a.support))
	return nil
}

// newSession returns an unopened discordgo session for the bot, its REST
// calls made with the adapter's client.
func (a *Adapter) newSession() (*dg.Session, error) {
	s, err := dg.New("Bot " + a.token)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	client := *a.client
	if a.gatewayURL != "" {
		client.Transport = gatewayTransport{base: transportOf(a.client), url: a.gatewayURL}
	}
	s.Client = &client
	s.Identify.Intents = Intents
	s.SyncEvents = true // the handlers only queue: one reader keeps the order
	s.ShouldRetryOnRateLimit = false
	s.ShouldReconnectOnError = true
	s.StateEnabled = false
	s.ShardID, s.ShardCount = a.shardID, a.shardCount // Identify sends [id, count] when count > 1
	return s, nil
}

// openGateway adds the adapter's event handlers to s and opens its
// gateway connection.
func (a *Adapter) openGateway(s *dg.Session) error {
	s.AddHandler(a.onReady)
	s.AddHandler(a.onResumed)
	s.AddHandler(a.onDisconnect)
	s.AddHandler(a.onMessageCreate)
	s.AddHandler(a.onInteraction)
	if err := s.Open(); err != nil {
		var ce *websocket.CloseError
		if errors.As(err, &ce) && ce.Code == 4004 {
			return ErrUnauthorized
		}
		return fmt.Errorf("discord: open gateway: %w", err)
	}
	return nil
}

// Stop implements bot.Adapter: it closes the gateway and waits, at most
// until ctx is done, for the messages being handed to the engine.
func (a *Adapter) Stop(ctx context.Context) error {
	a.mu.Lock()
	s, cancel := a.s, a.cancel
	a.s = nil
	a.mu.Unlock()
	if s == nil {
		return nil
	}
	cancel()
	err := s.Close()
	done := make(chan struct{})
	go func() { a.workers.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("discord: stop: %w", ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("discord: close gateway: %w", err)
	}
	return nil
}

// session returns the running session and the adapter's lifetime, nil
// when stopped.
func (a *Adapter) session() (*dg.Session, context.Context) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.s, a.ctx
}

var endpointsMu sync.Mutex

// setEndpoints points every discordgo endpoint variable the adapter uses,
// and those they are derived from, at root (ending in "/"). discordgo
// computes them once from EndpointDiscord; the functions (EndpointChannel,
// EndpointUser, EndpointInteraction, ...) read these at call time. The
// variables are the SDK's, shared by the process: they are written only
// when root changes.
func setEndpoints(root string) {
	endpointsMu.Lock()
	defer endpointsMu.Unlock()
	if dg.EndpointDiscord == root && dg.EndpointAPI == root+"api/v"+dg.APIVersion+"/" {
		return
	}
	dg.EndpointDiscord = root
	dg.EndpointAPI = root + "api/v" + dg.APIVersion + "/"
	dg.EndpointGuilds = dg.EndpointAPI + "guilds/"
	dg.EndpointChannels = dg.EndpointAPI + "channels/"
	dg.EndpointUsers = dg.EndpointAPI + "users/"
	dg.EndpointGateway = dg.EndpointAPI + "gateway"
	dg.EndpointGatewayBot = dg.EndpointGateway + "/bot"
	dg.EndpointWebhooks = dg.EndpointAPI + "webhooks/"
	dg.EndpointStickers = dg.EndpointAPI + "stickers/"
	dg.EndpointStageInstances = dg.EndpointAPI + "stage-instances"
	dg.EndpointSKUs = dg.EndpointAPI + "skus"
	dg.EndpointVoice = dg.EndpointAPI + "/voice/"
	dg.EndpointVoiceRegions = dg.EndpointVoice + "regions"
	dg.EndpointGuildCreate = dg.EndpointAPI + "guilds"
	dg.EndpointApplications = dg.EndpointAPI + "applications"
	dg.EndpointOAuth2 = dg.EndpointAPI + "oauth2/"
	dg.EndpointOAuth2Applications = dg.EndpointOAuth2 + "applications"
}

// transportOf is c's RoundTripper.
func transportOf(c *http.Client) http.RoundTripper {
	if c.Transport != nil {
		return c.Transport
	}
	return http.DefaultTransport
}

// gatewayTransport answers discordgo's GET /gateway with the configured
// gateway URL (discordgo keeps the URL it dials in an unexported field).
type gatewayTransport struct {
	base http.RoundTripper
	url  string
}

func (g gatewayTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	endpointsMu.Lock()
	gw := dg.EndpointGateway
	endpointsMu.Unlock()
	if r.Method == http.MethodGet && strings.SplitN(r.URL.String(), "?", 2)[0] == gw {
		body := fmt.Sprintf(`{"url":%q}`, g.url)
		return &http.Response{
			StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:  http.Header{"Content-Type": {"application/json"}},
			Body:    readCloser{strings.NewReader(body)},
			Request: r, ContentLength: int64(len(body)),
		}, nil
	}
	return g.base.RoundTrip(r)
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }
