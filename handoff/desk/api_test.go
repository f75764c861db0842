package desk_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
)

// ticketAnswer is an answer carrying a ticket.
type ticketAnswer struct {
	Ticket struct {
		handoff.Ticket
		WaitedSeconds float64 `json:"waited_seconds"`
		TargetSeconds float64 `json:"target_seconds"`
		Mood          *struct {
			Sentiment float64 `json:"sentiment"`
			Label     string  `json:"label"`
		} `json:"mood"`
	} `json:"ticket"`
}

type listAnswer struct {
	Tickets []json.RawMessage `json:"tickets"`
}

type detailAnswer struct {
	Ticket      handoff.Ticket  `json:"ticket"`
	Summary     handoff.Summary `json:"summary"`
	SummaryText string          `json:"summary_text"`
	Transcript  []struct {
		Seq    int64  `json:"seq"`
		From   string `json:"from"`
		Agent  string `json:"agent"`
		Text   string `json:"text"`
		Intent string `json:"intent"`
	} `json:"transcript"`
	Stages []handoff.Stage `json:"stages"`
	Mine   bool            `json:"mine"`
}

func hasReply(rs []bot.Reply, author, sub string) bool {
	for _, r := range rs {
		if r.Author == author && strings.Contains(r.Text, sub) {
			return true
		}
	}
	return false
}

// TestActions takes a conversation through every action of the API.
func TestActions(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 2, "delivery")
	r.agent("bob", 2, "delivery", "billing")
	chat, tk := r.handoff("My parcel still hasn't arrived, this is ridiculous!", "yes", "I want to talk to a human")
	ada, bob := r.login("ada"), r.login("bob")
	id := "/desk/api/tickets/" + itoa(tk.ID)

	// The queue shows the ticket with the customer's mood.
	var queue struct {
		Tickets []struct {
			ID       int64  `json:"id"`
			Priority string `json:"priority"`
			Reason   string `json:"reason"`
			Mood     *struct {
				Sentiment float64 `json:"sentiment"`
				First     float64 `json:"first"`
				Turns     int     `json:"turns"`
			} `json:"mood"`
			Estimate *handoff.Estimate `json:"estimate"`
		} `json:"tickets"`
	}
	ada.call("GET", "/desk/api/queue", nil, http.StatusOK, &queue)
	if len(queue.Tickets) != 1 || queue.Tickets[0].ID != tk.ID {
		t.Fatalf("queue: %+v, want ticket %d", queue.Tickets, tk.ID)
	}
	if got := queue.Tickets[0]; got.Mood == nil || got.Mood.First >= 0 || got.Mood.Turns != 3 || got.Estimate == nil || got.Estimate.Position != 1 {
		t.Errorf("queued ticket: mood %+v, estimate %+v; want 3 turns read, the first negative, and position 1", got.Mood, got.Estimate)
	}

	// Claim; a second claim by bob conflicts.
	var claimed ticketAnswer
	ada.call("POST", id+"/claim", nil, http.StatusOK, &claimed)
	if claimed.Ticket.Status != handoff.StatusAssigned || claimed.Ticket.Owner != "ada" {
		t.Fatalf("claimed: %s by %q", claimed.Ticket.Status, claimed.Ticket.Owner)
	}
	bob.call("POST", id+"/claim", nil, http.StatusConflict, nil)
	bob.call("POST", id+"/reply", map[string]string{"text": "not mine"}, http.StatusForbidden, nil)

	// The conversation view: summary, transcript, stages.
	var d detailAnswer
	ada.call("GET", id, nil, http.StatusOK, &d)
	if !d.Mine || d.Summary.Reason != tk.Reason || !strings.Contains(d.SummaryText, "Handoff:") || len(d.Summary.Moods) == 0 {
		t.Errorf("detail: mine %v, summary %+v", d.Mine, d.Summary)
	}
	if len(d.Transcript) < 4 || d.Transcript[0].From != "customer" || d.Transcript[1].From != "bot" {
		t.Errorf("transcript: %+v", d.Transcript)
	}
	if len(d.Stages) < 2 || d.Stages[0].State != "" {
		t.Errorf("stages: %+v", d.Stages)
	}

	// Reply: the customer gets it on their channel.
	chat.Replies()
	ada.call("POST", id+"/reply", map[string]string{"text": "Hi, Ada here. Let me check your parcel."}, http.StatusOK, nil)
	if got := chat.Replies(); !hasReply(got, "agent:ada", "Ada here") {
		t.Errorf("customer got %+v, want Ada's reply", got)
	}
	ada.call("POST", id+"/reply", map[string]string{"text": "   "}, http.StatusBadRequest, nil)

	// Note: kept on the ticket, never sent to the customer.
	var note struct {
		Note handoff.Note `json:"note"`
	}
	ada.call("POST", id+"/notes", map[string]string{"text": "Carrier says it is in the depot."}, http.StatusCreated, &note)
	if note.Note.Author != "ada" {
		t.Errorf("note: %+v", note.Note)
	}
	if got := chat.Replies(); len(got) != 0 {
		t.Errorf("the customer saw %+v after a note", got)
	}

	// Invite bob: both reply.
	var invited ticketAnswer
	ada.call("POST", id+"/invite", map[string]string{"agent": "bob"}, http.StatusOK, &invited)
	if len(invited.Ticket.Invited) != 1 || invited.Ticket.Invited[0] != "bob" {
		t.Errorf("invited: %v", invited.Ticket.Invited)
	}
	ada.call("POST", id+"/invite", map[string]string{"agent": "nobody"}, http.StatusNotFound, nil)
	bob.call("POST", id+"/reply", map[string]string{"text": "Bob from billing here too."}, http.StatusOK, nil)
	if got := chat.Replies(); !hasReply(got, "agent:bob", "Bob from billing") {
		t.Errorf("customer got %+v, want Bob's reply", got)
	}
	bob.call("POST", id+"/leave", nil, http.StatusNoContent, nil)
	bob.call("POST", id+"/notes", map[string]string{"text": "gone"}, http.StatusForbidden, nil)

	// Transfer to a skill: back in the queue; bob takes it with Next.
	var moved ticketAnswer
	ada.call("POST", id+"/transfer", map[string]string{"skill": "billing", "note": "refund question"}, http.StatusOK, &moved)
	if moved.Ticket.Status != handoff.StatusQueued || moved.Ticket.Skill != "billing" {
		t.Errorf("after transfer to billing: %s, skill %q", moved.Ticket.Status, moved.Ticket.Skill)
	}
	ada.call("POST", id+"/transfer", map[string]string{"agent": "bob", "skill": "x"}, http.StatusBadRequest, nil)
	var next ticketAnswer
	bob.call("POST", "/desk/api/queue/next", nil, http.StatusOK, &next)
	if next.Ticket.ID != tk.ID || next.Ticket.Owner != "bob" || len(next.Ticket.Notes) != 1 {
		t.Errorf("next for bob: #%d owner %q with %d notes", next.Ticket.ID, next.Ticket.Owner, len(next.Ticket.Notes))
	}
	bob.call("POST", "/desk/api/queue/next", nil, http.StatusConflict, nil)

	// Transfer to an agent.
	bob.call("POST", id+"/transfer", map[string]string{"agent": "ada"}, http.StatusOK, &moved)
	if moved.Ticket.Owner != "ada" {
		t.Errorf("after transfer to ada: owner %q", moved.Ticket.Owner)
	}
	var mine listAnswer
	ada.call("GET", "/desk/api/mine", nil, http.StatusOK, &mine)
	if len(mine.Tickets) != 1 {
		t.Errorf("ada's conversations: %d, want 1", len(mine.Tickets))
	}

	// Release at a stage: the bot speaks again and the ticket closes.
	ada.call("POST", id+"/release", map[string]string{"flow": "", "state": "nowhere"}, http.StatusBadRequest, nil)
	// No option was chosen: the agreement is not offered, and refused with a reason.
	for _, st := range d.Stages {
		if st.State == "agree" || strings.ContainsAny(st.Say, "{}") {
			t.Errorf("stage offered: %+v", st)
		}
	}
	if b := ada.call("POST", id+"/release", map[string]string{"state": "agree"}, http.StatusConflict, nil); !strings.Contains(string(b), "has not chosen") {
		t.Errorf("release to agree with no option chosen: %s", b)
	}
	ada.call("POST", id+"/release", map[string]string{"state": "close"}, http.StatusOK, nil)
	if got := chat.Replies(); !hasReply(got, "", "anything else I can help you with") {
		t.Errorf("after release the customer got %+v", got)
	}
	if st := chat.Snapshot(); st.Status != bot.StatusBot || st.State != "close" {
		t.Errorf("conversation after release: %s at %s", st.Status, st.State)
	}
	ada.call("GET", id, nil, http.StatusOK, &d)
	if d.Ticket.Status != handoff.StatusClosed || d.Ticket.Outcome != handoff.OutcomeReleased {
		t.Errorf("ticket after release: %s %s", d.Ticket.Status, d.Ticket.Outcome)
	}
	ada.call("POST", id+"/reply", map[string]string{"text": "too late"}, http.StatusConflict, nil)

	// Close another conversation: the customer is asked for a rating.
	chat2, tk2 := r.handoff("I want to talk to a human")
	id2 := "/desk/api/tickets/" + itoa(tk2.ID)
	ada.call("POST", id2+"/claim", nil, http.StatusOK, nil)
	chat2.Replies()
	ada.call("POST", id2+"/close", nil, http.StatusOK, nil)
	if got := chat2.Replies(); !hasReply(got, "", "how would you rate") {
		t.Errorf("after close the customer got %+v", got)
	}

	// Presence and agents.
	var pres struct {
		Agent handoff.Agent `json:"agent"`
	}
	ada.call("PUT", "/desk/api/me/presence", map[string]string{"presence": "away"}, http.StatusOK, &pres)
	if pres.Agent.Presence != handoff.PresenceAway {
		t.Errorf("presence: %s", pres.Agent.Presence)
	}
	ada.call("PUT", "/desk/api/me/presence", map[string]string{"presence": "asleep"}, http.StatusBadRequest, nil)
	var agents struct {
		Agents []handoff.Agent `json:"agents"`
	}
	ada.call("GET", "/desk/api/agents", nil, http.StatusOK, &agents)
	if len(agents.Agents) != 2 {
		t.Errorf("agents: %+v", agents.Agents)
	}
}

func TestAPIErrors(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 1)
	c := r.login("ada")
	tests := []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", "/desk/api/tickets/abc", nil, http.StatusBadRequest},
		{"GET", "/desk/api/tickets/999", nil, http.StatusNotFound},
		{"POST", "/desk/api/tickets/999/claim", nil, http.StatusNotFound},
		{"POST", "/desk/api/queue/next", nil, http.StatusConflict},
		{"POST", "/desk/api/tickets/1/reply", "not an object", http.StatusBadRequest},
		{"POST", "/desk/api/tickets/1/notes", nil, http.StatusBadRequest},
		{"GET", "/desk/api/nothing", nil, http.StatusNotFound},
		{"DELETE", "/desk/api/queue", nil, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			res, b := c.do(tt.method, tt.path, tt.body, nil)
			if res.StatusCode != tt.want {
				t.Errorf("status %d %s, want %d", res.StatusCode, b, tt.want)
			}
		})
	}
}

func TestEventsLive(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 1)
	chat, tk := r.handoff("I want to talk to a human")
	ada := r.login("ada")
	stream := ada.events()
	stream.next(t, "hello", func(ev sseEvent) bool { return ev.kind == "hello" })

	ada.call("POST", "/desk/api/tickets/"+itoa(tk.ID)+"/claim", nil, http.StatusOK, nil)
	stream.next(t, "claim update", func(ev sseEvent) bool {
		return (ev.kind == "queue" || ev.kind == "ticket") && strings.Contains(ev.data, `"owner":"ada"`)
	})

	chat.Say("Are you still there? My order number is 12345.")
	ev := stream.next(t, "the customer's message", func(ev sseEvent) bool { return ev.kind == "message" })
	var got struct {
		Kind     string `json:"kind"`
		TicketID int64  `json:"ticket_id"`
		Message  struct {
			From string `json:"from"`
			Text string `json:"text"`
		} `json:"message"`
	}
	if err := json.Unmarshal([]byte(ev.data), &got); err != nil {
		t.Fatalf("decode %s: %v", ev.data, err)
	}
	if got.TicketID != tk.ID || got.Message.From != "customer" || got.Message.Text != "Are you still there? My order number is 12345." {
		t.Errorf("message event: %+v", got)
	}

	ada.call("POST", "/desk/api/tickets/"+itoa(tk.ID)+"/notes", map[string]string{"text": "order 12345"}, http.StatusCreated, nil)
	stream.next(t, "note event", func(ev sseEvent) bool { return ev.kind == "note" && strings.Contains(ev.data, "order 12345") })

	// Closing the desk ends the stream.
	r.desk.Close()
	deadline := stream.events
	for range deadline {
	}
}

// TestQueueReadsNoTranscript checks that listing tickets shows the
// customer's mood without reading any conversation's transcript.
func TestQueueReadsNoTranscript(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 2, "delivery")
	r.handoff("My parcel still hasn't arrived, this is ridiculous!", "yes", "I want to talk to a human")
	r.handoff("My parcel is late and I am furious about it", "I want to talk to a human")
	ada := r.login("ada")
	type listed struct {
		Tickets []struct {
			ID   int64 `json:"id"`
			Mood *struct {
				Sentiment float64 `json:"sentiment"`
				First     float64 `json:"first"`
				Turns     int     `json:"turns"`
			} `json:"mood"`
		} `json:"tickets"`
	}
	before := r.h.Store.Transcripts()
	var queue listed
	ada.call("GET", "/desk/api/queue", nil, http.StatusOK, &queue)
	if n := r.h.Store.Transcripts() - before; n != 0 {
		t.Errorf("listing the queue read %d transcripts, want none", n)
	}
	if len(queue.Tickets) != 2 {
		t.Fatalf("queue: %+v, want 2 tickets", queue.Tickets)
	}
	for _, tk := range queue.Tickets {
		if tk.Mood == nil || tk.Mood.Turns < 2 || tk.Mood.First >= 0 {
			t.Errorf("ticket %d: mood %+v, want the turns read, the first negative", tk.ID, tk.Mood)
		}
	}
}
