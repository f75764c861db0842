package store

// PruneMode says what a store's Prune does with an old conversation.
type PruneMode string

// Prune modes.
const (
	// PruneDelete deletes the conversation with everything of it: its
	// transcript (and delivered replies), snapshot, handoffs, ratings and
	// the desk's tickets.
	PruneDelete PruneMode = "delete"
	// PruneAnonymise keeps the rows that counts and metrics read
	// (statuses, seqs, times, analyses, handoff reasons, scores) and
	// replaces what can identify the customer: every message text, rating
	// comment and ticket note becomes Removed, platform ids are cleared,
	// the conversation's address becomes "anonymised-<n>", its snapshot
	// is dropped.
	PruneAnonymise PruneMode = "anonymise"
)

// Removed replaces the texts PruneAnonymise removes.
const Removed = "[removed]"
