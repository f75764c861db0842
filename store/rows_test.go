package store

import (
	"database/sql"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
)

// fakeRows serves rows of values as a driver does: a sql.Scanner scans
// the value, NULL (nil) zeroes the destination, and a *sql.RawBytes is
// lent one buffer that the next row overwrites, as database/sql lends
// the driver's memory.
type fakeRows struct {
	rows [][]any
	next int
	bufs map[int][]byte // by column
	err  error
}

func (f *fakeRows) Next() bool { f.next++; return f.next <= len(f.rows) }
func (f *fakeRows) Err() error { return f.err }

func (f *fakeRows) Scan(dest ...any) error {
	row := f.rows[f.next-1]
	if len(dest) != len(row) {
		return errors.New("wrong number of columns")
	}
	for i, d := range dest {
		v := row[i]
		switch d := d.(type) {
		case sql.Scanner:
			if err := d.Scan(v); err != nil {
				return err
			}
			continue
		case *sql.RawBytes:
			if v == nil {
				*d = nil
				continue
			}
			if f.bufs == nil {
				f.bufs = make(map[int][]byte)
			}
			f.bufs[i] = append(f.bufs[i][:0], v.(string)...)
			*d = f.bufs[i]
			continue
		}
		dv := reflect.ValueOf(d).Elem()
		if v == nil {
			dv.SetZero()
			continue
		}
		if s, ok := v.(string); ok && dv.Type() == reflect.TypeFor[[]byte]() {
			v = []byte(s)
		}
		dv.Set(reflect.ValueOf(v).Convert(dv.Type()))
	}
	return nil
}

func entryRow(seq int64, dir string, at any, analysis, choices any) []any {
	return []any{seq, dir, "", "p" + dir, "text", at, analysis, "flow", "state", choices, int64(10 + seq), true, "en", nil, "bot", ""}
}

func TestEntries(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 123, time.UTC)
	rows := &fakeRows{rows: [][]any{
		entryRow(1, "in", at.UnixNano(), `{"lang":"en","sentiment":-0.5}`, nil),
		entryRow(2, "out", nil, nil, `[{"id":"a","label":"A"}]`),
	}}
	got, err := Entries[sql.RawBytes](rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("Entries = %+v, want 2", got)
	}
	in, out := got[0], got[1]
	if in.Analysis == nil || in.Analysis.Sentiment != -0.5 || !in.At.Equal(at) || in.Choices != nil || in.OutboxID != 0 || in.Sent {
		t.Errorf("inbound entry %+v", in)
	}
	if out.Analysis != nil || !out.At.IsZero() || len(out.Choices) != 1 || out.Choices[0].ID != "a" || out.OutboxID != 12 || !out.Sent || out.Status != bot.StatusBot {
		t.Errorf("outbound entry %+v", out)
	}
	rows = &fakeRows{rows: [][]any{entryRow(3, "in", nil, `{"lang":`, nil)}}
	if _, err := Entries[[]byte](rows); err == nil || !strings.Contains(err.Error(), "analysis of 3") {
		t.Errorf("Entries of broken analysis = %v, want an error naming it", err)
	}
	rows = &fakeRows{err: errors.New("connection lost")}
	if _, err := Entries[[]byte](rows); err == nil {
		t.Error("the rows' error is lost")
	}
}

func TestAccounts(t *testing.T) {
	rows := &fakeRows{rows: [][]any{
		{"ada", []byte("hash-a"), `{"id":"x","name":"Ada"}`, int64(2)},
		{"bob", nil, `{"name":"Bob"}`, int64(0)},
	}}
	got, err := Accounts(rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "ada" || got[0].Name != "Ada" || string(got[0].PasswordHash) != "hash-a" || got[0].Epoch != 2 ||
		got[1].ID != "bob" || got[1].PasswordHash != nil || got[1].Name != "Bob" {
		t.Errorf("Accounts = %+v", got)
	}
}

func TestHandoffsAndOutgoing(t *testing.T) {
	rows := &fakeRows{rows: [][]any{
		{"test", "c1", "customer_request", `{"score":-0.7}`, "billing", "high", "f", "s", "en", int64(5)},
		{"test", "c2", "sentiment", nil, "", "normal", "", "", "it", nil},
	}}
	hs, err := Handoffs[sql.RawBytes](rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 2 || hs[0].Evidence["score"] != -0.7 || hs[0].At.UnixNano() != 5 || hs[1].Evidence != nil || !hs[1].At.IsZero() || hs[1].Address.Conversation != "c2" {
		t.Errorf("Handoffs = %+v", hs)
	}
	rows = &fakeRows{rows: [][]any{
		{int64(7), "test", "c1", "", "hi", `[{"id":"a","label":"A"}]`, "en", "f", "s", int64(2), `["yes"]`, "bot"},
		{int64(8), "test", "c1", "ada", "bye", nil, "en", "", "", int64(3), nil, "human"},
	}}
	os, err := Outgoing[sql.RawBytes](rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(os) != 2 || len(os[0].Choices) != 1 || len(os[0].Answers) != 1 || os[1].Choices != nil || os[1].Answers != nil || os[1].Author != "ada" {
		t.Errorf("Outgoing = %+v", os)
	}
}
