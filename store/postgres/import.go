package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// importTable is a table Import copies: the same name and columns in both
// schemas (store/sqlite's migrations 0001-0008 and this package's 0001 and 0003).
type importTable struct {
	name    string
	key     string // the ordering key; an integer id when serial
	serial  bool   // key is an identity column: copy after the highest copied id
	columns []string
	bytea   map[string]bool // columns SQLite may hand as text that PostgreSQL keeps as bytea
	boolean map[string]bool // SQLite 0/1 columns that PostgreSQL keeps as boolean
	reset   map[string]any  // columns set to a value instead of copied
}

// importTables are in an order that keeps the foreign keys.
var importTables = []importTable{
	{name: "conversations", key: "id", serial: true, columns: []string{"id", "channel", "conversation", "status", "lang",
		"flows_version", "flow", "state", "snapshot", "seq", "processed", "last_in", "started", "updated"}},
	{name: "messages", key: "id", serial: true, columns: []string{"id", "conv_id", "channel", "seq", "direction", "author",
		"platform_id", "text", "at", "analysis", "flow", "state", "choices", "sent", "choice", "lang", "answers", "status",
		"claim_owner", "claim_until"},
		boolean: map[string]bool{"sent": true}, reset: map[string]any{"claim_owner": "", "claim_until": int64(0)}},
	{name: "handoffs", key: "id", serial: true, columns: []string{"id", "conv_id", "reason", "evidence", "skill", "priority",
		"flow", "state", "lang", "at"}},
	{name: "ratings", key: "id", serial: true, columns: []string{"id", "conv_id", "score", "comment", "at"}},
	{name: "flows_versions", key: "hash", columns: []string{"hash", "source", "at"}, bytea: map[string]bool{"source": true}},
	{name: "tickets", key: "id", serial: true, columns: []string{"id", "channel", "conversation", "status", "owner", "skill",
		"priority", "reason", "created", "closed", "version", "ticket"}},
	{name: "agents", key: "id", columns: []string{"id", "password_hash", "agent", "updated", "epoch"},
		bytea: map[string]bool{"password_hash": true}},
	{name: "agent_identities", key: "platform, user_id", columns: []string{"platform", "user_id", "agent", "name", "created"}},
	{name: "desk_revoked", key: "session", columns: []string{"session", "expires"}},
	{name: "adapter_state", key: "key", columns: []string{"key", "value", "updated"}},
	{name: "canned_replies", key: "id", serial: true, columns: []string{"id", "team", "title", "lang", "text", "author", "updated"}},
}

// importBatch is how many rows one transaction of Import writes.
const importBatch = 500

// ImportCount is one table's rows in the source and here after Import.
type ImportCount struct {
	Table          string
	Source, Copied int64
}

// Import copies a SQLite install (src, opened on a calmbot.db whose
// schema is up to date) into this database, keeping every id: the
// conversations with their transcripts and outboxes, handoffs, ratings,
// flow versions, tickets, agents and their identities, desk revocations
// and adapter state. It is resumable: run again after an interruption,
// it copies what is missing (after the highest id copied; keyed rows
// already here are left as they are). progress, when not nil, is told of
// every batch. It returns each table's counts, and an error when they
// differ: the target held other data, or the source changed meanwhile.
func (s *Store) Import(ctx context.Context, src *sql.DB, progress func(table string, copied int64)) ([]ImportCount, error) {
	var counts []ImportCount
	for _, t := range importTables {
		if err := s.importTable(ctx, src, t, progress); err != nil {
			return counts, fmt.Errorf("postgres: import %s: %w", t.name, err)
		}
		c := ImportCount{Table: t.name}
		if err := src.QueryRowContext(ctx, `SELECT count(*) FROM `+t.name).Scan(&c.Source); err != nil {
			return counts, fmt.Errorf("postgres: import %s: count the source: %w", t.name, err)
		}
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+t.name).Scan(&c.Copied); err != nil {
			return counts, fmt.Errorf("postgres: import %s: count: %w", t.name, err)
		}
		counts = append(counts, c)
	}
	var bad []string
	for _, c := range counts {
		if c.Source != c.Copied {
			bad = append(bad, fmt.Sprintf("%s: %d in SQLite, %d here", c.Table, c.Source, c.Copied))
		}
	}
	if len(bad) > 0 {
		return counts, fmt.Errorf("postgres: import: counts differ (%s)", strings.Join(bad, "; "))
	}
	return counts, nil
}

func (s *Store) importTable(ctx context.Context, src *sql.DB, t importTable, progress func(string, int64)) error {
	cols := strings.Join(t.columns, ", ")
	marks := make([]string, len(t.columns))
	for i := range marks {
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	insert := `INSERT INTO ` + t.name + ` (` + cols + `) VALUES (` + strings.Join(marks, ", ") + `) ON CONFLICT DO NOTHING`
	query := `SELECT ` + cols + ` FROM ` + t.name
	var after int64
	if t.serial {
		if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM `+t.name).Scan(&after); err != nil {
			return err
		}
		query += ` WHERE id > ?`
	}
	query += ` ORDER BY ` + t.key
	var rows *sql.Rows
	var err error
	if t.serial {
		rows, err = src.QueryContext(ctx, query, after)
	} else {
		rows, err = src.QueryContext(ctx, query)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	var copied int64
	batch := &pgx.Batch{}
	flush := func() error {
		if batch.Len() == 0 {
			return nil
		}
		n := int64(batch.Len())
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, batch).Close() })
		if err != nil {
			return err
		}
		copied += n
		if progress != nil {
			progress(t.name, copied)
		}
		batch = &pgx.Batch{}
		return nil
	}
	for rows.Next() {
		vals := make([]any, len(t.columns))
		ptrs := make([]any, len(t.columns))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, c := range t.columns {
			switch v := vals[i].(type) {
			case string:
				if t.bytea[c] {
					vals[i] = []byte(v)
				}
			case int64:
				if t.boolean[c] {
					vals[i] = v != 0
				}
			}
			if r, ok := t.reset[c]; ok {
				vals[i] = r
			}
		}
		batch.Queue(insert, vals...)
		if batch.Len() >= importBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	if t.serial {
		// New rows continue after the copied ids.
		if _, err := s.pool.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+t.name+`', 'id'), max(id)) FROM `+t.name+` HAVING max(id) IS NOT NULL`); err != nil {
			return fmt.Errorf("move the id sequence on: %w", err)
		}
	}
	return nil
}
