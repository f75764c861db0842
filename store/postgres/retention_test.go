package postgres

import (
	"testing"

	"github.com/calmbot/calmbot/store/sqltest"
)

func TestRetention(t *testing.T) {
	sqltest.TestRetention(t, sqltest.Retention{
		Open: func(t *testing.T) (sqltest.Pruner, sqltest.Count) {
			s := openStore(t)
			return s, func(t testing.TB, query string, args ...any) int { return count(t, s, query, args...) }
		},
		Batch: pruneBatch,
	})
}
