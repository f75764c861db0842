package handoff

import (
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

// subscriber is one Subscribe call.
type subscriber struct {
	agent string
	ch    chan Update
}

// Subscribe returns the updates agent should see: changes to the tickets
// they hold or were invited to, to the queued tickets they can take, and
// every agent change; agent "" sees everything. The channel has a bounded
// buffer: when the subscriber falls behind, the pending updates are
// dropped for a single UpdateResync, so publishing never blocks. cancel
// ends the subscription and closes the channel.
func (s *Service) Subscribe(agent string) (<-chan Update, func()) {
	sub := &subscriber{agent: agent, ch: make(chan Update, s.buffer)}
	s.subMu.Lock()
	s.subs[sub] = struct{}{}
	s.subMu.Unlock()
	cancel := func() {
		s.subMu.Lock()
		defer s.subMu.Unlock()
		if _, ok := s.subs[sub]; ok {
			delete(s.subs, sub)
			close(sub.ch)
		}
	}
	return sub.ch, cancel
}

// closeSubs ends agent's subscriptions: their channels close. Their
// sessions ended.
func (s *Service) closeSubs(agent string) {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for sub := range s.subs {
		if sub.agent == agent {
			delete(s.subs, sub)
			close(sub.ch)
		}
	}
}

// publish sends u to the subscribers concerned by ticket t (nil for an
// update that concerns everyone): those who hold it or were invited, the
// also list, and, while it is queued or for a queue change, the agents
// who can take it. It never blocks.
func (s *Service) publish(u Update, t *Ticket, also ...string) {
	if u.At.IsZero() {
		u.At = s.clock.Now()
	}
	if u.Ticket != nil && u.TicketID == 0 {
		u.TicketID = u.Ticket.ID
	}
	s.subMu.Lock()
	if len(s.subs) == 0 {
		s.subMu.Unlock()
		return
	}
	s.subMu.Unlock()
	var who map[string]bool
	if t != nil {
		who = map[string]bool{}
		for _, a := range also {
			who[a] = true
		}
		who[t.Owner] = true
		for _, a := range t.Invited {
			who[a] = true
		}
		if t.Status == StatusQueued || u.Kind == UpdateQueue {
			s.mu.RLock()
			for id, acc := range s.agents {
				if s.canTake(&acc.Agent, t) {
					who[id] = true
				}
			}
			s.mu.RUnlock()
		}
		delete(who, "")
	}
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for sub := range s.subs {
		if sub.agent != "" && who != nil && !who[sub.agent] {
			continue
		}
		sub.send(u)
	}
}

// send queues u, or, when the buffer is full, empties it and queues a
// resync instead. subMu is held, so sends to one subscriber never race.
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
