package webserve

import (
	"container/list"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is how many events are allowed per period, in bursts of up to N:
// "30/m" is 30 a minute (one every 2 s, 30 at once after a quiet minute).
// The zero Rate allows everything. It is a flag.Value.
type Rate struct {
	N   int
	Per time.Duration
}

// ParseRate reads "N/s", "N/m", "N/h" or "N/DURATION" ("5/10s"); "0" and
// "off" allow everything.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "0" || strings.EqualFold(s, "off") {
		return Rate{}, nil
	}
	num, per, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if !ok || err != nil || n < 1 {
		return Rate{}, fmt.Errorf("rate %q: want N/s, N/m or N/h (like 30/m), or off", s)
	}
	var d time.Duration
	switch per = strings.TrimSpace(per); per {
	case "s":
		d = time.Second
	case "m":
		d = time.Minute
	case "h":
		d = time.Hour
	default:
		if d, err = time.ParseDuration(per); err != nil || d <= 0 {
			return Rate{}, fmt.Errorf("rate %q: the period %q is not s, m, h or a duration", s, per)
		}
	}
	return Rate{N: n, Per: d}, nil
}

// Off reports whether r allows everything.
func (r Rate) Off() bool { return r.N <= 0 || r.Per <= 0 }

// String writes r as ParseRate reads it.
func (r Rate) String() string {
	switch {
	case r.Off():
		return "off"
	case r.Per == time.Second:
		return strconv.Itoa(r.N) + "/s"
	case r.Per == time.Minute:
		return strconv.Itoa(r.N) + "/m"
	case r.Per == time.Hour:
		return strconv.Itoa(r.N) + "/h"
	}
	return strconv.Itoa(r.N) + "/" + r.Per.String()
}

// Set implements flag.Value.
func (r *Rate) Set(s string) error {
	v, err := ParseRate(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Limiter is a token bucket per key (a client address, an account),
// refilled at one Rate. Buckets that are full again are forgotten, and at
// most size are kept (the least recently used go first, which only ever
// gives a key more tokens, never fewer than a fresh key has): its memory is
// bounded whatever the keys. A nil *Limiter allows everything.
type Limiter struct {
	limit rate.Limit
	burst int
	size  int
	full  time.Duration // how long an empty bucket takes to fill

	mu   sync.Mutex
	keys map[string]*list.Element // of *bucket
	lru  list.List                // most recently used first
}

type bucket struct {
	key  string
	lim  *rate.Limiter
	used time.Time
}

// NewLimiter returns a Limiter allowing r per key, keeping at most size
// keys; nil when r is off.
func NewLimiter(r Rate, size int) *Limiter {
	if r.Off() {
		return nil
	}
	limit := rate.Limit(float64(r.N) / r.Per.Seconds())
	return &Limiter{
		limit: limit,
		burst: r.N,
		size:  max(size, 1),
		full:  r.Per,
		keys:  map[string]*list.Element{},
	}
}

// Allow takes a token of key's bucket. When there is none it returns false
// and how long until there is one.
func (l *Limiter) Allow(now time.Time, key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(now, key, true)
	if b.lim.AllowN(now, 1) {
		return true, 0
	}
	return false, l.waitLocked(now, b)
}

// Take takes a token of key's bucket if it has one (to count a failure).
func (l *Limiter) Take(now time.Time, key string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bucket(now, key, true).lim.AllowN(now, 1)
}

// Wait returns how long until key's bucket has a token (0: it has one),
// taking nothing.
func (l *Limiter) Wait(now time.Time, key string) time.Duration {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(now, key, false)
	if b == nil {
		return 0
	}
	return l.waitLocked(now, b)
}

// Full reports whether key's bucket is full: nothing was taken from it
// lately.
func (l *Limiter) Full(now time.Time, key string) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(now, key, false)
	return b == nil || b.lim.TokensAt(now) >= float64(l.burst)
}

// Len returns how many keys the limiter holds.
func (l *Limiter) Len() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// waitLocked is Wait for a held bucket.
func (l *Limiter) waitLocked(now time.Time, b *bucket) time.Duration {
	t := b.lim.TokensAt(now)
	if t >= 1 {
		return 0
	}
	return time.Duration(math.Ceil((1 - t) / float64(l.limit) * float64(time.Second)))
}

// bucket returns key's bucket, marked used at now; a missing one is made
// when create is set (nil otherwise). l.mu is held.
func (l *Limiter) bucket(now time.Time, key string, create bool) *bucket {
	l.expire(now)
	if e, ok := l.keys[key]; ok {
		b := e.Value.(*bucket)
		b.used = now
		l.lru.MoveToFront(e)
		return b
	}
	if !create {
		return nil
	}
	for len(l.keys) >= l.size {
		l.drop(l.lru.Back())
	}
	b := &bucket{key: key, lim: rate.NewLimiter(l.limit, l.burst), used: now}
	l.keys[key] = l.lru.PushFront(b)
	return b
}

// expire forgets buckets unused for long enough to be full again: a fresh
// bucket is the same. l.mu is held.
func (l *Limiter) expire(now time.Time) {
	for e := l.lru.Back(); e != nil && now.Sub(e.Value.(*bucket).used) >= l.full; e = l.lru.Back() {
		l.drop(e)
	}
}

func (l *Limiter) drop(e *list.Element) {
	delete(l.keys, e.Value.(*bucket).key)
	l.lru.Remove(e)
}

// RetryAfter is the value of a Retry-After header for a wait: whole
// seconds, at least 1.
func RetryAfter(d time.Duration) string {
	return strconv.FormatInt(max(1, int64(math.Ceil(d.Seconds()))), 10)
}
