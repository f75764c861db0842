package webserve

import (
	"fmt"
	"net/http"
	"strings"
)

// Frame-ancestors values with a meaning of their own.
const (
	FrameNone = "'none'" // no page may frame ours
	FrameSelf = "'self'" // only pages of our own origin may
)

// Policy is the set of security headers every response of a handler gets.
type Policy struct {
	// CSP is the Content-Security-Policy without its frame-ancestors
	// directive ("default-src 'none'; script-src 'self'").
	CSP string
	// FrameAncestors is who may show our pages in a frame: FrameNone (the
	// default when empty), FrameSelf or a list of sources as
	// ParseFrameAncestors returns.
	FrameAncestors string
}

// Wrap returns h with p's headers set on every response, before h runs
// (h may still change them).
func (p Policy) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.Set(w.Header())
		h.ServeHTTP(w, r)
	})
}

// Set writes p's headers: X-Content-Type-Options: nosniff, Referrer-Policy:
// no-referrer, the Content-Security-Policy with frame-ancestors and, for
// browsers that predate frame-ancestors, X-Frame-Options where it can say
// the same.
func (p Policy) Set(h http.Header) {
	fa := p.FrameAncestors
	if fa == "" {
		fa = FrameNone
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	csp := "frame-ancestors " + fa
	if p.CSP != "" {
		csp = strings.TrimRight(p.CSP, "; ") + "; " + csp
	}
	h.Set("Content-Security-Policy", csp)
	switch fa {
	case FrameNone:
		h.Set("X-Frame-Options", "DENY")
	case FrameSelf:
		h.Set("X-Frame-Options", "SAMEORIGIN")
	}
}

// ParseFrameAncestors checks a frame-ancestors source list given by an
// operator: 'none', 'self', or origins such as https://shop.example.com
// and https://*.example.com, separated by spaces or commas. It returns the
// list as the header writes it.
func ParseFrameAncestors(s string) (string, error) {
	srcs := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	if len(srcs) == 0 {
		return "", fmt.Errorf("frame ancestors %q: empty; want 'none', 'self' or origins like https://shop.example.com", s)
	}
	for i, src := range srcs {
		switch low := strings.ToLower(strings.Trim(src, `'"`)); {
		case low == "none" || low == "self":
			if low == "none" && len(srcs) > 1 {
				return "", fmt.Errorf("frame ancestors %q: 'none' cannot be combined with other sources", s)
			}
			srcs[i] = "'" + low + "'"
		case strings.ContainsAny(src, `;'"<>\`) || strings.ContainsFunc(src, func(r rune) bool { return r < 0x21 || r > 0x7e }):
			return "", fmt.Errorf("frame ancestors %q: %q is not a source (want an origin like https://shop.example.com)", s, src)
		}
	}
	return strings.Join(srcs, " "), nil
}
