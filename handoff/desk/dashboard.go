package desk

import (
	"cmp"
	"context"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/calmbot/calmbot/handoff"
)

// dashboard is GET /api/dashboard: figures for the dashboard's charts.
type dashboard struct {
	Now time.Time `json:"now"`
	// Queue is the queue now.
	Queue queueFigures `json:"queue"`
	// Agents counts agents by presence.
	Agents map[handoff.Presence]int `json:"agents"`
	// Reasons counts the handoffs of the open and recent tickets by reason.
	Reasons map[string]int `json:"reasons"`
	// Tickets are the open and recent tickets, oldest first, with their
	// wait and first response against the target.
	Tickets []ticketFigures `json:"tickets"`
	// Wait and FirstResponse sum up the tickets' waits (until an agent took
	// them) and first responses.
	Wait          timeFigures `json:"wait"`
	FirstResponse timeFigures `json:"first_response"`
	// Containment is the share of conversations the bot finished alone;
	// only with a Stats provider (WithStats).
	Containment *containment `json:"containment,omitempty"`
	// NotHelped are the answers customers said did not help, most often
	// first (at most maxNotHelped): where the knowledge base needs work.
	// Only with a Stats provider that counts answers (AnswerStats).
	NotHelped []answerFigures `json:"not_helped"`
}

// maxNotHelped bounds the answers the dashboard lists.
const maxNotHelped = 10

type answerFigures struct {
	AnswerCount
	// Rate is NotHelped / (Helped + NotHelped).
	Rate float64 `json:"rate"`
}

type queueFigures struct {
	Length     int            `json:"length"`
	ByPriority map[string]int `json:"by_priority"`
	// OldestSeconds is how long the longest waiting customer has waited.
	OldestSeconds float64 `json:"oldest_seconds"`
}

type ticketFigures struct {
	ID       int64     `json:"id"`
	Priority string    `json:"priority"`
	Reason   string    `json:"reason"`
	Status   string    `json:"status"`
	Outcome  string    `json:"outcome,omitempty"`
	Created  time.Time `json:"created"`
	// WaitSeconds is from the handoff until an agent took the ticket (or
	// now, while queued); FirstResponseSeconds until the first agent
	// message (absent before it).
	WaitSeconds          float64  `json:"wait_seconds"`
	FirstResponseSeconds *float64 `json:"first_response_seconds,omitempty"`
	TargetSeconds        float64  `json:"target_seconds"`
}

type timeFigures struct {
	Count int `json:"count"`
	// WithinTarget counts those at most the ticket's first-response target.
	WithinTarget int     `json:"within_target"`
	P50          float64 `json:"p50_seconds"`
	P90          float64 `json:"p90_seconds"`
	Max          float64 `json:"max_seconds"`
}

type containment struct {
	Counts
	// Rate is Contained / (Contained + HandedOff), or 0 before any ended.
	Rate float64 `json:"rate"`
}

// apiDashboard answers the dashboard's figures.
func (d *Desk) apiDashboard(w http.ResponseWriter, r *http.Request, _ *session) {
	out, err := d.dashboard(r.Context())
	if err != nil {
		d.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (d *Desk) dashboard(ctx context.Context) (*dashboard, error) {
	now := d.clock.Now()
	out := &dashboard{
		Now:     now,
		Queue:   queueFigures{ByPriority: map[string]int{}},
		Agents:  map[handoff.Presence]int{},
		Reasons: map[string]int{},
	}
	for _, a := range d.svc.Agents() {
		out.Agents[a.Presence]++
	}
	open := d.svc.Tickets()
	recent, err := d.svc.RecentTickets(ctx, DefaultRecent)
	if err != nil {
		return nil, err
	}
	all := append(slices.Clone(open), recent...)
	slices.SortFunc(all, func(a, b *handoff.Ticket) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	var waits, firsts []float64
	for _, t := range all {
		out.Reasons[string(t.Reason)]++
		f := ticketFigures{ID: t.ID, Priority: t.Priority, Reason: string(t.Reason), Status: string(t.Status), Outcome: t.Outcome, Created: t.Created, TargetSeconds: t.Target.Seconds()}
		switch {
		case t.Status == handoff.StatusQueued:
			f.WaitSeconds = max(now.Sub(t.Created), 0).Seconds()
			out.Queue.Length++
			out.Queue.ByPriority[t.Priority]++
			out.Queue.OldestSeconds = max(out.Queue.OldestSeconds, f.WaitSeconds)
		case !t.Claimed.IsZero():
			f.WaitSeconds = max(t.Claimed.Sub(t.Created), 0).Seconds()
		default: // closed without an agent taking it
			f.WaitSeconds = max(t.Closed.Sub(t.Created), 0).Seconds()
		}
		waits = append(waits, f.WaitSeconds)
		out.Wait.Count++
		if t.Target <= 0 || f.WaitSeconds <= t.Target.Seconds() {
			out.Wait.WithinTarget++
		}
		if rt, ok := t.ResponseTime(); ok {
			s := rt.Seconds()
			f.FirstResponseSeconds = &s
			firsts = append(firsts, s)
			out.FirstResponse.Count++
			if t.Target <= 0 || rt <= t.Target {
				out.FirstResponse.WithinTarget++
			}
		}
		out.Tickets = append(out.Tickets, f)
	}
	out.Wait.P50, out.Wait.P90, out.Wait.Max = quantiles(waits)
	out.FirstResponse.P50, out.FirstResponse.P90, out.FirstResponse.Max = quantiles(firsts)
	if d.stats != nil {
		c, err := d.stats.Counts(ctx)
		if err != nil {
			d.log.WarnContext(ctx, "desk: dashboard stats", "err", err)
		} else {
			out.Containment = &containment{Counts: c}
			if n := c.Contained + c.HandedOff; n > 0 {
				out.Containment.Rate = float64(c.Contained) / float64(n)
			}
		}
	}
	if as, ok := d.stats.(AnswerStats); ok {
		counts, err := as.Answers(ctx)
		if err != nil {
			d.log.WarnContext(ctx, "desk: dashboard answers", "err", err)
		}
		out.NotHelped = notHelped(counts)
	}
	return out, nil
}

// quantiles returns the median, the 90th percentile (nearest rank) and the
// maximum of xs.
func quantiles(xs []float64) (p50, p90, top float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	s := slices.Sorted(slices.Values(xs))
	rank := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(s)))) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return rank(0.5), rank(0.9), s[len(s)-1]
}

// notHelped returns the answers that did not help at least once, most
// often first (then by the share of replies that said so, then by name).
func notHelped(counts []AnswerCount) []answerFigures {
	out := []answerFigures{}
	for _, c := range counts {
		if c.NotHelped == 0 {
			continue
		}
		out = append(out, answerFigures{AnswerCount: c, Rate: float64(c.NotHelped) / float64(c.Helped+c.NotHelped)})
	}
	slices.SortFunc(out, func(a, b answerFigures) int {
		return cmp.Or(cmp.Compare(b.NotHelped, a.NotHelped), cmp.Compare(b.Rate, a.Rate), cmp.Compare(a.Answer, b.Answer))
	})
	if len(out) > maxNotHelped {
		out = out[:maxNotHelped]
	}
	return out
}
