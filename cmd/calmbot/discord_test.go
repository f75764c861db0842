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

// A token Discord refuses stops `calmbot serve` with a message naming the
// token's variable, not a stack trace.
func TestServeDiscordWrongToken(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"message":"401: Unauthorized","code":0}`)
	}))
	defer api.Close()
	env := map[string]string{envDiscordToken: "wrong", envDiscordAPIURL: api.URL}
	// Generous: serve trains the default flows' classifiers (intents and
	// answers) before it reaches Discord, slow under -race on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	var stderr syncBuffer
	err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "calmbot.db"), "--flows", "../../flows.yaml"},
		strings.NewReader(""), io.Discard, &stderr, func(k string) string { return env[k] })
	if err == nil || ctx.Err() != nil {
		t.Fatalf("serve with a refused token: %v (ctx %v)", err, ctx.Err())
	}
	var out strings.Builder
	code := exitCode(err, &out)
	if code != 1 || !strings.Contains(out.String(), envDiscordToken) || !strings.Contains(out.String(), "refused the bot token") || strings.Contains(out.String(), "goroutine") {
		t.Errorf("exit %d, message %q", code, out.String())
	}
}

// On a shared database (Config.Elect set) the Discord adapter holds its
// gateway session only while elected for the job "discord".
func TestDiscordElected(t *testing.T) {
	var jobs []string
	elect := func(job string) handoff.Leader {
		jobs = append(jobs, job)
		return nil
	}
	env := map[string]string{envDiscordToken: "abc"}
	a, err := newDiscord(context.Background(), adapters.Config{Getenv: func(k string) string { return env[k] }, Elect: elect})
	if err != nil || a == nil {
		t.Fatalf("adapter %v, err %v", a, err)
	}
	if !slices.Equal(jobs, []string{"discord"}) {
		t.Errorf("elections asked for %q, want [discord]", jobs)
	}

	// Sharded, the election still picks who runs the staff channel.
	jobs = nil
	env[envDiscordShard] = "1/2"
	a, err = newDiscord(context.Background(), adapters.Config{Getenv: func(k string) string { return env[k] }, Elect: elect})
	if err != nil || a == nil {
		t.Fatalf("sharded: adapter %v, err %v", a, err)
	}
	if !slices.Equal(jobs, []string{"discord"}) {
		t.Errorf("sharded: elections asked for %q, want [discord]", jobs)
	}
}

func TestDiscordConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // "" for none
		wantNil bool
	}{
		{"no token", map[string]string{}, "", true},
		{"token", map[string]string{envDiscordToken: "abc", envDiscordSupportChannels: "123, 456"}, "", false},
		{"bad channel", map[string]string{envDiscordToken: "abc", envDiscordSupportChannels: "123,#support"}, envDiscordSupportChannels, false},
		{"staff without agents", map[string]string{envDiscordToken: "abc", envDiscordStaffChannel: "789"}, envDiscordAgentRoles, false},
		{"staff without a desk", map[string]string{envDiscordToken: "abc", envDiscordStaffChannel: "789", envDiscordAgentRoles: "5"}, "no agent side", false},
		{"bad role", map[string]string{envDiscordToken: "abc", envDiscordStaffChannel: "789", envDiscordAgentRoles: "@agents"}, envDiscordAgentRoles, false},
		{"shard", map[string]string{envDiscordToken: "abc", envDiscordShard: " 0 / 2 "}, "", false},
		{"shard out of range", map[string]string{envDiscordToken: "abc", envDiscordShard: "2/2"}, envDiscordShard, false},
		{"shard without count", map[string]string{envDiscordToken: "abc", envDiscordShard: "1"}, envDiscordShard, false},
		{"shard not a number", map[string]string{envDiscordToken: "abc", envDiscordShard: "a/2"}, envDiscordShard, false},
		{"bad gateway", map[string]string{envDiscordToken: "abc", envDiscordGatewayURL: "http://x"}, "gateway URL", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := newDiscord(context.Background(), adapters.Config{Getenv: func(k string) string { return tt.env[k] }})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || (a == nil) != tt.wantNil {
				t.Fatalf("adapter %v, err %v", a, err)
			}
		})
	}
}
