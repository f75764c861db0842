package bot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmbot/calmbot"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/flows"
	"github.com/calmbot/calmbot/store/sqlite"
)

// nopSender accepts every reply.
type nopSender struct{ n atomic.Int64 }

func (s *nopSender) Send(context.Context, bot.Reply) error { s.n.Add(1); return nil }

// script is one calm customer through the five stages of a default flow.
func scripts(tb testing.TB, f *flows.File) [][]string {
	tb.Helper()
	var out [][]string
	for _, name := range f.FlowNames() {
		in := f.Intents[name]
		if in == nil || len(in.Examples["en"]) == 0 {
			continue
		}
		out = append(out, []string{in.Examples["en"][0], "yes", "1", "yes, that works", "no, that's all"})
	}
	if len(out) == 0 {
		tb.Fatal("no flow with an English intent example")
	}
	return out
}

// BenchmarkEngineSQLite drives many concurrent customers through full
// five-stage flows of the default flows.yaml, with the real analyzer and
// the SQLite store on disk (WAL, synchronous=FULL): every message is
// durably committed before it is acknowledged. Each customer sends a
// message, waits until the bot's replies are delivered, and sends the next.
// It reports customer messages per second and the p50/p99 time from a
// message to its last reply delivered.
func BenchmarkEngineSQLite(b *testing.B) {
	for _, conc := range []int{100, 1000} {
		b.Run(fmt.Sprintf("conversations=%d", conc), func(b *testing.B) {
			benchEngine(b, conc)
		})
	}
}

func benchEngine(b *testing.B, conc int) {
	ctx := context.Background()
	f, err := flows.Parse("flows.yaml", calmbot.DefaultFlows())
	if err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.Open(ctx, b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := bot.New(ctx, st, f, bottest.Analyzer, bot.WithQuietWindow(0), bot.WithLogger(log))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	e.Register("bench", &nopSender{})
	scr := scripts(b, f)

	var next atomic.Int64
	lat := make([][]time.Duration, conc)
	var convs atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := 0; ; c++ {
				addr := bot.Address{Channel: "bench", Conversation: fmt.Sprintf("w%d-c%d", w, c)}
				convs.Add(1)
				for i, text := range scr[(w+c)%len(scr)] {
					if next.Add(1) > int64(b.N) {
						return
					}
					t0 := time.Now()
					if err := e.Handle(ctx, bot.Message{Address: addr, ID: fmt.Sprint(i), Text: text, Locale: "en"}); err != nil {
						b.Error(err)
						return
					}
					if err := e.Flush(ctx, addr); err != nil {
						b.Error(err)
						return
					}
					lat[w] = append(lat[w], time.Since(t0))
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(len(all))/elapsed.Seconds(), "msgs/s")
		b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/float64(max(1, e.Live())), "heap-B/live-conv")
}
