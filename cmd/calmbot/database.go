package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/desk"
	"github.com/calmbot/calmbot/store/sqlite"
)

// database is everything the commands ask of the store: the interfaces
// of its consumers, so that the server runs on any store that has them
// (SQLite today, PostgreSQL with store/postgres).
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

var _ database = (*sqlite.Store)(nil)

// errPostgres is what a postgres:// database gets until store/postgres exists.
var errPostgres = errors.New("PostgreSQL support arrives with store/postgres (issue 15); use a SQLite file for now")

// sqlitePath reads a --db value: a file name, or sqlite:FILE (also
// sqlite://FILE), is a SQLite database; postgres://... is refused until
// store/postgres exists; another scheme is an error.
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
	case scheme == "postgres" || scheme == "postgresql":
		return "", errPostgres
	default:
		return "", fmt.Errorf("database %q: unknown scheme %q (use a file name, sqlite:FILE or postgres://...)", dsn, scheme)
	}
}

// openStore opens the database dsn names, with a message that says what to do.
func openStore(ctx context.Context, dsn string, log *slog.Logger) (database, error) {
	path, err := sqlitePath(dsn)
	if err != nil {
		return nil, &exitError{code: 2, msg: err.Error()}
	}
	st, err := sqlite.Open(ctx, path, sqlite.WithLogger(log))
	if err != nil {
		hint := "check the path and its permissions, or name another file with --db"
		if errors.Is(err, fs.ErrPermission) {
			hint = "no permission: name a writable file with --db"
		}
		return nil, &exitError{code: 1, msg: fmt.Sprintf("cannot open database %s: %v (%s)", path, err, hint)}
	}
	return st, nil
}
