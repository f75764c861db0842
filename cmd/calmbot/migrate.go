package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"text/tabwriter"

	"github.com/calmbot/calmbot/store/postgres"
	"github.com/calmbot/calmbot/store/sqlite"
)

const migrateUsage = `Usage: calmbot migrate --from FILE --to postgres://...

Copies a single-box SQLite install into a PostgreSQL database, keeping
every id: conversations with their transcripts and undelivered replies,
handoffs, ratings, flow versions, tickets, agents and their platform
identities, desk logouts and adapter state. Stop calmbot first (migrate
takes the same lock as serve). Interrupted, run it again: it copies what
is missing. At the end it compares each table's row counts and fails when
they differ. The web chat's signing key is not copied: customers' open
chats and desk sessions start again once.

Flags:
`

func (e *env) migrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), migrateUsage); fs.PrintDefaults() }
	from := fs.String("from", "", "the SQLite database `file` (or sqlite:FILE)")
	to := fs.String("to", "", "the PostgreSQL database `URL` (postgres://...; default $CALMBOT_DATABASE_URL)")
	rest, err := e.parseFlags(fs, args, "migrate")
	if err != nil {
		return helpOK(err)
	}
	if *to == "" {
		*to = e.getenv("CALMBOT_DATABASE_URL")
	}
	if *from == "" || !isPostgres(*to) || len(rest) > 0 {
		fs.Usage()
		return &exitError{code: 2, msg: "migrate needs --from FILE and --to postgres://..."}
	}
	path, err := sqlitePath(*from)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	if _, err := os.Stat(path); err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("cannot read %s: %v", path, err)}
	}
	unlock, err := lockSQLite(*from)
	if err != nil {
		return err
	}
	defer unlock()
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// Bring the file's schema up to date, then read it as it is.
	st, err := sqlite.Open(ctx, path, sqlite.WithLogger(log))
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("cannot open %s: %v", path, err)}
	}
	if err := st.Close(); err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("cannot open %s: %v", path, err)}
	}
	src, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("cannot open %s: %v", path, err)}
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, *to, postgres.WithLogger(log))
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("cannot open database %s: %v", redact(*to), err)}
	}
	defer dst.Close()
	counts, err := dst.Import(ctx, src, func(table string, n int64) {
		if n%(50*1000) == 0 {
			fmt.Fprintf(e.stderr, "%s: %d rows copied\n", table, n)
		}
	})
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "table\tSQLite\tPostgreSQL")
	for _, c := range counts {
		fmt.Fprintf(w, "%s\t%d\t%d\n", c.Table, c.Source, c.Copied)
	}
	_ = w.Flush()
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("migrate: %v (run it again to resume)", err)}
	}
	fmt.Fprintf(e.stdout, "copied %s into %s; every count matches. Serve with --db %s\n", path, redact(*to), redact(*to))
	return nil
}
