package handofftest_test

import (
	"log/slog"
	"testing"

	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

func TestMemoryStore(t *testing.T) { handofftest.TestStore(t, handofftest.NewStore()) }

func TestMemoryCanned(t *testing.T) { handofftest.TestCanned(t, handofftest.NewStore()) }

func TestMemorySharedClaims(t *testing.T) {
	handofftest.TestSharedClaims(t, handofftest.NewStore(), handoff.WithLogger(slog.New(slog.DiscardHandler)))
}
