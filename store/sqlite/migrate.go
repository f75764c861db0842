package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"strconv"

	"github.com/calmbot/calmbot/store"
)

// ErrSchemaTooNew is returned by Open for a database written by a newer
// calmbot, whose schema version this code does not know. It is
// store.ErrSchemaTooNew.
var ErrSchemaTooNew = store.ErrSchemaTooNew

// migrationFiles holds the schema steps, migrations/NNNN_name.sql, applied in
// the order of NNNN (1, 2, 3, ... without gaps). A step is never edited once
// released: a change is a new file. The database's PRAGMA user_version is
// the version of the last step applied.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// loadMigrations reads the embedded steps in order.
func loadMigrations() ([]store.Migration, error) {
	return store.LoadMigrations(migrationFiles, "migrations")
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
func migrate(ctx context.Context, db *sql.DB, steps []store.Migration) error {
	v, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	pending, err := store.Pending(steps, v)
	if err != nil {
		return err
	}
	for _, m := range pending {
		if err := applyMigration(ctx, db, m); err != nil {
			return err
		}
	}
	return nil
}

// applyMigration runs one step unless another process already did.
func applyMigration(ctx context.Context, db *sql.DB, m store.Migration) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: begin: %w", m.Name, err)
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
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if v >= m.Version {
		return tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(m.Version)); err != nil {
		return fmt.Errorf("migration %s: set version: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", m.Name, err)
	}
	return nil
}
