package console

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/calmbot/calmbot/bot"
)

// Send implements bot.Sender: it writes a reply, with its options numbered.
func (a *Adapter) Send(_ context.Context, r bot.Reply) error {
	a.mu.Lock()
	a.waiting = false
	a.replies++
	a.mu.Unlock()
	if a.jsonl {
		ev := map[string]any{"type": "reply", "text": r.Text, "lang": r.Lang, "flow": r.Flow, "state": r.State}
		if len(r.Choices) > 0 {
			ev["choices"] = r.Choices
		}
		return a.event(ev)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "bot> %s\n", indent(r.Text))
	// A flow author may have listed the options in the text with {choices}.
	if len(r.Choices) > 0 && !strings.Contains(r.Text, r.Choices[0].Label) {
		for i, c := range r.Choices {
			fmt.Fprintf(&b, "     %d. %s\n", i+1, c.Label)
		}
	}
	return a.write(b.String())
}

// Escalate implements bot.Escalator: the console shows the handoff (a
// server would queue it for an agent).
func (a *Adapter) Escalate(_ context.Context, h bot.HandoffRecord) error {
	a.mu.Lock()
	a.waiting = true
	a.mu.Unlock()
	if a.jsonl {
		return a.event(map[string]any{"type": "handoff", "reason": h.Reason, "skill": h.Skill, "priority": h.Priority, "lang": h.Lang, "flow": h.Flow, "state": h.State, "evidence": h.Evidence})
	}
	skill := h.Skill
	if skill == "" {
		skill = "any"
	}
	return a.write(fmt.Sprintf("  [handed to a person: reason %s, skill %s, priority %s; waiting for a person]\n", h.Reason, skill, h.Priority))
}

// stillWaiting tells a customer who writes while the conversation waits
// for a person, and no reply came, that the message was kept. replies is
// the count of replies written before the message was handled.
func (a *Adapter) stillWaiting(replies int) error {
	a.mu.Lock()
	quiet := a.waiting && a.replies == replies
	a.mu.Unlock()
	if !quiet {
		return nil
	}
	if a.jsonl {
		return a.event(map[string]any{"type": "waiting"})
	}
	return a.write("  [waiting for a person; your message is in the transcript they will read]\n")
}

// announce writes the conversation's id first in JSON lines mode, so a
// script can continue it later with --conversation.
func (a *Adapter) announce() error {
	if !a.jsonl {
		return nil
	}
	return a.event(map[string]any{"type": "conversation", "channel": a.addr.Channel, "conversation": a.addr.Conversation})
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n     ") }

func (a *Adapter) event(v map[string]any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	return a.write(string(b) + "\n")
}

func (a *Adapter) write(s string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := io.WriteString(a.out, s); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}
