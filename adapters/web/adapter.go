// Package web is calmbot's customer web chat: a chat page and the JSON +
// server-sent events API behind it, for the page and for simple
// integrations.
//
// A conversation is created with POST /api/conversations, which returns its
// id and a secret token (an HMAC of the id with the server's key: nothing is
// stored until the customer writes). Messages are posted to
// /api/conversations/{id}/messages and stored by the engine before the
// request is answered; the bot's and agents' messages stream from
// /api/conversations/{id}/events. The stream is a projection of the stored
// transcript: an event's id is the entry's sequence number, so a client that
// reconnects with Last-Event-ID gets exactly what it missed.
// docs/http-api.md documents the API.
package web

import (
	"context"
	"crypto/rand"
	"embed"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/webserve"
)

// Channel is the web chat's channel name.
const Channel = "web"

// Defaults of the options.
const (
	DefaultMaxBody      = 64 << 10
	DefaultWait         = 10 * time.Second
	DefaultMaxWait      = 30 * time.Second
	DefaultHeartbeat    = 15 * time.Second
	DefaultWriteTimeout = 30 * time.Second
	// DefaultMaxSubscribers caps the event streams open on one conversation
	// (browser tabs); one more is refused with 429.
	DefaultMaxSubscribers = 16
)

// Engine is what the web chat needs of the conversation engine.
type Engine interface {
	bot.Handler
	// Flush waits until the replies committed for addr were delivered.
	Flush(ctx context.Context, addr bot.Address) error
	// Transcript returns a conversation's messages in order.
	Transcript(ctx context.Context, addr bot.Address) ([]bot.Entry, error)
}

// stater is an optional capability of an Engine: the stored state of a
// conversation. With it the adapter streams typing and status events and
// knows at once when a message gets no answer from the bot (a person holds
// the conversation); *bot.Engine has it.
type stater interface {
	Conversation(ctx context.Context, addr bot.Address) (*bot.Snapshot, error)
}

//go:embed assets
var assets embed.FS

// Adapter is the web chat: an http.Handler for the page and the API, and the
// bot.Sender of the "web" channel.
type Adapter struct {
	engine Engine
	state  stater // nil when the engine cannot tell
	log    *slog.Logger
	key    []byte
	signer *signer
	prefix string

	maxBody        int64
	wait, maxWait  time.Duration
	heartbeat      time.Duration
	writeTimeout   time.Duration
	maxSubscribers int

	proxies        *webserve.Proxies
	frameAncestors string
	createRate     webserve.Rate
	postRate       webserve.Rate
	createLimit    *webserve.Limiter // conversations created, per client address
	postLimit      *webserve.Limiter // messages posted, per client address
	streams        streamCount

	hub hub
	shared
	files  map[string]webserve.Asset
	routes http.Handler

	closeOnce sync.Once
	done      chan struct{} // closed by Close

	names func(agent string) string // the name customers see of an agent; nil: none

	hmu     sync.Mutex
	started bot.Handler // what posts go to once started; the engine before
}

var (
	_ bot.Adapter = (*Adapter)(nil)
	_ bot.Router  = (*Adapter)(nil)
)

// Option configures an Adapter.
type Option func(*Adapter)

// WithKey sets the secret that conversation tokens are signed with. Give
// the same key after a restart so customers' tokens stay valid; without it
// a random key is made and tokens last as long as the process.
func WithKey(key []byte) Option { return func(a *Adapter) { a.key = key } }

// WithAgentNames gives the name customers see of an agent ("Ada"), sent
// beside a person's message as "name"; "" leaves it out.
func WithAgentNames(name func(agent string) string) Option {
	return func(a *Adapter) { a.names = name }
}

// WithPrefix mounts the page and the API under prefix ("/chat" serves the
// page at /chat/ and the API at /chat/api/...); the default is the root.
func WithPrefix(prefix string) Option {
	return func(a *Adapter) { a.prefix = "/" + strings.Trim(prefix, "/") }
}

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(a *Adapter) { a.log = l } }

// WithMaxBody sets the largest request body accepted (default 64 KiB);
// larger ones are refused with 413.
func WithMaxBody(n int64) Option { return func(a *Adapter) { a.maxBody = n } }

// WithWait sets how long a message posted with ?wait=1 waits for the bot's
// answer (default 10 s), and the most a client may ask for with
// "Prefer: wait=N" (default 30 s).
func WithWait(def, limit time.Duration) Option {
	return func(a *Adapter) { a.wait, a.maxWait = def, limit }
}

// WithHeartbeat sets how often an idle event stream gets a comment line
// that keeps proxies from closing it (default 15 s).
func WithHeartbeat(d time.Duration) Option { return func(a *Adapter) { a.heartbeat = d } }

// WithWriteTimeout sets how long one write to an event stream may take
// before the client is dropped as stuck (default 30 s); it reconnects and
// resumes with Last-Event-ID.
func WithWriteTimeout(d time.Duration) Option { return func(a *Adapter) { a.writeTimeout = d } }

// WithMaxSubscribers caps the event streams open on one conversation
// (default 16).
func WithMaxSubscribers(n int) Option { return func(a *Adapter) { a.maxSubscribers = n } }

// WithTrustedProxies names the reverse proxies whose X-Forwarded-For is
// believed for the client's address (rate limits and stream caps count per
// address); without it the client is the connection's peer.
func WithTrustedProxies(p *webserve.Proxies) Option { return func(a *Adapter) { a.proxies = p } }

// WithFrameAncestors sets who may show the chat page in a frame, as
// webserve.ParseFrameAncestors reads it (default 'self': only pages of the
// chat's own origin). A site that embeds the chat in an iframe names its
// origin here.
func WithFrameAncestors(sources string) Option {
	return func(a *Adapter) { a.frameAncestors = sources }
}

// WithRateLimits sets how many conversations (create) and messages (post)
// one client address may start and send (defaults DefaultCreateRate and
// DefaultPostRate a minute); beyond them the API answers 429 with
// Retry-After. A zero Rate turns that limit off.
func WithRateLimits(create, post webserve.Rate) Option {
	return func(a *Adapter) { a.createRate, a.postRate = create, post }
}

// WithStreamLimits caps the event streams open at once over all clients
// (total; beyond it 503 with Retry-After) and per client address
// (perClient; beyond it 429). Defaults DefaultMaxStreams and
// DefaultMaxStreamsPerClient; 0 leaves a cap off.
func WithStreamLimits(total, perClient int) Option {
	return func(a *Adapter) { a.streams.total, a.streams.perClient = total, perClient }
}

// New returns the web chat for engine e. Register it as the sender of
// Channel: e.Register(web.Channel, a).
func New(e Engine, opts ...Option) *Adapter {
	a := &Adapter{
		engine:         e,
		log:            slog.Default(),
		maxBody:        DefaultMaxBody,
		wait:           DefaultWait,
		maxWait:        DefaultMaxWait,
		heartbeat:      DefaultHeartbeat,
		writeTimeout:   DefaultWriteTimeout,
		maxSubscribers: DefaultMaxSubscribers,
		frameAncestors: webserve.FrameSelf,
		createRate:     webserve.Rate{N: DefaultCreateRate, Per: time.Minute},
		postRate:       webserve.Rate{N: DefaultPostRate, Per: time.Minute},
		streams:        streamCount{total: DefaultMaxStreams, perClient: DefaultMaxStreamsPerClient},
		hub:            hub{topics: map[string]*topic{}},
		done:           make(chan struct{}),
	}
	for _, o := range opts {
		o(a)
	}
	if a.prefix == "/" {
		a.prefix = ""
	}
	if s, ok := e.(stater); ok {
		a.state = s
	}
	if len(a.key) == 0 {
		a.key = make([]byte, 32)
		_, _ = rand.Read(a.key) // never fails (crypto/rand panics instead)
		a.log.Warn("web chat: no key given; conversation tokens end with this process")
	}
	a.signer = newSigner(a.key)
	a.createLimit = webserve.NewLimiter(a.createRate, maxClients)
	a.postLimit = webserve.NewLimiter(a.postRate, maxClients)
	a.files = loadAssets()
	policy := webserve.Policy{CSP: contentSecurityPolicy, FrameAncestors: a.frameAncestors}
	a.routes = policy.Wrap(a.mux())
	return a
}

// Channel returns the channel name, "web".
func (a *Adapter) Channel() string { return Channel }

// Start makes h take the customers' messages (the engine given to New
// until then). The web chat has nothing to connect: its routes (Routes)
// serve as soon as they are mounted. With WithBus it starts sharing wakes
// with the other instances, until Close.
func (a *Adapter) Start(ctx context.Context, h bot.Handler) error {
	a.hmu.Lock()
	a.started = h
	a.hmu.Unlock()
	return a.startBus(ctx)
}

// Stop ends the open event streams and the posts waiting for replies, as
// Close does; the host stops it before shutting its HTTP server down, which
// waits for requests to finish and a stream never finishes by itself.
func (a *Adapter) Stop(context.Context) error {
	a.Close()
	return nil
}

func (a *Adapter) handler() bot.Handler {
	a.hmu.Lock()
	defer a.hmu.Unlock()
	if a.started != nil {
		return a.started
	}
	return a.engine
}

// Routes returns the page and the API (Handler) at the prefix.
func (a *Adapter) Routes() map[string]http.Handler {
	if a.prefix == "" {
		return map[string]http.Handler{"/": a.routes}
	}
	return map[string]http.Handler{a.prefix: a.routes, a.prefix + "/": a.routes}
}

// Handler returns the page and the API, with their routes under the
// prefix. Every response carries nosniff, no-referrer and a
// Content-Security-Policy with the frame ancestors.
func (a *Adapter) Handler() http.Handler { return a.routes }

// Close ends the open event streams and the posts waiting for replies (they
// answer with what they have), and refuses new streams with 503. Call it
// when the server shuts down (http.Server.RegisterOnShutdown(a.Close)):
// Shutdown waits for requests to finish, and a stream never finishes by
// itself. Browsers reconnect to the next server and resume where they were.
func (a *Adapter) Close() { a.closeOnce.Do(func() { close(a.done) }) }

func (a *Adapter) mux() *http.ServeMux {
	p := a.prefix
	m := http.NewServeMux()
	if p != "" {
		m.Handle("GET "+p, http.RedirectHandler(p+"/", http.StatusMovedPermanently))
	}
	m.HandleFunc("GET "+p+"/{$}", a.serveAsset("index.html"))
	m.HandleFunc("GET "+p+"/assets/chat.js", a.serveAsset("chat.js"))
	m.HandleFunc("GET "+p+"/assets/chat.css", a.serveAsset("chat.css"))
	// The launcher a shop embeds on its own pages (see docs/http-api.md).
	m.HandleFunc("GET "+p+"/launcher.js", a.serveAsset("launcher.js"))
	m.HandleFunc("POST "+p+"/api/conversations", a.create)
	m.HandleFunc("POST "+p+"/api/conversations/{id}/messages", a.authed(a.post, false))
	m.HandleFunc("GET "+p+"/api/conversations/{id}/events", a.authed(a.events, true))
	m.HandleFunc("GET "+p+"/api/conversations/{id}/transcript", a.authed(a.transcript, false))
	return m
}

// address is the bot address of the web conversation id.
func address(id string) bot.Address { return bot.Address{Channel: Channel, Conversation: id} }
