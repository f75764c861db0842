package telegram

import (
	"context"
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

// BenchmarkCustomers measures a customer's update to the reply's
// sendMessage through the fake Bot API, the adapter, the engine and SQLite
// (synchronous FULL) in b.TempDir(), with 200 chats writing at once: each
// writes, waits for the bot's first reply, and writes again in a new
// conversation. It reports msgs/s and the p99 latency.
//
//	go test -run '^$' -bench Customers -benchtime 4000x ./adapters/telegram/
func BenchmarkCustomers(b *testing.B) {
	const chats = 200
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
		waiting = map[int64]chan struct{}{}
	)
	p.f.onSend = func(chat int64, _ string) {
		mu.Lock()
		ch := waiting[chat]
		delete(waiting, chat)
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
	next.Store(1_000_000)
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
				chat := next.Add(1)
				done := make(chan struct{})
				mu.Lock()
				waiting[chat] = done
				mu.Unlock()
				t0 := time.Now()
				p.f.sayAll(chat, "en", []string{"my order hasn't arrived yet"})
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					b.Errorf("chat %d: no reply", chat)
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
