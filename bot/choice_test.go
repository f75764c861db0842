package bot_test

import (
	"context"
	"testing"

	"github.com/calmbot/calmbot/bot"
)

// A button press (Message.Choice) chooses its option when that option is
// on offer, whatever its text reads as; the button of a question no longer
// asked is read as typed text.
func TestTapChoice(t *testing.T) {
	tests := []struct {
		name       string
		before     []string // typed turns first
		id, label  string   // then the tap
		state      string   // where the tap leaves the conversation
		chosen     string
		wantStatus bool // the handoff when the chosen option needs a person
	}{
		// The label says "pick:track" and "human", which the keyword
		// analyzer would read as another option and a handoff request: the
		// choice wins without it.
		{name: "offered", before: []string{"intent:late", "yes"}, id: "resend", label: "pick:track human", state: "agree", chosen: "resend"},
		{name: "offered needs a person", before: []string{"intent:late", "yes"}, id: "refund", label: "Refund", state: "options", chosen: "refund", wantStatus: true},
		// A stale button: the question was answered, the tap is its text.
		{name: "stale button read as text", before: []string{"intent:late", "yes", "pick:track"}, id: "resend", label: "yes", state: "close", chosen: "track"},
		// Not among the options: the label is read as typed.
		{name: "unknown id read as text", before: []string{"intent:late", "yes"}, id: "nonsense", label: "pick:track", state: "agree", chosen: "track"},
		// No question open: the label is read as typed.
		{name: "no question", id: "resend", label: "intent:late", state: "confirm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			c := h.Chat("en")
			for _, s := range tt.before {
				c.Say(s)
			}
			c.Tap(tt.id, tt.label)
			s := c.Snapshot()
			if tt.wantStatus {
				if s.Status != bot.StatusHuman || s.Handoff == nil || s.Handoff.Reason != bot.ReasonOptionNeedsHuman {
					t.Fatalf("status %q handoff %+v, want human for option_needs_human", s.Status, s.Handoff)
				}
			} else if s.Status != bot.StatusBot {
				t.Fatalf("status %q, want bot (handoff %+v)", s.Status, s.Handoff)
			}
			if !tt.wantStatus && s.State != tt.state {
				t.Errorf("state %q, want %q", s.State, tt.state)
			}
			if s.Chosen != tt.chosen {
				t.Errorf("chosen %q, want %q", s.Chosen, tt.chosen)
			}
			tr, err := h.Engine.Transcript(context.Background(), c.Addr)
			if err != nil {
				t.Fatal(err)
			}
			var last bot.Entry
			for _, e := range tr {
				if e.Direction == bot.Inbound {
					last = e
				}
			}
			if last.Text != tt.label || last.Choice != tt.id {
				t.Errorf("stored tap: text %q choice %q, want %q %q", last.Text, last.Choice, tt.label, tt.id)
			}
		})
	}
}
