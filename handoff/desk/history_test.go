package desk_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestHistory checks the search over closed conversations: by what the
// customer wrote, ticket number, channel, reason, outcome, agent and date;
// every word must match; open tickets are not listed, closed ones open.
func TestHistory(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 2)
	r.agent("bob", 2)
	_, parcel := r.handoff("My parcel still hasn't arrived, this is ridiculous!", "yes", "I want to talk to a human")
	_, charge := r.handoff("I was charged twice for one order", "I want to talk to a human")
	_, open := r.handoff("I want to talk to a human")
	ada, bob := r.login("ada"), r.login("bob")
	ada.call("POST", "/desk/api/tickets/"+itoa(parcel.ID)+"/claim", nil, http.StatusOK, nil)
	ada.call("POST", "/desk/api/tickets/"+itoa(parcel.ID)+"/close", nil, http.StatusOK, nil)
	bob.call("POST", "/desk/api/tickets/"+itoa(charge.ID)+"/claim", nil, http.StatusOK, nil)
	bob.call("POST", "/desk/api/tickets/"+itoa(charge.ID)+"/release", map[string]string{"state": ""}, http.StatusOK, nil)

	type listed struct {
		Tickets []struct {
			ID      int64  `json:"id"`
			Latest  string `json:"latest"`
			Outcome string `json:"outcome"`
		} `json:"tickets"`
		Scanned int `json:"scanned"`
	}
	search := func(q string) []int64 {
		t.Helper()
		var out listed
		ada.call("GET", "/desk/api/history?q="+url.QueryEscape(q), nil, http.StatusOK, &out)
		ids := []int64{}
		for _, tk := range out.Tickets {
			if tk.ID == open.ID {
				t.Errorf("search %q lists the open ticket", q)
			}
			ids = append(ids, tk.ID)
		}
		return ids
	}
	date := parcel.Created.Format("2006-01-02")
	tests := []struct {
		q    string
		want []int64 // latest closed first
	}{
		{"", []int64{charge.ID, parcel.ID}},
		{"RIDICULOUS", []int64{parcel.ID}},    // the customer's words, not the latest
		{"charged twice", []int64{charge.ID}}, // ... in any order of the words
		{"#" + itoa(parcel.ID), []int64{parcel.ID}},
		{"bob", []int64{charge.ID}},                                      // the agent
		{"released", []int64{charge.ID}},                                 // how it ended
		{"customer_request test " + date, []int64{charge.ID, parcel.ID}}, // reason, channel, date
		{"ada charged", []int64{}},                                       // every word must match
		{"zebra", []int64{}},
	}
	for _, tt := range tests {
		got := search(tt.q)
		if len(got) != len(tt.want) {
			t.Errorf("search %q: %v, want %v", tt.q, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("search %q: %v, want %v", tt.q, got, tt.want)
				break
			}
		}
	}
	var out listed
	ada.call("GET", "/desk/api/history", nil, http.StatusOK, &out)
	if len(out.Tickets) != 2 || out.Tickets[1].Latest != "I want to talk to a human" || out.Tickets[1].Outcome != "closed" {
		t.Errorf("history: %+v", out)
	}
	// A closed ticket stays reachable.
	ada.call("GET", "/desk/api/tickets/"+itoa(parcel.ID), nil, http.StatusOK, nil)
	if res, _ := ada.do("GET", "/desk/tickets/"+itoa(parcel.ID), nil, nil); res.StatusCode != http.StatusOK {
		t.Errorf("closed ticket page: status %d", res.StatusCode)
	}
	res, _ := ada.do("GET", "/desk/api/history?q="+url.QueryEscape(string(make([]byte, 201))), nil, nil)
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("an over-long search: status %d, want 400", res.StatusCode)
	}
}

// TestNextEmptyQueue checks that "Take next" on an empty queue says that
// nobody is waiting.
func TestNextEmptyQueue(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 1)
	c := r.login("ada")
	var out struct {
		Error string `json:"error"`
	}
	c.call("POST", "/desk/api/queue/next", nil, http.StatusConflict, &out)
	if out.Error != "Nobody is waiting." {
		t.Errorf("next on an empty queue: %q", out.Error)
	}
}

// TestDisplayName checks that an agent sets the name others see through
// the API and the account form, and that a bad one is refused.
func TestDisplayName(t *testing.T) {
	r := newRig(t)
	r.agent("admin", 1)
	c := r.login("admin")
	var out struct {
		Agent struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"agent"`
	}
	c.call("PUT", "/desk/api/me/name", map[string]string{"name": " Ada  Lovelace "}, http.StatusOK, &out)
	if out.Agent.ID != "admin" || out.Agent.Name != "Ada Lovelace" {
		t.Errorf("after PUT /me/name: %+v", out.Agent)
	}
	c.call("PUT", "/desk/api/me/name", map[string]string{"name": "Ada\u0000"}, http.StatusBadRequest, nil)
	form := url.Values{"csrf": {c.csrf}, "display": {"Grace Hopper"}}
	res, err := c.hc.PostForm(c.base+"/desk/account/name", form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "Customers now see you as Grace Hopper.") {
		t.Errorf("account form: status %d", res.StatusCode)
	}
	if a, _ := r.svc.Agent("admin"); a.Name != "Grace Hopper" {
		t.Errorf("stored name %q", a.Name)
	}
}
