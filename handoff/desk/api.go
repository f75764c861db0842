package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/webserve"
)

// ticketView is a ticket as the desk lists it (with the customer's mood,
// kept on the ticket): with how long the customer has waited and, while
// queued, the customer's place in the line.
type ticketView struct {
	*handoff.Ticket
	WaitedSeconds float64           `json:"waited_seconds"`
	TargetSeconds float64           `json:"target_seconds"`
	Estimate      *handoff.Estimate `json:"estimate,omitempty"`
}

// message is a transcript entry as the desk shows it.
type message struct {
	Seq       int64        `json:"seq"`
	From      string       `json:"from"` // customer, bot or agent
	Author    string       `json:"author,omitempty"`
	Agent     string       `json:"agent,omitempty"`
	Text      string       `json:"text"`
	At        time.Time    `json:"at"`
	Choices   []bot.Choice `json:"choices,omitempty"`
	Sentiment *float64     `json:"sentiment,omitempty"`
	Label     string       `json:"label,omitempty"`
	Intent    string       `json:"intent,omitempty"`
	State     string       `json:"state,omitempty"`
}

// toMessage projects a transcript entry.
func toMessage(e bot.Entry) message {
	m := message{Seq: e.Seq, Author: e.Author, Text: e.Text, At: e.At, Choices: e.Choices, State: e.State}
	switch {
	case e.Direction == bot.Inbound:
		m.From = "customer"
		if a := e.Analysis; a != nil {
			s := a.Sentiment
			m.Sentiment, m.Label, m.Intent = &s, a.Label, a.Intent
		}
	case e.Author == "":
		m.From = "bot"
	default:
		m.From = "agent"
		m.Agent, _ = handoff.AgentOf(e.Author)
	}
	return m
}

// view builds the list view of t. It reads no transcript: a list shows
// many tickets.
func (d *Desk) view(t *handoff.Ticket, now time.Time) ticketView {
	v := ticketView{Ticket: t, WaitedSeconds: t.Waited(now).Seconds(), TargetSeconds: t.Target.Seconds()}
	if t.Status == handoff.StatusQueued {
		if e, err := d.svc.Estimate(t.ID); err == nil {
			v.Estimate = &e
		}
	}
	return v
}

func (d *Desk) views(ts []*handoff.Ticket) []ticketView {
	now := d.clock.Now()
	out := make([]ticketView, 0, len(ts))
	for _, t := range ts {
		out = append(out, d.view(t, now))
	}
	return out
}

// apiLogin is POST /api/login {"name", "password"}: it sets the session
// cookie and returns the agent and the CSRF token. The body must be JSON
// (a cross-site form cannot send that without the browser asking first).
func (d *Desk) apiLogin(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "want Content-Type: application/json")
		return
	}
	var in struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	a, csrf, wait, err := d.login(w, r, in.Name, in.Password)
	switch {
	case errors.Is(err, errRateLimited):
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		writeError(w, http.StatusTooManyRequests, "too many failed logins; try again later")
	case err != nil:
		writeError(w, http.StatusUnauthorized, "wrong name or password")
	default:
		writeJSON(w, http.StatusOK, map[string]any{"agent": a, "csrf": csrf})
	}
}

// apiLogout is POST /api/logout.
func (d *Desk) apiLogout(w http.ResponseWriter, r *http.Request, s *session) {
	d.logout(w, r, s)
	w.WriteHeader(http.StatusNoContent)
}

// apiMe is GET /api/me: the agent, the CSRF token and the server's time.
func (d *Desk) apiMe(w http.ResponseWriter, _ *http.Request, s *session) {
	writeJSON(w, http.StatusOK, map[string]any{"agent": s.agent, "csrf": s.csrf, "now": d.clock.Now(), "prefix": d.prefix})
}

// apiPresence is PUT /api/me/presence {"presence": "online|away|offline"}.
func (d *Desk) apiPresence(w http.ResponseWriter, r *http.Request, s *session) {
	var in struct {
		Presence handoff.Presence `json:"presence"`
	}
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	a, err := d.svc.SetPresence(r.Context(), s.agent.ID, in.Presence)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"agent": a})
}

// apiName is PUT /api/me/name {"name"}: the name customers and colleagues
// see of the agent (spaces allowed, at most 64 characters; "" for the
// login name). 400 for a name that is too long or has control characters.
func (d *Desk) apiName(w http.ResponseWriter, r *http.Request, s *session) {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	a, err := d.svc.SetName(r.Context(), s.agent.ID, in.Name)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"agent": a})
}

// apiPassword is PUT /api/me/password {"current", "password"}: the agent
// changes their password. Every other session of theirs ends; this one
// goes on with a new cookie and the CSRF token returned. 403 for a wrong
// current password, 400 for a new one too short or too long.
func (d *Desk) apiPassword(w http.ResponseWriter, r *http.Request, s *session) {
	var in struct {
		Current  string `json:"current"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	csrf, err := d.changePassword(w, r, s, in.Current, in.Password)
	switch {
	case errors.Is(err, handoff.ErrBadCredentials):
		writeError(w, http.StatusForbidden, "the current password is wrong")
	case errors.Is(err, handoff.ErrInvalid):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("the new password needs %d to %d bytes", handoff.MinPassword, handoff.MaxPassword))
	case err != nil:
		d.fail(w, r, err)
	default:
		writeJSON(w, http.StatusOK, map[string]any{"csrf": csrf})
	}
}

// apiAgents is GET /api/agents: every agent, for invitations and transfers.
func (d *Desk) apiAgents(w http.ResponseWriter, _ *http.Request, _ *session) {
	writeJSON(w, http.StatusOK, map[string]any{"agents": d.svc.Agents()})
}

// apiQueue is GET /api/queue: the queued tickets the agent can take, best first.
func (d *Desk) apiQueue(w http.ResponseWriter, r *http.Request, s *session) {
	q, err := d.svc.Queue(s.agent.ID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"now": d.clock.Now(), "tickets": d.views(q)})
}

// apiMine is GET /api/mine: the tickets the agent holds or was invited to.
func (d *Desk) apiMine(w http.ResponseWriter, r *http.Request, s *session) {
	writeJSON(w, http.StatusOK, map[string]any{"now": d.clock.Now(), "tickets": d.views(d.svc.Mine(s.agent.ID))})
}

// apiNext is POST /api/queue/next: the best queued ticket for the agent;
// 409 "Nobody is waiting." when there is none.
func (d *Desk) apiNext(w http.ResponseWriter, r *http.Request, s *session) {
	res, err := d.svc.Act(r.Context(), s.agent.ID, handoff.Action{Kind: handoff.ActNext})
	if errors.Is(err, handoff.ErrEmptyQueue) {
		writeError(w, http.StatusConflict, "Nobody is waiting.")
		return
	}
	d.answerTicket(w, r, res.Ticket, err)
}

// ticketDetail is GET /api/tickets/{id}.
type ticketDetail struct {
	Now         time.Time         `json:"now"`
	Ticket      ticketView        `json:"ticket"`
	Summary     handoff.Summary   `json:"summary"`
	SummaryText string            `json:"summary_text"`
	Transcript  []message         `json:"transcript"`
	Stages      []handoff.Stage   `json:"stages"`
	Mine        bool              `json:"mine"`
	Estimate    *handoff.Estimate `json:"estimate,omitempty"`
}

// detail reads everything the conversation view shows of ticket id.
func (d *Desk) detail(ctx context.Context, id int64, agent string) (*ticketDetail, error) {
	b, err := d.svc.Brief(ctx, id)
	if err != nil {
		return nil, err
	}
	t := b.Ticket
	out := &ticketDetail{Now: d.clock.Now(), Summary: b.Summary, SummaryText: b.Summary.Text(), Mine: t.Involves(agent),
		Stages: b.Stages, Estimate: b.Estimate}
	out.Ticket = ticketView{Ticket: t, WaitedSeconds: t.Waited(out.Now).Seconds(), TargetSeconds: t.Target.Seconds()}
	out.Transcript = make([]message, 0, len(b.Transcript))
	for _, e := range b.Transcript {
		out.Transcript = append(out.Transcript, toMessage(e))
	}
	return out, nil
}

// apiTicket is GET /api/tickets/{id}: the ticket, its summary, transcript
// and the stages it can be released at. Every agent may read every ticket;
// only those who hold it or were invited may act on it.
func (d *Desk) apiTicket(w http.ResponseWriter, r *http.Request, s *session) {
	id, err := ticketID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	out, err := d.detail(r.Context(), id, s.agent.ID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// apiClaim is POST /api/tickets/{id}/claim.
func (d *Desk) apiClaim(w http.ResponseWriter, r *http.Request, s *session) {
	id, err := ticketID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	res, err := d.svc.Act(r.Context(), s.agent.ID, handoff.Action{Kind: handoff.ActClaim, Ticket: id})
	d.answerTicket(w, r, res.Ticket, err)
}

// textBody is the body of a reply or a note.
type textBody struct {
	Text string `json:"text"`
}

// apiReply is POST /api/tickets/{id}/reply {"text"}: to the customer.
func (d *Desk) apiReply(w http.ResponseWriter, r *http.Request, s *session) {
	id, in, err := idAndText(w, r)
	if err == nil {
		_, err = d.svc.Act(r.Context(), s.agent.ID, handoff.Action{Kind: handoff.ActReply, Ticket: id, Text: in.Text})
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"sent": true})
}

// apiNote is POST /api/tickets/{id}/notes {"text"}: an internal note.
func (d *Desk) apiNote(w http.ResponseWriter, r *http.Request, s *session) {
	id, in, err := idAndText(w, r)
	var res handoff.Result
	if err == nil {
		res, err = d.svc.Act(r.Context(), s.agent.ID, handoff.Action{Kind: handoff.ActNote, Ticket: id, Text: in.Text})
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"note": res.Note})
}

func idAndText(w http.ResponseWriter, r *http.Request) (int64, textBody, error) {
	var in textBody
	id, err := ticketID(r)
	if err != nil {
		return 0, in, err
	}
	return id, in, decode(w, r, &in)
}

// apiInvite is POST /api/tickets/{id}/invite {"agent"}.
func (d *Desk) apiInvite(w http.ResponseWriter, r *http.Request, s *session) {
	var in struct {
		Agent string `json:"agent"`
	}
	id, err := ticketID(r)
	if err == nil {
		err = decode(w, r, &in)
	}
	var res handoff.Result
	if err == nil {
		res, err = d.svc.Act(r.Context(), s.agent.ID, handoff.Action{Kind: handoff.ActInvite, Ticket: id, Colleague: in.Agent})
	}
	d.answerTicket(w, r, res.Ticket, err)
}

// apiLeave is POST /api/tickets/{id}/leave: an invited agent leaves.
func (d *Desk) apiLeave(w http.ResponseWriter, r *http.Request, s *session) {
	id, err := ticketID(r)
	if err == nil {
		_, err = d.svc.Act(r.Context(), s.agent.ID, handoff.Action{Kind: handoff.ActLeave, Ticket: id})
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiTransfer is POST /api/tickets/{id}/transfer {"agent"} or {"skill"},
// with an optional "note".
func (d *Desk) apiTransfer(w http.ResponseWriter, r *http.Request, s *session) {
	var in struct {
		Agent string `json:"agent"`
		Skill string `json:"skill"`
		Note  string `json:"note"`
	}
	id, err := ticketID(r)
	if err == nil {
		err = decode(w, r, &in)
	}
	if err == nil && in.Agent != "" && in.Skill != "" {
		err = badRequest(`give "agent" or "skill", not both`)
	}
	var res handoff.Result
	if err == nil {
		res, err = d.svc.Act(r.Context(), s.agent.ID, handoff.Action{Kind: handoff.ActTransfer, Ticket: id,
			To: handoff.Target{Agent: in.Agent, Skill: in.Skill}, Text: in.Note})
	}
	d.answerTicket(w, r, res.Ticket, err)
}

// apiRelease is POST /api/tickets/{id}/release {"flow", "state"}: back to
// the bot at a stage (GET /api/tickets/{id} lists them; both "" asks the
// customer what else the bot can do).
func (d *Desk) apiRelease(w http.ResponseWriter, r *http.Request, s *session) {
	var in struct {
		Flow  string `json:"flow"`
		State string `json:"state"`
	}
	id, err := ticketID(r)
	if err == nil {
		err = decodeOptional(w, r, &in)
	}
	if err == nil {
		_, err = d.svc.Act(r.Context(), s.agent.ID, handoff.Action{Kind: handoff.ActRelease, Ticket: id, Flow: in.Flow, Stage: in.State})
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"released": true})
}

// apiClose is POST /api/tickets/{id}/close: the conversation ends and the
// customer is asked for a rating.
func (d *Desk) apiClose(w http.ResponseWriter, r *http.Request, s *session) {
	id, err := ticketID(r)
	if err == nil {
		_, err = d.svc.Act(r.Context(), s.agent.ID, handoff.Action{Kind: handoff.ActClose, Ticket: id})
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"closed": true})
}

// answerTicket answers with a changed ticket, or the error.
func (d *Desk) answerTicket(w http.ResponseWriter, r *http.Request, t *handoff.Ticket, err error) {
	if err != nil {
		d.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ticket": d.view(t, d.clock.Now())})
}

func ticketID(r *http.Request) (int64, error) {
	v := r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, badRequest("ticket id %q: want a number", v)
	}
	return id, nil
}

// httpError is an error answer: status and a message for the client.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// statuses map the handoff errors to HTTP statuses.
var statuses = []struct {
	err    error
	status int
}{
	{handoff.ErrNotFound, http.StatusNotFound},
	{handoff.ErrForbidden, http.StatusForbidden},
	{handoff.ErrInvalid, http.StatusBadRequest},
	{handoff.ErrUnknownStage, http.StatusBadRequest},
	{bot.ErrStageNeedsChoice, http.StatusConflict},
	{bot.ErrNotWithHuman, http.StatusConflict},
	{handoff.ErrClosed, http.StatusConflict},
	{handoff.ErrTaken, http.StatusConflict},
	{handoff.ErrNoCapacity, http.StatusConflict},
	{handoff.ErrUnavailable, http.StatusConflict},
	{handoff.ErrEmptyQueue, http.StatusConflict},
	{handoff.ErrNoEngine, http.StatusServiceUnavailable},
	{handoff.ErrUnsaved, http.StatusServiceUnavailable},
}

// fail answers with err as {"error": "..."}.
func (d *Desk) fail(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeError(w, he.status, he.msg)
		return
	}
	for _, s := range statuses {
		if errors.Is(err, s.err) {
			if s.status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", strconv.Itoa(storeRetry))
			}
			writeError(w, s.status, err.Error())
			return
		}
	}
	d.log.ErrorContext(r.Context(), "desk", "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, "internal error")
}

func writeError(w http.ResponseWriter, status int, msg string) { webserve.WriteError(w, status, msg) }

func writeJSON(w http.ResponseWriter, status int, v any) { webserve.WriteJSON(w, status, v) }

// decode reads a request's JSON body into v.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeBody(w, r, v, false)
}

// decodeOptional is decode for a body that may be empty.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeBody(w, r, v, true)
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		if _, err := dec.Token(); err != io.EOF {
			return badRequest("bad JSON: more data after the object")
		}
		return nil
	case errors.Is(err, io.EOF) && optional:
		return nil
	case errors.Is(err, io.EOF):
		return badRequest("empty body; want a JSON object")
	case errors.As(err, &tooBig):
		return &httpError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("body is larger than %d bytes", tooBig.Limit)}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &httpError{status: http.StatusRequestTimeout, msg: "the body came too slowly"}
	default:
		return badRequest("bad JSON: %v", err)
	}
}
