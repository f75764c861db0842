package desk

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/calmbot/calmbot/handoff"
)

// CannedStore keeps the canned replies (the server's database).
type CannedStore interface {
	CannedReplies(ctx context.Context) ([]handoff.Canned, error)
	SaveCanned(ctx context.Context, c handoff.Canned) error
	DeleteCanned(ctx context.Context, id int64) error
}

// WithCanned keeps canned replies in s; without it the desk has none.
func WithCanned(s CannedStore) Option { return func(d *Desk) { d.canned = s } }

// errNoCanned answers a save without a store.
var errNoCanned = &httpError{status: http.StatusNotImplemented, msg: "this desk keeps no canned replies"}

// apiCanned is GET /api/canned: the canned replies of the agent's teams
// (and those of no team), every language version, by team, title and
// language; and the teams the agent can save for.
func (d *Desk) apiCanned(w http.ResponseWriter, r *http.Request, s *session) {
	a, err := d.svc.Agent(s.agent.ID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	out := []handoff.Canned{}
	if d.canned != nil {
		all, err := d.canned.CannedReplies(r.Context())
		if err != nil {
			d.fail(w, r, err)
			return
		}
		for _, c := range all {
			if a.InTeam(c.Team) {
				out = append(out, c)
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"replies": out, "teams": d.teams(a)})
}

// teams are the teams agent a may save canned replies for: "" (everyone)
// and their skills; every skill an agent has for a holder of all.
func (d *Desk) teams(a handoff.Agent) []string {
	out := []string{""}
	add := func(skills []string) {
		for _, sk := range skills {
			if sk != handoff.AnySkill && !slices.Contains(out, sk) {
				out = append(out, sk)
			}
		}
	}
	add(a.Skills)
	if slices.Contains(a.Skills, handoff.AnySkill) {
		for _, o := range d.svc.Agents() {
			add(o.Skills)
		}
	}
	slices.Sort(out[1:])
	return out
}

// apiSaveCanned is POST /api/canned {"team", "title", "lang", "text"}: a
// canned reply, or a new text for the one with that team, title and
// language. 403 for a team the agent is not in.
func (d *Desk) apiSaveCanned(w http.ResponseWriter, r *http.Request, s *session) {
	if d.canned == nil {
		d.fail(w, r, errNoCanned)
		return
	}
	var in handoff.Canned
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	c, err := in.Clean()
	if err != nil {
		d.fail(w, r, err)
		return
	}
	a, err := d.svc.Agent(s.agent.ID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if !a.InTeam(c.Team) {
		d.fail(w, r, &httpError{status: http.StatusForbidden, msg: "you are not in team " + c.Team})
		return
	}
	c.ID, c.Author, c.Updated = 0, a.ID, d.clock.Now()
	if err := d.canned.SaveCanned(r.Context(), c); err != nil {
		d.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"reply": c})
}

// apiDeleteCanned is DELETE /api/canned/{id}: 404 for an unknown one, 403
// for one of a team the agent is not in.
func (d *Desk) apiDeleteCanned(w http.ResponseWriter, r *http.Request, s *session) {
	if d.canned == nil {
		d.fail(w, r, errNoCanned)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		d.fail(w, r, badRequest("canned reply id %q", r.PathValue("id")))
		return
	}
	all, err := d.canned.CannedReplies(r.Context())
	if err != nil {
		d.fail(w, r, err)
		return
	}
	i := slices.IndexFunc(all, func(c handoff.Canned) bool { return c.ID == id })
	if i < 0 {
		d.fail(w, r, handoff.ErrNotFound)
		return
	}
	if a, err := d.svc.Agent(s.agent.ID); err != nil || !a.InTeam(all[i].Team) {
		d.fail(w, r, &httpError{status: http.StatusForbidden, msg: "not your team's reply"})
		return
	}
	if err := d.canned.DeleteCanned(r.Context(), id); err != nil && !errors.Is(err, handoff.ErrNotFound) {
		d.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
