// Package postgres is calmbot's shared store: a bot.Store, handoff.Store,
// bot.State and bot.Bus on one PostgreSQL database (github.com/jackc/pgx),
// for several `calmbot serve` instances behind a load balancer.
//
// It keeps the schema and the behaviour of store/sqlite (both pass the
// same conformance suites), with what several writers need: a turn's
// compare-and-swap on the conversation's seq is one conditional upsert,
// redeliveries are refused by a unique index whichever instance stored
// them first, the outbox is claimed under FOR UPDATE SKIP LOCKED, a ticket
// update carrying an older version changes nothing, and updates between
// instances go through LISTEN/NOTIFY (Bus).
//
// Every call is its own transaction, committed (synchronous_commit as the
// server has it, on by default) before it returns; the turns of several
// conversations committed at the same moment share one transaction and
// one round trip (group commit, group.go).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/store"
)

// ErrSchemaTooNew is returned by Open for a database written by a newer
// calmbot, whose schema version this code does not know. It is
// store.ErrSchemaTooNew.
var ErrSchemaTooNew = store.ErrSchemaTooNew

// ErrClosed is returned by calls after Close.
var ErrClosed = errors.New("postgres: store is closed")

// Store is calmbot's store on a PostgreSQL database. It is safe for
// concurrent use, by several processes too.
type Store struct {
	pool   *pgxpool.Pool
	log    *slog.Logger
	schema string
	name   string // the database, for messages

	mu      sync.Mutex
	closed  bool
	bus     *Bus
	leaders []*Leader

	// turns hands Commit's requests to the committers (group.go), which
	// run until quit is closed.
	turns      chan *request
	quit       chan struct{}
	committing sync.WaitGroup

	// beforeListen, set by tests, runs before the bus listens on a new
	// connection.
	beforeListen func()
}

var _ bot.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*config)

type config struct {
	logger   *slog.Logger
	schema   string
	maxConns int32
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithSchema keeps calmbot's tables in schema (created when missing)
// rather than in the connection's search_path: several installs, or
// tests, can share one database.
func WithSchema(name string) Option { return func(c *config) { c.schema = name } }

// defaultMaxConns is the connection pool's size unless WithMaxConns or
// the DSN's pool_max_conns sets one.
const defaultMaxConns = 16

// WithMaxConns caps the connection pool (default 16, or the DSN's
// pool_max_conns).
func WithMaxConns(n int) Option { return func(c *config) { c.maxConns = int32(n) } }

// Open connects to the database dsn names (a postgres:// URL or a
// key=value string, as libpq reads them), brings its schema up to date
// under an advisory lock, so that instances starting together apply each
// migration once, and returns the store.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	cfg := config{logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&cfg)
	}
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message quotes the DSN, password and all: keep it out.
		return nil, errors.New("postgres: open: cannot parse the database URL")
	}
	if cfg.schema != "" {
		if !validSchema(cfg.schema) {
			return nil, fmt.Errorf("postgres: open: schema %q: want letters, digits and _", cfg.schema)
		}
		pc.ConnConfig.RuntimeParams["search_path"] = cfg.schema
	}
	switch {
	case cfg.maxConns > 0:
		pc.MaxConns = cfg.maxConns
	case !strings.Contains(dsn, "pool_max_conns"):
		// pgxpool's default (4 on a small machine) starves the turns'
		// group commit, the outbox claims and the reads of the web chat's
		// waiting customers: they queue for a connection, not the server.
		pc.MaxConns = defaultMaxConns
	}
	s := &Store{log: cfg.logger, schema: cfg.schema, name: pc.ConnConfig.Database}
	if s.pool, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", s.name, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", s.name, err)
	}
	s.startCommitters()
	s.log.InfoContext(ctx, "postgres store opened", slog.String("database", s.name), slog.String("schema", s.schema))
	return s, nil
}

func validSchema(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// Ping reports whether the database answers: what /readyz asks.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping %s: %w", s.name, err)
	}
	return nil
}

// Close closes the bus and the connections; calls in progress finish
// first. It is Shutdown without a deadline.
func (s *Store) Close() error { return s.Shutdown(context.Background()) }

// Shutdown is Close bounded by ctx: when ctx ends first, it returns
// ctx.Err() and the pool closes once the calls in progress return.
func (s *Store) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	b, leaders := s.bus, s.leaders
	s.mu.Unlock()
	if b != nil {
		b.close()
	}
	for _, l := range leaders {
		l.resign()
	}
	close(s.quit)
	done := make(chan struct{})
	go func() {
		s.committing.Wait() // the batches in flight end first
		s.pool.Close()
		close(done)
	}()
	select {
	case <-done:
		s.log.Info("postgres store closed", slog.String("database", s.name))
		return nil
	case <-ctx.Done():
		return fmt.Errorf("postgres: close %s: calls still in progress: %w", s.name, ctx.Err())
	}
}

// migrationFiles holds the schema steps, migrations/NNNN_name.sql, applied
// in the order of NNNN (1, 2, 3, ... without gaps). A step is never edited
// once released: a change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// loadMigrations reads the embedded steps in order.
func loadMigrations() ([]store.Migration, error) {
	return store.LoadMigrations(migrationFiles, "migrations")
}

// lockKey is the advisory lock a schema's migrations are applied under.
func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("calmbot migrations " + schema))
	return int64(h.Sum64())
}

// migrate applies the steps the database lacks, each in a transaction with
// its row in schema_migrations, holding a session advisory lock: an
// instance starting beside another waits for it, then finds the steps
// applied.
func (s *Store) migrate(ctx context.Context) error {
	steps, err := loadMigrations()
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	key := lockKey(s.schema)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key); err != nil {
			// The lock goes with the connection: drop it rather than pool it.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	if s.schema != "" {
		if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{s.schema}.Sanitize()); err != nil {
			return fmt.Errorf("create schema %s: %w", s.schema, err)
		}
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version int PRIMARY KEY, name text NOT NULL, applied bigint NOT NULL)`); err != nil {
		return fmt.Errorf("schema_migrations: %w", err)
	}
	var v int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	pending, err := store.Pending(steps, v)
	if err != nil {
		return err
	}
	for _, m := range pending {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied)
				VALUES ($1, $2, (extract(epoch from clock_timestamp()) * 1e9)::bigint)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		s.log.InfoContext(ctx, "postgres migration applied", slog.String("migration", m.Name))
	}
	return nil
}
