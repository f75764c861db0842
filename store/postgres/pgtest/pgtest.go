// Package pgtest gives a test binary a PostgreSQL database of its own on
// the server CALMBOT_TEST_POSTGRES_DSN names (.ci/run sets it), so the
// packages that test against PostgreSQL can run side by side.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"

	"github.com/jackc/pgx/v5"
)

// EnvDSN is the variable naming the test server.
const EnvDSN = "CALMBOT_TEST_POSTGRES_DSN"

// Database creates a database named prefix and random hex on the server
// $CALMBOT_TEST_POSTGRES_DSN names and returns its URL and a drop func
// that removes it (call it when the tests are done). With the variable
// unset it returns "" and a no-op: the tests skip. A server that does not
// answer is an error, so a run that asked for PostgreSQL fails rather than
// skips.
func Database(ctx context.Context, prefix string) (dsn string, drop func(), err error) {
	base := os.Getenv(EnvDSN)
	if base == "" {
		return "", func() {}, nil
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("%s: want a postgres:// URL", EnvDSN)
	}
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("%s is set but the server does not answer: %w", EnvDSN, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := prefix + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		admin.Close(ctx)
		return "", nil, fmt.Errorf("create test database: %w", err)
	}
	drop = func() {
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, `DROP DATABASE `+name+` WITH (FORCE)`); err != nil {
			fmt.Fprintf(os.Stderr, "drop test database %s: %v\n", name, err)
		}
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}
