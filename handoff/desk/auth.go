package desk

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/webserve"
)

// Cookie names.
const (
	sessionCookie = "calmbot_desk"
	// preCookie holds the random value the login form's CSRF token is
	// derived from, before there is a session.
	preCookie  = "calmbot_desk_login"
	csrfHeader = "X-CSRF-Token"
	csrfField  = "csrf"
)

// session is a logged-in agent's request context.
type session struct {
	agent handoff.Agent
	nonce string // the session's id
	exp   time.Time
	csrf  string
}

// token is what a session cookie says.
type token struct {
	agent string
	epoch int64 // the agent's Epoch at login
	nonce string
	exp   time.Time
}

// sign returns the base64url HMAC of parts under the desk's key, the
// parts' purpose first so a token of one kind never passes for another.
func (d *Desk) sign(purpose string, parts ...string) string {
	m := hmac.New(sha256.New, d.key)
	m.Write([]byte(purpose))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// newToken returns a session token for agent (at epoch) and its nonce:
// id.epoch.expiry.nonce.signature.
func (d *Desk) newToken(agent string, epoch int64, exp time.Time) (tok, nonce string) {
	nonce = randomString(12)
	id := base64.RawURLEncoding.EncodeToString([]byte(agent))
	ep := strconv.FormatInt(epoch, 10)
	e := strconv.FormatInt(exp.Unix(), 10)
	return id + "." + ep + "." + e + "." + nonce + "." + d.sign("session", id, ep, e, nonce), nonce
}

// parseToken checks a session token's signature and expiry.
func (d *Desk) parseToken(tok string) (token, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 5 {
		return token{}, false
	}
	id, ep, e, nonce, sig := parts[0], parts[1], parts[2], parts[3], parts[4]
	if !hmac.Equal([]byte(sig), []byte(d.sign("session", id, ep, e, nonce))) {
		return token{}, false
	}
	epoch, err := strconv.ParseInt(ep, 10, 64)
	if err != nil {
		return token{}, false
	}
	sec, err := strconv.ParseInt(e, 10, 64)
	if err != nil {
		return token{}, false
	}
	exp := time.Unix(sec, 0)
	if !d.clock.Now().Before(exp) {
		return token{}, false
	}
	name, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		return token{}, false
	}
	return token{agent: string(name), epoch: epoch, nonce: nonce, exp: exp}, true
}

// errNoSession is returned by session for a request without a valid
// session: no cookie, a bad or expired one, logged out, or no longer the
// agent's.
var errNoSession = errors.New("not logged in")

// errStoreDown wraps what session returns when the store cannot say
// whether a session holds: that is no logout, and the desk answers 503.
var errStoreDown = errors.New("the desk cannot reach its database")

// storeRetry is the Retry-After, in seconds, of a 503 while the store is away.
const storeRetry = 2

// session returns the request's session, when its cookie is valid, it did
// not log out, and it is still the agent's: they exist and their password
// did not change since (the store is asked each time, as another process
// may have changed it). It fails with errNoSession when there is none,
// and with an error wrapping errStoreDown when the store cannot tell.
func (d *Desk) session(r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, errNoSession
	}
	tk, ok := d.parseToken(c.Value)
	if !ok {
		return nil, errNoSession
	}
	a, err := d.sessionAgent(r.Context(), tk.nonce, tk.agent, tk.epoch)
	if err != nil {
		return nil, err
	}
	return &session{agent: a, nonce: tk.nonce, exp: tk.exp, csrf: d.sign("csrf", tk.nonce)}, nil
}

// sessionAgent returns the agent of session nonce, begun by agent in
// epoch, with session's errors.
func (d *Desk) sessionAgent(ctx context.Context, nonce, agent string, epoch int64) (handoff.Agent, error) {
	revoked, err := d.isRevoked(ctx, nonce)
	switch {
	case err != nil:
		return handoff.Agent{}, err
	case revoked:
		return handoff.Agent{}, errNoSession
	}
	a, err := d.svc.Session(ctx, agent, epoch)
	switch {
	case errors.Is(err, handoff.ErrSessionEnded), errors.Is(err, handoff.ErrNotFound):
		return handoff.Agent{}, errNoSession
	case err != nil:
		d.log.WarnContext(ctx, "desk: session not checked, the store is away; answering 503", "agent", agent, "err", err)
		return handoff.Agent{}, fmt.Errorf("check session of %s: %w: %w", agent, errStoreDown, err)
	}
	return a, nil
}

// stillValid checks that s is still a session: not logged out, and the
// agent's password unchanged; its errors are session's.
func (d *Desk) stillValid(ctx context.Context, s *session) error {
	_, err := d.sessionAgent(ctx, s.nonce, s.agent.ID, s.agent.Epoch)
	return err
}

// refuse answers an API request that has no session: 401, or 503 with
// Retry-After while the store cannot tell (the desk keeps its session and
// tries again: it is no logout).
func refuse(w http.ResponseWriter, err error) {
	if errors.Is(err, errStoreDown) {
		w.Header().Set("Retry-After", strconv.Itoa(storeRetry))
		writeError(w, http.StatusServiceUnavailable, "the desk cannot reach its database; try again shortly (you are still signed in)")
		return
	}
	writeError(w, http.StatusUnauthorized, "not logged in")
}

// Revocations keeps the desk sessions that logged out until they would
// have expired, so that a restart does not bring them back to life.
// *sqlite.Store implements it. Without one (WithRevocations) the desk keeps
// them in memory only.
type Revocations interface {
	// RevokeSession records that session id logged out; it would have
	// expired at expires, after which the record may go.
	RevokeSession(ctx context.Context, id string, expires time.Time) error
	// SessionRevoked reports whether session id logged out.
	SessionRevoked(ctx context.Context, id string) (bool, error)
}

// memRevocations are revocations in memory.
type memRevocations struct {
	mu      sync.Mutex
	revoked map[string]time.Time
}

// revoke records id until exp and forgets those past at now.
func (m *memRevocations) revoke(now time.Time, id string, exp time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for n, e := range m.revoked {
		if !now.Before(e) {
			delete(m.revoked, n)
		}
	}
	m.revoked[id] = exp
}

func (m *memRevocations) has(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.revoked[id]
	return ok
}

// isRevoked reports whether session id logged out. When the store cannot
// say, it fails with an error wrapping errStoreDown: the session is
// neither refused nor let in.
func (d *Desk) isRevoked(ctx context.Context, id string) (bool, error) {
	if d.mem.has(id) {
		return true, nil
	}
	if d.revocations == nil {
		return false, nil
	}
	gone, err := d.revocations.SessionRevoked(ctx, id)
	if err != nil {
		d.log.WarnContext(ctx, "desk: session revocation not read, the store is away; answering 503", "err", err)
		return false, fmt.Errorf("read session revocation: %w: %w", errStoreDown, err)
	}
	return gone, nil
}

// revoke ends a session before its expiry (logout): it is refused from now
// on, after a restart too when the desk has Revocations, and its event
// streams end.
func (d *Desk) revoke(ctx context.Context, s *session) error {
	d.mem.revoke(d.clock.Now(), s.nonce, s.exp)
	d.endStreams(s.nonce)
	if d.revocations == nil {
		return nil
	}
	if err := d.revocations.RevokeSession(ctx, s.nonce, s.exp); err != nil {
		return fmt.Errorf("desk: save logout: %w", err)
	}
	return nil
}

// track registers an event stream of session id; ended closes when the
// session logs out. untrack forgets it.
func (d *Desk) track(id string) (ended <-chan struct{}, untrack func()) {
	ch := make(chan struct{})
	d.streamsMu.Lock()
	if d.streams[id] == nil {
		d.streams[id] = map[chan struct{}]struct{}{}
	}
	d.streams[id][ch] = struct{}{}
	d.streamsMu.Unlock()
	return ch, func() {
		d.streamsMu.Lock()
		defer d.streamsMu.Unlock()
		if _, ok := d.streams[id][ch]; ok {
			delete(d.streams[id], ch)
			if len(d.streams[id]) == 0 {
				delete(d.streams, id)
			}
		}
	}
}

// endStreams ends the event streams of session id.
func (d *Desk) endStreams(id string) {
	d.streamsMu.Lock()
	defer d.streamsMu.Unlock()
	for ch := range d.streams[id] {
		close(ch)
	}
	delete(d.streams, id)
}

// checkCSRF reports whether a state-changing request carries the session's
// CSRF token (header, or form field for plain form posts).
func checkCSRF(r *http.Request, want string) bool {
	got := r.Header.Get(csrfHeader)
	if got == "" && isForm(r) {
		got = r.PostFormValue(csrfField)
	}
	return got != "" && hmac.Equal([]byte(got), []byte(want))
}

func isForm(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded"
}

func safeMethod(m string) bool { return m == http.MethodGet || m == http.MethodHead }

// api wraps an API handler: 401 without a session, 503 with Retry-After
// while the store cannot tell, 403 without the CSRF token on a
// state-changing request.
func (d *Desk) api(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := d.session(r)
		if err != nil {
			refuse(w, err)
			return
		}
		if !safeMethod(r.Method) && !checkCSRF(r, s.csrf) {
			writeError(w, http.StatusForbidden, "missing or wrong CSRF token (header "+csrfHeader+")")
			return
		}
		h(w, r, s)
	}
}

// page wraps a page handler: without a session the browser goes to the
// login page, and comes back after it; while the store cannot tell, the
// answer is 503 with Retry-After (the cookie stays).
func (d *Desk) page(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := d.session(r)
		if errors.Is(err, errStoreDown) {
			w.Header().Set("Retry-After", strconv.Itoa(storeRetry))
			w.Header().Set("Refresh", strconv.Itoa(storeRetry))
			http.Error(w, "The desk cannot reach its database. This page reloads shortly; you are still signed in.", http.StatusServiceUnavailable)
			return
		}
		if err != nil {
			to := d.prefix + "/login"
			if safeMethod(r.Method) {
				to += "?next=" + url.QueryEscape(r.URL.Path)
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		if !safeMethod(r.Method) && !checkCSRF(r, s.csrf) {
			http.Error(w, "missing or wrong CSRF token", http.StatusForbidden)
			return
		}
		h(w, r, s)
	}
}

// setSession starts a session for agent in their current Epoch: the
// cookie, and its CSRF token.
func (d *Desk) setSession(w http.ResponseWriter, r *http.Request, agent handoff.Agent) string {
	exp := d.clock.Now().Add(d.ttl)
	tok, nonce := d.newToken(agent.ID, agent.Epoch, exp)
	d.setCookie(w, r, sessionCookie, tok, exp)
	return d.sign("csrf", nonce)
}

func (d *Desk) setCookie(w http.ResponseWriter, r *http.Request, name, value string, exp time.Time) {
	c := &http.Cookie{
		Name: name, Value: value, Path: d.prefix + "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: d.secureCookies || d.proxies.IsTLS(r),
	}
	if exp.IsZero() {
		c.MaxAge = -1
	} else {
		c.Expires = exp
		c.MaxAge = int(math.Ceil(exp.Sub(d.clock.Now()).Seconds()))
	}
	http.SetCookie(w, c)
}

// errRateLimited is returned by login while a name or address is blocked.
var errRateLimited = errors.New("too many failed logins")

// login checks a name and password under the rate limits. On success it
// starts the session and returns its CSRF token; the agent comes online.
func (d *Desk) login(w http.ResponseWriter, r *http.Request, name, password string) (handoff.Agent, string, time.Duration, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	ip := d.proxies.ClientAddr(r)
	if wait := d.limits.check(d.clock.Now(), name, ip); wait > 0 {
		d.log.WarnContext(r.Context(), "desk: login refused, rate limited", "agent", name, "ip", ip)
		return handoff.Agent{}, "", wait, errRateLimited
	}
	a, err := d.svc.Authenticate(r.Context(), name, password)
	if err != nil {
		d.limits.fail(d.clock.Now(), name, ip)
		// The password is never logged.
		d.log.WarnContext(r.Context(), "desk: failed login", "agent", name, "ip", ip)
		return handoff.Agent{}, "", 0, err
	}
	if a.Presence == handoff.PresenceOffline {
		if b, err := d.svc.SetPresence(r.Context(), a.ID, handoff.PresenceOnline); err == nil {
			a = b
		} else {
			d.log.ErrorContext(r.Context(), "desk: set presence at login", "agent", a.ID, "err", err)
		}
	}
	d.idle(a.ID) // away unless a desk of theirs opens
	d.log.InfoContext(r.Context(), "desk: agent logged in", "agent", a.ID, "ip", ip)
	return a, d.setSession(w, r, a), 0, nil
}

// logout ends s: the cookie is cleared, the token revoked (its event
// streams end), the agent offline.
func (d *Desk) logout(w http.ResponseWriter, r *http.Request, s *session) {
	if err := d.revoke(r.Context(), s); err != nil {
		// Refused until a restart all the same.
		d.log.ErrorContext(r.Context(), "desk: logout not saved; the session ends with this process", "agent", s.agent.ID, "err", err)
	}
	d.setCookie(w, r, sessionCookie, "", time.Time{})
	if _, err := d.svc.SetPresence(r.Context(), s.agent.ID, handoff.PresenceOffline); err != nil {
		d.log.ErrorContext(r.Context(), "desk: set presence at logout", "agent", s.agent.ID, "err", err)
	}
	d.log.InfoContext(r.Context(), "desk: agent logged out", "agent", s.agent.ID)
}

// errPasswordMismatch is returned by changePassword when the new password
// and its repetition differ.
var errPasswordMismatch = errors.New("the new passwords differ")

// changePassword changes s's agent's password (current must be right) and
// carries the browser on in a new session: the cookie is replaced and the
// new CSRF token returned. Every other session of the agent ends.
func (d *Desk) changePassword(w http.ResponseWriter, r *http.Request, s *session, current, password string) (string, error) {
	a, err := d.svc.ChangePassword(r.Context(), s.agent.ID, current, password)
	if err != nil {
		d.log.WarnContext(r.Context(), "desk: password not changed", "agent", s.agent.ID, "ip", d.proxies.ClientAddr(r), "err", err)
		return "", err
	}
	if err := d.revoke(r.Context(), s); err != nil {
		d.log.ErrorContext(r.Context(), "desk: save the end of the old session", "agent", s.agent.ID, "err", err)
	}
	d.log.InfoContext(r.Context(), "desk: agent changed their password; their other sessions ended", "agent", a.ID, "ip", d.proxies.ClientAddr(r))
	return d.setSession(w, r, a), nil
}

// loginToken returns the login form's CSRF token for the pre-session
// cookie, setting one when the browser has none.
func (d *Desk) loginToken(w http.ResponseWriter, r *http.Request) string {
	pre := ""
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) >= 16 {
		pre = c.Value
	} else {
		pre = randomString(16)
		d.setCookie(w, r, preCookie, pre, d.clock.Now().Add(24*time.Hour))
	}
	return d.sign("login", pre)
}

// checkLoginToken checks the login form's CSRF field against its cookie.
func (d *Desk) checkLoginToken(r *http.Request) bool {
	c, err := r.Cookie(preCookie)
	if err != nil || c.Value == "" {
		return false
	}
	got := r.PostFormValue(csrfField)
	return got != "" && hmac.Equal([]byte(got), []byte(d.sign("login", c.Value)))
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// loginLimits are the login rate limits. They slow guessing without
// handing anyone a way to lock an agent out:
//
//   - every attempt takes a token of its client address's bucket (a
//     guesser spraying many names is slowed; behind a proxy the address is
//     the client's, see WithTrustedProxies);
//   - a failure takes a token of the (name, address) pair's bucket: an
//     address that failed burst times on a name waits before it tries that
//     name again, while the agent, from an address of their own, is not
//     held up;
//   - a failure also takes a token of the name's bucket over all addresses:
//     once that is empty (a guesser with many addresses), only addresses
//     with no recent failure on the name may try it, so each of the
//     guesser's addresses gets one try per refill and the agent still gets
//     in.
type loginLimits struct {
	address *webserve.Limiter // every attempt, per client address
	pair    *webserve.Limiter // failures, per name and client address
	name    *webserve.Limiter // failures, per name over all addresses
}

// maxLoginKeys bounds the addresses and names each limit remembers.
const maxLoginKeys = 10_000

// newLoginLimits allows burst failures per name and address and
// loginNameBursts times as many per name, each refilling one per refill,
// and attempts per address at addr.
func newLoginLimits(burst int, refill time.Duration, addr webserve.Rate) *loginLimits {
	burst, refill = max(burst, 1), max(refill, time.Millisecond)
	return &loginLimits{
		address: webserve.NewLimiter(addr, maxLoginKeys),
		pair:    webserve.NewLimiter(webserve.Rate{N: burst, Per: time.Duration(burst) * refill}, maxLoginKeys),
		name:    webserve.NewLimiter(webserve.Rate{N: loginNameBursts * burst, Per: time.Duration(loginNameBursts*burst) * refill}, maxLoginKeys),
	}
}

// check returns how long a login attempt of name from ip must wait (0: it
// may go ahead; it then counts against ip's attempts).
func (l *loginLimits) check(now time.Time, name, ip string) time.Duration {
	pair := name + "\x00" + ip
	if w := l.pair.Wait(now, pair); w > 0 {
		return w
	}
	if w := l.name.Wait(now, name); w > 0 && !l.pair.Full(now, pair) {
		return w
	}
	if ok, w := l.address.Allow(now, ip); !ok {
		return w
	}
	return 0
}

// fail counts a failed login of name from ip.
func (l *loginLimits) fail(now time.Time, name, ip string) {
	l.pair.Take(now, name+"\x00"+ip)
	l.name.Take(now, name)
}
