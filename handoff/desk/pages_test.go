package desk_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/handoff/desk"
)

const payload = `<script>alert("pwned")</script>`

// TestEscaping: what a customer or an agent writes is never markup, in the
// pages or in the API.
func TestEscaping(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 1)
	chat, tk := r.handoff(payload + " I want to talk to a human")
	c := r.login("ada")
	id := itoa(tk.ID)
	c.call("POST", "/desk/api/tickets/"+id+"/claim", nil, http.StatusOK, nil)
	c.call("POST", "/desk/api/tickets/"+id+"/notes", map[string]string{"text": "note " + payload}, http.StatusCreated, nil)
	chat.Say("again " + payload)

	t.Run("page", func(t *testing.T) {
		res, b := c.do("GET", "/desk/tickets/"+id, nil, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		page := string(b)
		if strings.Contains(page, "<script>alert") {
			t.Errorf("the page holds the payload unescaped:\n%s", page)
		}
		if !strings.Contains(page, "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;") {
			t.Errorf("the page does not show the customer's words escaped:\n%s", page)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("Content-Security-Policy %q", csp)
		}
	})
	for _, path := range []string{"/desk/api/tickets/" + id, "/desk/api/mine"} {
		t.Run("api "+path, func(t *testing.T) {
			b := c.call("GET", path, nil, http.StatusOK, nil)
			if strings.Contains(string(b), "<script>") {
				t.Errorf("the JSON holds raw markup: %s", b)
			}
		})
	}
	var d detailAnswer
	c.call("GET", "/desk/api/tickets/"+id, nil, http.StatusOK, &d)
	if !strings.HasPrefix(d.Summary.FirstMessage, payload) {
		t.Errorf("first message %q: want the customer's words unchanged", d.Summary.FirstMessage)
	}
	if len(d.Ticket.Notes) != 1 || d.Ticket.Notes[0].Text != "note "+payload {
		t.Errorf("notes %+v: want the note unchanged", d.Ticket.Notes)
	}
	if last := d.Transcript[len(d.Transcript)-1]; last.Text != "again "+payload {
		t.Errorf("last message %q: want it unchanged", last.Text)
	}
}

var externalURL = regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)

// TestAssets: the pages load nothing from elsewhere, and the script never
// parses strings as HTML.
func TestAssets(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 1)
	_, tk := r.handoff("I want to talk to a human")
	c := r.login("ada")
	if res, b := r.client().do("GET", "/desk/login", nil, nil); res.StatusCode != http.StatusOK || externalURL.Match(b) {
		t.Errorf("login page: status %d, or an external URL in it", res.StatusCode)
	}
	for _, path := range []string{"/desk/", "/desk/tickets/" + itoa(tk.ID), "/desk/dashboard", "/desk/assets/desk.js", "/desk/assets/desk.css"} {
		t.Run(path, func(t *testing.T) {
			res, b := c.do("GET", path, nil, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			body := string(b)
			for _, m := range externalURL.FindAllString(body, -1) {
				if m != "http://www.w3.org" { // the SVG namespace name, never fetched
					t.Errorf("external URL %q", m)
				}
			}
			if strings.HasSuffix(path, ".js") {
				for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
					if strings.Contains(body, bad) {
						t.Errorf("the script uses %s", bad)
					}
				}
			}
		})
	}
	if res, _ := c.do("GET", "/desk/tickets/999", nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown ticket page: %d, want 404", res.StatusCode)
	}
	res, b := c.do("GET", "/desk/", nil, nil)
	if !strings.Contains(string(b), `<meta name="csrf-token" content="`+c.csrf+`">`) {
		t.Errorf("the page does not carry the session's CSRF token for the script (status %d)", res.StatusCode)
	}
}

// stats is a Stats source for the dashboard test.
type stats struct{ c desk.Counts }

func (s stats) Counts(context.Context) (desk.Counts, error) { return s.c, nil }

// answerStats is a Stats source that counts answers too.
type answerStats struct {
	stats
	a []desk.AnswerCount
}

func (s answerStats) Answers(context.Context) ([]desk.AnswerCount, error) { return s.a, nil }

func TestDashboardAnswersNotHelped(t *testing.T) {
	var counts []desk.AnswerCount
	for i := range 12 {
		counts = append(counts, desk.AnswerCount{Answer: "a" + itoa(int64(i)), Answered: 20, Helped: int64(20 - i), NotHelped: int64(i)})
	}
	counts = append(counts,
		desk.AnswerCount{Answer: "rare", Answered: 11, Helped: 0, NotHelped: 11}, // as often as a11, more often in share
		desk.AnswerCount{Answer: "never", Answered: 0, Helped: 0, NotHelped: 0})  // never given: not listed
	r := newRig(t, desk.WithStats(answerStats{stats{}, counts}))
	r.agent("ada", 1)
	var d struct {
		NotHelped []struct {
			Answer    string  `json:"answer"`
			Answered  int64   `json:"answered"`
			NotHelped int64   `json:"not_helped"`
			Rate      float64 `json:"rate"`
		} `json:"not_helped"`
	}
	r.login("ada").call("GET", "/desk/api/dashboard", nil, http.StatusOK, &d)
	var names []string
	for _, a := range d.NotHelped {
		names = append(names, a.Answer)
	}
	if want := "rare a11 a10 a9 a8 a7 a6 a5 a4 a3"; strings.Join(names, " ") != want {
		t.Errorf("not helped %q, want %q", names, want)
	}
	if a := d.NotHelped[1]; a.Answered != 20 || a.NotHelped != 11 || a.Rate != 11.0/20 {
		t.Errorf("a11: %+v", a)
	}

	// A Stats source without answer counts: null, not an empty list.
	plain := newRig(t, desk.WithStats(stats{}))
	plain.agent("ada", 1)
	var raw map[string]json.RawMessage
	plain.login("ada").call("GET", "/desk/api/dashboard", nil, http.StatusOK, &raw)
	if string(raw["not_helped"]) != "null" {
		t.Errorf("not_helped without answer counts: %s", raw["not_helped"])
	}
}

func TestDashboard(t *testing.T) {
	r := newRig(t, desk.WithStats(stats{desk.Counts{Conversations: 10, Contained: 6, HandedOff: 2}}))
	r.agent("ada", 2)
	_, first := r.handoff("I want to talk to a human")
	r.handoff("I want to talk to a human")
	c := r.login("ada")
	defer c.events().cancel() // her desk is open: she stays online
	id := "/desk/api/tickets/" + itoa(first.ID)
	c.call("POST", id+"/claim", nil, http.StatusOK, nil)
	r.h.Clock.Advance(90e9) // 90 s: over the 60 s target
	c.call("POST", id+"/reply", map[string]string{"text": "hello"}, http.StatusOK, nil)
	c.call("POST", id+"/close", nil, http.StatusOK, nil)

	var d struct {
		Queue struct {
			Length        int            `json:"length"`
			ByPriority    map[string]int `json:"by_priority"`
			OldestSeconds float64        `json:"oldest_seconds"`
		} `json:"queue"`
		Agents  map[string]int `json:"agents"`
		Reasons map[string]int `json:"reasons"`
		Tickets []struct {
			ID                   int64    `json:"id"`
			WaitSeconds          float64  `json:"wait_seconds"`
			FirstResponseSeconds *float64 `json:"first_response_seconds"`
			TargetSeconds        float64  `json:"target_seconds"`
		} `json:"tickets"`
		FirstResponse struct {
			Count        int     `json:"count"`
			WithinTarget int     `json:"within_target"`
			P50          float64 `json:"p50_seconds"`
		} `json:"first_response"`
		Containment *struct {
			Contained int64   `json:"contained"`
			Rate      float64 `json:"rate"`
		} `json:"containment"`
	}
	b := c.call("GET", "/desk/api/dashboard", nil, http.StatusOK, &d)
	if d.Queue.Length != 1 || d.Queue.ByPriority["normal"] != 1 || d.Queue.OldestSeconds != 90 {
		t.Errorf("queue: %+v", d.Queue)
	}
	if d.Reasons["customer_request"] != 2 {
		t.Errorf("reasons: %v", d.Reasons)
	}
	if d.Agents["online"] != 1 {
		t.Errorf("agents: %v", d.Agents)
	}
	if len(d.Tickets) != 2 || d.Tickets[0].ID != first.ID || d.Tickets[0].FirstResponseSeconds == nil ||
		*d.Tickets[0].FirstResponseSeconds != 90 || d.Tickets[0].TargetSeconds != 60 || d.Tickets[0].WaitSeconds != 0 {
		t.Errorf("tickets: %s", b)
	}
	if d.FirstResponse.Count != 1 || d.FirstResponse.WithinTarget != 0 || d.FirstResponse.P50 != 90 {
		t.Errorf("first response: %+v", d.FirstResponse)
	}
	if d.Containment == nil || d.Containment.Contained != 6 || d.Containment.Rate != 0.75 {
		t.Errorf("containment: %+v", d.Containment)
	}

	// Without a Stats source there is no containment.
	plain := newRig(t)
	plain.agent("ada", 1)
	var raw map[string]json.RawMessage
	plain.login("ada").call("GET", "/desk/api/dashboard", nil, http.StatusOK, &raw)
	if _, ok := raw["containment"]; ok {
		t.Errorf("containment without a Stats source: %s", raw["containment"])
	}
}
