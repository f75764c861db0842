package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calmbot/calmbot/adapters"
	"github.com/calmbot/calmbot/handoff"
)

// A token Slack refuses stops `calmbot serve` with a message naming the
// token's variable, not a stack trace.
func TestServeSlackWrongToken(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
	}))
	defer api.Close()
	env := map[string]string{envSlackBotToken: "xoxb-wrong", envSlackAppToken: "xapp-1-x", envSlackAPIURL: api.URL + "/api/"}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stderr syncBuffer
	err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "calmbot.db"), "--flows", "../../flows.yaml"},
		strings.NewReader(""), io.Discard, &stderr, func(k string) string { return env[k] })
	if err == nil || ctx.Err() != nil {
		t.Fatalf("serve with a refused token: %v (ctx %v)", err, ctx.Err())
	}
	var out strings.Builder
	code := exitCode(err, &out)
	if code != 1 || !strings.Contains(out.String(), envSlackBotToken) || !strings.Contains(out.String(), "invalid_auth") || strings.Contains(out.String(), "goroutine") {
		t.Errorf("exit %d, message %q", code, out.String())
	}
}

func TestNewSlackConfig(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		err  string // "" for an adapter, "-" for none
	}{
		{"not configured", map[string]string{}, "-"},
		{"no mode", map[string]string{envSlackBotToken: "xoxb-1"}, envSlackAppToken},
		{"bad url", map[string]string{envSlackBotToken: "xoxb-1", envSlackAppToken: "xapp-1", envSlackAPIURL: "slack.com"}, envSlackAPIURL},
		{"user token", map[string]string{envSlackBotToken: "xoxp-1", envSlackAppToken: "xapp-1"}, "xoxb-"},
		{"socket mode", map[string]string{envSlackBotToken: "xoxb-1", envSlackAppToken: "xapp-1"}, ""},
		{"events api", map[string]string{envSlackBotToken: "xoxb-1", envSlackSigningSecret: "s3cret"}, ""},
		{"handoff channel name", map[string]string{envSlackBotToken: "xoxb-1", envSlackAppToken: "xapp-1", envSlackHandoffChannel: "#support"}, "channel id"},
		{"agents without a handoff channel", map[string]string{envSlackBotToken: "xoxb-1", envSlackAppToken: "xapp-1", envSlackAgents: "U0123"}, envSlackHandoffChannel},
		{"agent by name", map[string]string{envSlackBotToken: "xoxb-1", envSlackAppToken: "xapp-1", envSlackHandoffChannel: "C0123ABC", envSlackAgents: "U0123, @ana"}, "not a Slack user id"},
		{"handoff without the service", map[string]string{envSlackBotToken: "xoxb-1", envSlackAppToken: "xapp-1", envSlackHandoffChannel: "C0123ABC"}, "handoff service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := newSlack(context.Background(), adapters.Config{Getenv: func(k string) string { return tt.vars[k] }})
			switch tt.err {
			case "-":
				if a != nil || err != nil {
					t.Errorf("got %v, %v; want nothing", a, err)
				}
			case "":
				if a == nil || err != nil {
					t.Errorf("got %v, %v; want an adapter", a, err)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err %v, want one naming %q", err, tt.err)
				}
			}
		})
	}
}

// On a shared database (Config.Elect set) the handoff channel is shown by
// the instance elected for the job "slack-agents"; without a handoff
// channel there is nothing to elect.
func TestSlackElected(t *testing.T) {
	var jobs []string
	elect := func(job string) handoff.Leader {
		jobs = append(jobs, job)
		return nil
	}
	vars := map[string]string{envSlackBotToken: "xoxb-1", envSlackAppToken: "xapp-1"}
	cfg := adapters.Config{Getenv: func(k string) string { return vars[k] }, Elect: elect, Handoff: &handoff.Service{}}
	if a, err := newSlack(context.Background(), cfg); err != nil || a == nil {
		t.Fatalf("adapter %v, err %v", a, err)
	}
	if len(jobs) != 0 {
		t.Errorf("without a handoff channel, elections asked for %q", jobs)
	}
	vars[envSlackHandoffChannel] = "C0123ABC"
	if a, err := newSlack(context.Background(), cfg); err != nil || a == nil {
		t.Fatalf("with a handoff channel: adapter %v, err %v", a, err)
	}
	if !slices.Equal(jobs, []string{"slack-agents"}) {
		t.Errorf("elections asked for %q, want [slack-agents]", jobs)
	}
}
