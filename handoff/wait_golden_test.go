package handoff_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/flows"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

// tellEngine is a handoff.Engine that renders what the bot is told to say
// in each conversation's language, with the variables filled in, and keeps
// it: what the waiting customers read.
type tellEngine struct {
	f     *flows.File
	langs map[bot.Address]string
	told  []string
}

func (e *tellEngine) Post(context.Context, bot.Address, string, string) error { return nil }
func (e *tellEngine) Release(context.Context, bot.Address, string, string) error {
	return nil
}
func (e *tellEngine) ReleaseText(context.Context, bot.Address, string, string) (string, error) {
	return "", nil
}
func (e *tellEngine) Finish(context.Context, bot.Address, bool) error { return nil }
func (e *tellEngine) Transcript(context.Context, bot.Address) ([]bot.Entry, error) {
	return nil, nil
}
func (e *tellEngine) Conversation(_ context.Context, addr bot.Address) (*bot.Snapshot, error) {
	return &bot.Snapshot{Address: addr, Status: bot.StatusHuman, Lang: e.langs[addr]}, nil
}
func (e *tellEngine) Flows() *flows.File { return e.f }

func (e *tellEngine) Tell(_ context.Context, addr bot.Address, t func(*flows.Texts) flows.Text, vars map[string]string) error {
	lang := e.langs[addr]
	s, _ := t(&e.f.Texts).Get(lang, addr.Channel)
	for k, v := range vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	e.told = append(e.told, fmt.Sprintf("%s %s: %s", lang, addr.Conversation, s))
	return nil
}

// waitRig is a Service on a tellEngine, fed handoffs directly.
type waitRig struct {
	t     *testing.T
	svc   *handoff.Service
	eng   *tellEngine
	clock *bottest.Clock
}

func newWaitRig(t *testing.T, f *flows.File) *waitRig {
	t.Helper()
	clock := bottest.NewClock() // Monday 2026-01-05, 09:00 UTC
	eng := &tellEngine{f: f, langs: map[bot.Address]string{}}
	svc, err := handoff.New(context.Background(), handofftest.NewStore(), eng, handoff.WithClock(clock), handoff.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	return &waitRig{t: t, svc: svc, eng: eng, clock: clock}
}

// open hands off conversation conv in lang.
func (w *waitRig) open(conv, lang string) {
	w.t.Helper()
	addr := bot.Address{Channel: "web", Conversation: conv}
	w.eng.langs[addr] = lang
	if err := w.svc.Escalate(context.Background(), bot.HandoffRecord{Address: addr, Reason: "customer_request", Lang: lang, At: w.clock.Now()}); err != nil {
		w.t.Fatal(err)
	}
}

// check runs one round of the Service's checks and returns what it told.
func (w *waitRig) check() []string {
	w.t.Helper()
	w.eng.told = nil
	if err := w.svc.Check(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	slices.Sort(w.eng.told)
	return w.eng.told
}

// TestWaitTexts renders every kind of news a waiting customer gets from
// the default flows, in each of their languages: the position with the
// wait in minutes and in hours, the busy notice, nobody available, the incentive, the
// opening time today and on each weekday, and the waiting text with the
// wait until opening when the flows have no after_hours text. The golden
// file is what customers read.
func TestWaitTexts(t *testing.T) {
	var out strings.Builder
	section := func(name string, lines []string) {
		fmt.Fprintf(&out, "## %s\n", name)
		for _, l := range lines {
			fmt.Fprintln(&out, l)
		}
	}
	langs := []string{"en", "it", "de", "fi"}
	for _, lang := range langs {
		f := defaultFlows(t)
		f.Service = flows.Service{IncentiveAfter: flows.Duration(10 * time.Minute)}
		w := newWaitRig(t, f)
		if _, err := w.svc.AddAgent(context.Background(), "ada", "password-ada", nil, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.SetPresence(context.Background(), "ada", handoff.PresenceOnline); err != nil {
			t.Fatal(err)
		}
		w.open("a", lang)
		section(lang+": an agent is free", w.check())
		for i := range 17 {
			w.open(fmt.Sprintf("b%02d", i+2), lang)
		}
		section(lang+": one agent, 18 in line (busy past the usual length)", w.check())
		if _, err := w.svc.SetPresence(context.Background(), "ada", handoff.PresenceOffline); err != nil {
			t.Fatal(err)
		}
		section(lang+": nobody online, 18 in line", w.check())
		w.clock.Advance(10 * time.Minute)
		section(lang+": past incentive_after", w.check()[:1])
	}
	for _, lang := range langs {
		for _, day := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
			f := defaultFlows(t)
			f.Service = flows.Service{Hours: &flows.Hours{Timezone: "Europe/Rome", Days: []string{day}, Open: "08:00", Close: "09:30"}}
			w := newWaitRig(t, f)
			w.open("c", lang)
			section(lang+": closed, open on "+day+" from 08:00 Rome time", w.check())
		}
		f := defaultFlows(t)
		f.Service = flows.Service{Hours: &flows.Hours{Timezone: "UTC", Open: "10:00", Close: "18:00"}}
		w := newWaitRig(t, f)
		w.open("d", lang)
		section(lang+": closed, opens today", w.check())
		f = defaultFlows(t)
		f.Texts.AfterHours = nil
		f.Service = flows.Service{Hours: &flows.Hours{Timezone: "UTC", Days: []string{"tue"}, Open: "10:00", Close: "18:00"}}
		w = newWaitRig(t, f)
		w.open("e", lang)
		section(lang+": closed, no after_hours text", w.check())
	}
	golden(t, "wait_texts.golden", out.String())
}
