package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/calmbot/calmbot/adapters"
	"github.com/calmbot/calmbot/adapters/telegram"
	"github.com/calmbot/calmbot/bot"
)

// Environment of the Telegram adapter.
const (
	envTelegramToken         = "CALMBOT_TELEGRAM_TOKEN"
	envTelegramAPIURL        = "CALMBOT_TELEGRAM_API_URL"
	envTelegramWebhookURL    = "CALMBOT_TELEGRAM_WEBHOOK_URL"
	envTelegramWebhookSecret = "CALMBOT_TELEGRAM_WEBHOOK_SECRET"
	envTelegramAgentGroup    = "CALMBOT_TELEGRAM_AGENT_GROUP"
	envTelegramAgents        = "CALMBOT_TELEGRAM_AGENTS"
)

// telegramFlags adds serve's Telegram flags.
func telegramFlags(fs *flag.FlagSet, token *string) {
	fs.StringVar(token, "telegram-token", "", "Telegram bot `token` from BotFather (default $"+envTelegramToken+"); with one, customers can also write to the bot on Telegram")
}

// newTelegram is the Telegram adapter's factory: nil when no token is
// configured. c.State keeps the poll offset and open buttons across
// restarts.
func newTelegram(_ context.Context, c adapters.Config) (bot.Adapter, error) {
	token := c.Env(envTelegramToken)
	if token == "" {
		return nil, nil
	}
	opts := []telegram.Option{telegram.WithLogger(c.Log)}
	if c.State != nil {
		opts = append(opts, telegram.WithState(c.State))
	}
	if u := c.Env(envTelegramAPIURL); u != "" {
		opts = append(opts, telegram.WithAPIURL(u))
	}
	hook := c.Env(envTelegramWebhookURL)
	if hook != "" {
		u, err := url.Parse(hook)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, &exitError{code: 2, msg: fmt.Sprintf("%s must be an https:// URL, got %q", envTelegramWebhookURL, hook)}
		}
		secret := c.Env(envTelegramWebhookSecret)
		if secret == "" {
			return nil, &exitError{code: 2, msg: fmt.Sprintf("%s needs %s (1-256 characters A-Z, a-z, 0-9, _ and -)", envTelegramWebhookURL, envTelegramWebhookSecret)}
		}
		opts = append(opts, telegram.WithWebhook(hook, secret))
	}
	if c.Elect != nil && (hook == "" || c.Env(envTelegramAgentGroup) != "") {
		// Several instances: Telegram hands updates to one poller at a
		// time, and one shows the agent group (each instance's handoff
		// service sees every update).
		opts = append(opts, telegram.WithLeader(c.Elect("telegram"), telegram.DefaultLeaderCheck))
	}
	if g := c.Env(envTelegramAgentGroup); g == "" && c.Env(envTelegramAgents) != "" {
		return nil, &exitError{code: 2, msg: fmt.Sprintf("%s needs %s, the agent group's chat id", envTelegramAgents, envTelegramAgentGroup)}
	} else if g != "" && c.Handoff != nil {
		opt, err := telegramAgentGroup(g, c.Env(envTelegramAgents), c.Handoff)
		if err != nil {
			return nil, &exitError{code: 2, msg: err.Error()}
		}
		opts = append(opts, opt)
	}
	a, err := telegram.New(token, opts...)
	if err != nil {
		return nil, &exitError{code: 2, msg: err.Error()}
	}
	return telegramAdapter{a}, nil
}

// telegramAgentGroup reads the agent group's chat id and the optional
// comma-separated user ids of the agents.
func telegramAgentGroup(group, agents string, api telegram.AgentAPI) (telegram.Option, error) {
	chat, err := strconv.ParseInt(strings.TrimSpace(group), 10, 64)
	if err != nil || chat >= 0 {
		return nil, fmt.Errorf("%s must be a group's chat id (negative, such as -1001234567890), got %q", envTelegramAgentGroup, group)
	}
	var users []int64
	for s := range strings.SplitSeq(agents, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("%s: %q is not a Telegram user id", envTelegramAgents, s)
		}
		users = append(users, id)
	}
	return telegram.WithAgentGroup(chat, api, users...), nil
}

// telegramAdapter is the Telegram adapter whose refused token names where
// the token came from. Embedding keeps its Routes and Ready.
type telegramAdapter struct{ *telegram.Adapter }

var (
	_ bot.Adapter = telegramAdapter{}
	_ bot.Router  = telegramAdapter{}
	_ bot.Readier = telegramAdapter{}
)

// Start starts the adapter; a refused token ends the server with a message
// naming the token's variable and flag.
func (t telegramAdapter) Start(ctx context.Context, h bot.Handler) error {
	err := t.Adapter.Start(ctx, h)
	if errors.Is(err, telegram.ErrUnauthorized) {
		return fmt.Errorf("%w (the token is $%s or --telegram-token)", err, envTelegramToken)
	}
	return err
}
