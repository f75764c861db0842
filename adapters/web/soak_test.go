package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/metrics"
	"github.com/calmbot/calmbot/webserve"
	"github.com/prometheus/client_golang/prometheus"
)

// peerScript is the peer bench's conversation: late delivery, from the
// first message to the farewell.
var peerScript = []string{"My order never arrived and I'm really frustrated", "yes", "2", "yes, that works", "no, that's all"}

// TestSoakMemoryStaysFlat runs ten minutes of fake time of customers over
// the web chat in wait mode, as the peer bench does: conversations that
// reach their farewell leave the engine, the hub and the metrics at once
// (the clock does not move for them), and the ones customers abandon
// half-way leave the engine once idle. Nothing a finished conversation
// used stays behind, cycle after cycle.
func TestSoakMemoryStaysFlat(t *testing.T) {
	m := metrics.New(prometheus.NewRegistry())
	const ttl = time.Minute
	h := bottest.New(t, bottest.LoadFlows(t, "../../flows.yaml"), bot.WithIdleTTL(ttl), bot.WithListener(m))
	a := New(h.Engine, WithKey([]byte("soak key")), WithLogger(slog.New(slog.DiscardHandler)),
		WithRateLimits(webserve.Rate{}, webserve.Rate{}))
	h.Engine.Register(Channel, a)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Engine.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	<-h.Engine.Resumed()
	handler := a.Handler()

	do := func(path, token, body string) (int, []byte) {
		r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader([]byte(body)))
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		return w.Code, w.Body.Bytes()
	}
	// talk creates a conversation and says the first turns of the script.
	talk := func(turns int) {
		code, body := do("/api/conversations", "", `{"lang": "en"}`)
		var c createResponse
		if err := json.Unmarshal(body, &c); err != nil || code != http.StatusCreated {
			t.Fatalf("create: %d %s", code, body)
		}
		for i, text := range peerScript[:turns] {
			code, body := do("/api/conversations/"+c.ID+"/messages?wait=1", c.Token, fmt.Sprintf(`{"text": %q, "id": "m%d"}`, text, i))
			var res struct {
				Complete bool   `json:"complete"`
				Status   string `json:"status"`
			}
			if err := json.Unmarshal(body, &res); err != nil || code != http.StatusOK || !res.Complete {
				t.Fatalf("turn %d: %d %s", i+1, code, body)
			}
			if i == len(peerScript)-1 && res.Status != string(bot.StatusEnded) {
				t.Fatalf("after the farewell: status %q, want ended", res.Status)
			}
		}
	}
	topics := func() int {
		a.hub.mu.Lock()
		defer a.hub.mu.Unlock()
		return len(a.hub.topics)
	}
	const cycles, finished, abandoned = 60, 20, 2 // 60 cycles of 10 s: ten minutes
	for cycle := range cycles {
		for range finished {
			talk(len(peerScript))
		}
		// Finished conversations are gone without the clock moving.
		if n := h.Engine.Live(); n > abandoned*(cycle+1) {
			t.Fatalf("cycle %d: %d conversations in memory, want at most the %d abandoned ones", cycle, n, abandoned*(cycle+1))
		}
		for range abandoned {
			talk(2)
		}
		if n := topics(); n != 0 {
			t.Fatalf("cycle %d: the hub holds %d conversations, want 0 (nobody waits)", cycle, n)
		}
		h.Clock.Advance(10 * time.Second)
	}
	// Ten minutes on, the abandoned ones went after their idle TTL. The
	// engine's periodic eviction runs on Run's goroutine: move the clock
	// until it has (a bounded loop, no sleeping).
	deadline := time.Now().Add(10 * time.Second)
	for h.Engine.Live() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d conversations still in memory %v after the last message, want 0", h.Engine.Live(), ttl)
		}
		h.Clock.Advance(ttl)
		_ = h.Engine.Flush(context.Background(), bot.Address{Channel: Channel, Conversation: "-"})
	}
	// The metrics follow only the abandoned conversations' sentiment: the
	// finished ones were forgotten as they ended.
	if n, want := m.Tracked(), cycles*abandoned; n != want {
		t.Errorf("metrics track %d conversations, want the %d abandoned ones", n, want)
	}
	if n := len(a.hub.free) + len(a.hub.freeTops); n > 2*maxFree {
		t.Errorf("the hub keeps %d free listeners and topics, want at most %d", n, 2*maxFree)
	}
}
