package webserve

import (
	"net/http"
	"time"
)

// BodyTimeout returns h with a deadline of d on reading each request's
// body: a client that trickles its body is cut off, and the handler's read
// fails with an error that os.ErrDeadlineExceeded matches (see
// IsTimeout). Requests without a body (event streams) get no deadline.
// d <= 0 returns h.
func BodyTimeout(h http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			// Not every ResponseWriter has deadlines; those keep none.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
		}
		h.ServeHTTP(w, r)
	})
}
