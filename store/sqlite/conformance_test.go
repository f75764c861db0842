package sqlite

import (
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) bot.Store {
		s, _ := openStore(t)
		return s
	})
}
