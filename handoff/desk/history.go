package desk

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
)

// History bounds: a search reads the latest historyScan closed tickets
// (and their transcripts when the words are not in the ticket itself) and
// answers at most historyMax of them.
const (
	historyScan = 500
	historyMax  = 100
	maxQuery    = 200
)

// historyPage is GET /history: closed and released conversations, searchable.
func (d *Desk) historyPage(w http.ResponseWriter, r *http.Request, s *session) {
	d.render(w, r, http.StatusOK, pageData{Page: "history", Title: "History", Agent: &s.agent, CSRF: s.csrf})
}

// apiHistory is GET /api/history?q=WORDS: the closed tickets, latest
// first, whose ticket id ("#12" or "12"), channel, reason, outcome, skill,
// language, agents (holder, invited, transferred from), dates (2006-01-02
// of the handoff and of the end) or customer messages contain every word
// (case folded). Without q it lists the latest.
func (d *Desk) apiHistory(w http.ResponseWriter, r *http.Request, _ *session) {
	q := r.URL.Query().Get("q")
	if len(q) > maxQuery {
		d.fail(w, r, badRequest("the search is longer than %d bytes", maxQuery))
		return
	}
	words := strings.Fields(strings.ToLower(q))
	ts, err := d.svc.RecentTickets(r.Context(), historyScan)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	found := make([]*handoff.Ticket, 0, min(len(ts), historyMax))
	for _, t := range ts {
		if len(found) == historyMax {
			break
		}
		if d.matches(r.Context(), t, words) {
			found = append(found, t)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"now": d.clock.Now(), "query": q, "scanned": len(ts),
		"tickets": d.views(found)})
}

// matches reports whether every word is in ticket t or, for the words that
// are not, in its customer's messages.
func (d *Desk) matches(ctx context.Context, t *handoff.Ticket, words []string) bool {
	if len(words) == 0 {
		return true
	}
	fields := ticketWords(t)
	var rest []string
	for _, w := range words {
		if !strings.Contains(fields, w) {
			rest = append(rest, w)
		}
	}
	if len(rest) == 0 {
		return true
	}
	tr, err := d.svc.Transcript(ctx, t.ID)
	if err != nil {
		d.log.WarnContext(ctx, "desk: history: transcript", "ticket", t.ID, "err", err)
		return false
	}
	var said strings.Builder
	for _, e := range tr {
		if e.Direction == bot.Inbound {
			said.WriteString(strings.ToLower(e.Text))
			said.WriteByte('\n')
		}
	}
	text := said.String()
	for _, w := range rest {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

// ticketWords is what a history search finds a ticket by, lower-cased.
func ticketWords(t *handoff.Ticket) string {
	id := strconv.FormatInt(t.ID, 10)
	parts := []string{"#" + id, id, t.Address.Channel, string(t.Reason), t.Outcome, t.Skill, t.Lang, t.Owner, t.Latest}
	parts = append(parts, t.Invited...)
	for _, tr := range t.Transfers {
		parts = append(parts, tr.From)
	}
	for _, at := range []time.Time{t.Created, t.Closed} {
		if !at.IsZero() {
			parts = append(parts, at.Format(time.DateOnly))
		}
	}
	return strings.ToLower(strings.Join(parts, "\n"))
}
