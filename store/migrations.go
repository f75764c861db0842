package store

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// ErrSchemaTooNew is returned by a store's Open for a database written by
// a newer calmbot, whose schema version this code does not know.
var ErrSchemaTooNew = errors.New("database schema is newer than this calmbot")

// Migration is one schema step, read from a file NNNN_name.sql.
type Migration struct {
	// Version is the step's NNNN: the schema version once it is applied.
	Version int
	// Name is the file's name, for messages and logs.
	Name string
	// SQL is the file's content.
	SQL string
}

// LoadMigrations reads the steps dir/NNNN_name.sql of fsys in the order of
// NNNN, which must run 1, 2, 3, ... without gaps. A step is never edited
// once released: a change is a new file.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	steps := make([]Migration, 0, len(names))
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
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", base, err)
		}
		steps = append(steps, Migration{Version: v, Name: base, SQL: string(b)})
	}
	return steps, nil
}

// Pending returns the steps a database at schema version lacks, or an
// error wrapping ErrSchemaTooNew when the database is ahead of steps.
func Pending(steps []Migration, version int) ([]Migration, error) {
	if version > len(steps) {
		return nil, fmt.Errorf("schema version %d, this calmbot knows up to %d: %w", version, len(steps), ErrSchemaTooNew)
	}
	return steps[version:], nil
}
