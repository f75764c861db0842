package webserve

import (
	"errors"
	"fmt"
	"net"
)

// ErrNotLoopback is ListenLoopback's refusal of an address that is not on
// this machine's loopback interface.
var ErrNotLoopback = errors.New("not a loopback address")

// ListenLoopback listens on TCP addr (host:port), whose host must be
// localhost or a loopback IP (127.0.0.1, ::1): for what only this machine
// may reach, such as runtime profiles or a measuring tool. Any other host,
// the wildcard included, is refused with an error wrapping ErrNotLoopback.
func ListenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("%q: %w", addr, ErrNotLoopback)
	}
	return net.Listen("tcp", addr)
}
