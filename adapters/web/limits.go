package web

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/calmbot/calmbot/webserve"
)

// Defaults of the limits on what clients may do.
const (
	// DefaultCreateRate conversations a minute may be started from one
	// client address, in bursts of as many.
	DefaultCreateRate = 30
	// DefaultPostRate messages a minute may be posted from one client
	// address (over all its conversations), in bursts of as many.
	DefaultPostRate = 120
	// DefaultMaxStreams event streams may be open at once over all clients.
	// It stays well below the server's connection cap so that health checks
	// and the desk still get through.
	DefaultMaxStreams = 2048
	// DefaultMaxStreamsPerClient event streams may be open at once from one
	// client address.
	DefaultMaxStreamsPerClient = 32
	// maxClients bounds the client addresses whose rates are remembered.
	maxClients = 100_000
	// busyRetry is the Retry-After of a refused stream.
	busyRetry = 5 * time.Second
)

// streamCount counts the open event streams, in all and per client address.
type streamCount struct {
	total, perClient int // caps; 0 is none

	mu     sync.Mutex
	open   int
	client map[string]int
}

// acquire counts one more stream of client, or returns the error answer
// when a cap is reached; release gives the place back.
func (c *streamCount) acquire(client string) (release func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.total > 0 && c.open >= c.total:
		return nil, &httpError{status: http.StatusServiceUnavailable, retry: busyRetry,
			msg: "too many event streams open on this server; reconnect shortly"}
	case c.perClient > 0 && c.client[client] >= c.perClient:
		return nil, &httpError{status: http.StatusTooManyRequests, retry: busyRetry,
			msg: fmt.Sprintf("more than %d event streams from this address", c.perClient)}
	}
	if c.client == nil {
		c.client = map[string]int{}
	}
	c.open++
	c.client[client]++
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.open--
		if c.client[client]--; c.client[client] <= 0 {
			delete(c.client, client)
		}
	}, nil
}

// limit takes a token of l for the request's client, or returns the 429
// answer; what names the thing limited.
func (a *Adapter) limit(r *http.Request, l *webserve.Limiter, what string) error {
	if l == nil {
		return nil // the limit is off: no need to read the client's address
	}
	ok, wait := l.Allow(time.Now(), a.proxies.ClientAddr(r))
	if ok {
		return nil
	}
	return &httpError{status: http.StatusTooManyRequests, retry: wait,
		msg: fmt.Sprintf("too many %s from this address; try again in %s s", what, webserve.RetryAfter(wait))}
}
