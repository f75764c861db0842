package desk

import (
	"context"
	"net/http"
	"slices"

	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/assist"
)

// Assistant is the agent assist: hints on a draft reply and the suggested
// next steps (*handoff.Service has it). The desk asks the server for both,
// so the rules have one definition; when its Service is no Assistant, the
// endpoints answer 404 and the page shows nothing.
type Assistant interface {
	Hints(ctx context.Context, id int64, draft string) ([]assist.Hint, error)
	NextSteps(ctx context.Context, id int64, agentLang string) ([]assist.Step, error)
	Review(ctx context.Context, id int64) (handoff.Review, error)
}

// HintCounter counts what agents did with the hints (the server's metrics).
type HintCounter interface {
	CountHint(rule assist.Rule, outcome assist.Outcome)
}

// WithHintCounter reports the hints' outcomes the desk pages send to c.
func WithHintCounter(c HintCounter) Option { return func(d *Desk) { d.hints = c } }

// assistRoutes adds the assist's API to m, under the desk's API prefix.
func (d *Desk) assistRoutes(m *http.ServeMux) {
	a := d.prefix + "/api"
	m.HandleFunc("POST "+a+"/tickets/{id}/hints", d.api(d.apiHints))
	m.HandleFunc("POST "+a+"/tickets/{id}/hints/outcome", d.api(d.apiHintOutcome))
	m.HandleFunc("GET "+a+"/tickets/{id}/steps", d.api(d.apiSteps))
	m.HandleFunc("GET "+a+"/tickets/{id}/review", d.api(d.apiReview))
}

// apiReview is GET /api/tickets/{id}/review: the review of the people's
// part of the conversation (handoff.Service.Review).
func (d *Desk) apiReview(w http.ResponseWriter, r *http.Request, _ *session) {
	a, err := d.assistant()
	var rv handoff.Review
	if err == nil {
		var id int64
		if id, err = ticketID(r); err == nil {
			rv, err = a.Review(r.Context(), id)
		}
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"review": rv})
}

func (d *Desk) assistant() (Assistant, error) {
	if a, ok := d.svc.(Assistant); ok {
		return a, nil
	}
	return nil, &httpError{status: http.StatusNotFound, msg: "no agent assist"}
}

// apiHints is POST /api/tickets/{id}/hints {"text"}: the hints on a draft.
// The page calls it as the agent types (debounced); it never blocks sending.
func (d *Desk) apiHints(w http.ResponseWriter, r *http.Request, _ *session) {
	a, err := d.assistant()
	var hints []assist.Hint
	if err == nil {
		var id int64
		var in textBody
		if id, in, err = idAndText(w, r); err == nil {
			hints, err = a.Hints(r.Context(), id, in.Text)
		}
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if hints == nil {
		hints = []assist.Hint{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"hints": hints})
}

// apiSteps is GET /api/tickets/{id}/steps?lang=xx: the next steps, in the
// customer's language and in lang (the agent's).
func (d *Desk) apiSteps(w http.ResponseWriter, r *http.Request, _ *session) {
	a, err := d.assistant()
	var steps []assist.Step
	if err == nil {
		var id int64
		if id, err = ticketID(r); err == nil {
			steps, err = a.NextSteps(r.Context(), id, r.URL.Query().Get("lang"))
		}
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if steps == nil {
		steps = []assist.Step{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"steps": steps})
}

// outcomeBody is what the page says an agent did with a hint.
type outcomeBody struct {
	Rule    assist.Rule    `json:"rule"`
	Outcome assist.Outcome `json:"outcome"`
}

// apiHintOutcome is POST /api/tickets/{id}/hints/outcome {"rule",
// "outcome"}: a hint was shown, acted on (the wording changed), dismissed,
// or ignored (sent as it was).
func (d *Desk) apiHintOutcome(w http.ResponseWriter, r *http.Request, _ *session) {
	var in outcomeBody
	if _, err := ticketID(r); err != nil {
		d.fail(w, r, err)
		return
	}
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	if !slices.Contains(assist.Rules, in.Rule) || !slices.Contains(assist.Outcomes, in.Outcome) {
		d.fail(w, r, badRequest("rule %q, outcome %q: unknown", in.Rule, in.Outcome))
		return
	}
	if d.hints != nil {
		d.hints.CountHint(in.Rule, in.Outcome)
	}
	w.WriteHeader(http.StatusNoContent)
}
