package sqlite

import (
	"testing"
	"time"
)

// TestNormalSyncsTheWALAfterWrites: under synchronous NORMAL a commit does
// not sync the WAL, so the store checkpoints (which syncs it first) within
// a sync interval after writes, not only after ckptEvery of them.
func TestNormalSyncsTheWALAfterWrites(t *testing.T) {
	timed := make(chan struct{}, 16)
	s, _ := openStore(t, WithSynchronous("normal"), func(c *config) {
		c.syncEvery = 5 * time.Millisecond
		c.hooks.checkpointed = func(byTimer bool) {
			if byTimer {
				timed <- struct{}{}
			}
		}
	})
	for i := range 3 {
		mustCommit(t, s, turn(addr("c1"), int64(2*i+1), "m"+string(rune('1'+i)), "reply"))
		select {
		case <-timed:
		case <-time.After(10 * time.Second):
			t.Fatalf("write %d: no checkpoint synced the WAL under NORMAL", i+1)
		}
	}
	if s.unsynced.Load() {
		t.Error("the last write is still marked unsynced after its checkpoint")
	}
}
