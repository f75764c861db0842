package flows

import (
	"slices"
	"strings"
)

// Waits reports whether the state waits for the customer's reply: confirm,
// choices, agree and close states always do, message states when they have
// an `on` map.
func (s *State) Waits() bool {
	switch s.Kind {
	case KindConfirm, KindChoices, KindAgree, KindClose:
		return true
	case KindMessage:
		return len(s.On) > 0
	}
	return false
}

// Choice returns the choice with id, or nil.
func (s *State) Choice(id string) *Choice {
	for _, c := range s.Choices {
		if c != nil && c.ID == id {
			return c
		}
	}
	return nil
}

// Target returns the state or reserved target the event leads to, with the
// defaults of the format: chose:<id> falls back to chose; at a close,
// anything_else:yes leads to $restart and anything_else:no to $end; in a
// waiting state, still_upset and unclear lead back to the same state. ok is
// false when the state does not react to the event.
func (s *State) Target(event string) (target string, ok bool) {
	if t, ok := s.On[event]; ok {
		return t, true
	}
	if id, found := strings.CutPrefix(event, EventChose+":"); found && s.Choice(id) != nil {
		if t, ok := s.On[EventChose]; ok {
			return t, true
		}
	}
	if s.Kind == KindClose {
		switch event {
		case EventAnythingElseYes:
			return TargetRestart, true
		case EventAnythingElseNo:
			return TargetEnd, true
		}
	}
	if s.Waits() && (event == EventStillUpset || event == EventUnclear) {
		return s.Name, true
	}
	return "", false
}

// kindEvents are the events each kind may map in `on`, besides still_upset
// and unclear (every waiting state) and chose:<id> (choices states).
var kindEvents = map[Kind][]string{
	KindConfirm: {EventConfirmed, EventDenied},
	KindChoices: {EventChose, EventDenied},
	KindAgree:   {EventConfirmed, EventDenied},
	KindClose:   {EventAnythingElseYes, EventAnythingElseNo},
	KindMessage: {EventConfirmed, EventDenied, EventAnythingElseYes, EventAnythingElseNo},
}

// isReserved reports whether target is $end, $restart or $handoff.
func isReserved(target string) bool {
	return target == TargetEnd || target == TargetRestart || target == TargetHandoff
}

// edges returns the targets a state can move to, in a fixed order: next,
// then the `on` map in source order.
func (s *State) edges() []edge {
	var out []edge
	if s.Next != "" {
		out = append(out, edge{event: "", to: s.Next})
	}
	for _, ev := range s.Events() {
		out = append(out, edge{event: ev, to: s.On[ev]})
	}
	return out
}

// edge is a transition of a flow's graph; event is "" for next.
type edge struct {
	event string
	to    string
}

// reachable returns the states reachable from the flow's start.
func (fl *Flow) reachable() map[string]bool {
	seen := map[string]bool{}
	if _, ok := fl.States[fl.Start]; !ok {
		return seen
	}
	queue := []string{fl.Start}
	seen[fl.Start] = true
	for len(queue) > 0 {
		s := fl.States[queue[0]]
		queue = queue[1:]
		for _, e := range s.edges() {
			if _, ok := fl.States[e.to]; ok && !seen[e.to] {
				seen[e.to] = true
				queue = append(queue, e.to)
			}
		}
	}
	return seen
}

// isKind reports whether k is one of Kinds.
func isKind(k Kind) bool { return slices.Contains(Kinds, k) }
