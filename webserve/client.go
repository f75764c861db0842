package webserve

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies whose X-Forwarded-For and
// X-Forwarded-Proto headers are believed. A nil or empty *Proxies trusts
// nobody: the client is the peer of the connection.
type Proxies struct {
	nets []netip.Prefix
}

// ParseProxies reads a list of trusted proxies: addresses or CIDR ranges
// separated by commas ("10.0.0.0/8, 192.168.1.7, ::1"). "" trusts nobody.
func ParseProxies(s string) (*Proxies, error) {
	p := &Proxies{}
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if pre, err := netip.ParsePrefix(f); err == nil {
			p.nets = append(p.nets, pre.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an address or a CIDR range like 10.0.0.0/8", f)
		}
		a = a.Unmap()
		p.nets = append(p.nets, netip.PrefixFrom(a, a.BitLen()))
	}
	return p, nil
}

// String lists the trusted ranges.
func (p *Proxies) String() string {
	if p == nil {
		return ""
	}
	s := make([]string, len(p.nets))
	for i, n := range p.nets {
		s[i] = n.String()
	}
	return strings.Join(s, ",")
}

// trusted reports whether a is one of the proxies.
func (p *Proxies) trusted(a netip.Addr) bool {
	if p == nil || !a.IsValid() {
		return false
	}
	for _, n := range p.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr returns the address of the client that made r: the peer of
// the connection, unless that is a trusted proxy; then the right-most
// address of X-Forwarded-For that is not a trusted proxy (the left-most
// when all are). Hops a client wrote itself, left of the first proxy,
// are never believed.
func (p *Proxies) ClientAddr(r *http.Request) string {
	peer := parseHost(r.RemoteAddr)
	if !p.trusted(peer) {
		if !peer.IsValid() {
			return r.RemoteAddr
		}
		return peer.String()
	}
	client := peer
	hops := forwarded(r.Header.Values("X-Forwarded-For"))
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseHost(hops[i])
		if !a.IsValid() {
			break // junk: keep the last proxy that spoke
		}
		client = a
		if !p.trusted(a) {
			break
		}
	}
	return client.String()
}

// IsTLS reports whether the client reached us over TLS: directly, or
// through a trusted proxy that says so in X-Forwarded-Proto.
func (p *Proxies) IsTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !p.trusted(parseHost(r.RemoteAddr)) {
		return false
	}
	protos := forwarded(r.Header.Values("X-Forwarded-Proto"))
	return len(protos) > 0 && strings.EqualFold(protos[len(protos)-1], "https")
}

// forwarded splits the values of a list header, in order.
func forwarded(values []string) []string {
	var out []string
	for _, v := range values {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	}
	return out
}

// parseHost reads an address with or without a port ("1.2.3.4",
// "1.2.3.4:80", "[::1]:80", "::1"); the zero Addr when it is none.
func parseHost(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap().WithZone("")
		}
	}
	return netip.Addr{}
}
