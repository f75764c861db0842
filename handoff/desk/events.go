package desk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/calmbot/calmbot/handoff"
)

// retryMillis is how long a browser waits before it reconnects a dropped stream.
const retryMillis = 3000

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
// shows: updates were dropped. The stream ends with an event "logout" when
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
	if !d.stillValid(r.Context(), s) {
		writeError(w, http.StatusUnauthorized, "not logged in")
		return
	}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	st := &stream{w: w, rc: http.NewResponseController(w)}
	fmt.Fprintf(&st.buf, "retry: %d\n\n", retryMillis)
	if err := st.event("hello", map[string]any{"agent": s.agent.ID, "now": d.clock.Now()}); err != nil {
		return
	}
	if err := st.flush(); err != nil {
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
			st.end("session expired")
			return
		case <-loggedOut:
			st.end("logged out")
			return
		case <-beat.C:
			st.buf.WriteString(": ping\n\n")
		case u, ok := <-updates:
			if !ok { // the service ended the agent's sessions
				st.end("session ended")
				return
			}
			if err := st.event(string(u.Kind), toEvent(u)); err != nil {
				d.log.ErrorContext(ctx, "desk: event", "err", err)
				return
			}
			// Send what else is already waiting in one write.
			for more := true; more; {
				select {
				case u, ok := <-updates:
					if !ok {
						st.end("session ended")
						return
					}
					if err := st.event(string(u.Kind), toEvent(u)); err != nil {
						return
					}
				default:
					more = false
				}
			}
		}
		if err := st.flush(); err != nil {
			d.log.DebugContext(ctx, "desk: event stream ended", "agent", s.agent.ID, "err", err)
			return
		}
	}
}

// stream is one client's event stream.
type stream struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf bytes.Buffer
}

// event adds one event to the buffer.
func (st *stream) event(kind string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", kind, err)
	}
	st.buf.WriteString("event: " + kind + "\ndata: ")
	st.buf.Write(data) // JSON has no raw newlines
	st.buf.WriteString("\n\n")
	return nil
}

// end sends the event "logout" with reason, as the stream's last.
func (st *stream) end(reason string) {
	_ = st.event("logout", map[string]string{"reason": reason})
	_ = st.flush()
}

// flush writes the buffer out; a client that does not take it in time is dropped.
func (st *stream) flush() error {
	if st.buf.Len() == 0 {
		return nil
	}
	_ = st.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := st.w.Write(st.buf.Bytes()); err != nil {
		return fmt.Errorf("write events: %w", err)
	}
	st.buf.Reset()
	if err := st.rc.Flush(); err != nil {
		return fmt.Errorf("flush events: %w", err)
	}
	return nil
}
