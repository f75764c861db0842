package discord

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmbot/calmbot/adapters/adaptertest"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/store/sqlite"
)

// BenchmarkDMs measures a customer's MESSAGE_CREATE on the fake gateway to
// the reply's POST /channels/{id}/messages, through discordgo, the adapter,
// the engine and SQLite (synchronous FULL) in b.TempDir(), with 200 DMs
// writing at once: each writes, waits for the bot's first reply, and
// writes again in a new DM. It reports msgs/s and the p99 latency.
//
//	go test -run '^$' -bench DMs -benchtime 4000x ./adapters/discord/
func BenchmarkDMs(b *testing.B) {
	const dms = 200
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
	p.f.sendHook = func(channel string) {
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
	p.f.waitReady(b)

	var next atomic.Int64
	next.Store(1_300_000_000_000_000_000)
	lat := make([]time.Duration, b.N)
	var n atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range dms {
		wg.Go(func() {
			for {
				i := n.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				channel := strconv.FormatInt(next.Add(1), 10)
				done := make(chan struct{})
				mu.Lock()
				waiting[channel] = done
				mu.Unlock()
				t0 := time.Now()
				p.f.mu.Lock()
				p.f.sayLocked("customer"+channel, "en", channel, "", "my order hasn't arrived yet")
				p.f.mu.Unlock()
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					b.Errorf("dm %s: no reply", channel)
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
