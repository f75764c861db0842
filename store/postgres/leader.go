package postgres

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Leader elects one of the instances on the database for a job only one
// may do (telling waiting customers their place, Telegram's long poll):
// the instance whose connection holds a session advisory lock named after
// the job. When that instance dies its connection goes, PostgreSQL drops
// the lock, and the next instance that asks leads. It implements
// handoff.Leader.
type Leader struct {
	s   *Store
	key int64
	job string

	mu    sync.Mutex
	conn  *pgx.Conn // the election's connection, kept between rounds
	leads bool      // conn holds the lock
}

// Leader returns the election for job.
func (s *Store) Leader(job string) *Leader {
	l := &Leader{s: s, key: lockKey("leader " + job + " " + s.schema), job: job}
	s.mu.Lock()
	s.leaders = append(s.leaders, l)
	s.mu.Unlock()
	return l
}

// Leading reports whether this instance leads job: it holds the lock on a
// live connection, or has just taken it. A follower keeps its connection
// and asks for the lock again on it: one statement a round, not a new
// connection (a new server process) each time.
func (l *Leader) Leading(ctx context.Context) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil && l.leads {
		if err := l.conn.Ping(ctx); err == nil {
			return true
		}
		l.s.log.WarnContext(ctx, "postgres: lost the leader's connection", slog.String("job", l.job))
		l.dropLocked(ctx)
	}
	if l.conn == nil {
		conn, err := pgx.ConnectConfig(ctx, l.s.pool.Config().ConnConfig.Copy())
		if err != nil {
			return false
		}
		l.conn = conn
	}
	var got bool
	if err := l.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, l.key).Scan(&got); err != nil {
		l.dropLocked(ctx)
		return false
	}
	if !got {
		return false
	}
	l.s.log.InfoContext(ctx, "postgres: this instance leads", slog.String("job", l.job))
	l.leads = true
	return true
}

// dropLocked closes the election's connection. l.mu is held.
func (l *Leader) dropLocked(ctx context.Context) {
	if l.conn != nil {
		_ = l.conn.Close(context.WithoutCancel(ctx))
	}
	l.conn, l.leads = nil, false
}

// backend is the process id of the election's connection (0: none), for tests.
func (l *Leader) backend() uint32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return 0
	}
	return l.conn.PgConn().PID()
}

// resignTimeout bounds the unlock a leader sends as it resigns.
const resignTimeout = 2 * time.Second

// resign lets another instance lead. A leader unlocks before it closes its
// connection: PostgreSQL drops a closed session's locks only once its
// backend has ended, which the client does not wait for, so another
// instance asking right after the close could still find the lock held.
func (l *Leader) resign() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil && l.leads {
		ctx, cancel := context.WithTimeout(context.Background(), resignTimeout)
		if _, err := l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, l.key); err != nil {
			l.s.log.Warn("postgres: leader could not unlock; its lock goes with its connection", slog.String("job", l.job), slog.Any("err", err))
		}
		cancel()
	}
	l.dropLocked(context.Background())
}
