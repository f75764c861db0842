package bot

import "context"

// Escalator takes conversations the bot hands to humans. The engine has
// already stored the handoff and marked the conversation as waiting for a
// human when it calls Escalate.
type Escalator interface {
	Escalate(ctx context.Context, h HandoffRecord) error
}
