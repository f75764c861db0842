package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/calmbot/calmbot/adapters"
	"github.com/calmbot/calmbot/adapters/slack"
	"github.com/calmbot/calmbot/bot"
)

// Environment of the Slack adapter.
const (
	envSlackBotToken       = "CALMBOT_SLACK_BOT_TOKEN"
	envSlackAppToken       = "CALMBOT_SLACK_APP_TOKEN"
	envSlackSigningSecret  = "CALMBOT_SLACK_SIGNING_SECRET"
	envSlackAPIURL         = "CALMBOT_SLACK_API_URL"
	envSlackHandoffChannel = "CALMBOT_SLACK_HANDOFF_CHANNEL"
	envSlackAgents         = "CALMBOT_SLACK_AGENTS"
)

// newSlack is the Slack adapter's factory: nil when no bot token is
// configured. The app-level token turns Socket Mode on, the signing secret
// the Events API routes; one of them is needed. The handoff channel turns
// the agent side on; CALMBOT_SLACK_AGENTS, when set, says who its agents
// are instead of the channel's members; on a shared database (c.Elect) one
// instance at a time shows the handoff channel. c.State keeps the open
// questions' buttons across restarts.
func newSlack(_ context.Context, c adapters.Config) (bot.Adapter, error) {
	token := c.Env(envSlackBotToken)
	if token == "" {
		return nil, nil
	}
	appToken, secret := c.Env(envSlackAppToken), c.Env(envSlackSigningSecret)
	if appToken == "" && secret == "" {
		return nil, &exitError{code: 2, msg: fmt.Sprintf("%s needs %s (xapp-..., Socket Mode) or %s (the Events API at %s)",
			envSlackBotToken, envSlackAppToken, envSlackSigningSecret, slack.EventsPath)}
	}
	opts := []slack.Option{slack.WithLogger(c.Log), slack.WithAppToken(appToken), slack.WithSigningSecret(secret)}
	if c.State != nil {
		opts = append(opts, slack.WithState(c.State))
	}
	if u := c.Env(envSlackAPIURL); u != "" {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return nil, &exitError{code: 2, msg: fmt.Sprintf("%s must be an http(s):// URL, got %q", envSlackAPIURL, u)}
		}
		opts = append(opts, slack.WithAPIURL(u))
	}
	agents, err := slackUserIDs(c.Env(envSlackAgents))
	if err != nil {
		return nil, &exitError{code: 2, msg: err.Error()}
	}
	if len(agents) > 0 && c.Env(envSlackHandoffChannel) == "" {
		return nil, &exitError{code: 2, msg: fmt.Sprintf("%s needs %s, the handoff channel's id", envSlackAgents, envSlackHandoffChannel)}
	}
	if ch := c.Env(envSlackHandoffChannel); ch != "" {
		if !validChannelID(ch) {
			return nil, &exitError{code: 2, msg: fmt.Sprintf("%s must be a channel id (C... or G..., from the channel's details), got %q", envSlackHandoffChannel, ch)}
		}
		if c.Handoff == nil {
			return nil, &exitError{code: 2, msg: envSlackHandoffChannel + " needs the handoff service, which this command does not run"}
		}
		opts = append(opts, slack.WithHandoff(c.Handoff, ch, agents...))
		if c.Elect != nil {
			// Several instances: each one's handoff service sees every
			// update, so one shows the handoff channel.
			opts = append(opts, slack.WithLeader(c.Elect("slack-agents"), slack.DefaultLeaderCheck))
		}
	}
	a, err := slack.New(token, opts...)
	if err != nil {
		return nil, &exitError{code: 2, msg: err.Error()}
	}
	return slackAdapter{a}, nil
}

// slackAdapter is the Slack adapter whose refused token names where the
// token came from. Embedding keeps its Routes and Ready.
type slackAdapter struct{ *slack.Adapter }

var (
	_ bot.Adapter = slackAdapter{}
	_ bot.Router  = slackAdapter{}
	_ bot.Readier = slackAdapter{}
)

// Start starts the adapter; a refused token ends the server with a message
// naming the token's variable.
func (s slackAdapter) Start(ctx context.Context, h bot.Handler) error {
	err := s.Adapter.Start(ctx, h)
	if errors.Is(err, slack.ErrUnauthorized) {
		return fmt.Errorf("%w (the token is $%s)", err, envSlackBotToken)
	}
	return err
}

// validChannelID reports whether s looks like a Slack channel id: C or G,
// then upper-case letters and digits.
func validChannelID(s string) bool {
	if len(s) < 2 || (s[0] != 'C' && s[0] != 'G') {
		return false
	}
	for _, r := range s[1:] {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// slackUserIDs reads a comma-separated list of Slack user ids (U... or
// W..., from a member's profile, "Copy member ID").
func slackUserIDs(s string) ([]string, error) {
	var ids []string
	for _, id := range strings.Split(s, ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if len(id) < 2 || (id[0] != 'U' && id[0] != 'W') || strings.IndexFunc(id[1:], func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') }) >= 0 {
			return nil, fmt.Errorf("%s: %q is not a Slack user id (U..., from the member's profile, \"Copy member ID\")", envSlackAgents, id)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
