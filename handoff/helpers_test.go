package handoff_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/flows"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

// lateClock is a bot.Clock whose fake clock is set once the harness made
// it: the Service is made before the engine, the harness makes the clock
// with the engine.
type lateClock struct{ c atomic.Pointer[bottest.Clock] }

func (l *lateClock) Now() time.Time { return l.c.Load().Now() }
func (l *lateClock) AfterFunc(d time.Duration, f func()) bot.Timer {
	return l.c.Load().AfterFunc(d, f)
}

// rig is a Service wired to a real engine on the given flows.
type rig struct {
	t     *testing.T
	ctx   context.Context
	h     *bottest.Harness
	svc   *handoff.Service
	store *handofftest.Store
	clock *bottest.Clock
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newRig(t *testing.T, f *flows.File) *rig {
	t.Helper()
	return newRigWith(t, f, bottest.Analyzer)
}

// newRigWith is newRig with another analyzer and the service's options.
func newRigWith(t *testing.T, f *flows.File, analyzer bot.AnalyzerFactory, opts ...handoff.Option) *rig {
	t.Helper()
	ctx := context.Background()
	store := handofftest.NewStore()
	lc := &lateClock{}
	opts = append([]handoff.Option{handoff.WithClock(lc), handoff.WithBcryptCost(bcrypt.MinCost), handoff.WithLogger(quiet())}, opts...)
	svc, err := handoff.New(ctx, store, nil, opts...)
	if err != nil {
		t.Fatalf("new service: %v", err)
	}
	h := bottest.NewWithAnalyzer(t, f, analyzer, bot.WithEscalator(svc), bot.WithListener(svc), bot.WithLogger(quiet()))
	lc.c.Store(h.Clock)
	svc.SetEngine(h.Engine)
	return &rig{t: t, ctx: ctx, h: h, svc: svc, store: store, clock: h.Clock}
}

// defaultFlows is the default flow file.
func defaultFlows(t *testing.T) *flows.File { return bottest.LoadFlows(t, "../flows.yaml") }

// text is a text in the four languages of the default flows.
func text(en, it, de, fi string) flows.Text {
	return flows.Text{"en": {Default: en}, "it": {Default: it}, "de": {Default: de}, "fi": {Default: fi}}
}

// serviceFlows is the default flow file with the optional texts of the
// waiting customer and the rating, and svc as its service settings.
func serviceFlows(t *testing.T, svc flows.Service) *flows.File {
	t.Helper()
	f := defaultFlows(t)
	f.Service = svc
	f.Texts.Busy = text("We are unusually busy: you are number {position}, the wait is about {wait}.",
		"Siamo molto occupati: è il numero {position}, l'attesa è di circa {wait}.",
		"Wir sind gerade sehr ausgelastet: Position {position}, Wartezeit etwa {wait}.",
		"Meillä on poikkeuksellisen kiireistä: olet sijalla {position}, odotus noin {wait}.")
	f.Texts.AfterHours = text("Our team is away right now; they answer again at {opens}. Your request stays in line.",
		"Il nostro team non è disponibile ora; risponde di nuovo alle {opens}.",
		"Unser Team ist gerade nicht da; es antwortet wieder ab {opens}.",
		"Tiimimme ei ole nyt paikalla; he vastaavat taas {opens}.")
	f.Texts.Incentive = text("Thank you for waiting so long: here is a 10% voucher, WAIT10.",
		"Grazie per la lunga attesa: ecco un buono del 10%, WAIT10.",
		"Danke für Ihre Geduld: Hier ist ein Gutschein über 10 %, WAIT10.",
		"Kiitos pitkästä odotuksesta: tässä 10 %:n alennuskoodi, WAIT10.")
	f.Texts.Rating = text("How would you rate the help you got, from 1 to 5?",
		"Come valuta l'aiuto ricevuto, da 1 a 5?", "Wie bewerten Sie die Hilfe, von 1 bis 5?", "Miten arvioisit saamaasi apua asteikolla 1–5?")
	f.Texts.RatingComment = text("Thank you! What could we do better? (optional)",
		"Grazie! Cosa potremmo fare meglio? (facoltativo)", "Danke! Was könnten wir besser machen? (optional)", "Kiitos! Mitä voisimme tehdä paremmin? (vapaaehtoinen)")
	f.Texts.RatingThanks = text("Thank you for your feedback.", "Grazie del riscontro.", "Danke für Ihre Rückmeldung.", "Kiitos palautteesta.")
	if ds := f.Validate(); len(ds) > 0 {
		t.Fatalf("test flows: %v", ds)
	}
	return f
}

// agent adds an agent and sets their presence.
func (r *rig) agent(name string, p handoff.Presence, capacity int, skills ...string) handoff.Agent {
	r.t.Helper()
	if _, err := r.svc.AddAgent(r.ctx, name, "password-"+name, skills, capacity); err != nil {
		r.t.Fatalf("add agent %s: %v", name, err)
	}
	a, err := r.svc.SetPresence(r.ctx, name, p)
	if err != nil {
		r.t.Fatalf("presence of %s: %v", name, err)
	}
	return a
}

// handoff runs a conversation that ends with a handoff and returns the chat
// and its ticket.
func (r *rig) handoff(script ...string) (*bottest.Chat, *handoff.Ticket) {
	r.t.Helper()
	c := r.h.Chat("en")
	for _, s := range script {
		c.Say(s)
	}
	if st := c.Snapshot().Status; st != bot.StatusHuman {
		r.t.Fatalf("after %q: status %s, want human", script, st)
	}
	return c, r.ticketOf(c)
}

// ticketOf returns the open ticket of c's conversation.
func (r *rig) ticketOf(c *bottest.Chat) *handoff.Ticket {
	r.t.Helper()
	for _, t := range r.svc.Tickets() {
		if t.Address == c.Addr {
			return t
		}
	}
	r.t.Fatalf("no open ticket for %s", c.Addr)
	return nil
}

// check runs one round of the Service's checks.
func (r *rig) check() {
	r.t.Helper()
	if err := r.svc.Check(r.ctx); err != nil {
		r.t.Fatalf("check: %v", err)
	}
}

// said returns the texts c received since last asked.
func said(c *bottest.Chat) []string {
	var out []string
	for _, rep := range c.Replies() {
		out = append(out, rep.Text)
	}
	return out
}

// ticket reads ticket id.
func (r *rig) ticket(id int64) *handoff.Ticket {
	r.t.Helper()
	t, err := r.svc.Ticket(r.ctx, id)
	if err != nil {
		r.t.Fatalf("ticket %d: %v", id, err)
	}
	return t
}

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Errorf("%s: got error %v, want %v", what, got, want)
	}
}

func contains(texts []string, sub string) bool {
	for _, s := range texts {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func isErr(err, target error) bool { return errors.Is(err, target) }

// instance says what startInstance makes: a handoff.Service on store
// wired to a bot.Engine on botStore running flows, which replies on
// bottest.Channel through sender.
type instance struct {
	store    handoff.Store
	botStore bot.Store
	flows    *flows.File
	sender   *bottest.Sender
	// name, when set, names the engine in the outbox (bot.WithOwner) and,
	// with bus, the Service on it (handoff.WithShared).
	name   string
	bus    bot.Bus
	leader handoff.Leader   // when set, handoff.WithLeader
	svc    []handoff.Option // the Service's options besides the bcrypt cost and the logger
	eng    []bot.Option     // the engine's besides the quiet window, escalator, listener and logger
	// wrap, when set, makes the engine the Service is given of the engine.
	wrap func(handoff.Engine) handoff.Engine
	// run, when set, runs the Service in it until ctx ends.
	run *sync.WaitGroup
}

// startInstance makes in's Service and engine; the engine closes when
// the test ends.
func startInstance(t *testing.T, ctx context.Context, in instance) (*handoff.Service, *bot.Engine) {
	t.Helper()
	svcOpts := []handoff.Option{handoff.WithBcryptCost(bcrypt.MinCost), handoff.WithLogger(quiet())}
	engOpts := []bot.Option{bot.WithQuietWindow(0)}
	if in.name != "" {
		engOpts = append(engOpts, bot.WithOwner(in.name))
		if in.bus != nil {
			svcOpts = append(svcOpts, handoff.WithShared(in.bus, in.name))
		}
	}
	if in.leader != nil {
		svcOpts = append(svcOpts, handoff.WithLeader(in.leader))
	}
	svc, err := handoff.New(ctx, in.store, nil, append(svcOpts, in.svc...)...)
	if err != nil {
		t.Fatal(err)
	}
	engOpts = append(engOpts, in.eng...)
	engOpts = append(engOpts, bot.WithEscalator(svc), bot.WithListener(svc), bot.WithLogger(quiet()))
	eng, err := bot.New(ctx, in.botStore, in.flows, bottest.Analyzer, engOpts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	eng.Register(bottest.Channel, in.sender)
	if in.wrap != nil {
		svc.SetEngine(in.wrap(eng))
	} else {
		svc.SetEngine(eng)
	}
	if in.run != nil {
		in.run.Go(func() { _ = svc.Run(ctx) })
	}
	return svc, eng
}

// createAgent stores an online agent id with every skill and room for
// two tickets.
func createAgent(t *testing.T, ctx context.Context, store handoff.Store, id string) {
	t.Helper()
	acc := handoff.Account{Agent: handoff.Agent{ID: id, Skills: []string{handoff.AnySkill}, Capacity: 2,
		Presence: handoff.PresenceOnline}, PasswordHash: []byte("$2a$04$x")}
	if err := store.CreateAgent(ctx, acc); err != nil {
		t.Fatal(err)
	}
}
