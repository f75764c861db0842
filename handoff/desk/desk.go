// Package desk is calmbot's web agent desk: the pages and the JSON +
// server-sent events API with which support staff take handed-off
// conversations in a browser.
//
// Agents log in with their name and password (handoff.Service.Authenticate).
// A session is a cookie holding an HMAC-signed token (agent, the agent's
// epoch, expiry and a random nonce), so sessions survive a restart when
// the key is kept (WithKey). A session ends at logout (kept across
// restarts with WithRevocations) and when the agent's password changes or
// the agent is removed (handoff.Service.Session); its event streams end
// with it. Every state-changing request carries a CSRF token derived from
// the session (header X-CSRF-Token, or the form field "csrf" for the
// logout and password forms); the login form carries one derived from a
// pre-session cookie. Logins are rate limited per client address, and failed
// ones per name in a way that slows guessing but locks nobody out (loginLimits).
//
// The pages are a server-rendered shell (html/template) with embedded
// JavaScript and CSS, no CDN and no build step: the queue, the agent's
// conversations, a conversation with its summary, transcript, notes and
// actions, the history of closed conversations with a search, and a small
// dashboard. They talk to the API under
// <prefix>/api/, documented in docs/http-api.md ("Agent desk API"). The
// customer's words are never parsed as HTML: the templates escape them and
// the script sets them with textContent.
package desk

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/webserve"
)

// Service is what the desk uses of *handoff.Service: the agent API that
// every agent surface shares (queries, Act, Subscribe) and the desk's own
// logins.
type Service interface {
	Authenticate(ctx context.Context, name, password string) (handoff.Agent, error)
	Session(ctx context.Context, id string, epoch int64) (handoff.Agent, error)
	ChangePassword(ctx context.Context, id, current, password string) (handoff.Agent, error)
	Agent(id string) (handoff.Agent, error)
	Agents() []handoff.Agent
	SetPresence(ctx context.Context, id string, p handoff.Presence) (handoff.Agent, error)
	SetName(ctx context.Context, id, name string) (handoff.Agent, error)

	Queue(agent string) ([]*handoff.Ticket, error)
	Mine(agent string) []*handoff.Ticket
	Tickets() []*handoff.Ticket
	RecentTickets(ctx context.Context, limit int) ([]*handoff.Ticket, error)
	Ticket(ctx context.Context, id int64) (*handoff.Ticket, error)
	Summary(ctx context.Context, id int64) (handoff.Summary, error)
	Transcript(ctx context.Context, id int64) ([]bot.Entry, error)
	Estimate(id int64) (handoff.Estimate, error)
	Brief(ctx context.Context, id int64) (handoff.Brief, error)

	Act(ctx context.Context, agent string, a handoff.Action) (handoff.Result, error)

	Subscribe(agent string) (<-chan handoff.Update, func())
}

var _ Service = (*handoff.Service)(nil)

// Counts are figures about the bot's own work that the desk cannot compute
// from the handoff service: it sees only the conversations handed to people.
type Counts struct {
	// Conversations counts conversations started.
	Conversations int64 `json:"conversations"`
	// Contained counts conversations the bot finished alone, HandedOff
	// those that ended after a handoff.
	Contained int64 `json:"contained"`
	HandedOff int64 `json:"handed_off"`
}

// Stats is an optional source of Counts for the dashboard (the server's
// metrics, say). Without it the dashboard shows no containment.
type Stats interface {
	Counts(ctx context.Context) (Counts, error)
}

// AnswerStats is the optional capability of a Stats provider that counts
// the knowledge base's answers: the dashboard lists those that most often
// did not help.
type AnswerStats interface {
	Answers(ctx context.Context) ([]AnswerCount, error)
}

// AnswerCount is how often an answer was given and what customers said of it.
type AnswerCount struct {
	Answer    string `json:"answer"`
	Answered  int64  `json:"answered"`
	Helped    int64  `json:"helped"`
	NotHelped int64  `json:"not_helped"`
}

// Defaults of the options.
const (
	DefaultPrefix     = "/desk"
	DefaultSessionTTL = 12 * time.Hour
	DefaultHeartbeat  = 15 * time.Second
	// DefaultLoginBurst failed logins are allowed per name from one client
	// address, and loginNameBursts times as many per name from all
	// addresses; then one more each DefaultLoginRefill.
	DefaultLoginBurst  = 5
	DefaultLoginRefill = 30 * time.Second
	// DefaultLoginAttempts login attempts a minute, right or wrong, are
	// allowed from one client address.
	DefaultLoginAttempts = 20
	loginNameBursts      = 4
	// DefaultRecent is how many closed tickets the dashboard reads.
	DefaultRecent = 200
	maxBody       = 64 << 10
)

// Option configures a Desk.
type Option func(*Desk)

// WithPrefix mounts the desk under prefix (default "/desk": pages at
// /desk/, the API at /desk/api/...).
func WithPrefix(prefix string) Option {
	return func(d *Desk) { d.prefix = "/" + strings.Trim(prefix, "/") }
}

// WithKey sets the secret that sessions and CSRF tokens are signed with.
// Keep it across restarts so agents stay logged in; without it a random
// key is made and sessions end with the process.
func WithKey(key []byte) Option { return func(d *Desk) { d.key = key } }

// WithSessionTTL sets how long a login lasts (default 12 hours).
func WithSessionTTL(ttl time.Duration) Option { return func(d *Desk) { d.ttl = ttl } }

// WithLoginLimit allows burst failed logins per name from one client
// address and 4 x burst per name from all addresses, then one more every
// refill (default 5 and 20, then one each 30 s). A name whose failures
// over all addresses are used up can still be logged into from an address
// that has not failed on it: nobody can lock an agent out by guessing.
func WithLoginLimit(burst int, refill time.Duration) Option {
	return func(d *Desk) { d.loginBurst, d.loginRefill = burst, refill }
}

// WithLoginAttempts limits login attempts, right or wrong, from one client
// address (default DefaultLoginAttempts a minute; a zero Rate turns it off).
func WithLoginAttempts(r webserve.Rate) Option { return func(d *Desk) { d.loginAttempts = r } }

// WithTrustedProxies names the reverse proxies whose X-Forwarded-For (the
// client's address, for the login limits) and X-Forwarded-Proto (https
// makes the cookies Secure) are believed; without it the client is the
// connection's peer.
func WithTrustedProxies(p *webserve.Proxies) Option { return func(d *Desk) { d.proxies = p } }

// WithSecureCookies marks the desk's cookies Secure whatever the request
// looks like: for a desk that is only ever reached over HTTPS through a
// proxy that does not send X-Forwarded-Proto. Over TLS, or with a trusted
// proxy that says https, they are Secure anyway.
func WithSecureCookies(on bool) Option { return func(d *Desk) { d.secureCookies = on } }

// WithRevocations keeps logged-out sessions in r (the server's database),
// so that a logout holds after a restart; without it a logged-out cookie
// works again after a restart with the same key until it expires.
func WithRevocations(r Revocations) Option { return func(d *Desk) { d.revocations = r } }

// WithStats gives the dashboard the figures the desk cannot compute itself
// (conversations, containment).
func WithStats(s Stats) Option { return func(d *Desk) { d.stats = s } }

// WithClock replaces the wall clock (sessions, rate limits, wait times).
func WithClock(c bot.Clock) Option { return func(d *Desk) { d.clock = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(d *Desk) { d.log = l } }

// WithHeartbeat sets how often an idle event stream gets a comment line
// (default 15 s).
func WithHeartbeat(h time.Duration) Option { return func(d *Desk) { d.heartbeat = h } }

// Desk is the web agent desk, an http.Handler factory.
type Desk struct {
	svc       Service
	stats     Stats
	canned    CannedStore // nil: no canned replies
	hints     HintCounter // the assist's hint outcomes; nil: not counted
	log       *slog.Logger
	clock     bot.Clock
	key       []byte
	prefix    string
	ttl       time.Duration
	heartbeat time.Duration

	loginBurst    int
	loginRefill   time.Duration
	loginAttempts webserve.Rate
	limits        *loginLimits
	proxies       *webserve.Proxies
	secureCookies bool

	revocations Revocations    // logged-out sessions, kept across restarts; nil: memory only
	mem         memRevocations // logged-out sessions of this process

	streamsMu sync.Mutex
	streams   map[string]map[chan struct{}]struct{} // live event streams by session, closed at logout

	alive                   liveness // agents' open desks, for their presence
	awayAfter, offlineAfter time.Duration

	pages  *pages
	routes http.Handler

	done      chan struct{}
	closeOnce sync.Once
}

// New returns the desk of svc.
func New(svc Service, opts ...Option) *Desk {
	d := &Desk{
		svc:           svc,
		log:           slog.Default(),
		clock:         wallClock{},
		prefix:        DefaultPrefix,
		ttl:           DefaultSessionTTL,
		heartbeat:     DefaultHeartbeat,
		loginBurst:    DefaultLoginBurst,
		loginRefill:   DefaultLoginRefill,
		loginAttempts: webserve.Rate{N: DefaultLoginAttempts, Per: time.Minute},
		mem:           memRevocations{revoked: map[string]time.Time{}},
		streams:       map[string]map[chan struct{}]struct{}{},
		alive: liveness{live: map[string]int{}, timers: map[string]bot.Timer{},
			lapsed: map[string]handoff.Presence{}},
		awayAfter:    DefaultAwayAfter,
		offlineAfter: DefaultOfflineAfter,
		done:         make(chan struct{}),
	}
	for _, o := range opts {
		o(d)
	}
	if d.prefix == "/" {
		d.prefix = ""
	}
	if len(d.key) == 0 {
		d.key = make([]byte, 32)
		_, _ = rand.Read(d.key) // never fails (crypto/rand panics instead)
		d.log.Warn("desk: no key given; agents' sessions end with this process")
	}
	d.limits = newLoginLimits(d.loginBurst, d.loginRefill, d.loginAttempts)
	d.pages = loadPages()
	d.routes = webserve.Policy{CSP: contentSecurityPolicy, FrameAncestors: webserve.FrameNone}.Wrap(d.mux())
	d.watchPresence()
	return d
}

// Handler returns the pages and the API, with their routes under the
// prefix; mount it at the prefix and below ("/desk" and "/desk/"). Every
// response carries nosniff, no-referrer and a Content-Security-Policy that
// forbids framing.
func (d *Desk) Handler() http.Handler { return d.routes }

// Close ends the open event streams and refuses new ones with 503. Call it
// when the server shuts down (http.Server.RegisterOnShutdown(d.Close)): a
// stream never finishes by itself. Browsers reconnect to the next server.
func (d *Desk) Close() {
	d.closeOnce.Do(func() {
		close(d.done)
		d.stopPresence()
	})
}

// Prefix returns the path the desk is mounted under.
func (d *Desk) Prefix() string { return d.prefix }

func (d *Desk) mux() *http.ServeMux {
	p := d.prefix
	m := http.NewServeMux()
	if p != "" {
		m.Handle("GET "+p, http.RedirectHandler(p+"/", http.StatusMovedPermanently))
	}
	// Pages.
	m.HandleFunc("GET "+p+"/login", d.loginPage)
	m.HandleFunc("POST "+p+"/login", d.loginForm)
	m.HandleFunc("POST "+p+"/logout", d.page(d.logoutForm))
	m.HandleFunc("GET "+p+"/{$}", d.page(d.queuePage))
	m.HandleFunc("GET "+p+"/tickets/{id}", d.page(d.ticketPage))
	m.HandleFunc("GET "+p+"/dashboard", d.page(d.dashboardPage))
	m.HandleFunc("GET "+p+"/history", d.page(d.historyPage))
	m.HandleFunc("GET "+p+"/account", d.page(d.accountPage))
	m.HandleFunc("POST "+p+"/account", d.page(d.accountForm))
	m.HandleFunc("POST "+p+"/account/name", d.page(d.nameForm))
	for _, name := range assetNames {
		m.HandleFunc("GET "+p+"/assets/"+name, d.serveAsset(name))
	}
	// API.
	a := p + "/api"
	m.HandleFunc("POST "+a+"/login", d.apiLogin)
	m.HandleFunc("POST "+a+"/logout", d.api(d.apiLogout))
	m.HandleFunc("GET "+a+"/me", d.api(d.apiMe))
	m.HandleFunc("PUT "+a+"/me/presence", d.api(d.apiPresence))
	m.HandleFunc("PUT "+a+"/me/password", d.api(d.apiPassword))
	m.HandleFunc("PUT "+a+"/me/name", d.api(d.apiName))
	m.HandleFunc("GET "+a+"/agents", d.api(d.apiAgents))
	m.HandleFunc("GET "+a+"/queue", d.api(d.apiQueue))
	m.HandleFunc("POST "+a+"/queue/next", d.api(d.apiNext))
	m.HandleFunc("GET "+a+"/mine", d.api(d.apiMine))
	m.HandleFunc("GET "+a+"/tickets/{id}", d.api(d.apiTicket))
	m.HandleFunc("POST "+a+"/tickets/{id}/claim", d.api(d.apiClaim))
	m.HandleFunc("POST "+a+"/tickets/{id}/reply", d.api(d.apiReply))
	m.HandleFunc("POST "+a+"/tickets/{id}/notes", d.api(d.apiNote))
	m.HandleFunc("POST "+a+"/tickets/{id}/invite", d.api(d.apiInvite))
	m.HandleFunc("POST "+a+"/tickets/{id}/leave", d.api(d.apiLeave))
	m.HandleFunc("POST "+a+"/tickets/{id}/transfer", d.api(d.apiTransfer))
	m.HandleFunc("POST "+a+"/tickets/{id}/release", d.api(d.apiRelease))
	m.HandleFunc("POST "+a+"/tickets/{id}/close", d.api(d.apiClose))
	m.HandleFunc("GET "+a+"/events", d.api(d.apiEvents))
	m.HandleFunc("GET "+a+"/dashboard", d.api(d.apiDashboard))
	m.HandleFunc("GET "+a+"/history", d.api(d.apiHistory))
	m.HandleFunc("GET "+a+"/canned", d.api(d.apiCanned))
	m.HandleFunc("POST "+a+"/canned", d.api(d.apiSaveCanned))
	m.HandleFunc("DELETE "+a+"/canned/{id}", d.api(d.apiDeleteCanned))
	d.assistRoutes(m)
	return m
}

// wallClock is the real clock.
type wallClock struct{}

func (wallClock) Now() time.Time                                { return time.Now() }
func (wallClock) AfterFunc(d time.Duration, f func()) bot.Timer { return time.AfterFunc(d, f) }
