package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmbot/calmbot/adapters/web"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/webserve"
)

// echoEngine answers every message at once through the adapter's Send,
// before Handle returns, as a committed turn's reply reaches the adapter:
// what a benchmark of it measures is the web chat's own work per request.
type echoEngine struct {
	a   *web.Adapter
	seq atomic.Int64
}

func (e *echoEngine) Handle(ctx context.Context, m bot.Message) error {
	seq := e.seq.Add(2)
	return e.a.Send(ctx, bot.Reply{Address: m.Address, Seq: seq, Text: "Thank you for telling us. Is it your latest order?",
		Answers: []string{m.ID}, Status: bot.StatusBot, At: time.Unix(seq, 0)})
}
func (e *echoEngine) Flush(context.Context, bot.Address) error { return nil }
func (e *echoEngine) Transcript(context.Context, bot.Address) ([]bot.Entry, error) {
	return nil, nil
}

// sink is a reusable http.ResponseWriter that keeps only the status and
// the body's length.
type sink struct {
	h      http.Header
	status int
	n      int
	body   []byte // the last body, when keep
	keep   bool
}

func (s *sink) Header() http.Header { return s.h }
func (s *sink) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
}
func (s *sink) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	s.n += len(b)
	if s.keep {
		s.body = append(s.body, b...)
	}
	return len(b), nil
}
func (s *sink) reset() { clear(s.h); s.status, s.n, s.body = 0, 0, s.body[:0] }

// BenchmarkPostHandler measures the web chat's handler for one message in
// wait mode, called directly (no network, no client) with an engine that
// answers at once: routing, the token check, decoding, the hand-off of
// the reply and encoding the answer.
func BenchmarkPostHandler(b *testing.B) {
	eng := &echoEngine{}
	a := web.New(eng, web.WithKey([]byte("bench key")), web.WithLogger(slog.New(slog.DiscardHandler)),
		web.WithRateLimits(webserve.Rate{}, webserve.Rate{}))
	eng.a = a
	defer a.Close()
	h := a.Handler()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w := &sink{h: http.Header{}, keep: true}
		r, _ := http.NewRequest("POST", "/api/conversations", bytes.NewReader([]byte(`{"lang": "en"}`)))
		r.RemoteAddr = "192.0.2.1:1234"
		h.ServeHTTP(w, r)
		var c created
		if w.status != http.StatusCreated || json.Unmarshal(w.body, &c) != nil {
			b.Errorf("create: %d %s", w.status, w.body)
			return
		}
		w.keep = false
		body := []byte(`{"text": "my parcel hasn't arrived", "id": "m1"}`)
		rd := bytes.NewReader(body)
		r, _ = http.NewRequest("POST", "/api/conversations/"+c.ID+"/messages?wait=1", rd)
		r.Header.Set("Authorization", "Bearer "+c.Token)
		r.Header.Set("Content-Type", "application/json")
		r.RemoteAddr = "192.0.2.1:1234"
		n := 0
		for pb.Next() {
			// A new id each time, of the same length.
			body[len(body)-3] = byte('0' + n%10)
			rd.Reset(body)
			r.Body = readCloser{rd}
			w.reset()
			h.ServeHTTP(w, r)
			if w.status != http.StatusOK {
				b.Errorf("post: status %d", w.status)
				return
			}
			n++
		}
	})
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// TestPostHandlerBenchAnswers: the benchmark's engine is answered in wait
// mode like the real one, so the benchmark measures a complete post.
func TestPostHandlerBenchAnswers(t *testing.T) {
	eng := &echoEngine{}
	a := web.New(eng, web.WithKey([]byte("bench key")), web.WithLogger(slog.New(slog.DiscardHandler)))
	eng.a = a
	defer a.Close()
	w := &sink{h: http.Header{}, keep: true}
	r, _ := http.NewRequest("POST", "/api/conversations", bytes.NewReader([]byte(`{"lang": "en"}`)))
	r.RemoteAddr = "192.0.2.1:1234"
	a.Handler().ServeHTTP(w, r)
	var c created
	if err := json.Unmarshal(w.body, &c); err != nil {
		t.Fatalf("create: %d %s", w.status, w.body)
	}
	for i := range 3 {
		w.reset()
		r, _ = http.NewRequest("POST", "/api/conversations/"+c.ID+"/messages?wait=1",
			bytes.NewReader([]byte(`{"text": "hello", "id": "m`+strconv.Itoa(i)+`"}`)))
		r.Header.Set("Authorization", "Bearer "+c.Token)
		r.RemoteAddr = "192.0.2.1:1234"
		a.Handler().ServeHTTP(w, r)
		var res postResult
		if err := json.Unmarshal(w.body, &res); err != nil || w.status != http.StatusOK || res.Complete == nil || !*res.Complete || len(res.Replies) != 1 {
			t.Fatalf("post %d: %d %s", i, w.status, w.body)
		}
	}
}
