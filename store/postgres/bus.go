package postgres

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bus"
)

// Bus is a bot.Bus between the instances sharing the database: Publish
// stores the event in bus_events and NOTIFYs it in the same statement;
// every instance LISTENs on one connection and hands the events to its
// local subscribers. After that connection is lost it reconnects and reads
// the events stored meanwhile (a catch-up read, with a look-back for
// publications that committed out of id order), delivering each event id
// once. Delivery is otherwise as bus.Local's: a subscriber far behind
// misses events, and catches up from the store.
type Bus struct {
	s       *Store
	channel string
	local   *bus.Local
	log     *slog.Logger

	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	connected chan struct{} // closed while listening; replaced when the connection is lost
	pid       uint32        // the listening connection's backend, for tests
	seen      map[int64]struct{}
	order     []int64 // seen ids, oldest first, to bound seen
	lastAt    int64   // the at of the latest event delivered
}

var _ bot.Bus = (*Bus)(nil)

const (
	// busKeep is how long events stay in bus_events for a catch-up read.
	busKeep = 10 * time.Minute
	// busLookBack is how far before the last event delivered a catch-up
	// read starts: publications commit out of id order by far less.
	busLookBack = 5 * time.Second
	// busSeen bounds the ids remembered to deliver each event once.
	busSeen = 4096
	// notifyMax is the largest payload a NOTIFY carries; a larger one is
	// read from bus_events by id.
	notifyMax = 6000
)

// Bus returns the store's bus, starting its listener on first use. It
// ends at Close.
func (s *Store) Bus() (*Bus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if s.bus == nil {
		ctx, cancel := context.WithCancel(context.Background())
		b := &Bus{s: s, channel: "calmbot_bus_" + s.schema, local: bus.New(), log: s.log, cancel: cancel,
			done: make(chan struct{}), connected: make(chan struct{}), seen: map[int64]struct{}{}}
		if s.schema == "" {
			b.channel = "calmbot_bus"
		}
		go b.listen(ctx)
		s.bus = b
	}
	return s.bus, nil
}

// Publish stores payload under topic and notifies every instance.
func (b *Bus) Publish(ctx context.Context, topic string, payload []byte) error {
	if strings.ContainsAny(topic, " \x00") || topic == "" {
		return fmt.Errorf("postgres: publish: bad topic %q", topic)
	}
	// The NOTIFY payload is "id topic base64" (or "id topic" for a large
	// payload), built in SQL so that the row and the notification are one
	// statement: both or neither.
	// The two statements are one pipeline, so one implicit transaction,
	// committed without waiting for the WAL flush: an event is a
	// notification of a change committed durably elsewhere (a turn, a
	// ticket), and a server crash that lost it ends every listening
	// connection too. It saves a flush per event, and the NOTIFY queue's
	// lock, which serializes the commits of notifying transactions, is
	// held for less.
	batch := &pgx.Batch{}
	batch.Queue(`SELECT set_config('synchronous_commit', 'off', true)`)
	batch.Queue(`WITH e AS (INSERT INTO bus_events (topic, payload, at) VALUES ($1, $2, $3) RETURNING id)
		SELECT pg_notify($4, e.id || ' ' || $1 || CASE WHEN length($2) <= $5 THEN ' ' || translate(encode($2, 'base64'), E'\n', '') ELSE '' END) FROM e`,
		topic, payload, time.Now().UnixNano(), b.channel, notifyMax)
	if err := b.s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("postgres: publish %s: %w", topic, err)
	}
	return nil
}

// Subscribe returns topic's events from now on, from every instance.
func (b *Bus) Subscribe(ctx context.Context, topic string) (<-chan []byte, func(), error) {
	return b.local.Subscribe(ctx, topic)
}

// Connected returns a channel closed once the bus listens (again): a
// Publish from then on reaches this instance.
func (b *Bus) Connected() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.connected
}

// Dropped counts events local subscribers missed for being too far behind.
func (b *Bus) Dropped() int64 { return b.local.Dropped() }

func (b *Bus) close() {
	b.cancel()
	<-b.done
	_ = b.local.Close()
}

// listen keeps a LISTEN connection until ctx ends, reconnecting with
// backoff after a failure.
func (b *Bus) listen(ctx context.Context) {
	defer close(b.done)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := b.session(ctx)
		if ctx.Err() != nil {
			return
		}
		b.log.WarnContext(ctx, "postgres bus: listening connection lost, reconnecting", slog.Any("error", err), slog.Duration("in", backoff))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// session listens on one connection until it fails.
func (b *Bus) session(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, b.s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if h := b.s.beforeListen; h != nil {
		h()
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{b.channel}.Sanitize()); err != nil {
		return err
	}
	if err := b.catchUp(ctx, conn); err != nil {
		return err
	}
	b.mu.Lock()
	b.pid = conn.PgConn().PID()
	close(b.connected)
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.connected = make(chan struct{})
		b.mu.Unlock()
	}()
	prune := time.Now()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if err := b.notified(ctx, conn, n.Payload); err != nil {
			return err
		}
		if time.Since(prune) > time.Minute {
			prune = time.Now()
			if _, err := conn.Exec(ctx, `DELETE FROM bus_events WHERE at < $1`, time.Now().Add(-busKeep).UnixNano()); err != nil {
				return err
			}
		}
	}
}

// notified delivers one notification's event.
func (b *Bus) notified(ctx context.Context, conn *pgx.Conn, payload string) error {
	idText, rest, _ := strings.Cut(payload, " ")
	topic, data, inline := strings.Cut(rest, " ")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || topic == "" {
		b.log.WarnContext(ctx, "postgres bus: malformed notification ignored", slog.String("payload", payload))
		return nil
	}
	var body []byte
	if inline {
		if body, err = base64.StdEncoding.DecodeString(data); err != nil {
			b.log.WarnContext(ctx, "postgres bus: malformed notification ignored", slog.String("payload", payload))
			return nil
		}
	} else if err := conn.QueryRow(ctx, `SELECT payload FROM bus_events WHERE id = $1`, id).Scan(&body); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // pruned already
		}
		return err
	}
	b.deliver(ctx, id, time.Now().UnixNano(), topic, body)
	return nil
}

// catchUp delivers the events stored since shortly before the last one
// delivered, which this instance may have missed while not listening.
func (b *Bus) catchUp(ctx context.Context, conn *pgx.Conn) error {
	b.mu.Lock()
	since := b.lastAt
	b.mu.Unlock()
	if since == 0 {
		return nil // the first connection: events from now on
	}
	rows, err := conn.Query(ctx, `SELECT id, topic, payload, at FROM bus_events WHERE at >= $1 ORDER BY id`,
		since-busLookBack.Nanoseconds())
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, at int64
			topic  string
			body   []byte
		)
		if err := rows.Scan(&id, &topic, &body, &at); err != nil {
			return err
		}
		b.deliver(ctx, id, at, topic, body)
	}
	return rows.Err()
}

// deliver hands an event to the local subscribers unless it was already.
func (b *Bus) deliver(ctx context.Context, id, at int64, topic string, body []byte) {
	b.mu.Lock()
	if _, dup := b.seen[id]; dup {
		b.mu.Unlock()
		return
	}
	b.seen[id] = struct{}{}
	b.order = append(b.order, id)
	if len(b.order) > busSeen {
		delete(b.seen, b.order[0])
		b.order = b.order[1:]
	}
	b.lastAt = max(b.lastAt, at)
	b.mu.Unlock()
	if err := b.local.Publish(ctx, topic, body); err != nil && !errors.Is(err, bus.ErrClosed) {
		b.log.WarnContext(ctx, "postgres bus: deliver", slog.Any("error", err))
	}
}
