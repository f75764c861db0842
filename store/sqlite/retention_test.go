package sqlite

import (
	"context"
	"testing"

	"github.com/calmbot/calmbot/store/sqltest"
)

func TestRetention(t *testing.T) {
	sqltest.TestRetention(t, sqltest.Retention{
		Open: func(t *testing.T) (sqltest.Pruner, sqltest.Count) {
			s, _ := openStore(t, WithSynchronous("NORMAL"))
			return s, func(t testing.TB, query string, args ...any) int {
				t.Helper()
				var n int
				if err := s.rdb.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
					t.Fatalf("%s: %v", query, err)
				}
				return n
			}
		},
		Batch: pruneBatch,
	})
}
