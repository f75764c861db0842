package web_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calmbot/calmbot/adapters/web"
	"github.com/calmbot/calmbot/bot"
)

// historyEngine is a web.Engine over one long in-memory transcript, read
// as a store reads it: every entry asked for is copied. Transcript shows
// the last window entries, so the history stays as long however many
// messages a benchmark adds.
type historyEngine struct {
	mu     sync.Mutex
	tr     []bot.Entry
	window int
}

func (e *historyEngine) Handle(context.Context, bot.Message) error { return nil }
func (e *historyEngine) Flush(context.Context, bot.Address) error  { return nil }

func (e *historyEngine) Transcript(context.Context, bot.Address) ([]bot.Entry, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.tr[max(0, len(e.tr)-e.window):]), nil
}

func (e *historyEngine) TranscriptFrom(_ context.Context, _ bot.Address, after int64) ([]bot.Entry, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.tr[min(after, int64(len(e.tr))):]), nil // seq i+1 is at i
}

// add stores one more bot reply and returns its seq.
func (e *historyEngine) add(text string) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	seq := int64(len(e.tr) + 1)
	e.tr = append(e.tr, bot.Entry{Seq: seq, Direction: bot.Outbound, Text: text, At: time.Unix(seq, 0)})
	return seq
}

// BenchmarkFanout measures what one new message costs a conversation with
// history entries followed by streams event streams: it should grow with
// the streams, not with the history.
func BenchmarkFanout(b *testing.B) {
	for _, history := range []int{100, 1000, 10000} {
		for _, streams := range []int{1, 16} {
			b.Run(fmt.Sprintf("history=%d/streams=%d", history, streams), func(b *testing.B) {
				benchFanout(b, history, streams)
			})
		}
	}
}

func benchFanout(b *testing.B, history, streams int) {
	eng := &historyEngine{window: history}
	for i := range history {
		eng.add(fmt.Sprint("old message ", i))
	}
	a := web.New(eng, web.WithKey([]byte("k")), web.WithLogger(slog.New(slog.DiscardHandler)), web.WithHeartbeat(time.Hour))
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	defer a.Close()
	res, err := http.Post(srv.URL+"/api/conversations", "application/json", nil)
	if err != nil {
		b.Fatal(err)
	}
	var c created
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	c = decode[created](b, body)
	addr := bot.Address{Channel: web.Channel, Conversation: c.ID}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan struct{}, streams*16)
	for range streams {
		url := fmt.Sprintf("%s/api/conversations/%s/events?after=%d&token=%s", srv.URL, c.ID, history, c.Token)
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		res, err := srv.Client().Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatalf("open stream: %v %v", err, res)
		}
		go func() {
			defer res.Body.Close()
			r := bufio.NewReader(res.Body)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if strings.HasPrefix(line, "event: reply") {
					got <- struct{}{}
				}
			}
		}()
	}
	deadline := time.After(time.Minute)
	b.ResetTimer()
	for b.Loop() {
		seq := eng.add("new")
		_ = a.Send(ctx, bot.Reply{Address: addr, Seq: seq, Text: "new"})
		for range streams {
			select {
			case <-got:
			case <-deadline:
				b.Fatal("a stream did not get its event")
			}
		}
	}
}
