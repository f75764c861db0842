package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
)

// Rows is what both drivers' result sets offer (*sql.Rows, pgx.Rows).
// The readers below read rows to the end and leave closing them to the
// caller. Those with a type parameter B scan the JSON columns into a B:
// sql.RawBytes for database/sql, which lends the driver's memory until the
// next row instead of copying it, []byte for pgx.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// collect scans every row into dest and appends what build makes of it.
// The readers declare their variables and dest once, not per row, so that
// a row costs no allocation of its own beyond what it holds.
func collect[T any](rows Rows, dest []any, build func() (T, error)) ([]T, error) {
	var out []T
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		v, err := build()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// unmarshal decodes b into dst unless the column was NULL or empty.
func unmarshal[B ~[]byte](b B, dst any) error {
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal([]byte(b), dst)
}

// fromNanos reads a time stored as Unix nanoseconds; NULL is the zero time.
func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// EntryColumns are the transcript columns Entries reads, of messages m.
const EntryColumns = `m.seq, m.direction, m.author, m.platform_id, m.text, m.at, m.analysis,
	m.flow, m.state, m.choices, m.id, m.sent, m.lang, m.answers, m.status, m.choice`

// Entries reads transcript rows (EntryColumns): outbound entries carry
// their outbox id and whether they were sent.
func Entries[B ~[]byte](rows Rows) ([]bot.Entry, error) {
	var (
		e                          bot.Entry
		dir                        string
		at                         sql.NullInt64
		analysis, choices, answers B
		id                         int64
		sent                       bool
	)
	dest := []any{&e.Seq, &dir, &e.Author, &e.PlatformID, &e.Text, &at, &analysis,
		&e.Flow, &e.State, &choices, &id, &sent, &e.Lang, &answers, &e.Status, &e.Choice}
	return collect(rows, dest, func() (bot.Entry, error) {
		e := e
		e.Direction, e.At = bot.Direction(dir), fromNanos(at)
		if len(analysis) > 0 {
			e.Analysis = new(bot.Analysis)
			if err := json.Unmarshal([]byte(analysis), e.Analysis); err != nil {
				return e, fmt.Errorf("analysis of %d: %w", e.Seq, err)
			}
		}
		if err := unmarshal(choices, &e.Choices); err != nil {
			return e, fmt.Errorf("choices of %d: %w", e.Seq, err)
		}
		if err := unmarshal(answers, &e.Answers); err != nil {
			return e, fmt.Errorf("answers of %d: %w", e.Seq, err)
		}
		if e.Direction == bot.Outbound {
			e.OutboxID, e.Sent = id, sent
		}
		return e, nil
	})
}

// OutgoingColumns are the outbox columns Outgoing reads, of messages m
// and conversations c.
const OutgoingColumns = `m.id, c.channel, c.conversation, m.author, m.text, m.choices, m.lang, m.flow, m.state, m.seq, m.answers, m.status`

// Outgoing reads outbox rows (OutgoingColumns).
func Outgoing[B ~[]byte](rows Rows) ([]bot.Outgoing, error) {
	var (
		o                bot.Outgoing
		choices, answers B
	)
	dest := []any{&o.ID, &o.Address.Channel, &o.Address.Conversation, &o.Author, &o.Text, &choices,
		&o.Lang, &o.Flow, &o.State, &o.Seq, &answers, &o.Status}
	return collect(rows, dest, func() (bot.Outgoing, error) {
		o := o
		if err := unmarshal(choices, &o.Choices); err != nil {
			return o, fmt.Errorf("choices of %d: %w", o.ID, err)
		}
		if err := unmarshal(answers, &o.Answers); err != nil {
			return o, fmt.Errorf("answers of %d: %w", o.ID, err)
		}
		return o, nil
	})
}

// HandoffColumns are the handoff columns Handoffs reads, of handoffs h
// and conversations c.
const HandoffColumns = `c.channel, c.conversation, h.reason, h.evidence, h.skill, h.priority, h.flow, h.state, h.lang, h.at`

// Handoffs reads handoff rows (HandoffColumns). Evidence numbers come
// back as float64, as encoding/json decodes them.
func Handoffs[B ~[]byte](rows Rows) ([]bot.HandoffRecord, error) {
	var (
		h        bot.HandoffRecord
		evidence B
		at       sql.NullInt64
	)
	dest := []any{&h.Address.Channel, &h.Address.Conversation, &h.Reason, &evidence, &h.Skill, &h.Priority,
		&h.Flow, &h.State, &h.Lang, &at}
	return collect(rows, dest, func() (bot.HandoffRecord, error) {
		h := h
		h.At = fromNanos(at)
		if err := unmarshal(evidence, &h.Evidence); err != nil {
			return h, fmt.Errorf("%s: evidence: %w", h.Address, err)
		}
		return h, nil
	})
}

// RatingColumns are the rating columns Ratings reads, of ratings r.
const RatingColumns = `r.score, r.comment, r.at`

// Ratings reads the rating rows (RatingColumns) of the conversation addr.
func Ratings(rows Rows, addr bot.Address) ([]bot.Rating, error) {
	var (
		rt = bot.Rating{Address: addr}
		at sql.NullInt64
	)
	return collect(rows, []any{&rt.Score, &rt.Comment, &at}, func() (bot.Rating, error) {
		rt := rt
		rt.At = fromNanos(at)
		return rt, nil
	})
}

// CannedColumns are the columns of canned_replies Canned reads.
const CannedColumns = `id, team, title, lang, text, author, updated`

// Canned reads the desk's canned replies (CannedColumns).
func Canned(rows Rows) ([]handoff.Canned, error) {
	var (
		c       handoff.Canned
		updated sql.NullInt64
	)
	dest := []any{&c.ID, &c.Team, &c.Title, &c.Lang, &c.Text, &c.Author, &updated}
	return collect(rows, dest, func() (handoff.Canned, error) {
		c := c
		c.Updated = fromNanos(updated)
		return c, nil
	})
}

// Tickets reads ticket rows: the id and the ticket's JSON.
func Tickets(rows Rows) ([]*handoff.Ticket, error) {
	var (
		id int64
		js []byte
	)
	return collect(rows, []any{&id, &js}, func() (*handoff.Ticket, error) {
		t := new(handoff.Ticket)
		if err := json.Unmarshal(js, t); err != nil {
			return nil, fmt.Errorf("ticket %d: %w", id, err)
		}
		t.ID = id
		return t, nil
	})
}

// AccountColumns are the columns of agents Accounts reads.
const AccountColumns = `id, password_hash, agent, epoch`

// Accounts reads agent rows (AccountColumns).
func Accounts(rows Rows) ([]handoff.Account, error) {
	var (
		id    string
		hash  []byte
		js    []byte
		epoch int64
	)
	return collect(rows, []any{&id, &hash, &js, &epoch}, func() (handoff.Account, error) {
		a := handoff.Account{PasswordHash: hash}
		hash = nil // the next row's, not this account's
		if err := json.Unmarshal(js, &a.Agent); err != nil {
			return a, fmt.Errorf("agent %s: %w", id, err)
		}
		a.ID, a.Epoch = id, epoch
		return a, nil
	})
}

// Identities reads identity links (agent, platform, user_id, name); no
// rows is an empty list, not nil.
func Identities(rows Rows) ([]handoff.Link, error) {
	var l handoff.Link
	out, err := collect(rows, []any{&l.Agent, &l.Platform, &l.UserID, &l.Name}, func() (handoff.Link, error) {
		return l, nil
	})
	if out == nil && err == nil {
		out = []handoff.Link{}
	}
	return out, err
}

// NewAgent is what a store writes for a new account: the agent's JSON
// (present nowhere yet: Active 0) and the password hash, empty for an
// agent provisioned without a password.
func NewAgent(a handoff.Account) (agent string, hash []byte, err error) {
	ag := a.Agent
	ag.Active = 0
	js, err := json.Marshal(ag)
	if err != nil {
		return "", nil, err
	}
	hash = a.PasswordHash
	if hash == nil {
		hash = []byte{}
	}
	return string(js), hash, nil
}
