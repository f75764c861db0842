package handoff_test

import "testing"

func TestRecentTickets(t *testing.T) {
	r := newRig(t, defaultFlows(t))
	r.agent("ada", "online", 2)
	_, first := r.handoff("I want to talk to a human")
	_, second := r.handoff("I want to talk to a human")
	for _, id := range []int64{first.ID, second.ID} {
		if _, err := r.svc.Claim(r.ctx, "ada", id); err != nil {
			t.Fatalf("claim %d: %v", id, err)
		}
		if err := r.svc.Close(r.ctx, "ada", id); err != nil {
			t.Fatalf("close %d: %v", id, err)
		}
		r.clock.Advance(1)
	}
	got, err := r.svc.RecentTickets(r.ctx, 10)
	if err != nil {
		t.Fatalf("recent: %v", err)
	}
	if len(got) != 2 || got[0].ID != second.ID || got[1].ID != first.ID {
		var ids []int64
		for _, x := range got {
			ids = append(ids, x.ID)
		}
		t.Errorf("recent tickets: got %v, want [%d %d]", ids, second.ID, first.ID)
	}
	if got, _ := r.svc.RecentTickets(r.ctx, 0); len(got) != 0 {
		t.Errorf("limit 0: got %d tickets, want none", len(got))
	}
}
