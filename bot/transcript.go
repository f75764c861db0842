package bot

import (
	"cmp"
	"context"
	"slices"
)

// TranscriptFromStore is an optional capability of a Store: the part of a
// transcript after a seq, read without the rest. Streams that follow a
// long conversation read only what is new with it; a Store without it
// works, at a cost that grows with the history.
type TranscriptFromStore interface {
	// TranscriptFrom returns a conversation's messages with a seq above
	// after, in order, as Transcript shows them.
	TranscriptFrom(ctx context.Context, addr Address, after int64) ([]Entry, error)
}

// TranscriptFrom returns a conversation's messages after seq after, in
// order: TranscriptFrom(ctx, addr, 0) is Transcript(ctx, addr).
func (e *Engine) TranscriptFrom(ctx context.Context, addr Address, after int64) ([]Entry, error) {
	if s, ok := e.store.(TranscriptFromStore); ok {
		return s.TranscriptFrom(ctx, addr, after)
	}
	tr, err := e.store.Transcript(ctx, addr)
	if err != nil {
		return nil, err
	}
	i, _ := slices.BinarySearchFunc(tr, after+1, func(x Entry, seq int64) int { return cmp.Compare(x.Seq, seq) })
	return tr[i:], nil
}
