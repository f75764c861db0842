package handoff

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
)

// Status is where a ticket stands.
type Status string

// Ticket statuses.
const (
	StatusQueued   Status = "queued"   // waiting in the queue for an agent
	StatusAssigned Status = "assigned" // an agent holds it
	StatusClosed   Status = "closed"   // done: closed, released to the bot, or ended
)

// Outcomes say how a ticket was closed.
const (
	OutcomeClosed   = "closed"   // an agent closed the conversation (the customer is asked to rate)
	OutcomeReleased = "released" // an agent gave the conversation back to the bot
	OutcomeEnded    = "ended"    // the conversation ended or went back to the bot without the desk
)

// DefaultTarget is the first-response target of a priority the flows name
// no target for.
const DefaultTarget = 60 * time.Second

// Ticket is one handoff of a conversation to people: why it happened, who
// holds it, what they noted and how the customer was kept informed. The
// transcript stays in the bot's store (Service.Transcript) and the summary
// is built from it on demand (Service.Summary).
type Ticket struct {
	ID      int64       `json:"id"`
	Address bot.Address `json:"address"`
	Status  Status      `json:"status"`
	// Reason is the handoff's reason code (customer_request, ...) and
	// Evidence the scores and facts behind it.
	Reason   flows.Reason   `json:"reason"`
	Evidence map[string]any `json:"evidence,omitempty"`
	// Skill routes the ticket; "" means any agent.
	Skill string `json:"skill,omitempty"`
	// Priority is low, normal, high or urgent.
	Priority string `json:"priority"`
	Lang     string `json:"lang,omitempty"`
	// Flow and State are where the bot was when it handed off.
	Flow  string `json:"flow,omitempty"`
	State string `json:"state,omitempty"`
	// Target is the first-response target of the ticket's priority.
	Target time.Duration `json:"target"`
	// Created is when the bot handed off (the customer waits since then).
	Created time.Time `json:"created"`
	// Claimed is when an agent first took the ticket; FirstResponse when
	// an agent first wrote to the customer.
	Claimed       time.Time `json:"claimed,omitzero"`
	FirstResponse time.Time `json:"first_response,omitzero"`
	// Owner is the agent who holds the ticket; Invited are colleagues who
	// joined the conversation and may reply too.
	Owner   string   `json:"owner,omitempty"`
	Invited []string `json:"invited,omitempty"`
	// Notes are internal: never shown to the customer.
	Notes []Note `json:"notes,omitempty"`
	// Transfers are the ticket's moves between agents and skills, oldest first.
	Transfers []Transfer `json:"transfers,omitempty"`
	// Seq is the conversation's last transcript entry when the bot handed
	// off: later customer messages were written to people.
	Seq int64 `json:"seq,omitempty"`
	// Assigned is when the current owner took the ticket.
	Assigned time.Time `json:"assigned,omitzero"`
	// Closed is when the ticket closed, with Outcome saying how.
	Closed  time.Time `json:"closed,omitzero"`
	Outcome string    `json:"outcome,omitempty"`
	// EndSeq is the conversation's last transcript entry when the ticket closed.
	EndSeq int64 `json:"end_seq,omitempty"`
	// Waiting records what the waiting customer was told.
	Waiting Waiting `json:"waiting"`
	// Mood is the customer's sentiment as the bot read it, kept up to
	// date from the engine's events (nil when the bot read none). It is
	// replaced, never changed in place.
	Mood *Trend `json:"mood,omitempty"`
	// Latest is the customer's latest message, shortened for lists (kept
	// up to date from the engine's events, like Mood).
	Latest string `json:"latest,omitempty"`
	// Version counts the ticket's changes; a Store keeps the highest.
	Version int64 `json:"version"`
}

// Trend is a customer's sentiment over the messages the bot read: the
// latest, the first and the worst (a customer who opened furious is not
// calm because their last "yes" was neutral) and how many.
type Trend struct {
	Sentiment float64 `json:"sentiment"`
	Label     string  `json:"label"`
	First     float64 `json:"first"`
	Worst     float64 `json:"worst"`
	Turns     int     `json:"turns"`
	// Seq is the last message read.
	Seq int64 `json:"seq"`
}

// TrendOf reads the customer's sentiment from a transcript; nil when the
// bot read none of it.
func TrendOf(tr []bot.Entry) *Trend {
	var m *Trend
	for _, e := range tr {
		m = m.with(e)
	}
	return m
}

// with returns m with customer message e read, or m itself when e is no
// analysed customer message after the ones read.
func (m *Trend) with(e bot.Entry) *Trend {
	if e.Direction != bot.Inbound || e.Analysis == nil || m != nil && e.Seq <= m.Seq {
		return m
	}
	n := Trend{First: e.Analysis.Sentiment, Worst: e.Analysis.Sentiment}
	if m != nil {
		n = *m
		n.Worst = min(n.Worst, e.Analysis.Sentiment)
	}
	n.Sentiment, n.Label, n.Seq = e.Analysis.Sentiment, e.Analysis.Label, e.Seq
	n.Turns++
	return &n
}

// Note is an internal note on a ticket.
type Note struct {
	Author string    `json:"author"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}

// Transfer is a ticket's move to another agent or back to the queue with
// a skill. Everything attached to the ticket moves with it.
type Transfer struct {
	From string `json:"from"`
	// ToAgent is set for a transfer to an agent, ToSkill for one to the
	// queue (ToSkill "" with ToAgent "" means back to the queue for any agent).
	ToAgent string    `json:"to_agent,omitempty"`
	ToSkill string    `json:"to_skill,omitempty"`
	Note    string    `json:"note,omitempty"`
	At      time.Time `json:"at"`
}

// Waiting records what a waiting customer was told.
type Waiting struct {
	// Told is when the customer was last told their position and wait;
	// Estimate is the wait they were told then, Busy whether they were
	// told the service is busy.
	Told     time.Time     `json:"told,omitzero"`
	Estimate time.Duration `json:"estimate,omitempty"`
	Busy     bool          `json:"busy,omitempty"`
	// AfterHours is set while the customer knows nobody answers before the
	// service opens.
	AfterHours bool `json:"after_hours,omitempty"`
	// Unavailable is set while the customer knows nobody who could take
	// the conversation is online.
	Unavailable bool `json:"unavailable,omitempty"`
	// Incentive is set once texts.incentive was sent.
	Incentive bool `json:"incentive,omitempty"`
}

// Open reports whether the ticket is queued or assigned.
func (t *Ticket) Open() bool { return t.Status == StatusQueued || t.Status == StatusAssigned }

// Involves reports whether agent holds the ticket or was invited to it.
func (t *Ticket) Involves(agent string) bool {
	return agent != "" && (t.Owner == agent || slices.Contains(t.Invited, agent))
}

// Waited is how long the customer waited for a person at now: until the
// first agent reply, or until now when none came yet.
func (t *Ticket) Waited(now time.Time) time.Duration {
	end := now
	if !t.FirstResponse.IsZero() {
		end = t.FirstResponse
	} else if !t.Closed.IsZero() {
		end = t.Closed
	}
	return max(end.Sub(t.Created), 0)
}

// ResponseTime is the time from handoff to the first agent reply; ok is
// false when no agent replied yet.
func (t *Ticket) ResponseTime() (d time.Duration, ok bool) {
	if t.FirstResponse.IsZero() {
		return 0, false
	}
	return t.FirstResponse.Sub(t.Created), true
}

// Overdue reports whether the first response missed (or, still pending at
// now, has already missed) the ticket's target.
func (t *Ticket) Overdue(now time.Time) bool {
	return t.Target > 0 && t.Waited(now) > t.Target
}

// clone returns a deep copy of t.
func (t *Ticket) clone() *Ticket {
	c := *t
	c.Evidence = maps.Clone(t.Evidence)
	c.Invited = slices.Clone(t.Invited)
	c.Notes = slices.Clone(t.Notes)
	c.Transfers = slices.Clone(t.Transfers)
	return &c
}

// priorityRank orders priorities: urgent 3, high 2, normal 1, low 0; an
// unknown priority counts as the default.
func priorityRank(p string) int {
	if i := slices.Index(flows.Priorities, p); i >= 0 {
		return i
	}
	return slices.Index(flows.Priorities, flows.DefaultPriority)
}

// normalPriority returns p when it is a known priority, else the default.
func normalPriority(p string) string {
	if slices.Contains(flows.Priorities, p) {
		return p
	}
	return flows.DefaultPriority
}

// target is the first-response target of priority under f's service settings.
func target(f *flows.File, priority string) time.Duration {
	if f != nil {
		if d, ok := f.Service.FirstResponse[priority]; ok && d > 0 {
			return time.Duration(d)
		}
	}
	return DefaultTarget
}

// ahead reports whether a comes before b in the queue: higher priority
// first, then the longer wait, then the older ticket.
func ahead(a, b *Ticket) bool {
	if ra, rb := priorityRank(a.Priority), priorityRank(b.Priority); ra != rb {
		return ra > rb
	}
	if !a.Created.Equal(b.Created) {
		return a.Created.Before(b.Created)
	}
	return a.ID < b.ID
}

// maxLatest bounds Ticket.Latest, in runes.
const maxLatest = 160

// latestOf shortens a customer message for Ticket.Latest.
func latestOf(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if r := []rune(text); len(r) > maxLatest {
		return string(r[:maxLatest-1]) + "…"
	}
	return text
}

// latestIn returns the latest customer message of a transcript, shortened.
func latestIn(tr []bot.Entry) string {
	for i := len(tr) - 1; i >= 0; i-- {
		if tr[i].Direction == bot.Inbound {
			return latestOf(tr[i].Text)
		}
	}
	return ""
}
