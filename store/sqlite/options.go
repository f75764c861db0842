package sqlite

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/calmbot/calmbot/bot"
)

// Option configures a Store.
type Option func(*config)

type config struct {
	logger      *slog.Logger
	maxBatch    int
	synchronous string
	// syncEvery is, with synchronous NORMAL, how long a write may wait
	// for the checkpoint that syncs the WAL (FULL syncs at each commit).
	syncEvery   time.Duration
	readers     int
	busyTimeout time.Duration
	// cacheKiB and readCacheKiB are the page cache of the writer and of
	// each other connection (the readers, the checkpointer), in KiB.
	cacheKiB     int
	readCacheKiB int
	hooks        hooks
}

// hooks let tests stop the writer and fail a turn from inside its
// transaction; both are nil in production.
type hooks struct {
	// beforeBatch runs in the writer goroutine with the size of each batch
	// before it is written.
	beforeBatch func(n int)
	// inTurn runs after a turn's rows are written, inside the batch's
	// transaction; an error fails the turn.
	inTurn func(t *bot.Turn) error
	// afterBatch runs in the writer goroutine after each batch is written,
	// with the number of conversation ids the writer keeps.
	afterBatch func(known int)
	// checkpointed runs in the checkpointer after each checkpoint, with
	// whether the sync interval (not the writer) asked for it.
	checkpointed func(timed bool)
}

func defaultConfig() config {
	return config{
		logger:       slog.New(slog.DiscardHandler),
		maxBatch:     512,
		synchronous:  "FULL",
		syncEvery:    time.Second,
		readers:      4,
		busyTimeout:  5 * time.Second,
		cacheKiB:     DefaultCacheKiB,
		readCacheKiB: DefaultReadCacheKiB,
	}
}

func (c *config) validate() error {
	switch c.synchronous {
	case "FULL", "NORMAL", "EXTRA":
	default:
		return fmt.Errorf("synchronous %q: want FULL, NORMAL or EXTRA", c.synchronous)
	}
	if c.maxBatch < 1 {
		return fmt.Errorf("max batch %d: want at least 1", c.maxBatch)
	}
	if c.readers < 1 {
		return fmt.Errorf("readers %d: want at least 1", c.readers)
	}
	if c.cacheKiB < 0 || c.readCacheKiB < 0 {
		return fmt.Errorf("cache size %d KiB, %d KiB: want >= 0", c.cacheKiB, c.readCacheKiB)
	}
	if c.busyTimeout < 0 {
		return fmt.Errorf("busy timeout %v: want >= 0", c.busyTimeout)
	}
	return nil
}

// WithLogger sets the logger for write failures and lifecycle events; by
// default the store logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithMaxBatch caps how many queued requests (commits, MarkSent, SaveFlows)
// the writer puts into one transaction; the default is 512.
func WithMaxBatch(n int) Option {
	return func(c *config) { c.maxBatch = n }
}

// WithSynchronous sets PRAGMA synchronous: "FULL" (the default), "NORMAL" or
// "EXTRA". With FULL, the WAL is synced at every commit, so every turn that
// Commit acknowledged survives a power loss. NORMAL syncs only at
// checkpoints, which the store then also runs once a second after writes:
// faster, still safe against a crash of the process, but a power loss or
// kernel crash can lose what was committed in the last second or so (the
// turns since the last checkpoint), which breaks calmbot's promise that an
// acknowledged message is never lost. It is what Redis's appendfsync
// everysec promises.
// The sync rides on a passive checkpoint, which SQLite skips (no frame
// to copy back) while a read older than every unsynced write is still
// open: a read held open longer than the interval stretches it.
func WithSynchronous(mode string) Option {
	return func(c *config) { c.synchronous = strings.ToUpper(mode) }
}

// WithReaders sets the size of the read connection pool (Load, Transcript,
// Pending, ...); the default is 4. Writes always use one connection.
func WithReaders(n int) Option {
	return func(c *config) { c.readers = n }
}

// The page caches WithCacheSize sets by default, in KiB: the writer's, and
// each other connection's.
const (
	DefaultCacheKiB     = 1 << 10
	DefaultReadCacheKiB = 256
)

// WithCacheSize sets SQLite's page cache (PRAGMA cache_size) in KiB: writer
// for the writer's connection, reader for each other one (every reader of
// the pool, the checkpointer). The defaults, 1 MiB and 256 KiB, hold the
// pages a turn's writes and a conversation's reads touch again (the
// right-hand edges of the tables and indexes that new rows go to, and the
// inner pages of the indexes); the rest comes from the operating system's
// file cache, one pread a page. A writer's cache of 4 MiB made the engine
// no faster at 100 or 1,000 conversations (BenchmarkEngineSQLite) and
// cost 4-6 MiB of memory. The caches live outside the Go heap and count
// fully in the process's memory once filled.
func WithCacheSize(writer, reader int) Option {
	return func(c *config) { c.cacheKiB, c.readCacheKiB = writer, reader }
}

// WithBusyTimeout sets how long a statement waits for a lock held by another
// process before failing; the default is 5s.
func WithBusyTimeout(d time.Duration) Option {
	return func(c *config) { c.busyTimeout = d }
}

// withHooks installs test hooks.
func withHooks(h hooks) Option {
	return func(c *config) { c.hooks = h }
}
