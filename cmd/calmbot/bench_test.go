package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestBenchTouchesOnlyItsOwn runs the bench with an agent against a server
// where a real customer waits: the customer's ticket stays as it was, and
// none of the bench's own tickets is left open.
func TestBenchTouchesOnlyItsOwn(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile("../../flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fast := filepath.Join(dir, "flows.yaml")
	if err := os.WriteFile(fast, []byte(strings.Replace(string(b), "quiet_window: 2s", "quiet_window: 0s", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	base, stderr, _ := startServer(t, "--db", filepath.Join(dir, "calmbot.db"), "--flows", fast)
	password := firstPassword(t, stderr.String())

	// A real customer asks for a person.
	c, err := newCustomer(context.Background(), http.DefaultClient, base, "en")
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"my parcel has still not arrived", "I want to talk to a real person"} {
		if _, err := c.say(context.Background(), text); err != nil {
			t.Fatalf("customer: %v", err)
		}
	}
	admin, code := deskLogin(t, base, "admin", password)
	if admin == nil {
		t.Fatalf("login: %d", code)
	}
	type listed struct {
		ID      int64 `json:"id"`
		Address struct {
			Conversation string `json:"conversation"`
		} `json:"address"`
		Owner string `json:"owner"`
	}
	queue := func() []listed {
		t.Helper()
		var list struct {
			Tickets []listed `json:"tickets"`
		}
		if code, err := admin.do(context.Background(), "GET", "/queue", nil, &list); err != nil || code != http.StatusOK {
			t.Fatalf("queue: %d %v", code, err)
		}
		return list.Tickets
	}
	before := queue()
	if len(before) != 1 || before[0].Address.Conversation != c.conv.ID {
		t.Fatalf("queue before the bench: %+v, want the customer's ticket alone", before)
	}

	r := runCmd(t, "", "bench", "--url", base, "--agents", "1", "--agent-password", password,
		"--customers", "4", "--messages", "80", "--flows", fast, "--json")
	if r.code != 0 {
		t.Fatalf("bench: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var res benchResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("bench output: %v\n%s", err, r.stdout)
	}
	if res.Handoffs == 0 {
		t.Fatalf("the bench handed nothing off:\n%s", r.stdout)
	}
	after := queue()
	if len(after) != 1 || after[0].ID != before[0].ID || after[0].Owner != "" {
		t.Errorf("queue after the bench: %+v, want the customer's ticket alone, unclaimed", after)
	}
	var tk struct {
		Ticket struct {
			Status string `json:"status"`
		} `json:"ticket"`
	}
	if code, err := admin.do(context.Background(), "GET", "/tickets/"+strconv.FormatInt(before[0].ID, 10), nil, &tk); err != nil || code != http.StatusOK || tk.Ticket.Status != "queued" {
		t.Errorf("the customer's ticket after the bench: %d %v %+v, want queued", code, err, tk)
	}
	if res.Left != 0 || res.Closed+res.Agent.N == 0 {
		t.Errorf("bench tickets: closed %d at the end, %d replied to, %d left; want none left", res.Closed, res.Agent.N, res.Left)
	}
}
