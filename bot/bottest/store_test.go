package bottest_test

import (
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/bot/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) bot.Store { return bottest.NewStore() })
}
