package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestSQLiteSync(t *testing.T) {
	for _, tc := range []struct {
		in, dsn, want, err string
	}{
		{"full", "calmbot.db", "FULL", ""},
		{"FULL", "sqlite:calmbot.db", "FULL", ""},
		{" Normal ", "calmbot.db", "NORMAL", ""},
		{"full", "postgres://u@h/db", "FULL", ""},
		{"normal", "postgres://u:secret@h/db", "", "is for a SQLite database"},
		{"off", "calmbot.db", "", "want full or normal"},
		{"extra", "calmbot.db", "", "want full or normal"},
		{"", "calmbot.db", "", "want full or normal"},
	} {
		got, err := sqliteSync(tc.in, tc.dsn)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("sqliteSync(%q, %q): err %v, want one saying %q", tc.in, tc.dsn, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("sqliteSync(%q, %q) = %q, %v; want %q", tc.in, tc.dsn, got, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

// TestServeSQLiteSynchronous: --sqlite-synchronous normal starts the
// server with a warning saying what a power loss can lose; a bad value
// stops it before anything is opened.
func TestServeSQLiteSynchronous(t *testing.T) {
	_, stderr, stop := startServer(t, "--sqlite-synchronous", "normal")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "synchronous=normal: a power loss") {
		t.Errorf("no warning in the log:\n%s", stderr.String())
	}

	db := filepath.Join(t.TempDir(), "calmbot.db")
	r := runCmd(t, "", "serve", "--addr", "127.0.0.1:0", "--db", db, "--sqlite-synchronous", "sometimes")
	if r.code != 2 || !strings.Contains(r.stderr, "want full or normal") {
		t.Errorf("bad value: exit %d\n%s", r.code, r.stderr)
	}
	if matches, _ := filepath.Glob(db + "*"); len(matches) > 0 {
		t.Errorf("a bad value created %v", matches)
	}
}
