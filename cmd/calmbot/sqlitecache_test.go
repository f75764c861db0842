package main

import (
	"strings"
	"testing"
)

func TestSQLiteCacheSet(t *testing.T) {
	for _, tc := range []struct {
		in             string
		writer, reader int // KiB, as the store gets them
		str            string
	}{
		{"4MiB", 4 << 10, 256, "4MiB,256KiB"},
		{"4MiB,512KiB", 4 << 10, 512, "4MiB,512KiB"},
		{" 2MiB , 1MiB ", 2 << 10, 1 << 10, "2MiB,1MiB"},
		{"64KiB,64KiB", 64, 64, "64KiB,64KiB"},
		{"1GiB", 1 << 20, 256, "1GiB,256KiB"},
		{"1048576", 1 << 10, 256, "1MiB,256KiB"},
	} {
		var c sqliteCache
		if err := c.Set(tc.in); err != nil {
			t.Errorf("Set(%q): %v", tc.in, err)
			continue
		}
		if c.writerKiB() != tc.writer || c.readerKiB() != tc.reader || c.String() != tc.str {
			t.Errorf("Set(%q): writer %d KiB, reader %d KiB, %q; want %d, %d, %q",
				tc.in, c.writerKiB(), c.readerKiB(), c.String(), tc.writer, tc.reader, tc.str)
		}
	}
	var none sqliteCache
	if none.set() || none.writerKiB() != 1<<10 || none.readerKiB() != 256 {
		t.Errorf("unset: %+v, writer %d KiB, reader %d KiB; want the store's defaults", none, none.writerKiB(), none.readerKiB())
	}
	for _, tc := range []struct{ in, err string }{
		{"", "want a size"},
		{"4MB", "want a size"},
		{"-1MiB", "want a size"},
		{"4MiB,", "want a size"},
		{"4MiB,lots", "want a size"},
		{"32KiB", "at least 64KiB"},
		{"4MiB,0", "at least 64KiB"},
		{"off", "want a size"},
	} {
		c := sqliteCache{writer: 7}
		err := c.Set(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Set(%q): err %v, want one saying %q", tc.in, err, tc.err)
		}
		if c.writer != 7 {
			t.Errorf("Set(%q) failed but changed the value to %+v", tc.in, c)
		}
	}
}

// TestServeSQLiteCache: --sqlite-cache sets the store's page caches (the
// store says so when it opens); with PostgreSQL it is refused before
// anything is opened.
func TestServeSQLiteCache(t *testing.T) {
	_, stderr, stop := startServer(t, "--sqlite-cache", "2MiB,128KiB")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "cache_kib=2048 reader_cache_kib=128") {
		t.Errorf("the store did not open with the caches given:\n%s", stderr.String())
	}

	r := runCmd(t, "", "serve", "--addr", "127.0.0.1:0", "--db", "postgres://u:secret@127.0.0.1:1/db", "--sqlite-cache", "4MiB")
	if r.code != 2 || !strings.Contains(r.stderr, "--sqlite-cache is for a SQLite database") {
		t.Errorf("with PostgreSQL: exit %d\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "secret") {
		t.Errorf("the error shows the password:\n%s", r.stderr)
	}
}
