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
// (h may still change them). The headers are worked out once, and each
// response gets its copy of them in one allocation.
func (p Policy) Wrap(h http.Handler) http.Handler {
	names, vals := p.headers()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		own := make([]string, len(vals))
		copy(own, vals)
		for i, name := range names {
			hd[name] = own[i : i+1 : i+1]
		}
		h.ServeHTTP(w, r)
	})
}

// Set writes p's headers: X-Content-Type-Options: nosniff, Referrer-Policy:
// no-referrer, the Content-Security-Policy with frame-ancestors and, for
// browsers that predate frame-ancestors, X-Frame-Options where it can say
// the same.
func (p Policy) Set(h http.Header) {
	names, vals := p.headers()
	for i, name := range names {
		h.Set(name, vals[i])
	}
}

// headers returns p's header names, in canonical form, and their values.
func (p Policy) headers() (names, vals []string) {
	fa := p.FrameAncestors
	if fa == "" {
		fa = FrameNone
	}
	csp := "frame-ancestors " + fa
	if p.CSP != "" {
		csp = strings.TrimRight(p.CSP, "; ") + "; " + csp
	}
	names = []string{"X-Content-Type-Options", "Referrer-Policy", "Content-Security-Policy"}
	vals = []string{"nosniff", "no-referrer", csp}
	switch fa {
	case FrameNone:
		names, vals = append(names, "X-Frame-Options"), append(vals, "DENY")
	case FrameSelf:
		names, vals = append(names, "X-Frame-Options"), append(vals, "SAMEORIGIN")
	}
	return names, vals
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
