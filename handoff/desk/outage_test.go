package desk_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmbot/calmbot/handoff/desk"
)

// flakyRevocations are revocations whose store can go away.
type flakyRevocations struct {
	revocations
	down atomic.Bool
}

var errDown = errors.New("connection refused")

func (v *flakyRevocations) RevokeSession(ctx context.Context, id string, exp time.Time) error {
	if v.down.Load() {
		return errDown
	}
	return v.revocations.RevokeSession(ctx, id, exp)
}

func (v *flakyRevocations) SessionRevoked(ctx context.Context, id string) (bool, error) {
	if v.down.Load() {
		return false, errDown
	}
	return v.revocations.SessionRevoked(ctx, id)
}

// TestStoreOutageIsNotALogout: while the store that keeps the logouts is
// away, the desk's API and event stream answer 503 with Retry-After, not
// 401 (which the desk's script takes for a logout); once it is back the
// same cookie works again.
func TestStoreOutageIsNotALogout(t *testing.T) {
	rev := &flakyRevocations{revocations: revocations{ids: map[string]time.Time{}}}
	r := newRig(t, desk.WithRevocations(rev))
	r.agent("ada", 1)
	c := r.login("ada")
	c.call("GET", "/desk/api/me", nil, http.StatusOK, nil)

	rev.down.Store(true)
	for _, req := range []struct{ method, path string }{
		{"GET", "/desk/api/me"},
		{"GET", "/desk/api/queue"},
		{"GET", "/desk/api/events"},
		{"POST", "/desk/api/queue/next"},
	} {
		res, b := c.do(req.method, req.path, nil, nil)
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s while the store is away: status %d, Retry-After %q (%s); want 503 with Retry-After",
				req.method, req.path, res.StatusCode, res.Header.Get("Retry-After"), b)
		}
	}

	rev.down.Store(false)
	c.call("GET", "/desk/api/me", nil, http.StatusOK, nil)
	ev := c.events()
	ev.next(t, "hello", func(e sseEvent) bool { return e.kind == "hello" })
}

// TestSessionStoreDown: a desk page asked for while the session store is
// away answers 503 with Retry-After and keeps the cookie, instead of
// sending the browser to the login page; a cookie that logged out stays
// refused.
func TestSessionStoreDown(t *testing.T) {
	rev := &flakyRevocations{revocations: revocations{ids: map[string]time.Time{}}}
	r := newRig(t, desk.WithRevocations(rev))
	r.agent("ada", 1)
	c := r.login("ada")
	gone := r.login("ada")
	gone.call("POST", "/desk/api/logout", nil, http.StatusNoContent, nil)

	rev.down.Store(true)
	res, b := c.do("GET", "/desk/", nil, nil)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("GET /desk/ while the store is away: status %d, Location %q, Retry-After %q (%s); want 503 with Retry-After",
			res.StatusCode, res.Header.Get("Location"), res.Header.Get("Retry-After"), b)
	}
	for _, ck := range res.Cookies() {
		if ck.Name == "calmbot_desk" {
			t.Errorf("the 503 set the session cookie %+v; want it kept", ck)
		}
	}
	// This process knows the logout without the store.
	if res, _ := gone.do("GET", "/desk/api/me", nil, nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a logged-out session while the store is away: status %d, want 401", res.StatusCode)
	}

	rev.down.Store(false)
	if res, b := c.do("GET", "/desk/", nil, nil); res.StatusCode != http.StatusOK {
		t.Errorf("GET /desk/ once the store is back: status %d (%s), want 200", res.StatusCode, b)
	}
}

// TestClaimReplyStoreDown: a claim or a reply the store could not save
// answers 503 with Retry-After (nothing changed: trying again works), not
// 500.
func TestClaimReplyStoreDown(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 2)
	c := r.login("ada")
	_, tk := r.handoff("I want to talk to a human")
	path := "/desk/api/tickets/" + itoa(tk.ID)

	r.store.SetFail(errDown)
	res, b := c.do("POST", path+"/claim", nil, nil)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("claim while the store is away: status %d, Retry-After %q (%s); want 503 with Retry-After",
			res.StatusCode, res.Header.Get("Retry-After"), b)
	}
	r.store.SetFail(nil)
	c.call("POST", path+"/claim", nil, http.StatusOK, nil) // the failed claim left nothing behind

	r.h.Store.SetFailCommits(errDown)
	res, b = c.do("POST", path+"/reply", map[string]string{"text": "Hello, Ada here."}, nil)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("reply while the store is away: status %d, Retry-After %q (%s); want 503 with Retry-After",
			res.StatusCode, res.Header.Get("Retry-After"), b)
	}
	r.h.Store.SetFailCommits(nil)
	c.call("POST", path+"/reply", map[string]string{"text": "Hello, Ada here."}, http.StatusOK, nil)
}
