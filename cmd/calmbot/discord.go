package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/calmbot/calmbot/adapters"
	"github.com/calmbot/calmbot/adapters/discord"
	"github.com/calmbot/calmbot/bot"
)

// Environment of the Discord adapter.
const (
	envDiscordToken           = "CALMBOT_DISCORD_TOKEN"
	envDiscordAPIURL          = "CALMBOT_DISCORD_API_URL"
	envDiscordGatewayURL      = "CALMBOT_DISCORD_GATEWAY_URL"
	envDiscordSupportChannels = "CALMBOT_DISCORD_SUPPORT_CHANNELS"
	envDiscordGuildLocale     = "CALMBOT_DISCORD_GUILD_LOCALE"
	envDiscordStaffChannel    = "CALMBOT_DISCORD_STAFF_CHANNEL"
	envDiscordAgentRoles      = "CALMBOT_DISCORD_AGENT_ROLES"
	envDiscordAgentUsers      = "CALMBOT_DISCORD_AGENT_USERS"
	envDiscordShard           = "CALMBOT_DISCORD_SHARD"
)

// newDiscord is the Discord adapter's factory: nil when no token is
// configured. c.State keeps each conversation's last stored message id,
// the support threads and the open buttons across restarts.
func newDiscord(_ context.Context, c adapters.Config) (bot.Adapter, error) {
	token := c.Env(envDiscordToken)
	if token == "" {
		return nil, nil
	}
	opts := []discord.Option{discord.WithLogger(c.Log)}
	if c.State != nil {
		opts = append(opts, discord.WithState(c.State))
	}
	if u := c.Env(envDiscordAPIURL); u != "" {
		opts = append(opts, discord.WithAPIURL(u))
	}
	if u := c.Env(envDiscordGatewayURL); u != "" {
		opts = append(opts, discord.WithGatewayURL(u))
	}
	support, err := discordIDs(envDiscordSupportChannels, c.Env(envDiscordSupportChannels))
	if err != nil {
		return nil, err
	}
	opts = append(opts, discord.WithSupportChannels(support...))
	if sh := strings.TrimSpace(c.Env(envDiscordShard)); sh != "" {
		// The operator splits the events: every shard holds its session.
		id, count, err := discordShard(sh)
		if err != nil {
			return nil, err
		}
		opts = append(opts, discord.WithShard(id, count))
	}
	if c.Elect != nil {
		// Several instances: Discord sends every event to every gateway
		// session of an unsharded bot, so one elected instance holds it;
		// sharded or not, the elected one runs the staff channel.
		opts = append(opts, discord.WithLeader(c.Elect("discord"), discord.DefaultLeaderCheck))
	}
	if l := c.Env(envDiscordGuildLocale); l != "" {
		opts = append(opts, discord.WithGuildLocale(l))
	}
	if staff := strings.TrimSpace(c.Env(envDiscordStaffChannel)); staff != "" {
		roles, err := discordIDs(envDiscordAgentRoles, c.Env(envDiscordAgentRoles))
		if err != nil {
			return nil, err
		}
		users, err := discordIDs(envDiscordAgentUsers, c.Env(envDiscordAgentUsers))
		if err != nil {
			return nil, err
		}
		if _, err := discordIDs(envDiscordStaffChannel, staff); err != nil {
			return nil, err
		}
		if len(roles) == 0 && len(users) == 0 {
			return nil, &exitError{code: 2, msg: fmt.Sprintf("%s needs %s or %s: who counts as an agent", envDiscordStaffChannel, envDiscordAgentRoles, envDiscordAgentUsers)}
		}
		if c.Handoff == nil {
			return nil, &exitError{code: 2, msg: envDiscordStaffChannel + ": this command has no agent side"}
		}
		opts = append(opts, discord.WithStaff(discord.Staff{Desk: c.Handoff, Channel: staff, Roles: roles, Users: users}))
	}
	a, err := discord.New(token, opts...)
	if err != nil {
		return nil, &exitError{code: 2, msg: err.Error()}
	}
	return discordAdapter{a}, nil
}

// discordShard reads CALMBOT_DISCORD_SHARD, "ID/COUNT" with 0 <= ID < COUNT.
func discordShard(s string) (id, count int, err error) {
	a, b, ok := strings.Cut(s, "/")
	id, errID := strconv.Atoi(strings.TrimSpace(a))
	count, errCount := strconv.Atoi(strings.TrimSpace(b))
	if !ok || errID != nil || errCount != nil || count < 1 || id < 0 || id >= count {
		return 0, 0, &exitError{code: 2, msg: fmt.Sprintf("%s must be ID/COUNT with 0 <= ID < COUNT (this instance's shard, such as 0/2), got %q", envDiscordShard, s)}
	}
	return id, count, nil
}

// discordIDs reads a comma-separated list of Discord ids (snowflakes:
// digits) from variable name.
func discordIDs(name, s string) ([]string, error) {
	var out []string
	for id := range strings.SplitSeq(s, ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if strings.Trim(id, "0123456789") != "" {
			return nil, &exitError{code: 2, msg: fmt.Sprintf("%s: %q is not a Discord id (digits; Developer Mode > Copy ID)", name, id)}
		}
		out = append(out, id)
	}
	return out, nil
}

// discordAdapter is the Discord adapter whose refused token names where
// the token came from. Embedding keeps its Ready.
type discordAdapter struct{ *discord.Adapter }

var (
	_ bot.Adapter = discordAdapter{}
	_ bot.Readier = discordAdapter{}
)

// Start starts the adapter; a refused token ends the server with a message
// naming the token's variable.
func (d discordAdapter) Start(ctx context.Context, h bot.Handler) error {
	err := d.Adapter.Start(ctx, h)
	if errors.Is(err, discord.ErrUnauthorized) {
		return fmt.Errorf("%w (the token is $%s)", err, envDiscordToken)
	}
	return err
}
