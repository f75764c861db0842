package main

import "testing"

// TestQuietOff: the scaling bench's copy of the flows has no quiet window.
func TestQuietOff(t *testing.T) {
	got := string(quietOff([]byte("policy:\n  quiet_window: 2s               # wait\n  max_attempts: 2\n")))
	if want := "policy:\n  quiet_window: 0s               # wait\n  max_attempts: 2\n"; got != want {
		t.Errorf("quietOff: %q, want %q", got, want)
	}
}

// TestWithDatabase: the scaling bench's databases are named in a URL and
// in a key=value DSN alike.
func TestWithDatabase(t *testing.T) {
	for _, c := range []struct{ dsn, want string }{
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "postgres://postgres@127.0.0.1:5432/b1?sslmode=disable"},
		{"host=127.0.0.1 dbname=test user=postgres", "host=127.0.0.1 dbname=b1 user=postgres"},
		{"host=127.0.0.1", "host=127.0.0.1 dbname=b1"},
	} {
		got, err := withDatabase(c.dsn, "b1")
		if err != nil || got != c.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", c.dsn, got, err, c.want)
		}
	}
}

// TestStatCPU reads utime and stime from a /proc/PID/stat line whose
// process name has spaces and parentheses.
func TestStatCPU(t *testing.T) {
	stat := "4242 (postgres: a (b)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0 100 1000 10"
	got, ok := statCPU([]byte(stat))
	if want := 325 * clockTick; !ok || got != want {
		t.Errorf("statCPU = %v, %v; want %v", got, ok, want)
	}
	if _, ok := statCPU([]byte("garbage")); ok {
		t.Error("statCPU read a line without a name")
	}
}

// TestPostgresOfDB counts the database's backends and the server's own
// processes, never another database's.
func TestPostgresOfDB(t *testing.T) {
	for title, want := range map[string]bool{
		"postgres: 15/main: postgres calmbot_scale_1 127.0.0.1(5000) idle":   true,
		"postgres: 15/main: autovacuum worker calmbot_scale_1":               true,
		"postgres: 15/main: postgres calmbot_scale_10 127.0.0.1(5002) idle":  false,
		"postgres: 15/main: walwriter":                                       true,
		"postgres: 15/main: checkpointer ":                                   true,
		"postgres: 15/main: postgres test 127.0.0.1(5001) idle":              false,
		"/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main": false,
	} {
		if got := postgresOfDB(title, "calmbot_scale_1"); got != want {
			t.Errorf("postgresOfDB(%q) = %v, want %v", title, got, want)
		}
	}
}
