package bot

import "context"

// EventKind names what happened in a conversation.
type EventKind string

// Event kinds, in the order they happen within one turn.
const (
	EventStarted  EventKind = "started"  // a conversation began (or began again after it ended)
	EventMessage  EventKind = "message"  // a customer message was stored: Entry
	EventReply    EventKind = "reply"    // a bot or agent message was stored: Entry
	EventHandoff  EventKind = "handoff"  // the conversation went to a person: Handoff
	EventReleased EventKind = "released" // a person gave the conversation back to the bot
	EventEnded    EventKind = "ended"    // the conversation ended
	EventRated    EventKind = "rated"    // the customer rated the help: Rating
	EventAnswer   EventKind = "answer"   // a knowledge-base answer was given, helped or did not: Answer
	// EventStalled: the answer to stored customer messages failed to commit
	// Failures times in a row (Err is the last error); the engine keeps
	// trying, backing off. Nothing was committed: an operator should look.
	EventStalled EventKind = "stalled"
	// EventDeliveryPaused: a reply was not delivered after Failures
	// attempts (Err is the last error); the conversation's later replies
	// wait behind it in the outbox until the periodic resend tries again.
	// It is told from the delivery goroutine, not the conversation's worker.
	EventDeliveryPaused EventKind = "delivery_paused"
)

// Event is something that happened in a conversation, after it was
// committed (EventStalled: after a commit failed). Snapshot is the
// conversation's state after the turn; listeners must not change anything
// they are given.
type Event struct {
	Kind     EventKind
	Address  Address
	Entry    *Entry
	Handoff  *HandoffRecord
	Rating   *Rating
	Answer   *AnswerOutcome
	Snapshot *Snapshot
	// Err and Failures describe an EventStalled or EventDeliveryPaused.
	Err      error
	Failures int
}

// Listener hears a conversation's events (the handoff queue relays customer
// messages to agents; metrics count). Notify is called on the conversation's
// worker, in order, after the turn is committed: it must be quick and not
// block (hand slow work to a goroutine of its own).
type Listener interface {
	Notify(ctx context.Context, ev Event)
}

// emit tells every listener of ev.
func (e *Engine) emit(ctx context.Context, ev Event) {
	for _, l := range e.listeners {
		l.Notify(ctx, ev)
	}
}

// WithListener adds a listener of conversation events.
func WithListener(l Listener) Option { return func(e *Engine) { e.listeners = append(e.listeners, l) } }

// notify tells the listeners what a committed turn did: before is the
// conversation's snapshot before the turn, inbound the customer messages
// the turn answered (a quiet window's burst is stored before it is
// answered, and reported when it is).
func (e *Engine) notify(ctx context.Context, before *Snapshot, t *Turn, inbound []Entry, snap *Snapshot, answers []AnswerOutcome) {
	if len(e.listeners) == 0 {
		return
	}
	emit := func(ev Event) {
		ev.Address, ev.Snapshot = t.Address, snap
		for _, l := range e.listeners {
			e.notifyOne(ctx, l, ev)
		}
	}
	fresh := before.Processed == 0 || before.Status == StatusEnded || before.Status == StatusRating && snap.Status == StatusBot
	if len(inbound) > 0 && fresh {
		emit(Event{Kind: EventStarted})
	}
	for i := range inbound {
		emit(Event{Kind: EventMessage, Entry: &inbound[i]})
	}
	for i := range t.Outbound {
		emit(Event{Kind: EventReply, Entry: &t.Outbound[i]})
	}
	for i := range answers {
		emit(Event{Kind: EventAnswer, Answer: &answers[i]})
	}
	if t.Handoff != nil {
		emit(Event{Kind: EventHandoff, Handoff: t.Handoff})
	}
	if before.Status == StatusHuman && snap.Status == StatusBot {
		emit(Event{Kind: EventReleased})
	}
	// The score arrives at the first rating step; a comment only adds to it.
	if t.Rating != nil && before.RatingStep == 1 {
		emit(Event{Kind: EventRated, Rating: t.Rating})
	}
	// A conversation ends at its farewell or when the rating is asked,
	// not again when the rating is answered.
	over := func(st Status) bool { return st == StatusEnded || st == StatusRating }
	if over(snap.Status) && !over(before.Status) {
		emit(Event{Kind: EventEnded})
	}
}

// notifyOne tells one listener; a listener that panics misses the event,
// the others and the turn's replies do not.
func (e *Engine) notifyOne(ctx context.Context, l Listener, ev Event) {
	defer func() {
		if r := recover(); r != nil {
			_ = e.panicked("listener", r, "addr", ev.Address.String(), "event", string(ev.Kind))
		}
	}()
	l.Notify(ctx, ev)
}

// AnswerOutcome is what one of the knowledge base's answers did in a turn.
type AnswerOutcome struct {
	// Answer is the answer's name (without the answer: prefix).
	Answer string
	// Outcome is AnswerGiven, AnswerHelped or AnswerNotHelped.
	Outcome string
}

// The outcomes of an answer.
const (
	AnswerGiven     = "answered"   // the answer was given
	AnswerHelped    = "helped"     // the customer said it helped
	AnswerNotHelped = "not_helped" // the customer said it did not
)
