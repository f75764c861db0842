package main

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/store/postgres"
	"github.com/calmbot/calmbot/store/sqlite"
)

// TestMigrate copies a SQLite install into PostgreSQL: transcripts,
// snapshots, the outbox, tickets, agents and identities come over with
// their ids; an interrupted copy (rows missing) is completed by a second
// run; new rows get new ids after the copied ones.
func TestMigrate(t *testing.T) {
	dsn := postgresDSN(t, "migrate_pg")
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "calmbot.db")
	src, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var addrs []bot.Address
	for i := range 30 {
		a := bot.Address{Channel: "web", Conversation: fmt.Sprint("c", i)}
		addrs = append(addrs, a)
		tr := &bot.Turn{Address: a,
			Inbound:  []bot.Entry{{Seq: 1, Direction: bot.Inbound, PlatformID: "m1", Text: "hello", At: at}},
			Outbound: []bot.Entry{{Seq: 2, Direction: bot.Outbound, Text: "hi there", At: at, Choices: []bot.Choice{{ID: "a", Label: "A"}}}},
			State:    &bot.Snapshot{Address: a, Status: bot.StatusBot, Lang: "en", Seq: 2, Processed: 1, Started: at, Updated: at}}
		if i%3 == 0 {
			tr.Handoff = &bot.HandoffRecord{Reason: "customer_request", Lang: "en", At: at, Evidence: map[string]any{"sentiment": -0.5}}
		}
		res, err := src.Commit(ctx, tr)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if err := src.MarkSent(ctx, res.OutboxIDs); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := src.SaveFlows(ctx, "h1", []byte("version: 1\n")); err != nil {
		t.Fatal(err)
	}
	if err := src.CreateAgent(ctx, handoff.Account{Agent: handoff.Agent{ID: "ada", Capacity: 2, Skills: []string{"*"}}, PasswordHash: []byte("$2a$04$hash")}); err != nil {
		t.Fatal(err)
	}
	if err := src.LinkIdentity(ctx, "ada", handoff.Identity{Platform: "telegram", UserID: "42", Name: "Ada"}); err != nil {
		t.Fatal(err)
	}
	tk := &handoff.Ticket{Address: addrs[0], Status: handoff.StatusQueued, Reason: "customer_request", Created: at, Version: 1}
	if err := src.CreateTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if err := src.Set(ctx, "telegram/offset", "77"); err != nil {
		t.Fatal(err)
	}

	r := runCmd(t, "", "migrate", "--from", path, "--to", dsn)
	if r.code != 0 || !strings.Contains(r.stdout, "every count matches") {
		t.Fatalf("migrate: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	dst, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	same := func(what string) {
		t.Helper()
		for _, a := range addrs {
			want, _ := src.Transcript(ctx, a)
			got, err := dst.Transcript(ctx, a)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: transcript of %s:\n%+v, %v\nwant %+v", what, a, got, err, want)
			}
			ws, _ := src.Load(ctx, a)
			gs, err := dst.Load(ctx, a)
			if err != nil || !reflect.DeepEqual(gs, ws) {
				t.Fatalf("%s: snapshot of %s: %+v, %v; want %+v", what, a, gs, err, ws)
			}
		}
		wp, _ := src.Pending(ctx, 0, 0)
		if gp, err := dst.Pending(ctx, 0, 0); err != nil || !reflect.DeepEqual(gp, wp) {
			t.Errorf("%s: outbox %+v, %v; want %+v", what, gp, err, wp)
		}
		if acc, err := dst.Account(ctx, "ada"); err != nil || string(acc.PasswordHash) != "$2a$04$hash" {
			t.Errorf("%s: ada: %+v, %v", what, acc, err)
		}
		if got, err := dst.IdentityAgent(ctx, "telegram", "42"); err != nil || got != "ada" {
			t.Errorf("%s: identity: %q, %v", what, got, err)
		}
		if got, err := dst.Ticket(ctx, tk.ID); err != nil || got.Address != addrs[0] {
			t.Errorf("%s: ticket: %+v, %v", what, got, err)
		}
		if v, err := dst.Get(ctx, "telegram/offset"); err != nil || v != "77" {
			t.Errorf("%s: adapter state: %q, %v", what, v, err)
		}
		if b, err := dst.Flows(ctx, "h1"); err != nil || string(b) != "version: 1\n" {
			t.Errorf("%s: flows: %q, %v", what, b, err)
		}
	}
	same("after migrate")

	// An interrupted copy: the tail of the messages and the tables after
	// them are missing, as when a run stops between two batches.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{`DELETE FROM messages WHERE id > 25`, `DELETE FROM handoffs`, `DELETE FROM agent_identities`,
		`DELETE FROM agents`, `DELETE FROM tickets`, `DELETE FROM adapter_state`, `DELETE FROM flows_versions`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	r = runCmd(t, "", "migrate", "--from", path, "--to", dsn)
	if r.code != 0 || !strings.Contains(r.stdout, "every count matches") {
		t.Fatalf("migrate again: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	same("after resuming")
	if r = runCmd(t, "", "migrate", "--from", path, "--to", dsn); r.code != 0 {
		t.Errorf("a third run, nothing to do: exit %d\n%s", r.code, r.stderr)
	}
	same("after a third run")

	// New rows come after the copied ids.
	a := bot.Address{Channel: "web", Conversation: "new"}
	res, err := dst.Commit(ctx, &bot.Turn{Address: a, Inbound: []bot.Entry{{Seq: 1, Direction: bot.Inbound, Text: "hi", At: at}},
		Outbound: []bot.Entry{{Seq: 2, Direction: bot.Outbound, Text: "hello", At: at}},
		State:    &bot.Snapshot{Address: a, Status: bot.StatusBot, Seq: 2, Processed: 1}})
	if err != nil || len(res.OutboxIDs) != 1 || res.OutboxIDs[0] <= 60 {
		t.Errorf("a new turn after the migration: %+v, %v; want an outbox id after the copied 60", res, err)
	}
}
