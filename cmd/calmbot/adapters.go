package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/calmbot/calmbot/adapters"
	"github.com/calmbot/calmbot/adapters/console"
	"github.com/calmbot/calmbot/adapters/discord"
	"github.com/calmbot/calmbot/adapters/slack"
	"github.com/calmbot/calmbot/adapters/telegram"
	"github.com/calmbot/calmbot/adapters/web"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
)

// serveAdapters is the registry of the channels `calmbot serve` can run,
// in start order: each factory reads its own configuration and returns
// nil when its channel is not configured. A new channel is one line here
// (and its factory beside it, in a file named after it).
func serveAdapters(h httpOptions) *adapters.Registry {
	r := adapters.NewRegistry()
	r.Register(web.Channel, newWeb(h))
	r.Register(telegram.Channel, newTelegram)
	r.Register(discord.Channel, newDiscord)
	r.Register(slack.Channel, newSlack)
	return r
}

// builtinChannels are the channels calmbot can run: serve's and the
// console of `calmbot chat`. Flow files' channel variants are checked
// against them unless told otherwise.
func builtinChannels() []string {
	return append(serveAdapters(httpOptions{}).Names(), console.Channel)
}

// newWeb returns the web chat's factory, with serve's HTTP limits. The web
// chat always runs.
func newWeb(h httpOptions) adapters.Factory {
	return func(_ context.Context, c adapters.Config) (bot.Adapter, error) {
		opts := []web.Option{web.WithKey(c.Key), web.WithLogger(c.Log), web.WithTrustedProxies(h.proxies),
			web.WithRateLimits(h.conversationRate, h.messageRate), web.WithStreamLimits(h.maxStreams, h.maxStreamsPerAddr)}
		if h.frameAncestors != "" {
			opts = append(opts, web.WithFrameAncestors(h.frameAncestors))
		}
		if c.Handoff != nil {
			opts = append(opts, web.WithAgentNames(func(id string) string {
				if a, err := c.Handoff.Agent(id); err == nil {
					return a.Name
				}
				return ""
			}))
		}
		if c.Bus != nil {
			opts = append(opts, web.WithBus(c.Bus))
		}
		return web.New(c.Engine, opts...), nil
	}
}

// lintChannels logs the flow file's channel variants for channels the
// server does not run: at WARN for names calmbot has no adapter for (a typo
// such as "telgram"), at INFO for channels it could run but that are not
// configured (Telegram without a token).
func lintChannels(log *slog.Logger, f *flows.File, known, running []string) {
	typo := map[string]bool{}
	for _, d := range f.Lint(flows.WithChannels(known...)) {
		if d.Rule == ruleUnknownChannel {
			typo[d.File+":"+d.Pos.String()] = true
			log.Warn("flows: "+d.Message, "at", d.File+":"+d.Pos.String())
		}
	}
	for _, d := range f.Lint(flows.WithChannels(running...)) {
		if at := d.File + ":" + d.Pos.String(); d.Rule == ruleUnknownChannel && !typo[at] {
			log.Info("flows: a text variant for a channel not configured here", "at", at)
		}
	}
}

// ruleUnknownChannel is the lint rule of variants for channels not run.
const ruleUnknownChannel = "unknown-channel"

// parseChannels reads --channels: comma-separated channel names.
func parseChannels(s string) ([]string, error) {
	var out []string
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !flows.ValidChannel(name) {
			return nil, fmt.Errorf("--channels: %q is not a channel name (a lower-case letter, then letters, digits, _ or -)", name)
		}
		out = append(out, name)
	}
	if len(out) == 0 {
		return nil, errors.New("--channels: name at least one channel")
	}
	return out, nil
}
