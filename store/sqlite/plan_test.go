package sqlite

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestOutboxPlans checks that the queries on undelivered replies read an
// index, never every message (the outbox is small, the transcript is
// not), and the index each needs: messages_outbox for the outbox in
// order, the (conv_id, seq) key for one conversation's replies.
func TestOutboxPlans(t *testing.T) {
	_, path := openStore(t)
	db := rawDB(t, path)
	for _, q := range []struct {
		name, query string
		want        []string
	}{
		{"claim", sqlClaim, []string{"SEARCH m USING INDEX messages_outbox (id>?)",
			"SEARCH o USING INDEX sqlite_autoindex_messages_1 (conv_id=?)"}},
		{"pending", sqlPending, []string{"SEARCH m USING INDEX messages_outbox (id>?)"}},
		{"prune", "SELECT c.id FROM conversations c WHERE " + sqlPrunable,
			[]string{"SEARCH m USING INDEX sqlite_autoindex_messages_1 (conv_id=?)"}},
	} {
		rows, err := db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q.query,
			"a", 1, 0, nil, 0, 10)
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		_ = rows.Close()
		t.Logf("%s:\n\t%s", q.name, strings.Join(plan, "\n\t"))
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN m") || strings.HasPrefix(step, "SCAN o") || step == "SCAN messages" {
				t.Errorf("%s reads every message: %q", q.name, step)
			}
		}
		for _, w := range q.want {
			if !slices.Contains(plan, w) {
				t.Errorf("%s: plan lacks %q", q.name, w)
			}
		}
	}
}
