package desk_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestSecurityHeaders: every desk response, pages, files and JSON, says
// nosniff and forbids framing.
func TestSecurityHeaders(t *testing.T) {
	r := newRig(t)
	for _, path := range []string{"/desk/login", "/desk/assets/desk.js", "/desk/api/me", "/desk/api/nope"} {
		res, _ := r.client().do("GET", path, nil, nil)
		h := res.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s (%d): nosniff %q, CSP %q, X-Frame-Options %q", path, res.StatusCode,
				h.Get("X-Content-Type-Options"), h.Get("Content-Security-Policy"), h.Get("X-Frame-Options"))
		}
	}
	if res, _ := r.client().do("GET", "/desk/login", nil, nil); res.StatusCode != http.StatusOK {
		t.Errorf("login page: %d", res.StatusCode)
	}
}
