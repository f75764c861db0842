package metrics_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/flows"
	"github.com/calmbot/calmbot/metrics"
)

func TestConversationsAndHandoffs(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	h := bottest.New(t, bottest.LoadFlows(t, "../flows.yaml"), bot.WithListener(m))

	// A calm customer the bot helps alone.
	calm := h.Chat("en")
	for _, s := range []string{"my parcel still has not arrived, this is so annoying", "yes", "1", "yes, that works", "no thanks, that's all"} {
		calm.Say(s)
	}
	if st := calm.Snapshot().Status; st != bot.StatusEnded {
		t.Fatalf("calm conversation status %s", st)
	}
	// A customer who asks for a person, whom an agent then closes.
	asks := h.Chat("en")
	asks.Say("my order is late")
	asks.Say("I want to talk to a human")
	if err := h.Engine.Finish(context.Background(), asks.Addr, false); err != nil {
		t.Fatal(err)
	}
	asks.Replies()

	want := `
# HELP calmbot_conversations_ended_total Conversations ended, by outcome: contained (the bot finished alone) or handed_off.
# TYPE calmbot_conversations_ended_total counter
calmbot_conversations_ended_total{outcome="contained"} 1
calmbot_conversations_ended_total{outcome="handed_off"} 1
# HELP calmbot_conversations_started_total Conversations started, by channel.
# TYPE calmbot_conversations_started_total counter
calmbot_conversations_started_total{channel="test"} 2
# HELP calmbot_handoffs_total Conversations handed to a person, by reason.
# TYPE calmbot_handoffs_total counter
calmbot_handoffs_total{reason="customer_request"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"calmbot_conversations_ended_total", "calmbot_conversations_started_total", "calmbot_handoffs_total"); err != nil {
		t.Error(err)
	}
	if got := m.Totals(); got != (metrics.Totals{Started: 2, Contained: 1, HandedOff: 1}) {
		t.Errorf("totals %+v", got)
	}
	if n := testutil.ToFloat64(m.Messages("test", "customer")); n != 7 {
		t.Errorf("customer messages %v, want 7", n)
	}
	// The calm customer ended happier than they started.
	if n := testutil.CollectAndCount(reg, "calmbot_sentiment_change"); n != 1 {
		t.Errorf("sentiment change series %d", n)
	}
	mf, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range mf {
		if f.GetName() == "calmbot_sentiment_change" {
			hg := f.GetMetric()[0].GetHistogram()
			if hg.GetSampleCount() != 2 || hg.GetSampleSum() <= 0 {
				t.Errorf("sentiment change: %d samples, sum %v; want 2 samples, the calm one improving", hg.GetSampleCount(), hg.GetSampleSum())
			}
		}
	}
}

func TestQueueMeasures(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	length := 3
	m.QueueLength(reg, func() int { return length })
	m.ObserveWait("high", 20*time.Second)
	m.ObserveFirstResponse("high", 45*time.Second, time.Minute)
	m.ObserveFirstResponse("high", 90*time.Second, time.Minute)
	m.Notify(context.Background(), bot.Event{Kind: bot.EventStalled, Address: bot.Address{Channel: "web", Conversation: "c1"}, Failures: 5})
	m.Notify(context.Background(), bot.Event{Kind: bot.EventDeliveryPaused, Address: bot.Address{Channel: "web", Conversation: "c1"}, Failures: 6})
	want := `
# HELP calmbot_deliveries_paused_total Replies not delivered after their last attempt, which paused their conversation's later replies until the next resend (logged as an error), by channel: alert on a rise.
# TYPE calmbot_deliveries_paused_total counter
calmbot_deliveries_paused_total{channel="web"} 1
# HELP calmbot_first_responses_total First human responses after a handoff, by priority and whether they met the first-response target.
# TYPE calmbot_first_responses_total counter
calmbot_first_responses_total{priority="high",within_target="false"} 1
calmbot_first_responses_total{priority="high",within_target="true"} 1
# HELP calmbot_queue_length Conversations waiting in the handoff queue for a person.
# TYPE calmbot_queue_length gauge
calmbot_queue_length 3
# HELP calmbot_turns_stalled_total Answers to stored customer messages that kept failing to commit (the engine keeps retrying, and logs an error), by channel: alert on any.
# TYPE calmbot_turns_stalled_total counter
calmbot_turns_stalled_total{channel="web"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "calmbot_first_responses_total", "calmbot_queue_length", "calmbot_turns_stalled_total",
		"calmbot_deliveries_paused_total"); err != nil {
		t.Error(err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("metric names break Prometheus conventions: %v %+v", err, problems)
	}
}

// TestPresetSeries: every documented series exists at 0 before anything
// happened, for each channel, reason, outcome and priority.
func TestPresetSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.Preset([]string{"web", "telegram"})
	for _, tt := range []struct {
		name string
		n    int
	}{
		{"calmbot_conversations_started_total", 2},
		{"calmbot_messages_total", 2 * 3},
		{"calmbot_handoffs_total", len(flows.HandoffReasons)},
		{"calmbot_conversations_ended_total", 2},
		{"calmbot_queue_wait_seconds", len(flows.Priorities)},
		{"calmbot_first_response_seconds", len(flows.Priorities)},
		{"calmbot_first_responses_total", 2 * len(flows.Priorities)},
		{"calmbot_turns_stalled_total", 2},
		{"calmbot_deliveries_paused_total", 2},
	} {
		if got := testutil.CollectAndCount(reg, tt.name); got != tt.n {
			t.Errorf("%s: %d series, want %d", tt.name, got, tt.n)
		}
	}
	want := `
# HELP calmbot_handoffs_total Conversations handed to a person, by reason.
# TYPE calmbot_handoffs_total counter
calmbot_handoffs_total{reason="customer_request"} 0
calmbot_handoffs_total{reason="flow_handoff"} 0
calmbot_handoffs_total{reason="human_only"} 0
calmbot_handoffs_total{reason="negative_sentiment"} 0
calmbot_handoffs_total{reason="not_calmed"} 0
calmbot_handoffs_total{reason="not_understood"} 0
calmbot_handoffs_total{reason="option_needs_human"} 0
calmbot_handoffs_total{reason="out_of_scope"} 0
calmbot_handoffs_total{reason="sentiment_worsening"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "calmbot_handoffs_total"); err != nil {
		t.Error(err)
	}
}

// TestContainmentAcrossRestart checks that a conversation handed to a
// person before a restart and ended by the bot after it (released, then
// "nothing else") counts as handed off, not as contained: the new process
// never heard the handoff.
func TestContainmentAcrossRestart(t *testing.T) {
	ctx := context.Background()
	f := bottest.LoadFlows(t, "../flows.yaml")
	store := bottest.NewStore()
	clock := bottest.NewClock()
	start := func(m *metrics.Metrics) *bot.Engine {
		e, err := bot.New(ctx, store, f, bottest.Analyzer, bot.WithQuietWindow(0), bot.WithClock(clock), bot.WithListener(m))
		if err != nil {
			t.Fatal(err)
		}
		e.Register(bottest.Channel, bottest.NewSender())
		return e
	}
	say := func(e *bot.Engine, addr bot.Address, id, text string) {
		t.Helper()
		if err := e.Handle(ctx, bot.Message{Address: addr, ID: id, Text: text, At: clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	addr := bot.Address{Channel: bottest.Channel, Conversation: "c1"}
	before := start(metrics.New(prometheus.NewRegistry()))
	say(before, addr, "1", "my order is late")
	say(before, addr, "2", "I want to talk to a human")
	if err := before.Close(); err != nil {
		t.Fatal(err)
	}

	m := metrics.New(prometheus.NewRegistry())
	after := start(m)
	defer func() { _ = after.Close() }()
	if err := after.Release(ctx, addr, "late_delivery", "close"); err != nil {
		t.Fatal(err)
	}
	say(after, addr, "3", "no thanks, that's all")
	snap, err := store.Load(ctx, addr)
	if err != nil || snap.Status != bot.StatusRating {
		t.Fatalf("after the release: %+v, %v; want ended, with the rating asked", snap, err)
	}
	if got := m.Totals(); got != (metrics.Totals{Contained: 0, HandedOff: 1}) {
		t.Errorf("totals after the restart %+v, want the conversation handed off", got)
	}
}

func TestAnswers(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	f := bottest.LoadFlows(t, "../flows.yaml")
	m.KnowAnswers(f.AnswerNames())
	h := bottest.New(t, f, bot.WithListener(m))
	for _, turns := range [][]string{
		{"how do I change my delivery address?", "yes, thanks"},
		{"where can I download my invoice?", "no"},
		{"where do I find the invoice for my order?", "no, it's not there"},
		{"which payment methods do you accept?", "no"}, // not helped, then instalments
	} {
		c := h.Chat("en")
		for _, s := range turns {
			c.Say(s)
		}
	}
	want := map[string]map[string]float64{
		"delivery_address": {"answered": 1, "helped": 1, "not_helped": 0},
		"invoice":          {"answered": 2, "helped": 0, "not_helped": 2},
		"payment_methods":  {"answered": 1, "helped": 0, "not_helped": 1},
		"instalments":      {"answered": 1, "helped": 0, "not_helped": 0},
		"newsletter":       {"answered": 0, "helped": 0, "not_helped": 0}, // pre-initialised
	}
	mf, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]float64{}
	for _, fam := range mf {
		if fam.GetName() != "calmbot_answers_total" {
			continue
		}
		for _, s := range fam.GetMetric() {
			var answer, outcome string
			for _, l := range s.GetLabel() {
				switch l.GetName() {
				case "answer":
					answer = l.GetValue()
				case "outcome":
					outcome = l.GetValue()
				}
			}
			if got[answer] == nil {
				got[answer] = map[string]float64{}
			}
			got[answer][outcome] = s.GetCounter().GetValue()
		}
	}
	if len(got) != len(f.Answers) {
		t.Errorf("series for %d answers, want all %d", len(got), len(f.Answers))
	}
	for a, outcomes := range want {
		for o, n := range outcomes {
			if v, ok := got[a][o]; !ok || v != n {
				t.Errorf("calmbot_answers_total{answer=%q,outcome=%q} = %v (present %v), want %v", a, o, v, ok, n)
			}
		}
	}
	list := m.Answers()
	if len(list) != len(f.Answers) || list[0] != (metrics.AnswerCount{Answer: "invoice", Answered: 2, NotHelped: 2}) ||
		list[1].Answer != "payment_methods" {
		t.Errorf("Answers() = %+v, want invoice then payment_methods first", list)
	}
}
