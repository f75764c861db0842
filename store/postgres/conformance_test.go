package postgres

import (
	"log/slog"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/storetest"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) bot.Store { return openStore(t) })
}

func TestHandoffStore(t *testing.T) {
	handofftest.TestStore(t, openStore(t))
}

func TestCanned(t *testing.T) {
	handofftest.TestCanned(t, openStore(t))
}

func TestSharedClaims(t *testing.T) {
	handofftest.TestSharedClaims(t, openStore(t), handoff.WithLogger(slog.New(slog.DiscardHandler)))
}
