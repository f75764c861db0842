// Package adaptertest is the contract every chat platform adapter passes:
// one suite of end-to-end scenarios, run on the real engine with the default
// flows, against the platform's fake server. A platform's tests implement
// Platform for their fake and call Run:
//
//	func TestContract(t *testing.T) {
//		adaptertest.Run(t, adaptertest.Config{Platform: func(t *testing.T) adaptertest.Platform { return newFake(t) }})
//	}
//
// The scenarios: a conversation through all five stages in English (a
// choice tapped as a button, which must reach the engine as Message.Choice
// with the button's label as the text: the suite's analyzer misreads
// labels) and Italian (a choice typed as text); a
// redelivered event stored once; a 429 on send retried after the delay with
// nothing lost or doubled; a dropped connection reconnected; an oversized
// customer message answered with the flows' too_long text and a reply
// longer than a platform message delivered whole, in parts; a forged
// request rejected with nothing stored; 50 messages of one chat delivered
// at once and stored in order; a failed Handle delivered again; and the
// process killed between store and send, then restarted, delivering the
// reply once. A platform with an agent surface (AgentPlatform) also runs a
// handoff claimed, answered, noted and released from that surface, with
// the handoff service (what the web desk reads) seeing the same state.
package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calmbot/calmbot"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/flows"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

// Adapter is the lifecycle every platform adapter implements.
type Adapter = bot.Adapter

// Sent is a message the fake platform received for a customer.
type Sent struct {
	Text string
	// Buttons are the labels of the message's buttons, in order.
	Buttons []string
}

// Platform is a fake platform server and the way to make adapters for it.
// Chats are named by the suite ("alice"); the platform maps them to its ids.
// Every method may be called from the test goroutine only, and fails the
// test on an error of the fake itself.
type Platform interface {
	// NewAdapter returns a new, unstarted adapter pointed at the fake.
	// Adapters of one Platform share their durable state, as one process
	// restarted would.
	NewAdapter(t testing.TB) Adapter
	// Address is the conversation of chat.
	Address(chat string) bot.Address
	// Say makes chat's customer (whose client reports locale) write text.
	// It returns the bot.Message ID the adapter should report for it.
	Say(t testing.TB, chat, locale, text string) string
	// SayAll makes chat's customer write texts, all delivered at once (one
	// poll batch, one burst of events), and returns their message IDs.
	SayAll(t testing.TB, chat, locale string, texts []string) []string
	// Tap presses button n (1-based) of the last message with buttons in
	// chat and returns the bot.Message ID the adapter should report.
	Tap(t testing.TB, chat string, n int) string
	// Redeliver delivers chat's last event once more, with the same ids.
	Redeliver(t testing.TB, chat string)
	// Sent returns what the platform accepted for chat so far, in order.
	Sent(chat string) []Sent
	// Throttle makes the next send answer "too many requests, retry after d".
	Throttle(d time.Duration)
	// FailSends makes every send fail with a server error while on.
	FailSends(on bool)
	// Drop breaks the adapter's connection to the platform n times in a
	// row (a connection closed, a failing poll or a lost socket).
	Drop(n int)
	// Forge delivers an event for chat that the platform did not sign or
	// authenticate and returns the HTTP status the adapter answered.
	Forge(t testing.TB, chat, text string) int
}

// AgentPlatform is a Platform whose adapter has an agent surface (a
// Telegram agent group, a Slack or Discord handoff channel): people named
// by the suite ("ada", "bruno"), all of them members of the surface, act
// on tickets there.
type AgentPlatform interface {
	Platform
	// NewAgentAdapter is NewAdapter with the agent surface on api.
	NewAgentAdapter(t testing.TB, api *handoff.Service) Adapter
	// Ticket waits until ticket id is shown on the surface and returns its
	// message as it reads now.
	Ticket(t testing.TB, id int64) Sent
	// AgentTap makes agent press the button of ticket id's message whose
	// label starts with label, and returns the platform's answer to the
	// tap once it came ("" when the platform answers taps silently).
	AgentTap(t testing.TB, agent string, id int64, label string) string
	// AgentSay makes agent write text where ticket id is worked on (its
	// thread or topic).
	AgentSay(t testing.TB, agent string, id int64, text string)
	// Thread returns what the surface posted where ticket id is worked
	// on, the ticket's own message excluded.
	Thread(id int64) []Sent
}

// Unforgeable is implemented by a Platform whose adapter takes no inbound
// request that anyone could forge (a gateway client, which dials the
// platform itself with its token and serves no webhook): Run skips the
// Forged scenario for it, logging the reason Unforgeable returns.
type Unforgeable interface {
	Unforgeable() string
}

// Config is what Run needs.
type Config struct {
	// Platform returns a fresh fake for one scenario.
	Platform func(t *testing.T) Platform
	// OpenStore opens the store kept at path (for the restart scenario it is
	// opened twice, the first one closed before); nil for the in-memory
	// bottest.Store.
	OpenStore func(t testing.TB, path string) (bot.Store, func())
}

// Run runs every scenario as a subtest.
func Run(t *testing.T, cfg Config) {
	scenarios := []struct {
		name string
		run  func(t *testing.T, cfg Config)
	}{
		{"FiveStagesEnglishTap", fiveStagesEnglish},
		{"FiveStagesItalianTyped", fiveStagesItalian},
		{"Redelivery", redelivery},
		{"RetryAfter", retryAfter},
		{"Reconnect", reconnect},
		{"Oversized", oversized},
		{"Forged", forged},
		{"Order", order},
		{"HandleFailure", handleFailure},
		{"Restart", restart},
		{"AgentSurface", agentSurface},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) { s.run(t, cfg) })
	}
}

// Timeout bounds every wait of the suite.
const Timeout = 15 * time.Second

// Flows returns the default flows, parsed and validated.
func Flows(tb testing.TB) *flows.File {
	tb.Helper()
	f, err := flows.Parse("flows.yaml", calmbot.DefaultFlows())
	if err != nil {
		tb.Fatalf("default flows: %v", err)
	}
	if ds := f.Validate(); len(ds) > 0 {
		tb.Fatalf("default flows: %v", ds)
	}
	return f
}

// env is one scenario's engine, adapter and fake.
type env struct {
	t     *testing.T
	cfg   Config
	p     Platform
	store bot.Store
	close func() // closes store
	path  string
	e     *bot.Engine
	ad    Adapter
	stop  func() // stops the engine's Run, when started
	svc   *handoff.Service
}

type envOptions struct {
	clock   bot.Clock
	handler func(bot.Handler) bot.Handler
	run     bool // run the engine (resume, periodic resend)
	// analyzer replaces the standard analyzer.
	analyzer bot.AnalyzerFactory
	// agents wires a handoff service (en.svc) and the adapter's agent surface.
	agents bool
}

func newEnv(t *testing.T, cfg Config) *env {
	en := &env{t: t, cfg: cfg, p: cfg.Platform(t), path: filepath.Join(t.TempDir(), "calmbot.db")}
	en.store = en.openStore()
	return en
}

func (en *env) openStore() bot.Store {
	if en.cfg.OpenStore == nil {
		if en.store != nil {
			return en.store
		}
		return bottest.NewStore()
	}
	st, closeStore := en.cfg.OpenStore(en.t, en.path)
	en.close = sync.OnceFunc(closeStore)
	en.t.Cleanup(en.close)
	return st
}

// start makes an engine on the env's store and a started adapter.
func (en *env) start(o envOptions) {
	t := en.t
	t.Helper()
	opts := []bot.Option{bot.WithQuietWindow(0)}
	if o.clock != nil {
		opts = append(opts, bot.WithClock(o.clock))
	}
	analyzer := bottest.Analyzer
	if o.analyzer != nil {
		analyzer = o.analyzer
	}
	if o.agents {
		svc, err := handoff.New(context.Background(), handofftest.NewStore(), nil, handoff.WithBcryptCost(4))
		if err != nil {
			t.Fatalf("handoff: %v", err)
		}
		en.svc = svc
		opts = append(opts, bot.WithEscalator(svc), bot.WithListener(svc))
	}
	e, err := bot.New(context.Background(), en.store, Flows(t), analyzer, opts...)
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	en.e = e
	t.Cleanup(func() { _ = e.Close() })
	var ad Adapter
	if o.agents {
		en.svc.SetEngine(e)
		ad = en.p.(AgentPlatform).NewAgentAdapter(t, en.svc)
	} else {
		ad = en.p.NewAdapter(t)
	}
	e.Register(ad.Channel(), ad)
	en.ad = ad
	if o.run {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = e.Run(ctx) }()
		en.stop = func() { cancel(); <-done }
		t.Cleanup(en.stop)
		select {
		case <-e.Resumed():
		case <-time.After(Timeout):
			t.Fatal("engine did not resume")
		}
	}
	var h bot.Handler = e
	if o.handler != nil {
		h = o.handler(e)
	}
	// Start's context is the adapter's lifetime: Stop ends it here.
	if err := ad.Start(context.Background(), h); err != nil {
		t.Fatalf("start adapter: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		if err := ad.Stop(ctx); err != nil {
			t.Errorf("stop adapter: %v", err)
		}
	})
}

// transcript returns chat's stored messages.
func (en *env) transcript(chat string) []bot.Entry {
	en.t.Helper()
	tr, err := en.e.Transcript(context.Background(), en.p.Address(chat))
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		en.t.Fatalf("transcript: %v", err)
	}
	return tr
}

// eventually polls cond until it holds or Timeout passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// stored waits until the message with platform id is in chat's transcript
// and returns the transcript.
func (en *env) stored(chat, id string) []bot.Entry {
	en.t.Helper()
	var tr []bot.Entry
	eventually(en.t, "message "+id+" stored", func() bool {
		tr = en.transcript(chat)
		for _, e := range tr {
			if e.Direction == bot.Inbound && e.PlatformID == id {
				return true
			}
		}
		return false
	})
	return tr
}

// delivered waits until every outbound entry of chat's transcript reached
// the platform and returns what was sent.
func (en *env) delivered(chat string) []Sent {
	en.t.Helper()
	var sent []Sent
	eventually(en.t, "replies delivered to "+chat, func() bool {
		sent = en.p.Sent(chat)
		for _, e := range en.transcript(chat) {
			if e.Direction == bot.Outbound && count(sent, e.Text) == 0 {
				return false
			}
		}
		return true
	})
	return sent
}

// turn has chat's customer say text and waits for the bot's answer; it
// returns the messages sent since before the turn.
func (en *env) turn(chat, locale, text string) []Sent {
	en.t.Helper()
	before := len(en.p.Sent(chat))
	id := en.p.Say(en.t, chat, locale, text)
	en.stored(chat, id)
	en.answered(chat)
	return en.delivered(chat)[before:]
}

// answered waits until the engine has answered everything chat's customer wrote.
func (en *env) answered(chat string) {
	en.t.Helper()
	eventually(en.t, chat+" answered", func() bool {
		s, err := en.e.Conversation(context.Background(), en.p.Address(chat))
		return err == nil && s.Processed == s.Seq
	})
}

// count is how many sent messages carry text (its start, for a split one).
func count(sent []Sent, text string) int {
	key := prefix(text)
	n := 0
	for _, s := range sent {
		if strings.Contains(s.Text, key) {
			n++
		}
	}
	return n
}

func prefix(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60])
	}
	return s
}

// snapshot returns chat's stored state.
func (en *env) snapshot(chat string) *bot.Snapshot {
	en.t.Helper()
	s, err := en.e.Conversation(context.Background(), en.p.Address(chat))
	if err != nil {
		en.t.Fatalf("conversation %s: %v", chat, err)
	}
	return s
}

func (en *env) wantState(chat, state string) {
	en.t.Helper()
	if got := en.snapshot(chat).State; got != state {
		en.t.Fatalf("%s: state %q, want %q", chat, got, state)
	}
}

func anyContains(sent []Sent, sub string) bool {
	for _, s := range sent {
		if strings.Contains(strings.ToLower(s.Text), strings.ToLower(sub)) {
			return true
		}
	}
	return false
}

// exactlyOnce checks that every reply of chat's transcript reached the
// platform once, and nothing else did.
func (en *env) exactlyOnce(chat string) {
	en.t.Helper()
	sent := en.p.Sent(chat)
	n := 0
	for _, e := range en.transcript(chat) {
		if e.Direction != bot.Outbound {
			continue
		}
		n++
		if got := count(sent, e.Text); got != 1 {
			en.t.Errorf("reply %q sent %d times, want once", prefix(e.Text), got)
		}
	}
	if len(sent) != n {
		en.t.Errorf("platform got %d messages for %d replies: %q", len(sent), n, texts(sent))
	}
}

func texts(sent []Sent) []string {
	out := make([]string, len(sent))
	for i, s := range sent {
		out[i] = prefix(s.Text)
	}
	return out
}

// misreading is the standard analyzer, except that it reads an offered
// option's label as choosing another option: a tap that reaches the
// engine as text would choose the wrong one.
type misreading struct{ bot.Analyzer }

func (m misreading) Analyze(ctx context.Context, in bot.AnalyzeInput) bot.Analysis {
	a := m.Analyzer.Analyze(ctx, in)
	for i, c := range in.Choices {
		if strings.EqualFold(strings.TrimSpace(in.Text), c.Label) {
			a.Choice = in.Choices[(i+1)%len(in.Choices)].ID
		}
	}
	return a
}

func misreadingAnalyzer(f *flows.File) (bot.Analyzer, error) {
	a, err := bottest.Analyzer(f)
	return misreading{a}, err
}

func fiveStagesEnglish(t *testing.T, cfg Config) {
	en := newEnv(t, cfg)
	// A tap must reach the engine as a choice, not as text to read.
	en.start(envOptions{analyzer: misreadingAnalyzer})
	const chat = "alice"
	got := en.turn(chat, "en", "Hi, my order hasn't arrived yet and it was due on Monday")
	en.wantState(chat, "confirm")
	if !anyContains(got, "thank you") {
		t.Errorf("acknowledge: no thanks in %q", texts(got))
	}
	got = en.turn(chat, "en", "yes, that's right")
	en.wantState(chat, "options")
	last := got[len(got)-1]
	if len(last.Buttons) != 3 {
		t.Fatalf("options: buttons %q, want 3", last.Buttons)
	}
	if !strings.Contains(last.Text, "2. "+last.Buttons[1]) {
		t.Errorf("options: the numbered list is not in the text: %q", last.Text)
	}
	before := len(en.p.Sent(chat))
	id := en.p.Tap(t, chat, 2)
	en.stored(chat, id)
	en.answered(chat)
	got = en.delivered(chat)[before:]
	en.wantState(chat, "agree")
	if !anyContains(got, "2 to 3 working days") {
		t.Errorf("agree: %q lacks the time frame of option 2", texts(got))
	}
	// The transcript keeps the label the customer saw and the option's id.
	tapped := en.inbound(chat)
	if tap := tapped[len(tapped)-1]; tap.Text != last.Buttons[1] || tap.Choice == "" || tap.Choice != en.snapshot(chat).Chosen {
		t.Errorf("tap stored as text %q choice %q (chosen %q), want the label %q and the option's id",
			tap.Text, tap.Choice, en.snapshot(chat).Chosen, last.Buttons[1])
	}
	en.turn(chat, "en", "yes, that works")
	en.wantState(chat, "close")
	got = en.turn(chat, "en", "no, thank you")
	if s := en.snapshot(chat); s.Status != bot.StatusEnded {
		t.Errorf("status %q, want ended", s.Status)
	}
	if !anyContains(got, "help@example.com") {
		t.Errorf("farewell: %q lacks the channels", texts(got))
	}
	if s := en.snapshot(chat); s.Lang != "en" {
		t.Errorf("lang %q, want en", s.Lang)
	}
	en.exactlyOnce(chat)
}

func fiveStagesItalian(t *testing.T, cfg Config) {
	en := newEnv(t, cfg)
	en.start(envOptions{})
	const chat = "giulia"
	got := en.turn(chat, "it", "Mi avete addebitato due volte lo stesso ordine")
	en.wantState(chat, "confirm")
	if !anyContains(got, "grazie") {
		t.Errorf("acknowledge: %q", texts(got))
	}
	got = en.turn(chat, "it", "sì, esatto")
	en.wantState(chat, "options")
	if last := got[len(got)-1]; len(last.Buttons) != 3 {
		t.Fatalf("options: buttons %q, want 3", last.Buttons)
	}
	got = en.turn(chat, "it", "1")
	en.wantState(chat, "agree")
	if !anyContains(got, "5-10 giorni lavorativi") {
		t.Errorf("agree: %q", texts(got))
	}
	en.turn(chat, "it", "sì, va bene")
	en.wantState(chat, "close")
	got = en.turn(chat, "it", "no, grazie")
	s := en.snapshot(chat)
	if s.Status != bot.StatusEnded || s.Lang != "it" {
		t.Errorf("status %q lang %q, want ended it", s.Status, s.Lang)
	}
	if !anyContains(got, "help@example.com") {
		t.Errorf("farewell: %q", texts(got))
	}
	en.exactlyOnce(chat)
}

func redelivery(t *testing.T, cfg Config) {
	en := newEnv(t, cfg)
	en.start(envOptions{})
	const chat = "bob"
	en.turn(chat, "en", "my parcel still hasn't arrived")
	en.p.Redeliver(t, chat)
	en.turn(chat, "en", "yes")
	inbound := 0
	for _, e := range en.transcript(chat) {
		if e.Direction == bot.Inbound {
			inbound++
		}
	}
	if inbound != 2 {
		t.Errorf("%d customer messages stored, want 2 (the redelivery ignored)", inbound)
	}
	en.wantState(chat, "options")
	en.exactlyOnce(chat)
}

func retryAfter(t *testing.T, cfg Config) {
	en := newEnv(t, cfg)
	clock := bottest.NewClock()
	en.start(envOptions{clock: clock})
	const chat = "carla"
	const wait = 2 * time.Second
	en.p.Throttle(wait)
	id := en.p.Say(t, chat, "en", "my order hasn't arrived")
	en.stored(chat, id)
	eventually(t, "the throttled send to wait for its retry", func() bool { return clock.Pending() > 0 })
	clock.Advance(wait - time.Millisecond)
	if sent := en.p.Sent(chat); len(sent) != 0 {
		t.Fatalf("sent %q before the retry-after passed", texts(sent))
	}
	clock.Advance(time.Millisecond)
	en.delivered(chat)
	en.exactlyOnce(chat)
}

func reconnect(t *testing.T, cfg Config) {
	en := newEnv(t, cfg)
	en.start(envOptions{})
	const chat = "dan"
	en.turn(chat, "en", "my order hasn't arrived")
	en.p.Drop(3)
	en.turn(chat, "en", "yes")
	en.wantState(chat, "options")
	en.exactlyOnce(chat)
}

func oversized(t *testing.T, cfg Config) {
	en := newEnv(t, cfg)
	en.start(envOptions{})
	const chat = "erik"
	max := Flows(t).Policy.MaxMessageBytes
	long := strings.Repeat("è", max/2+10) // over max_message_bytes, in fewer characters
	got := en.turn(chat, "it", long)
	want, _ := Flows(t).Texts.TooLong.Get("it", "")
	if !anyContains(got, prefix(want)) {
		t.Errorf("oversized message answered %q, want the too_long text %q", texts(got), want)
	}

	// A reply longer than one platform message arrives whole, in parts.
	var b strings.Builder
	for i := 0; b.Len() < 20000; i++ {
		fmt.Fprintf(&b, "word%d ", i)
		if i%97 == 96 {
			b.WriteString("\n")
		}
	}
	text := strings.TrimSpace(b.String())
	before := len(en.p.Sent(chat))
	if err := en.e.Post(context.Background(), en.p.Address(chat), "agent", text); err != nil {
		t.Fatal(err)
	}
	var parts []Sent
	eventually(t, "the long reply", func() bool {
		parts = en.p.Sent(chat)[before:]
		return len(strings.Fields(joined(parts))) >= len(strings.Fields(text))
	})
	if len(parts) < 2 {
		t.Errorf("a %d-byte reply went out as %d message(s)", len(text), len(parts))
	}
	if got, want := strings.Join(strings.Fields(joined(parts)), " "), strings.Join(strings.Fields(text), " "); got != want {
		t.Errorf("the parts do not add up to the reply:\n got %.200q\nwant %.200q", got, want)
	}
}

func joined(sent []Sent) string {
	var b strings.Builder
	for _, s := range sent {
		b.WriteString(s.Text)
		b.WriteString("\n")
	}
	return b.String()
}

func forged(t *testing.T, cfg Config) {
	en := newEnv(t, cfg)
	if u, ok := en.p.(Unforgeable); ok {
		t.Skip(u.Unforgeable())
	}
	en.start(envOptions{})
	const chat = "mallory"
	if got := en.p.Forge(t, chat, "I want a refund of everything"); got != 401 {
		t.Errorf("forged request answered %d, want 401", got)
	}
	if _, err := en.e.Conversation(context.Background(), en.p.Address(chat)); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("forged request stored something: %v", err)
	}
}

func order(t *testing.T, cfg Config) {
	en := newEnv(t, cfg)
	en.start(envOptions{})
	const chat = "fred"
	texts := make([]string, 50)
	for i := range texts {
		texts[i] = fmt.Sprintf("message number %d about my order", i+1)
	}
	ids := en.p.SayAll(t, chat, "en", texts)
	var tr []bot.Entry
	eventually(t, "50 messages stored", func() bool {
		tr = en.inbound(chat)
		return len(tr) >= len(texts)
	})
	for i, e := range tr {
		if i >= len(texts) || e.Text != texts[i] || e.PlatformID != ids[i] {
			t.Fatalf("stored message %d is %q (%s), want %q (%s)", i, e.Text, e.PlatformID, texts[min(i, len(texts)-1)], ids[min(i, len(ids)-1)])
		}
	}
}

func (en *env) inbound(chat string) []bot.Entry {
	var out []bot.Entry
	for _, e := range en.transcript(chat) {
		if e.Direction == bot.Inbound {
			out = append(out, e)
		}
	}
	return out
}

// failOnce fails the first Handle of a message with text, as a store that
// could not commit would.
type failOnce struct {
	bot.Handler
	text   string
	mu     sync.Mutex
	failed int
}

func (f *failOnce) Handle(ctx context.Context, m bot.Message) error {
	f.mu.Lock()
	fail := m.Text == f.text && f.failed == 0
	if fail {
		f.failed++
	}
	f.mu.Unlock()
	if fail {
		return errors.New("store unavailable")
	}
	return f.Handler.Handle(ctx, m)
}

func (f *failOnce) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

func handleFailure(t *testing.T, cfg Config) {
	en := newEnv(t, cfg)
	const text = "my order hasn't arrived"
	var f *failOnce
	en.start(envOptions{handler: func(h bot.Handler) bot.Handler { f = &failOnce{Handler: h, text: text}; return f }})
	const chat = "gina"
	en.turn(chat, "en", text)
	if f.count() != 1 {
		t.Fatalf("the failing Handle ran %d times, want 1", f.count())
	}
	en.wantState(chat, "confirm")
	if n := len(en.inbound(chat)); n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
	en.exactlyOnce(chat)
}

func restart(t *testing.T, cfg Config) {
	en := newEnv(t, cfg)
	// A clock that never moves: the failed send is not retried before the "kill".
	en.start(envOptions{clock: bottest.NewClock()})
	const chat = "hana"
	en.p.FailSends(true)
	id := en.p.Say(t, chat, "en", "my order hasn't arrived")
	en.stored(chat, id)
	en.answered(chat)
	if sent := en.p.Sent(chat); len(sent) != 0 {
		t.Fatalf("sent %q while sends fail", texts(sent))
	}
	// The process dies: the engine and the adapter stop, replies undelivered.
	if err := en.e.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if err := en.ad.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if cfg.OpenStore != nil {
		en.close()
		en.store = en.openStore()
	}
	en.p.FailSends(false)
	en.start(envOptions{run: true})
	en.delivered(chat)
	en.exactlyOnce(chat)
	en.turn(chat, "en", "yes")
	en.wantState(chat, "options")
	en.exactlyOnce(chat)
}

func agentSurface(t *testing.T, cfg Config) {
	en := newEnv(t, cfg)
	ap, ok := en.p.(AgentPlatform)
	if !ok {
		t.Skip("the platform has no agent surface")
	}
	en.start(envOptions{agents: true})
	ctx := context.Background()
	const chat = "ines"
	en.turn(chat, "en", "I want to talk to a human")
	var tk *handoff.Ticket
	eventually(t, "a ticket", func() bool {
		for _, x := range en.svc.Tickets() {
			if x.Address == en.p.Address(chat) {
				tk = x
				return true
			}
		}
		return false
	})
	if m := ap.Ticket(t, tk.ID); !strings.Contains(m.Text, "I want to talk to a human") || len(m.Buttons) == 0 {
		t.Errorf("the ticket shows %q with buttons %q, want its first message and buttons", prefix(m.Text), m.Buttons)
	}

	// Ada claims; the desk sees it; Bruno's claim changes nothing.
	ap.AgentTap(t, "ada", tk.ID, "Claim")
	var owner string
	eventually(t, "the claim", func() bool {
		x, err := en.svc.Ticket(ctx, tk.ID)
		owner = x.Owner
		return err == nil && x.Status == handoff.StatusAssigned
	})
	ap.AgentTap(t, "bruno", tk.ID, "Claim")
	if x, _ := en.svc.Ticket(ctx, tk.ID); x.Owner != owner {
		t.Errorf("a second claim took the ticket from %s to %s", owner, x.Owner)
	}

	// Ada answers and notes; the customer gets only the answer.
	before := len(en.p.Sent(chat))
	ap.AgentSay(t, "ada", tk.ID, "Hello, Ada here. I am looking at it.")
	ap.AgentSay(t, "ada", tk.ID, "/note asked for a person straight away")
	eventually(t, "the note", func() bool { x, _ := en.svc.Ticket(ctx, tk.ID); return len(x.Notes) == 1 })
	eventually(t, "the answer at the customer", func() bool { return anyContains(en.p.Sent(chat)[before:], "Ada here") })
	tr := en.transcript(chat)
	if last := tr[len(tr)-1]; last.Author != handoff.Author(owner) {
		t.Errorf("the answer is stored from %q, want %q", last.Author, handoff.Author(owner))
	}
	if anyContains(en.p.Sent(chat), "straight away") {
		t.Errorf("the customer got the note")
	}

	// The customer's message shows on the surface.
	id := en.p.Say(t, chat, "en", "It is order 5521")
	en.stored(chat, id)
	eventually(t, "the customer's message on the surface", func() bool { return anyContains(ap.Thread(tk.ID), "It is order 5521") })

	// Ada gives the conversation back to the bot, which answers again.
	before = len(en.p.Sent(chat))
	ap.AgentSay(t, "ada", tk.ID, "/release")
	eventually(t, "the ticket closed", func() bool { x, _ := en.svc.Ticket(ctx, tk.ID); return x.Status == handoff.StatusClosed })
	eventually(t, "the bot to answer again", func() bool { return len(en.p.Sent(chat)) > before })
	eventually(t, "the ticket's buttons to go", func() bool { return len(ap.Ticket(t, tk.ID).Buttons) == 0 })
	if s := en.snapshot(chat); s.Status == bot.StatusHuman {
		t.Errorf("the conversation is still with a person")
	}
}
