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
	w, r, two := strings.Cut(strings.TrimSpace(s), ",")
	var out sqliteCache
	for i, part := range []string{w, r} {
		if i == 1 && !two {
			break
		}
		n, err := parseSize(strings.TrimSpace(part))
		if err != nil {
			return fmt.Errorf("sqlite cache %w", err)
		}
		if n < minCacheKiB<<10 {
			return fmt.Errorf("sqlite cache %q: at least %s for each connection", strings.TrimSpace(part), kibString(minCacheKiB))
		}
		kib := int(min(n>>10, 1<<30)) // SQLite's cache_size is an int of KiB
		if i == 0 {
			out.writer = kib
		} else {
			out.reader = kib
		}
	}
	*c = out
	return nil
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
