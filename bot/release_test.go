package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/calmbot/calmbot"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/flows"
)

// leftover returns the first placeholder left in text, or "".
func leftover(text string) string {
	for _, name := range flows.Placeholders {
		if strings.Contains(text, "{"+name+"}") {
			return name
		}
	}
	return ""
}

// needsChoice reports whether entering state (and the states its `next`
// leads on to) says something of the chosen option that c cannot fill.
func needsChoice(fl *flows.Flow, state string, c *flows.Choice) bool {
	for range 64 {
		st := fl.States[state]
		if st == nil {
			return false
		}
		for _, l := range st.Say {
			for _, text := range append([]string{l.Default}, slices.Collect(maps.Values(l.Channels))...) {
				if c == nil && strings.Contains(text, "{choice}") {
					return true
				}
				for _, name := range []string{"solution", "time_frame", "next_steps"} {
					if (c == nil || c.Agree == nil) && strings.Contains(text, "{"+name+"}") {
						return true
					}
				}
			}
		}
		if st.Next == "" {
			return false
		}
		state = st.Next
	}
	return false
}

// TestReleaseNeverSendsTemplates releases a conversation into every state
// of every default flow, in every language, with no option chosen and with
// each option: the release is refused when the state speaks of an option
// the customer did not choose, and no reply ever holds a placeholder.
func TestReleaseNeverSendsTemplates(t *testing.T) {
	f, err := flows.Parse("flows.yaml", calmbot.DefaultFlows())
	if err != nil {
		t.Fatal(err)
	}
	if ds := f.Validate(); len(ds) > 0 {
		t.Fatal(ds)
	}
	h := bottest.NewWithAnalyzer(t, f, keywordAnalyzer)
	ctx := context.Background()
	releases, refused := 0, 0
	for _, name := range f.FlowNames() {
		fl := f.Flows[name]
		var options []*flows.Choice
		for _, st := range fl.States {
			options = append(options, st.Choices...)
		}
		states := slices.Sorted(maps.Keys(fl.States))
		for _, state := range states {
			for _, chosen := range append([]*flows.Choice{nil}, options...) {
				for _, lang := range f.Languages {
					c := h.Chat(lang)
					snap := &bot.Snapshot{Address: c.Addr, Status: bot.StatusHuman, Lang: lang, Flow: name, State: fl.Start, Seq: 1, Processed: 1}
					label := name + "/" + state + " in " + lang + " with no option"
					if chosen != nil {
						snap.Chosen = chosen.ID
						label = name + "/" + state + " in " + lang + " with " + chosen.ID
					}
					if _, err := h.Store.Commit(ctx, &bot.Turn{Address: c.Addr, State: snap,
						Inbound: []bot.Entry{{Seq: 1, Direction: bot.Inbound, PlatformID: "1", Text: "human"}}}); err != nil {
						t.Fatal(err)
					}
					err := h.Engine.Release(ctx, c.Addr, "", state)
					rs := c.Replies()
					for _, r := range rs {
						if p := leftover(r.Text); p != "" {
							t.Errorf("%s: the customer reads {%s}: %q", label, p, r.Text)
						}
					}
					if needsChoice(fl, state, chosen) {
						refused++
						if !errors.Is(err, bot.ErrStageNeedsChoice) || len(rs) != 0 || c.Snapshot().Status != bot.StatusHuman {
							t.Errorf("%s: Release = %v with %d replies, want ErrStageNeedsChoice and nothing sent", label, err, len(rs))
						}
						continue
					}
					releases++
					if err != nil || len(rs) == 0 {
						t.Errorf("%s: Release = %v with %d replies, want the stage's text", label, err, len(rs))
					}
				}
			}
		}
	}
	if releases == 0 || refused == 0 {
		t.Errorf("%d releases, %d refused: the default flows have no agreement stage?", releases, refused)
	}
}

// TestUnfilledReplyIsNeverSent: a flow that reaches its agreement without
// a chosen option makes the bot say its restart text instead of the raw
// template, and log an error.
func TestUnfilledReplyIsNeverSent(t *testing.T) {
	src := strings.Replace(string(loadTestFlows(t).Source), "on: {confirmed: options, denied: ack2}", "on: {confirmed: agree, denied: ack2}", 1)
	f, err := flows.Parse("skip.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if ds := f.Validate(); len(ds) > 0 {
		t.Fatal(ds)
	}
	var logs syncBuffer
	h := bottest.NewWithAnalyzer(t, f, keywordAnalyzer, bot.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	c := h.Chat("en")
	c.Say("intent:late")
	rs := c.Say("yes")
	if got := texts(rs); len(got) != 1 || got[0] != "Of course. What else can I do?" {
		t.Errorf("replies %q, want the restart text", got)
	}
	if got := logs.String(); !strings.Contains(got, "level=ERROR") || !strings.Contains(got, "unfilled placeholders") {
		t.Errorf("no error logged:\n%s", got)
	}
}
