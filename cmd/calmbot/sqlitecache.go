package main

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/calmbot/calmbot/store/sqlite"
)

// sqliteCache is serve's --sqlite-cache: the page caches of a SQLite
// database's connections, in KiB, the writer's and each reader's; 0 keeps
// the store's default.
type sqliteCache struct{ writer, reader int }

// minCacheKiB is the least page cache --sqlite-cache takes for a
// connection: 16 pages of 4 KiB, about what one turn's writes touch.
const minCacheKiB = 64

// String returns the caches as Set reads them.
func (c *sqliteCache) String() string {
	if c == nil || c.writer == 0 && c.reader == 0 {
		return ""
	}
	return kibString(c.writerKiB()) + "," + kibString(c.readerKiB())
}

// Set reads WRITER[,READER], each a size such as 4MiB or 512KiB: the
// writer's page cache and, when given, each reader's.
func (c *sqliteCache) Set(s string) error {
	w, r, two := strings.Cut(s, ",")
	writer, err := cacheKiB(w)
	if err != nil {
		return err
	}
	reader := 0 // the store's default
	if two {
		if reader, err = cacheKiB(r); err != nil {
			return err
		}
	}
	*c = sqliteCache{writer: writer, reader: reader}
	return nil
}

// cacheKiB reads one connection's cache size, in KiB.
func cacheKiB(s string) (int, error) {
	s = strings.TrimSpace(s)
	n, err := parseSize(s)
	if err != nil {
		return 0, fmt.Errorf("sqlite cache %w", err)
	}
	if n < minCacheKiB<<10 {
		return 0, fmt.Errorf("sqlite cache %q: at least %s for each connection", s, kibString(minCacheKiB))
	}
	return int(min(n>>10, 1<<30)), nil // SQLite's cache_size is an int of KiB
}

// set reports whether the flag was given a value.
func (c sqliteCache) set() bool { return c.writer != 0 || c.reader != 0 }

func (c sqliteCache) writerKiB() int { return cmp.Or(c.writer, sqlite.DefaultCacheKiB) }
func (c sqliteCache) readerKiB() int { return cmp.Or(c.reader, sqlite.DefaultReadCacheKiB) }

// option is the store option that sets the caches.
func (c sqliteCache) option() sqlite.Option {
	return sqlite.WithCacheSize(c.writerKiB(), c.readerKiB())
}

// kibString writes a size in KiB in the largest unit that divides it.
func kibString(kib int) string {
	m := memoryLimit(int64(kib) << 10)
	return m.String()
}
