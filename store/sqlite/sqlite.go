// Package sqlite is calmbot's default durable store: a bot.Store on one
// SQLite file in WAL mode (modernc.org/sqlite, pure Go).
//
// All writes go through one writer goroutine on one connection, which groups
// the requests queued at a time (Commit, MarkSent, SaveFlows) into a single
// transaction: one fsync acknowledges hundreds of turns. A turn is two
// statements: the snapshot update, which carries the compare-and-swap on
// Turn.Base, and one INSERT of its inbound and outbound messages. When a
// request of the batch fails or is a redelivery, the transaction is rolled
// back and written again without it, so that it affects that request alone.
// Reads use a separate pool of read-only connections, which WAL lets run
// beside the writer and never queue behind it.
//
// Durability: with the default PRAGMA synchronous=FULL, Commit returns only
// after the transaction holding the turn was synced to disk, so an
// acknowledged message survives a crash or a power loss. With
// WithSynchronous("NORMAL") it survives a crash of the process, and a power
// loss can lose about the last second of commits (see WithSynchronous).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/store"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("sqlite: store is closed")

// Store is a bot.Store on a SQLite file. It is safe for concurrent use.
type Store struct {
	// LocalLeases grants conversation leases (bot.Leases) in memory: one
	// process opens the file at a time.
	bot.LocalLeases

	cfg  config
	path string
	wdb  *sql.DB   // one connection, for migrations and then the writer
	wc   *sql.Conn // that connection, held by the writer goroutine
	rdb  *sql.DB   // read-only pool
	rd   readStmts
	cdb  *sql.DB // one connection for the checkpointer

	// mu guards closed and sends on reqs: Close takes it exclusively to
	// close reqs, senders share it.
	mu      sync.RWMutex
	closed  bool
	reqs    chan *request
	stopped chan struct{} // closed when the writer goroutine returned
	pool    sync.Pool     // of *request

	// ckpt wakes the checkpointer, which ends when ckptStop is closed and
	// then closes ckptDone.
	ckpt     chan struct{}
	ckptStop chan struct{}
	ckptDone chan struct{}
	// unsynced is set by the writer after each commit, and cleared by the
	// checkpointer, which under synchronous NORMAL syncs the WAL once
	// every cfg.syncEvery while it is set.
	unsynced atomic.Bool

	// cancel ends the writer's and the checkpointer's context: a Shutdown
	// whose deadline passed interrupts their statements.
	cancel context.CancelFunc
}

var _ bot.Store = (*Store)(nil)

// Open opens (creating it when missing) the SQLite database at path, brings
// its schema up to date and starts the writer. It fails when path cannot be
// opened as a SQLite database, and with ErrSchemaTooNew when the database
// comes from a newer calmbot. The writer outlives ctx: it stops at Close.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("sqlite: open %s: is a directory", path)
	}
	steps, err := loadMigrations()
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	s := &Store{
		cfg:      cfg,
		path:     path,
		reqs:     make(chan *request, 4*cfg.maxBatch),
		stopped:  make(chan struct{}),
		ckpt:     make(chan struct{}, 1),
		ckptStop: make(chan struct{}),
		ckptDone: make(chan struct{}),
	}
	s.pool.New = func() any { return newRequest() }
	if err := s.open(ctx, steps); err != nil {
		_ = s.closeDBs()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	ready := make(chan error, 1)
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	go s.run(wctx, s.wc, ready)
	if err := <-ready; err != nil {
		<-s.stopped
		cancel()
		_ = s.closeDBs()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	go s.checkpointer(wctx)
	cfg.logger.InfoContext(ctx, "sqlite store opened", slog.String("path", path),
		slog.String("synchronous", strings.ToLower(cfg.synchronous)),
		slog.Int("cache_kib", cfg.cacheKiB), slog.Int("reader_cache_kib", cfg.readCacheKiB))
	return s, nil
}

func (s *Store) open(ctx context.Context, steps []store.Migration) error {
	wdsn, cdsn, rdsn, err := dsns(s.path, s.cfg)
	if err != nil {
		return err
	}
	if s.wdb, err = sql.Open("sqlite", wdsn); err != nil {
		return err
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)
	if err := s.wdb.PingContext(ctx); err != nil {
		return err
	}
	if err := migrate(ctx, s.wdb, steps); err != nil {
		return err
	}
	if s.rdb, err = sql.Open("sqlite", rdsn); err != nil {
		return err
	}
	s.rdb.SetMaxOpenConns(s.cfg.readers)
	s.rdb.SetMaxIdleConns(s.cfg.readers)
	if err := s.rdb.PingContext(ctx); err != nil {
		return err
	}
	if err := s.rd.prepare(ctx, s.rdb); err != nil {
		return err
	}
	if s.cdb, err = sql.Open("sqlite", cdsn); err != nil {
		return err
	}
	s.cdb.SetMaxOpenConns(1)
	if err := s.cdb.PingContext(ctx); err != nil {
		return err
	}
	s.wc, err = s.wdb.Conn(ctx)
	return err
}

// The checkpointer copies the WAL back into the database file beside the
// writer, woken after every ckptEvery written requests; the writer's own
// automatic checkpoint, which would stall every commit waiting behind it,
// only steps in past autoCheckpointPages of WAL.
const (
	ckptEvery           = 256
	autoCheckpointPages = 16384
)

// checkpointer runs passive checkpoints on its own connection when the
// writer asks, until Close.
//
// Under synchronous NORMAL a commit does not sync the WAL; a checkpoint
// does, first. So that a power loss loses at most about cfg.syncEvery of
// acknowledged writes, the checkpointer then also runs once every
// cfg.syncEvery while something was committed since its last run.
func (s *Store) checkpointer(ctx context.Context) {
	defer close(s.ckptDone)
	var tick <-chan time.Time
	if s.cfg.synchronous == "NORMAL" {
		t := time.NewTicker(s.cfg.syncEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		timed := false
		select {
		case <-s.ckptStop:
			return
		case <-s.ckpt:
		case <-tick:
			if !s.unsynced.Load() {
				continue
			}
			timed = true
		}
		s.unsynced.Store(false)
		if _, err := s.cdb.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
			s.unsynced.Store(true)
			s.cfg.logger.WarnContext(ctx, "sqlite checkpoint failed", slog.Any("error", err))
		}
		if h := s.cfg.hooks.checkpointed; h != nil {
			h(timed)
		}
	}
}

// dsns builds the writer's, the checkpointer's and the readers' data source
// names. Every pooled connection runs the _pragma list when it opens.
func dsns(path string, cfg config) (write, ckpt, read string, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", "", "", err
	}
	// A URI filename, so that any path works: escape what URIs reserve.
	uri := "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(abs))
	busy := "_pragma=busy_timeout(" + strconv.FormatInt(cfg.busyTimeout.Milliseconds(), 10) + ")"
	cache := func(kib int) string { return "&_pragma=cache_size(-" + strconv.Itoa(kib) + ")" }
	rw := uri + "?" + busy +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(" + cfg.synchronous + ")" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=temp_store(MEMORY)" +
		"&_pragma=wal_autocheckpoint(" + strconv.Itoa(autoCheckpointPages) + ")" +
		"&_txlock=immediate"
	write = rw + cache(cfg.cacheKiB)
	ckpt = rw + cache(cfg.readCacheKiB)
	read = uri + "?" + busy +
		"&_pragma=query_only(1)" + cache(cfg.readCacheKiB)
	return write, ckpt, read, nil
}

// WriterDSN returns the DSN the store's writing connection opens path
// with, for opts (the driver is modernc.org/sqlite's, registered as
// "sqlite"): the PRAGMAs a measurement of the driver alone must share to
// be read against the store's (cmd/httpfloor).
func WriterDSN(path string, opts ...Option) (string, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return "", err
	}
	w, _, _, err := dsns(path, cfg)
	return w, err
}

// Close stops accepting writes, lets the writer finish what was queued,
// and closes the database. Writes after Close return ErrClosed. It is
// Shutdown without a deadline.
func (s *Store) Close() error { return s.Shutdown(context.Background()) }

// Shutdown is Close bounded by ctx: when ctx ends before the writer has
// written what was queued, the writes in progress are interrupted (their
// callers get an error, nothing of them is committed), the database is
// closed as soon as the writer has stopped, and Shutdown returns ctx.Err()
// at once.
func (s *Store) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.reqs)
	s.mu.Unlock()
	select {
	case <-s.stopped:
		return s.finish()
	case <-ctx.Done():
		s.cancel()
		go func() {
			<-s.stopped
			_ = s.finish()
		}()
		return fmt.Errorf("sqlite: close %s: writes still in progress: %w", s.path, ctx.Err())
	}
}

// finish stops the checkpointer and closes the database once the writer
// has stopped.
func (s *Store) finish() error {
	close(s.ckptStop)
	<-s.ckptDone
	s.cancel()
	err := s.closeDBs()
	if err != nil {
		return fmt.Errorf("sqlite: close %s: %w", s.path, err)
	}
	s.cfg.logger.Info("sqlite store closed", slog.String("path", s.path))
	return nil
}

func (s *Store) closeDBs() error {
	var errs []error
	errs = append(errs, s.rd.close())
	if s.wc != nil {
		errs = append(errs, s.wc.Close())
	}
	if s.rdb != nil {
		errs = append(errs, s.rdb.Close())
	}
	if s.cdb != nil {
		errs = append(errs, s.cdb.Close())
	}
	if s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	return errors.Join(errs...)
}
