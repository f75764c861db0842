package discord

import (
	"context"
	"testing"

	"github.com/calmbot/calmbot/adapters/adaptertest"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/store/sqlite"
)

// TestContract runs the shared adapter suite on the fake Discord, with the
// engine on SQLite in the test's directory.
func TestContract(t *testing.T) {
	adaptertest.Run(t, adaptertest.Config{
		Platform:  func(t *testing.T) adaptertest.Platform { return newPlatform(t) },
		OpenStore: openSQLite,
	})
}

func openSQLite(t testing.TB, path string) (bot.Store, func()) {
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return st, func() { _ = st.Close() }
}
