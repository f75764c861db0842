package desk_test

import (
	"net/http"
	"testing"

	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/desk"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

// TestCannedReplies checks canned replies per team: agents see their
// teams' and everyone's, in every language version; they save only for
// their teams; a save replaces the same title and language; bad ones are
// refused; deleting needs the team too.
func TestCannedReplies(t *testing.T) {
	r := newRig(t, desk.WithCanned(handofftest.NewStore()))
	r.agent("ada", 1, "billing")
	r.agent("bob", 1, "delivery")
	ada, bob := r.login("ada"), r.login("bob")
	save := func(c *client, team, title, lang, text string, want int) {
		t.Helper()
		c.call("POST", "/desk/api/canned", map[string]string{"team": team, "title": title, "lang": lang, "text": text}, want, nil)
	}
	save(ada, "billing", "Refund", "en", "Your refund is on its way.", http.StatusCreated)
	save(ada, "billing", "Refund", "it", "Il rimborso è in arrivo.", http.StatusCreated)
	save(ada, "billing", "Refund", "EN", "Your refund is on its way: 3-5 working days.", http.StatusCreated) // replaces
	save(bob, "", "Hello", "", "Hello! I am here to help.", http.StatusCreated)
	save(bob, "billing", "Sneaky", "en", "Not my team.", http.StatusForbidden)
	save(bob, "", "", "en", "No title.", http.StatusBadRequest)
	save(bob, "", "Bad language", "e n", "Text.", http.StatusBadRequest)

	type listed struct {
		Replies []handoff.Canned `json:"replies"`
		Teams   []string         `json:"teams"`
	}
	var a, b listed
	ada.call("GET", "/desk/api/canned", nil, http.StatusOK, &a)
	bob.call("GET", "/desk/api/canned", nil, http.StatusOK, &b)
	var got []string
	for _, c := range a.Replies {
		got = append(got, c.Team+"/"+c.Title+"/"+c.Lang+": "+c.Text)
	}
	want := []string{"/Hello/: Hello! I am here to help.", "billing/Refund/en: Your refund is on its way: 3-5 working days.", "billing/Refund/it: Il rimborso è in arrivo."}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("ada sees %q, want %q", got, want)
	}
	if len(a.Teams) != 2 || a.Teams[0] != "" || a.Teams[1] != "billing" {
		t.Errorf("ada's teams %q", a.Teams)
	}
	if len(b.Replies) != 1 || b.Replies[0].Title != "Hello" {
		t.Errorf("bob sees %+v, want only everyone's", b.Replies)
	}
	refund := a.Replies[1].ID
	bob.call("DELETE", "/desk/api/canned/"+itoa(refund), nil, http.StatusForbidden, nil)
	ada.call("DELETE", "/desk/api/canned/"+itoa(refund), nil, http.StatusNoContent, nil)
	ada.call("DELETE", "/desk/api/canned/"+itoa(refund), nil, http.StatusNotFound, nil)

	// Without a store there are none, and none can be saved.
	plain := newRig(t)
	plain.agent("cy", 1)
	cy := plain.login("cy")
	var none listed
	cy.call("GET", "/desk/api/canned", nil, http.StatusOK, &none)
	if len(none.Replies) != 0 {
		t.Errorf("no store: %+v", none.Replies)
	}
	cy.call("POST", "/desk/api/canned", map[string]string{"title": "x", "text": "y"}, http.StatusNotImplemented, nil)
}
