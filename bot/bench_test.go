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
	"github.com/calmbot/calmbot/store/postgres"
	"github.com/calmbot/calmbot/store/postgres/pgtest"
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
			e, scr := benchSetup(b, sqliteStore(b))
			benchClosedLoop(b, e, scr, conc)
		})
	}
}

// BenchmarkEnginePostgres is BenchmarkEngineSQLite's load on the
// PostgreSQL store, in a database of its own on the server
// CALMBOT_TEST_POSTGRES_DSN names (skipped without it): every turn is
// committed (synchronous_commit on) before its message is acknowledged.
func BenchmarkEnginePostgres(b *testing.B) {
	for _, conc := range []int{100, 1000} {
		b.Run(fmt.Sprintf("conversations=%d", conc), func(b *testing.B) {
			e, scr := benchSetup(b, postgresStore(b))
			benchClosedLoop(b, e, scr, conc)
		})
	}
}

// BenchmarkEngineMemory is the same load on the in-memory store: the
// engine's own cost, the baseline for BenchmarkEngineSQLite's figures.
func BenchmarkEngineMemory(b *testing.B) {
	for _, conc := range []int{100, 1000} {
		b.Run(fmt.Sprintf("conversations=%d", conc), func(b *testing.B) {
			e, scr := benchSetup(b, bottest.NewStore())
			benchClosedLoop(b, e, scr, conc)
		})
	}
}

// BenchmarkEngineSQLiteRate offers a fixed rate of customer messages,
// spread over 1,000 open conversations, and reports the latency each
// message sees from the moment it was due (so a stall counts in full).
func BenchmarkEngineSQLiteRate(b *testing.B) {
	for _, rate := range []int{5000, 10000, 20000} {
		b.Run(fmt.Sprintf("conversations=1000/rate=%d", rate), func(b *testing.B) {
			e, scr := benchSetup(b, sqliteStore(b))
			benchOpenLoop(b, e, scr, 1000, rate)
		})
	}
}

// BenchmarkEngineSQLiteNormal is BenchmarkEngineSQLite at 100
// conversations with PRAGMA synchronous=NORMAL (serve's opt-in
// --sqlite-synchronous normal): the WAL is synced by a checkpoint within
// about a second, not at each commit, so a power loss (not a crash of the
// process) can lose the last second's acknowledged turns. It shows what
// the sync at each commit costs.
func BenchmarkEngineSQLiteNormal(b *testing.B) {
	e, scr := benchSetup(b, sqliteStore(b, sqlite.WithSynchronous("NORMAL")))
	benchClosedLoop(b, e, scr, 100)
}

func sqliteStore(b *testing.B, opts ...sqlite.Option) bot.Store {
	st, err := sqlite.Open(context.Background(), b.TempDir()+"/bench.db", opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st
}

func postgresStore(b *testing.B) bot.Store {
	ctx := context.Background()
	dsn, drop, err := pgtest.Database(ctx, "calmbot_bench_")
	if err != nil {
		b.Fatal(err)
	}
	if dsn == "" {
		b.Skip(pgtest.EnvDSN + " is not set")
	}
	b.Cleanup(drop)
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st
}

func benchSetup(b *testing.B, st bot.Store) (*bot.Engine, [][]string) {
	ctx := context.Background()
	f, err := flows.Parse("flows.yaml", calmbot.DefaultFlows())
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := bot.New(ctx, st, f, bottest.Analyzer, bot.WithQuietWindow(0), bot.WithLogger(log))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.Close() })
	e.Register("bench", &nopSender{})
	return e, scripts(b, f)
}

// customer sends one message and waits for its replies to be delivered.
func customer(ctx context.Context, e *bot.Engine, addr bot.Address, i int, text string) error {
	if err := e.Handle(ctx, bot.Message{Address: addr, ID: fmt.Sprint(i), Text: text, Locale: "en"}); err != nil {
		return err
	}
	return e.Flush(ctx, addr)
}

// report reports the messages per second, the CPU time per message (cpu0
// is cpuTime when the load started) and the latency percentiles.
func report(b *testing.B, all []time.Duration, elapsed, cpu0 time.Duration) {
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "msgs/s")
	if cpu, ok := cpuTime(); ok {
		b.ReportMetric(float64((cpu-cpu0).Microseconds())/float64(len(all)), "cpu-µs/msg")
	}
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}

// benchOpenLoop sends b.N messages at rate per second, each to the next of
// conc conversations; a conversation still busy queues the message, as a
// customer typing on would.
func benchOpenLoop(b *testing.B, e *bot.Engine, scr [][]string, conc, rate int) {
	ctx := context.Background()
	type job struct{ due time.Time }
	inbox := make([]chan job, conc)
	lat := make([][]time.Duration, conc)
	var wg sync.WaitGroup
	for w := range conc {
		inbox[w] = make(chan job, 1024)
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, i := 0, 0
			for j := range inbox[w] {
				s := scr[(w+c)%len(scr)]
				addr := bot.Address{Channel: "bench", Conversation: fmt.Sprintf("o%d-c%d", w, c)}
				if err := customer(ctx, e, addr, i, s[i]); err != nil {
					b.Error(err)
				}
				lat[w] = append(lat[w], time.Since(j.due))
				if i++; i == len(s) {
					c, i = c+1, 0
				}
			}
		}()
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, _ := cpuTime()
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for n := range b.N {
		due := start.Add(time.Duration(n) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d) // pacing the offered load, not waiting for a result
		}
		inbox[n%conc] <- job{due: due}
	}
	for _, ch := range inbox {
		close(ch)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, slices.Concat(lat...), elapsed, cpu0)
}

func benchClosedLoop(b *testing.B, e *bot.Engine, scr [][]string, conc int) {
	ctx := context.Background()

	var next atomic.Int64
	lat := make([][]time.Duration, conc)
	var convs atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, _ := cpuTime()
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
					if err := customer(ctx, e, addr, i, text); err != nil {
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
	report(b, slices.Concat(lat...), elapsed, cpu0)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/float64(max(1, e.Live())), "heap-B/live-conv")
}
