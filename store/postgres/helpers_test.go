package postgres

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/calmbot/calmbot/store/postgres/pgtest"
	"github.com/calmbot/calmbot/store/sqltest"
)

// The tests run on the PostgreSQL server CALMBOT_TEST_POSTGRES_DSN names
// (.ci/run sets it), each package run in a database of its own, created by
// TestMain and dropped after, each test in a schema of its own. Without
// the variable they skip.

// testDSN is the DSN of this run's database, "" when the tests skip.
var testDSN string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dsn, drop, err := pgtest.Database(context.Background(), "calmbot_test_")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer drop()
	testDSN = dsn
	return m.Run()
}

var schemas atomic.Int64

// dsn returns this run's database DSN, or skips t.
func dsn(t testing.TB) string {
	t.Helper()
	if testDSN == "" {
		t.Skip("CALMBOT_TEST_POSTGRES_DSN is not set")
	}
	return testDSN
}

// newSchema returns a schema name no other test of the run uses.
func newSchema() string { return fmt.Sprintf("t%d", schemas.Add(1)) }

// openStore opens a store on a fresh schema, closed when t ends.
func openStore(t testing.TB) *Store {
	t.Helper()
	return openSchema(t, newSchema())
}

// openSchema opens a store on schema, closed when t ends: two calls with
// one schema are two instances on one database.
func openSchema(t testing.TB, schema string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn(t), append([]Option{WithSchema(schema)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// The helpers both SQL stores' tests use, by their short names here.
var (
	addr, turn                 = sqltest.Addr, sqltest.Turn
	mustCommit, mustTranscript = sqltest.Commit, sqltest.Transcript
	t0                         = sqltest.T0
)

func count(t testing.TB, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
