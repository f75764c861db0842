// Command httpfloor serves the floor of calmbot's web chat (package
// internal/floor): the same two routes of a turn, JSON in and out, a
// bearer-token check and each turn group-committed to SQLite with the
// store's writer settings (WAL, synchronous FULL), but no engine. Run the
// peer bench's load generator against it and against `calmbot serve` to
// see what calmbot adds to the least its components cost:
//
//	go run ./cmd/httpfloor --addr 127.0.0.1:18081 --db /tmp/floor.db
//	load -proto calmbot -url http://127.0.0.1:18081 -c 50 -d 15s -pid $(pgrep httpfloor)
//
// It serves only a loopback address: it is a measuring tool, not a server.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/calmbot/calmbot/internal/floor"
	"github.com/calmbot/calmbot/store/sqlite"
	"github.com/calmbot/calmbot/webserve"
)

// reply holds the words the peer bench's load generator looks for in
// each of its five turns, so that none counts as a bad reply.
const reply = "Just to be sure. Here is what I can do. Time frame. Is there anything else? It was a pleasure to help."

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpfloor:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("httpfloor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:18081", "loopback `address` to listen on")
	path := fs.String("db", "floor.db", "SQLite `file` to write (created if missing)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := webserve.ListenLoopback(*addr) // before the database: a refused address creates nothing
	if err != nil {
		return fmt.Errorf("--addr: %w (only a loopback address such as 127.0.0.1:18081)", err)
	}
	defer ln.Close() // Serve closes it too; this one is for a start that fails
	dsn, err := sqlite.WriterDSN(*path)
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	w, err := floor.NewWriter(ctx, db, 512)
	if err != nil {
		return err
	}
	defer w.Close()
	key := make([]byte, 32)
	_, _ = rand.Read(key)

	srv := &http.Server{Handler: floor.Handler(w, key, reply), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stderr, "httpfloor: serving http://%s (the web chat's /api/conversations), writing %s\n", ln.Addr(), *path)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
