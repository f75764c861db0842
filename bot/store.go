package bot

import (
	"context"
	"errors"
	"time"

	"github.com/calmbot/calmbot/flows"
)

// ErrNotFound is returned by a Store for a conversation it does not hold.
var ErrNotFound = errors.New("not found")

// ErrStale is returned (wrapped) by Store.Commit for a turn built on a
// snapshot the stored conversation has moved on from (Turn.Base is not
// its stored Seq): another instance, or another worker, committed first.
// Nothing was written; the engine reloads the conversation and runs the
// turn again.
var ErrStale = errors.New("conversation changed since the turn was built")

// Status is where a conversation stands.
type Status string

// Conversation statuses.
const (
	StatusBot   Status = "bot"   // the bot is talking
	StatusHuman Status = "human" // handed off: waiting for or talking with a human
	StatusEnded Status = "ended" // finished; the next message starts again
	// StatusRating: a person closed the conversation and the customer is
	// asked to rate the help; any other answer starts a new conversation.
	StatusRating Status = "rating"
)

// Snapshot is the durable state of a conversation: everything the engine
// needs to carry on exactly where it was after a restart.
type Snapshot struct {
	Address Address `json:"address"`
	Status  Status  `json:"status"`
	// Lang is the conversation's language.
	Lang string `json:"lang"`
	// FlowsVersion is the hash of the flow file the conversation runs on.
	FlowsVersion string `json:"flows_version"`
	// Flow and State locate the conversation; both empty before a flow started.
	Flow  string `json:"flow,omitempty"`
	State string `json:"state,omitempty"`
	// Attempts counts failed de-escalation attempts in the current flow.
	Attempts int `json:"attempts,omitempty"`
	// Unclear counts replies in a row the bot did not understand.
	Unclear int `json:"unclear,omitempty"`
	// Offered are the ids of the options last offered; Chosen the one agreed.
	Offered []string `json:"offered,omitempty"`
	Chosen  string   `json:"chosen,omitempty"`
	// Moods are the sentiment scores of the latest customer turns of this
	// flow, oldest first (at most policy.worsening_turns).
	Moods []float64 `json:"moods,omitempty"`
	// Worst is the most negative sentiment of the conversation's customer
	// turns, 0 when none was negative.
	Worst float64 `json:"worst,omitempty"`
	// Visited counts entries per state in this flow (for `again` texts).
	Visited map[string]int `json:"visited,omitempty"`
	// Seq is the sequence number of the conversation's last stored message
	// (both directions); Processed is the last inbound one the bot has answered.
	Seq       int64 `json:"seq"`
	Processed int64 `json:"processed"`
	// RecentIDs are the platform ids of the latest inbound messages, newest
	// last, for cheap redelivery checks.
	RecentIDs []string `json:"recent_ids,omitempty"`
	// Handoff is the latest handoff while Status is StatusHuman.
	Handoff *HandoffRecord `json:"handoff,omitempty"`
	// HandedOff is set once the conversation went to a person, and stays
	// until it starts over: containment counts it as handed off whenever
	// it ends, in whichever process.
	HandedOff bool `json:"handed_off,omitempty"`
	// RatingStep is 1 while the score is asked and 2 while the comment is;
	// Score and RatedAt keep the score given at step 1.
	RatingStep int `json:"rating_step,omitempty"`
	// RatingOffered is set once the rating was asked in this conversation
	// (it is asked once), until it starts over.
	RatingOffered bool      `json:"rating_offered,omitempty"`
	Score         int       `json:"score,omitempty"`
	RatedAt       time.Time `json:"rated_at,omitzero"`
	Started       time.Time `json:"started"`
	Updated       time.Time `json:"updated"`
}

// Direction tells who wrote a transcript entry.
type Direction string

// Directions of transcript entries.
const (
	Inbound  Direction = "in"  // from the customer
	Outbound Direction = "out" // from the bot (or, later, an agent)
)

// Entry is one message of a conversation's transcript.
type Entry struct {
	Seq       int64     `json:"seq"`
	Direction Direction `json:"direction"`
	// Author is who wrote an outbound entry: "" for the bot, else the
	// person (an agent's id). Inbound entries are the customer's.
	Author string `json:"author,omitempty"`
	// PlatformID is the inbound message's platform id.
	PlatformID string `json:"platform_id,omitempty"`
	Text       string `json:"text"`
	// Choice is the option id an inbound button press chose (Message.Choice).
	Choice string    `json:"choice,omitempty"`
	At     time.Time `json:"at"`
	// Analysis is the bot's reading of an inbound message, when it was analysed.
	Analysis *Analysis `json:"analysis,omitempty"`
	// Flow and State are where the conversation was when the entry was written.
	Flow  string `json:"flow,omitempty"`
	State string `json:"state,omitempty"`
	// Choices are the options an outbound message offered.
	Choices []Choice `json:"choices,omitempty"`
	// OutboxID is set on outbound entries; Sent once they were delivered.
	OutboxID int64 `json:"outbox_id,omitempty"`
	Sent     bool  `json:"sent,omitempty"`
	// Lang, Answers and Status are an outbound entry's reply metadata (see
	// Reply), kept in the outbox so that a resent reply carries them too.
	Lang    string   `json:"lang,omitempty"`
	Answers []string `json:"answers,omitempty"`
	Status  Status   `json:"status,omitempty"`
}

// HandoffRecord says why a conversation went to a human.
type HandoffRecord struct {
	Address Address `json:"address"`
	// Reason is one of flows.HandoffReasons.
	Reason flows.Reason `json:"reason"`
	// Evidence holds the scores and facts behind the decision.
	Evidence map[string]any `json:"evidence,omitempty"`
	Skill    string         `json:"skill,omitempty"`
	Priority string         `json:"priority,omitempty"`
	Flow     string         `json:"flow,omitempty"`
	State    string         `json:"state,omitempty"`
	Lang     string         `json:"lang"`
	At       time.Time      `json:"at"`
}

// Turn is what one engine step writes, atomically: the customer messages it
// read, the bot's replies (into the outbox), the new state, and a handoff.
type Turn struct {
	Address Address
	// Base is the Seq of the snapshot the turn was built on (0 for a
	// conversation not stored yet): Commit refuses a turn that carries a
	// State with ErrStale when the stored conversation's Seq is another. This compare-and-swap
	// is how several instances sharing a store keep one conversation's
	// turns in order.
	Base int64
	// Inbound are new customer messages to store, with Seq assigned by the engine.
	Inbound []Entry
	// Analysed updates the Analysis of already stored inbound entries, by Seq.
	Analysed map[int64]*Analysis
	// Outbound are the replies to store and put in the outbox, with Seq assigned.
	Outbound []Entry
	// State is the conversation's new snapshot; nil keeps the stored one.
	State *Snapshot
	// Handoff, when set, is stored with the turn.
	Handoff *HandoffRecord
	// Rating, when set, is stored with the turn.
	Rating *Rating
}

// Rating is a customer's rating of the help a person gave. The score comes
// first; a Rating with the same Address and At as a stored one carries the
// optional comment that followed and replaces it.
type Rating struct {
	Address Address `json:"address"`
	// Score is 1 (poor) to 5 (excellent).
	Score int `json:"score"`
	// Comment is the optional answer to "what could be better?".
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
}

// CommitResult reports what a commit did.
type CommitResult struct {
	// Duplicate is true when an inbound message of the turn was already
	// stored (a redelivery, however old): then nothing at all was written,
	// so the transcript never gets a gap in its seq numbers.
	// Redelivered lists the indexes in Turn.Inbound of the messages already
	// stored; the caller drops them and commits the rest again.
	Duplicate   bool
	Redelivered []int
	// OutboxIDs are the ids given to the turn's outbound entries, in order.
	OutboxIDs []int64
}

// Outgoing is an undelivered reply in the outbox, with the metadata its
// Reply had when it was committed.
type Outgoing struct {
	ID      int64
	Address Address
	Author  string
	Text    string
	Choices []Choice
	Lang    string
	Flow    string
	State   string
	Seq     int64
	Answers []string
	Status  Status
}

// Reply returns the Reply o was committed as.
func (o Outgoing) Reply() Reply {
	return Reply{Address: o.Address, Author: o.Author, Text: o.Text, Choices: o.Choices, Lang: o.Lang, Flow: o.Flow,
		State: o.State, Seq: o.Seq, Answers: o.Answers, Status: o.Status, OutboxID: o.ID}
}

// OutboxClaim asks Store.ClaimOutbox for undelivered replies.
type OutboxClaim struct {
	// Owner names the claiming instance; its own live claims are handed
	// out again (and renewed), another owner's are skipped.
	Owner string
	// After is a cursor: only replies with an ID above it (0: from the start).
	After int64
	// Channels, when not nil, limits the claim to these channels (those
	// the instance has a Sender for).
	Channels []string
	// Limit caps the replies returned (at least 1).
	Limit int
	// Lease is how long the claim holds; a crashed owner's replies are
	// handed to another owner once it has passed.
	Lease time.Duration
}

// Store keeps conversations durably. Implementations must be safe for
// concurrent use; Commit must not return before the turn is durable.
type Store interface {
	// Load returns a conversation's snapshot, or ErrNotFound.
	Load(ctx context.Context, addr Address) (*Snapshot, error)
	// Commit writes a turn atomically and durably. Redelivery is checked
	// exactly, for any age of platform id (stores keep inbound messages
	// unique on address + platform id; empty ids are never duplicates): when
	// any inbound message of t is already stored, Commit writes nothing and
	// reports which ones in CommitResult.Redelivered.
	Commit(ctx context.Context, t *Turn) (CommitResult, error)
	// Received returns the stored texts of addr's inbound messages whose
	// platform id is among ids, by id; ids not stored are absent. The
	// engine asks only about suspected redeliveries, off the hot path.
	Received(ctx context.Context, addr Address, ids []string) (map[string]string, error)
	// Transcript returns a conversation's messages in order.
	Transcript(ctx context.Context, addr Address) ([]Entry, error)
	// Pending returns the outbox: up to limit replies not yet delivered
	// with an ID above after, oldest first (limit <= 0: all of them).
	Pending(ctx context.Context, after int64, limit int) ([]Outgoing, error)
	// ClaimOutbox hands out undelivered replies, oldest first, to c.Owner
	// for c.Lease. A conversation's replies are handed out from the head
	// of its queue: never a reply while an earlier one of its conversation
	// is held by another owner's live claim, so several instances sharing
	// the store keep each conversation's order.
	ClaimOutbox(ctx context.Context, c OutboxClaim) ([]Outgoing, error)
	// MarkSent records that outbox entries were delivered; marking an
	// entry again, or an unknown id, is not an error.
	MarkSent(ctx context.Context, ids []int64) error
	// Unanswered returns conversations with stored inbound messages the bot
	// has not answered yet (Processed < last inbound Seq), to resume after a restart.
	Unanswered(ctx context.Context) ([]Address, error)
	// SaveFlows stores a flow file's source under its hash (idempotent).
	SaveFlows(ctx context.Context, hash string, source []byte) error
	// Flows returns the source stored under hash, or ErrNotFound.
	Flows(ctx context.Context, hash string) ([]byte, error)
}
