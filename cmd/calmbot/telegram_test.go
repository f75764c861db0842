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

// A token Telegram refuses stops `calmbot serve` with a message naming the
// token's variable, not a stack trace.
func TestServeTelegramWrongToken(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
	}))
	defer api.Close()
	env := map[string]string{envTelegramToken: "123:wrong", envTelegramAPIURL: api.URL}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
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
	if code != 1 || !strings.Contains(out.String(), "CALMBOT_TELEGRAM_TOKEN") || !strings.Contains(out.String(), "refused the bot token") || strings.Contains(out.String(), "goroutine") {
		t.Errorf("exit %d, message %q", code, out.String())
	}
}

func TestServeTelegramWebhookNeedsSecret(t *testing.T) {
	vars := map[string]string{envTelegramToken: "123:abc", envTelegramWebhookURL: "https://bot.example.com/tg"}
	_, err := newTelegram(context.Background(), adapters.Config{Getenv: func(k string) string { return vars[k] }})
	if err == nil || !strings.Contains(err.Error(), envTelegramWebhookSecret) {
		t.Errorf("webhook without a secret: %v", err)
	}
}

func TestTelegramAgentGroupConfig(t *testing.T) {
	tests := []struct {
		group, agents string
		wantErr       string // "" for none
	}{
		{"-1001234567890", "", ""},
		{"-1001234567890", "12345, 67890,", ""},
		{"", "12345", envTelegramAgentGroup},
		{"1001234567890", "", "negative"},
		{"@support", "", "chat id"},
		{"-100123", "12345,bob", `"bob" is not a Telegram user id`},
		{"-100123", "-5", `"-5" is not a Telegram user id`},
	}
	for _, tt := range tests {
		vars := map[string]string{envTelegramToken: "123:abc", envTelegramAgentGroup: tt.group, envTelegramAgents: tt.agents}
		_, err := newTelegram(context.Background(), adapters.Config{Getenv: func(k string) string { return vars[k] }, Handoff: &handoff.Service{}})
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("group %q agents %q: %v", tt.group, tt.agents, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("group %q agents %q: %v, want an error with %q", tt.group, tt.agents, err, tt.wantErr)
		}
	}
}

// On a shared database (Config.Elect set) the instance elected for the
// job "telegram" polls and shows the agent group; with a webhook it is
// elected only to show the agent group.
func TestTelegramElected(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"polling", map[string]string{}, []string{"telegram"}},
		{"polling with an agent group", map[string]string{envTelegramAgentGroup: "-1001234567890"}, []string{"telegram"}},
		{"webhook", map[string]string{envTelegramWebhookURL: "https://bot.example/telegram", envTelegramWebhookSecret: "s3cret"}, nil},
		{"webhook with an agent group", map[string]string{envTelegramWebhookURL: "https://bot.example/telegram", envTelegramWebhookSecret: "s3cret",
			envTelegramAgentGroup: "-1001234567890"}, []string{"telegram"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var jobs []string
			elect := func(job string) handoff.Leader {
				jobs = append(jobs, job)
				return nil
			}
			tt.vars[envTelegramToken] = "123:abc"
			a, err := newTelegram(context.Background(), adapters.Config{Getenv: func(k string) string { return tt.vars[k] }, Elect: elect, Handoff: &handoff.Service{}})
			if err != nil || a == nil {
				t.Fatalf("adapter %v, err %v", a, err)
			}
			if !slices.Equal(jobs, tt.want) {
				t.Errorf("elections asked for %q, want %q", jobs, tt.want)
			}
		})
	}
}
