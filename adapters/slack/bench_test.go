package slack

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmbot/calmbot/adapters/adaptertest"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/store/sqlite"
)

// BenchmarkCustomers measures a customer's message event (sent over the
// fake's Socket Mode websocket) to the reply's chat.postMessage, through
// the adapter, the engine and SQLite (synchronous FULL) in b.TempDir(),
// with 200 DMs writing at once, and one alone as the baseline of the same
// run: each writes, waits for the bot's first reply, and writes again in a
// new conversation. It reports msgs/s and the p99 latency.
//
//	go test -run '^$' -bench Customers -benchtime 4000x ./adapters/slack/
func BenchmarkCustomers(b *testing.B) {
	for _, chats := range []int{1, 200} {
		b.Run(fmt.Sprintf("chats=%d", chats), func(b *testing.B) { benchCustomers(b, chats) })
	}
}

func benchCustomers(b *testing.B, chats int) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	e, err := bot.New(context.Background(), st, adaptertest.Flows(b), bottest.Analyzer, bot.WithQuietWindow(0))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	p := newPlatform(b)
	var (
		mu      sync.Mutex
		waiting = map[string]chan struct{}{}
	)
	p.f.onPost = func(channel string) {
		mu.Lock()
		ch := waiting[channel]
		delete(waiting, channel)
		mu.Unlock()
		if ch != nil {
			close(ch)
		}
	}
	a := p.newAdapter(b)
	e.Register(Channel, a)
	if err := a.Start(context.Background(), e); err != nil {
		b.Fatal(err)
	}
	defer a.Stop(context.Background())

	var next atomic.Int64
	lat := make([]time.Duration, b.N)
	var n atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range chats {
		wg.Go(func() {
			for {
				i := n.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				c := next.Add(1)
				channel, user := fmt.Sprintf("DB%09d", c), fmt.Sprintf("UB%09d", c)
				done := make(chan struct{})
				mu.Lock()
				waiting[channel] = done
				mu.Unlock()
				t0 := time.Now()
				p.f.say(channel, user, "en-US", []string{"my order hasn't arrived yet"})
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					b.Errorf("%s: no reply", channel)
					return
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
