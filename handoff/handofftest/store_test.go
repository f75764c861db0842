package handofftest_test

import (
	"testing"

	"github.com/calmbot/calmbot/handoff/handofftest"
)

func TestMemoryStore(t *testing.T) { handofftest.TestStore(t, handofftest.NewStore()) }

func TestMemoryCanned(t *testing.T) { handofftest.TestCanned(t, handofftest.NewStore()) }
