package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/store"
)

// rawDB opens path with database/sql alone, to look at or tamper with a
// database behind the store's back.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestLoadMigrations(t *testing.T) {
	steps, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) == 0 {
		t.Fatal("no migrations")
	}
	for i, m := range steps {
		if m.Version != i+1 || strings.TrimSpace(m.SQL) == "" {
			t.Errorf("step %d = %s (version %d), want version %d with SQL", i, m.Name, m.Version, i+1)
		}
	}
}

func TestOpenMigrates(t *testing.T) {
	steps, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
	}{
		{"missing file", func(*testing.T, string) {}},
		{"empty file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "calmbot.db")
			tt.prepare(t, path)
			for i := range 3 { // reopening is idempotent and keeps the data
				s, err := Open(ctx, path)
				if err != nil {
					t.Fatalf("open %d: %v", i, err)
				}
				if i == 0 {
					mustCommit(t, s, turn(addr("c1"), 1, "m1", "reply"))
				}
				if got := mustTranscript(t, s, addr("c1")); len(got) != 2 {
					t.Errorf("open %d: transcript has %d entries, want 2", i, len(got))
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				v, err := schemaVersion(ctx, rawDB(t, path))
				if err != nil {
					t.Fatal(err)
				}
				if v != len(steps) {
					t.Errorf("open %d: schema version %d, want %d", i, v, len(steps))
				}
			}
			var mode string
			if err := rawDB(t, path).QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
				t.Errorf("journal_mode = %q, %v, want wal", mode, err)
			}
		})
	}
}

func TestOpenNewerSchema(t *testing.T) {
	ctx := context.Background()
	_, path := openStore(t)
	if _, err := rawDB(t, path).Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, path)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open = %v, want ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), "999") {
		t.Errorf("error %q does not say the database's version", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("this is not a database\n", 200)), 0o600); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "locked")
	if err := os.Mkdir(locked, 0o500); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
		skip             bool
	}{
		{name: "empty path", path: "", want: "empty path"},
		{name: "directory", path: dir, want: "is a directory"},
		{name: "not SQLite", path: notDB, want: "not a database"},
		{name: "missing directory", path: filepath.Join(dir, "nope", "calmbot.db"), want: "unable to open"},
		// root ignores permissions.
		{name: "no permission", path: filepath.Join(locked, "calmbot.db"), want: "unable to open", skip: os.Geteuid() == 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip {
				t.Skip("running as root")
			}
			s, err := Open(context.Background(), tt.path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "sqlite: open") {
				t.Errorf("Open error = %q, want it to start with \"sqlite: open\" and contain %q", err, tt.want)
			}
		})
	}
	content, err := os.ReadFile(notDB)
	if err != nil || !strings.HasPrefix(string(content), "this is not a database") {
		t.Errorf("Open changed the file that is not a database")
	}
}

func TestOpenBadOptions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calmbot.db")
	for _, o := range []Option{WithSynchronous("OFF"), WithMaxBatch(0), WithReaders(0)} {
		if s, err := Open(context.Background(), path, o); err == nil {
			s.Close()
			t.Errorf("Open with a bad option succeeded")
		}
	}
	s, err := Open(context.Background(), path, WithSynchronous("normal"), WithMaxBatch(8), WithReaders(2), WithLogger(nil))
	if err != nil {
		t.Fatalf("Open with good options: %v", err)
	}
	s.Close()
}

// TestMigrationFailure checks that a failing step leaves the database at
// the previous version, with nothing of the failed step.
func TestMigrationFailure(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	db := rawDB(t, path)
	db.SetMaxOpenConns(1)
	steps := []store.Migration{
		{Version: 1, Name: "0001_a.sql", SQL: "CREATE TABLE a (x INTEGER);"},
		{Version: 2, Name: "0002_b.sql", SQL: "CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);"},
	}
	err := migrate(ctx, db, steps)
	if err == nil || !strings.Contains(err.Error(), "0002_b.sql") {
		t.Fatalf("migrate = %v, want an error naming 0002_b.sql", err)
	}
	v, err := schemaVersion(ctx, db)
	if err != nil || v != 1 {
		t.Errorf("version = %d, %v, want 1", v, err)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_schema WHERE name = 'b'").Scan(&n); err != nil || n != 0 {
		t.Errorf("table b of the failed step exists (%d, %v)", n, err)
	}
	// Fixed, the step applies and only it.
	steps[1].SQL = "CREATE TABLE b (x INTEGER);"
	if err := migrate(ctx, db, steps); err != nil {
		t.Fatal(err)
	}
	if v, err := schemaVersion(ctx, db); err != nil || v != 2 {
		t.Errorf("version = %d, %v, want 2", v, err)
	}
}
