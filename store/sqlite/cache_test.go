package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCacheSize checks that every connection gets its page cache: the
// writer's and the readers' and checkpointer's, by default and as set.
func TestCacheSize(t *testing.T) {
	for _, tc := range []struct {
		name           string
		opts           []Option
		writer, reader int
	}{
		{"default", nil, 1 << 10, 256},
		{"set", []Option{WithCacheSize(4096, 128)}, 4096, 128},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, path := openStore(t, tc.opts...)
			for name, db := range map[string]*sql.DB{"reader": s.rdb, "checkpointer": s.cdb} {
				var got int
				if err := db.QueryRowContext(context.Background(), "PRAGMA cache_size").Scan(&got); err != nil {
					t.Fatal(err)
				}
				if want := -tc.reader; got != want {
					t.Errorf("%s: cache_size %d, want %d", name, got, want)
				}
			}
			cfg := defaultConfig()
			for _, o := range tc.opts {
				o(&cfg)
			}
			w, _, _, err := dsns(path, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if want := "cache_size(-" + strconv.Itoa(tc.writer) + ")"; !strings.Contains(w, want) {
				t.Errorf("writer's DSN %q lacks %s", w, want)
			}
		})
	}
	if _, err := Open(context.Background(), t.TempDir()+"/x.db", WithCacheSize(-1, 0)); err == nil {
		t.Error("Open with a negative cache size: no error")
	}
}

// TestWriterDSN: the DSN handed to measurements is the writer's own, with
// its options.
func TestWriterDSN(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	got, err := WriterDSN(path, WithSynchronous("normal"), WithCacheSize(2048, 128))
	if err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	cfg.synchronous, cfg.cacheKiB, cfg.readCacheKiB = "NORMAL", 2048, 128
	want, _, _, err := dsns(path, cfg)
	if err != nil || got != want || !strings.Contains(got, "synchronous(NORMAL)") || !strings.Contains(got, "cache_size(-2048)") {
		t.Errorf("WriterDSN = %q, want %q (%v)", got, want, err)
	}
	if _, err := WriterDSN(path, WithCacheSize(-1, 0)); err == nil {
		t.Error("a bad option: no error")
	}
}
