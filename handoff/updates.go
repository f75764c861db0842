package handoff

import (
	"sync"
	"time"

	"github.com/calmbot/calmbot/bot"
)

// UpdateKind says what an Update is about.
type UpdateKind string

// Update kinds.
const (
	// UpdateQueue: a ticket entered or left the queue, or moved in it (Ticket).
	UpdateQueue UpdateKind = "queue"
	// UpdateTicket: a ticket changed: claimed, invited, transferred, the
	// customer informed, closed (Ticket).
	UpdateTicket UpdateKind = "ticket"
	// UpdateMessage: a message in a ticket's conversation, from the
	// customer, an agent or the bot (TicketID, Entry).
	UpdateMessage UpdateKind = "message"
	// UpdateNote: an internal note (TicketID, Note).
	UpdateNote UpdateKind = "note"
	// UpdateAgent: an agent was added, changed presence or was removed
	// (Agent; a removed agent shows as offline and leaves Agents).
	UpdateAgent UpdateKind = "agent"
	// UpdateResync: updates were dropped because the subscriber fell
	// behind; reload the queue and the open tickets.
	UpdateResync UpdateKind = "resync"
)

// Update is a change a desk shows live. The values are copies.
type Update struct {
	Kind     UpdateKind `json:"kind"`
	TicketID int64      `json:"ticket_id,omitempty"`
	Ticket   *Ticket    `json:"ticket,omitempty"`
	Entry    *bot.Entry `json:"entry,omitempty"`
	Note     *Note      `json:"note,omitempty"`
	Agent    *Agent     `json:"agent,omitempty"`
	At       time.Time  `json:"at"`
}

// bus hands updates to subscriptions: bounded, never blocking.
type bus struct {
	buffer int

	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

// subscriber is one Subscribe call.
type subscriber struct {
	agent string
	ch    chan Update
}

// Subscribe returns the updates agent should see: changes to the tickets
// they hold or were invited to, to the queued tickets they can take, and
// every agent change; agent "" sees everything (see SubscribeAll). The
// channel has a bounded buffer: when the subscriber falls behind, the
// pending updates are dropped for a single UpdateResync, so publishing
// never blocks. cancel ends the subscription and closes the channel.
func (b *bus) Subscribe(agent string) (<-chan Update, func()) {
	sub := &subscriber{agent: agent, ch: make(chan Update, b.buffer)}
	b.mu.Lock()
	b.subs[sub] = struct{}{}
	b.mu.Unlock()
	cancel := func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.subs[sub]; ok {
			delete(b.subs, sub)
			close(sub.ch)
		}
	}
	return sub.ch, cancel
}

// SubscribeAll is the subscription of an agent surface that shows every
// ticket (a platform's agent group or channel, where each ticket gets its
// own message or thread): every update, whoever it concerns, with
// Subscribe's bounded, never-blocking delivery.
func (b *bus) SubscribeAll() (<-chan Update, func()) { return b.Subscribe("") }

// idle reports whether nobody subscribes.
func (b *bus) idle() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs) == 0
}

// deliver sends u to the surface subscriptions and to the agents in who
// (nil: to everyone).
func (b *bus) deliver(u Update, who map[string]bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for sub := range b.subs {
		if sub.agent != "" && who != nil && !who[sub.agent] {
			continue
		}
		sub.send(u)
	}
}

// closeAgent ends agent's subscriptions: their channels close. Their
// sessions ended.
func (b *bus) closeAgent(agent string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for sub := range b.subs {
		if sub.agent == agent {
			delete(b.subs, sub)
			close(sub.ch)
		}
	}
}

// send queues u, or, when the buffer is full, empties it and queues a
// resync instead. bus.mu is held, so sends to one subscriber never race.
func (sub *subscriber) send(u Update) {
	select {
	case sub.ch <- u:
		return
	default:
	}
drain:
	for {
		select {
		case <-sub.ch:
		default:
			break drain
		}
	}
	select {
	case sub.ch <- Update{Kind: UpdateResync, At: u.At}:
	default:
	}
}
