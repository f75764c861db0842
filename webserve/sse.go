package webserve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Stream is a server-sent events response. Events are buffered and sent
// by Flush, so a burst goes out in one write.
type Stream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	buf     bytes.Buffer
}

// NewStream starts an event stream on w: it writes the headers (no
// caching, no proxy buffering) and status 200, and buffers a retry hint
// telling browsers how long to wait before they reconnect. A Flush that the
// client does not take within writeTimeout fails, so a stuck client is
// dropped (it reconnects and resumes).
func NewStream(w http.ResponseWriter, retry, writeTimeout time.Duration) *Stream {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	s := &Stream{w: w, rc: http.NewResponseController(w), timeout: writeTimeout}
	if retry > 0 {
		fmt.Fprintf(&s.buf, "retry: %d\n\n", retry.Milliseconds())
	}
	return s
}

// Event buffers one event of kind with v as its JSON data; id, when not
// "", is what the browser sends back in Last-Event-ID.
func (s *Stream) Event(id, kind string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", kind, err)
	}
	if id != "" {
		s.buf.WriteString("id: " + id + "\n")
	}
	s.buf.WriteString("event: " + kind + "\ndata: ")
	s.buf.Write(data) // JSON has no raw newlines
	s.buf.WriteString("\n\n")
	return nil
}

// Ping buffers a comment line, which keeps proxies from closing an idle
// stream.
func (s *Stream) Ping() { s.buf.WriteString(": ping\n\n") }

// Flush writes what is buffered and flushes it to the client.
func (s *Stream) Flush() error {
	if s.buf.Len() == 0 {
		return nil
	}
	if s.timeout > 0 {
		// Not every ResponseWriter has deadlines; such streams just have none.
		_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	}
	if _, err := s.w.Write(s.buf.Bytes()); err != nil {
		return fmt.Errorf("write events: %w", err)
	}
	s.buf.Reset()
	if err := s.rc.Flush(); err != nil {
		return fmt.Errorf("flush events: %w", err)
	}
	return nil
}
