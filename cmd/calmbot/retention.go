package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/calmbot/calmbot/store"
)

// retention is how long `calmbot serve` keeps conversations.
type retention struct {
	// keep is the age past which conversations are pruned; 0 keeps them for ever.
	keep time.Duration
	mode store.PruneMode
}

// minRetention is the shortest retention: conversations idle for less may
// still be live in the engine's memory.
const minRetention = 24 * time.Hour

// retentionEvery is how often serve prunes (and once at start).
const retentionEvery = 24 * time.Hour

// retention reads --retention and --retention-mode, falling back to
// $CALMBOT_RETENTION and $CALMBOT_RETENTION_MODE.
func (e *env) retention(age, mode string) (retention, error) {
	if age == "" {
		age = e.getenv("CALMBOT_RETENTION")
	}
	if mode == "" {
		mode = e.getenv("CALMBOT_RETENTION_MODE")
	}
	var r retention
	keep, err := parseAge(age)
	if err != nil {
		return r, err
	}
	r.keep = keep
	switch m := store.PruneMode(strings.ToLower(strings.TrimSpace(mode))); m {
	case "":
		r.mode = store.PruneDelete
	case store.PruneDelete, store.PruneAnonymise:
		r.mode = m
	case "anonymize":
		r.mode = store.PruneAnonymise
	default:
		return r, fmt.Errorf("--retention-mode %q: want delete or anonymise", mode)
	}
	return r, nil
}

// parseAge reads a retention age: days ("90d"), a Go duration ("2160h"),
// or "", "0", "forever" or "off" for keeping everything.
func parseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "0", "forever", "off":
		return 0, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("--retention %q: want a number of days like 90d, or a duration like 2160h", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d < 0 {
			return 0, fmt.Errorf("--retention %q: want a number of days like 90d, or a duration like 2160h", s)
		}
	}
	if d < minRetention {
		return 0, fmt.Errorf("--retention %q: keep conversations at least 1d (0 keeps them for ever)", s)
	}
	return d, nil
}

// String formats r for the log.
func (r retention) String() string {
	if r.keep == 0 {
		return "for ever"
	}
	if r.keep%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(r.keep/(24*time.Hour)), 10) + "d, then " + string(r.mode)
	}
	return r.keep.String() + ", then " + string(r.mode)
}

// pruner is what retention needs of the store.
type pruner interface {
	Prune(ctx context.Context, before time.Time, mode store.PruneMode) (int, error)
}

// retain prunes st now and then at every tick until ctx is done.
func retain(ctx context.Context, st pruner, r retention, log *slog.Logger, tick <-chan time.Time) {
	for {
		before := time.Now().Add(-r.keep)
		n, err := st.Prune(ctx, before, r.mode)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error("retention: conversations not pruned; trying again tomorrow", "mode", r.mode, "pruned", n, "err", err)
		default:
			log.Info("retention: old conversations pruned", "mode", r.mode, "before", before.UTC().Format(time.RFC3339), "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}
