package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// ErrSchemaTooNew is returned by Open for a database written by a newer
// calmbot, whose schema version this code does not know.
var ErrSchemaTooNew = errors.New("database schema is newer than this calmbot")

// migrationFiles holds the schema steps, migrations/NNNN_name.sql, applied in
// the order of NNNN (1, 2, 3, ... without gaps). A step is never edited once
// released: a change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one schema step; the database's PRAGMA user_version is the
// version of the last step applied.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded steps in order.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	steps := make([]migration, 0, len(names))
	for _, name := range names { // fs.Glob returns names sorted
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.sql", base)
		}
		if v != len(steps)+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d", base, v, len(steps)+1)
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", base, err)
		}
		steps = append(steps, migration{version: v, name: base, sql: string(b)})
	}
	return steps, nil
}

// schemaVersion reads PRAGMA user_version.
func schemaVersion(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// migrate brings db up to the last of steps, each step in its own
// transaction together with its PRAGMA user_version, so that a failed step
// leaves the database at the previous version. It fails with ErrSchemaTooNew
// when the database is ahead of steps.
func migrate(ctx context.Context, db *sql.DB, steps []migration) error {
	v, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if v > len(steps) {
		return fmt.Errorf("schema version %d, this calmbot knows up to %d: %w", v, len(steps), ErrSchemaTooNew)
	}
	for _, m := range steps[v:] {
		if err := applyMigration(ctx, db, m); err != nil {
			return err
		}
	}
	return nil
}

// applyMigration runs one step unless another process already did.
func applyMigration(ctx context.Context, db *sql.DB, m migration) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: begin: %w", m.name, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	// The writer connection begins IMMEDIATE transactions, so the version
	// read here cannot change before this transaction ends.
	v, err := schemaVersion(ctx, tx)
	if err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if v >= m.version {
		return tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(m.version)); err != nil {
		return fmt.Errorf("migration %s: set version: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", m.name, err)
	}
	return nil
}
