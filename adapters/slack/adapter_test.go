package slack

import (
	"testing"

	"github.com/calmbot/calmbot/adapters/adaptertest"
)

func TestContract(t *testing.T) {
	adaptertest.Run(t, adaptertest.Config{Platform: func(t *testing.T) adaptertest.Platform { return newPlatform(t) }})
}
