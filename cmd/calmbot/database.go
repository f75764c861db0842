package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/desk"
	"github.com/calmbot/calmbot/store/postgres"
	"github.com/calmbot/calmbot/store/sqlite"
)

// database is everything the commands ask of the store: the interfaces
// of its consumers, so that the server runs on any store that has them
// (SQLite, or PostgreSQL for several instances).
type database interface {
	bot.Store
	handoff.Store
	desk.Revocations
	desk.CannedStore
	bot.State
	pruner
	// HandedOff lists the conversations a person holds, for the handoff
	// queue to recover after a crash.
	HandedOff(ctx context.Context) ([]bot.HandoffRecord, error)
	// Shutdown closes the store within ctx's deadline; Close without one.
	Shutdown(ctx context.Context) error
	Close() error
}

var (
	_ database = (*sqlite.Store)(nil)
	_ database = pgStore{}
)

// pgStore is a PostgreSQL store as the commands use it.
type pgStore struct{ *postgres.Store }

// SharedKey implements sharedKeyer: the instances on one database sign
// chat tokens and desk sessions with one key kept there.
func (p pgStore) SharedKey(ctx context.Context) ([]byte, error) { return p.Store.SharedKey(ctx) }

// Bus implements sharer.
func (p pgStore) Bus() (bot.Bus, error) { return p.Store.Bus() }

// Leader implements sharer.
func (p pgStore) Leader(job string) handoff.Leader { return p.Store.Leader(job) }

// sharer is a store several instances share: its bus carries updates
// between them, its leader elects one for the work only one may do.
type sharer interface {
	Bus() (bot.Bus, error)
	Leader(job string) handoff.Leader
}

// instanceName names this process among the instances on one database.
func instanceName() string {
	host, _ := os.Hostname()
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%x", host, os.Getpid(), b)
}

// sharedKeyer is a store that keeps the server's signing key, for every
// instance on it; a SQLite install keeps the key in a file beside the
// database.
type sharedKeyer interface {
	SharedKey(ctx context.Context) ([]byte, error)
}

// isPostgres reports whether a --db value names a PostgreSQL database.
func isPostgres(dsn string) bool {
	scheme, _, ok := strings.Cut(dsn, "://")
	return ok && (scheme == "postgres" || scheme == "postgresql")
}

// sqlitePath reads a --db value that is not a PostgreSQL URL: a file
// name, or sqlite:FILE (also sqlite://FILE), is a SQLite database;
// another scheme is an error.
func sqlitePath(dsn string) (string, error) {
	if rest, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		rest = strings.TrimPrefix(rest, "//")
		if rest == "" {
			return "", fmt.Errorf("database %q names no file: write sqlite:FILE", dsn)
		}
		return rest, nil
	}
	scheme, _, ok := strings.Cut(dsn, "://")
	switch {
	case !ok:
		return dsn, nil
	case isPostgres(dsn):
		return "", fmt.Errorf("database %q is PostgreSQL, not a SQLite file", redact(dsn))
	default:
		return "", fmt.Errorf("database %q: unknown scheme %q (use a file name, sqlite:FILE or postgres://...)", redact(dsn), scheme)
	}
}

// redact hides the password of a database URL, for messages and logs.
func redact(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return dsn
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return dsn
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}

// openStore opens the database dsn names, with a message that says what to do.
// SQLite options (opts) are for a SQLite database only.
func openStore(ctx context.Context, dsn string, log *slog.Logger, opts ...sqlite.Option) (database, error) {
	if isPostgres(dsn) {
		st, err := postgres.Open(ctx, dsn, postgres.WithLogger(log))
		if err != nil {
			return nil, &exitError{code: 1, msg: fmt.Sprintf("cannot open database %s: %v (check that PostgreSQL runs and the URL, user and password are right)", redact(dsn), err)}
		}
		return pgStore{st}, nil
	}
	path, err := sqlitePath(dsn)
	if err != nil {
		return nil, &exitError{code: 2, msg: err.Error()}
	}
	st, err := sqlite.Open(ctx, path, append([]sqlite.Option{sqlite.WithLogger(log)}, opts...)...)
	if err != nil {
		hint := "check the path and its permissions, or name another file with --db"
		if errors.Is(err, fs.ErrPermission) {
			hint = "no permission: name a writable file with --db"
		}
		return nil, &exitError{code: 1, msg: fmt.Sprintf("cannot open database %s: %v (%s)", path, err, hint)}
	}
	return st, nil
}

// lockSQLite takes the lock that keeps a SQLite database to one running
// calmbot (serve or chat: each runs an engine, and two engines on one file
// lose messages). It returns the function that releases it. `calmbot
// agents` does not take it: it may change agents while a server runs.
// A PostgreSQL database needs no lock.
func lockSQLite(dsn string) (unlock func(), err error) {
	if isPostgres(dsn) {
		return func() {}, nil
	}
	path, err := sqlitePath(dsn)
	if err != nil {
		return nil, &exitError{code: 2, msg: err.Error()}
	}
	unlock, err = lockFile(path + ".lock")
	if errors.Is(err, errLocked) {
		return nil, &exitError{code: 1, msg: fmt.Sprintf("database %s is in use by another calmbot: SQLite serves one instance at a time. "+
			"Stop the other one, or run several instances on one PostgreSQL database (--db postgres://..., see README \"PostgreSQL\")", path)}
	}
	if err != nil {
		return nil, &exitError{code: 1, msg: fmt.Sprintf("cannot lock database %s: %v (check the directory's permissions)", path, err)}
	}
	return unlock, nil
}

// errLocked is lockFile's error for a file another process holds locked.
var errLocked = errors.New("locked by another process")
