package bot

import "context"

// Bus carries updates between instances that share a store (a reply an
// agent wrote on one instance for a customer connected to another, a
// ticket claimed elsewhere). Delivery is at most once and may drop
// messages for a slow subscriber: a subscriber catches up by reading the
// store, the bus only tells it when to look. Package bus has the
// in-process implementation; PostgreSQL's LISTEN/NOTIFY is the shared one.
// The engine publishes on it with WithLeases (LeaseTopic).
type Bus interface {
	// Publish sends payload to the topic's current subscribers.
	Publish(ctx context.Context, topic string, payload []byte) error
	// Subscribe returns the topic's messages from now on, until cancel is
	// called or ctx ends; then the channel is closed.
	Subscribe(ctx context.Context, topic string) (msgs <-chan []byte, cancel func(), err error)
}
