package desk

import (
	"net/http"
	"time"

	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/webserve"
)

// retry is how long a browser waits before it reconnects a dropped stream.
const retry = 3 * time.Second

// writeTimeout is how long one write to an event stream may take.
const writeTimeout = 30 * time.Second

// event is an update as the event stream sends it: handoff.Update with
// transcript entries shown as the desk shows them.
type event struct {
	Kind     handoff.UpdateKind `json:"kind"`
	TicketID int64              `json:"ticket_id,omitempty"`
	Ticket   *handoff.Ticket    `json:"ticket,omitempty"`
	Message  *message           `json:"message,omitempty"`
	Note     *handoff.Note      `json:"note,omitempty"`
	Agent    *handoff.Agent     `json:"agent,omitempty"`
	At       time.Time          `json:"at"`
}

func toEvent(u handoff.Update) event {
	ev := event{Kind: u.Kind, TicketID: u.TicketID, Ticket: u.Ticket, Note: u.Note, Agent: u.Agent, At: u.At}
	if u.Entry != nil {
		m := toMessage(*u.Entry)
		ev.Message = &m
	}
	return ev
}

// apiEvents is GET /api/events: the agent's live updates as server-sent
// events, one per handoff.Update, named by its kind (queue, ticket,
// message, note, agent, resync). After "resync" the client reloads what it
// shows: updates were dropped. An agent with no stream open becomes away,
// then offline (WithPresenceTimeouts). The stream ends with an event "logout" when
// the session expires, logs out, or ends because the agent's password
// changed or the agent was removed; it ends without one when the desk
// closes.
func (d *Desk) apiEvents(w http.ResponseWriter, r *http.Request, s *session) {
	select {
	case <-d.done:
		writeError(w, http.StatusServiceUnavailable, "the desk is shutting down; reconnect shortly")
		return
	default:
	}
	updates, cancel := d.svc.Subscribe(s.agent.ID)
	defer cancel()
	loggedOut, untrack := d.track(s.nonce)
	defer untrack()
	// A logout or password change between the session check and the
	// subscription would have missed this stream.
	if err := d.stillValid(r.Context(), s); err != nil {
		refuse(w, err)
		return
	}

	// The agent is there while a desk of theirs is open.
	defer d.opened(r.Context(), s.agent.ID)()

	st := webserve.NewStream(w, retry, writeTimeout)
	if err := st.Event("", "hello", map[string]any{"agent": s.agent.ID, "now": d.clock.Now()}); err != nil {
		return
	}
	if err := st.Flush(); err != nil {
		return
	}

	beat := time.NewTicker(d.heartbeat)
	defer beat.Stop()
	expired := make(chan struct{})
	tm := d.clock.AfterFunc(s.exp.Sub(d.clock.Now()), func() { close(expired) })
	defer tm.Stop()
	ctx := r.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.done:
			return
		case <-expired:
			endStream(st, "session expired")
			return
		case <-loggedOut:
			endStream(st, "logged out")
			return
		case <-beat.C:
			st.Ping()
		case u, ok := <-updates:
			if !ok { // the service ended the agent's sessions
				endStream(st, "session ended")
				return
			}
			if err := st.Event("", string(u.Kind), toEvent(u)); err != nil {
				d.log.ErrorContext(ctx, "desk: event", "err", err)
				return
			}
			// Send what else is already waiting in one write.
			for more := true; more; {
				select {
				case u, ok := <-updates:
					if !ok {
						endStream(st, "session ended")
						return
					}
					if err := st.Event("", string(u.Kind), toEvent(u)); err != nil {
						return
					}
				default:
					more = false
				}
			}
		}
		if err := st.Flush(); err != nil {
			d.log.DebugContext(ctx, "desk: event stream ended", "agent", s.agent.ID, "err", err)
			return
		}
	}
}

// endStream sends the event "logout" with reason, as the stream's last.
func endStream(st *webserve.Stream, reason string) {
	_ = st.Event("", "logout", map[string]string{"reason": reason})
	_ = st.Flush()
}
