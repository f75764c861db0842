// Package metrics exports calmbot's service measures to Prometheus:
// conversations, handoffs by reason, containment, the handoff queue, wait
// and first human response times against their targets, sentiment change
// from a conversation's first to its last customer message, and ratings.
//
// It hears the engine as a bot.Listener; the handoff queue reports its own
// measures through the Observe* methods.
package metrics

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
)

// Metrics records calmbot's measures. It is safe for concurrent use.
type Metrics struct {
	conversations *prometheus.CounterVec
	messages      *prometheus.CounterVec
	handoffs      *prometheus.CounterVec
	ended         *prometheus.CounterVec
	sentiment     prometheus.Histogram
	ratings       prometheus.Histogram
	wait          *prometheus.HistogramVec
	firstResponse *prometheus.HistogramVec
	onTarget      *prometheus.CounterVec
	stalled       *prometheus.CounterVec
	paused        *prometheus.CounterVec
	hints         *prometheus.CounterVec
	assisted      *prometheus.HistogramVec
	answers       *prometheus.CounterVec

	mu    sync.Mutex
	moods map[bot.Address]*mood // sentiment of conversations in progress
	// outcomes counts each answer's outcomes (bot.AnswerGiven, ...).
	outcomes map[string]*AnswerCount

	started, contained, handedOff atomic.Int64
}

// Totals are the conversation counts since start, for dashboards.
type Totals struct {
	// Started counts conversations started; Contained those the bot ended
	// alone, HandedOff those that ended after a handoff.
	Started, Contained, HandedOff int64
}

// Totals returns the conversation counts since the process started.
func (m *Metrics) Totals() Totals {
	return Totals{Started: m.started.Load(), Contained: m.contained.Load(), HandedOff: m.handedOff.Load()}
}

// mood is a conversation's first and latest customer sentiment.
type mood struct {
	first, last float64
	handedOff   bool
}

// maxTracked bounds the conversations whose sentiment is followed; past it
// the oldest are forgotten (a conversation idle that long has ended).
const maxTracked = 1 << 18

var _ bot.Listener = (*Metrics)(nil)

// New registers calmbot's metrics with reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		conversations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "calmbot_conversations_started_total",
			Help: "Conversations started, by channel.",
		}, []string{"channel"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "calmbot_messages_total",
			Help: "Messages stored, by channel and author (customer, bot, agent).",
		}, []string{"channel", "author"}),
		handoffs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "calmbot_handoffs_total",
			Help: "Conversations handed to a person, by reason.",
		}, []string{"reason"}),
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "calmbot_conversations_ended_total",
			Help: "Conversations ended, by outcome: contained (the bot finished alone) or handed_off.",
		}, []string{"outcome"}),
		sentiment: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "calmbot_sentiment_change",
			Help:    "Change of customer sentiment (-2..2) from the first to the last customer message of a conversation, observed when it ends.",
			Buckets: []float64{-1.5, -1, -0.5, -0.25, 0, 0.25, 0.5, 1, 1.5},
		}),
		ratings: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "calmbot_rating_score",
			Help:    "Customers' ratings of the help a person gave, 1 to 5.",
			Buckets: []float64{1, 2, 3, 4, 5},
		}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "calmbot_queue_wait_seconds",
			Help:    "Time customers waited in the handoff queue until an agent took the conversation, by priority.",
			Buckets: []float64{5, 15, 30, 60, 120, 300, 600, 1800, 3600},
		}, []string{"priority"}),
		firstResponse: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "calmbot_first_response_seconds",
			Help:    "Time from a handoff to the first message of a person, by priority.",
			Buckets: []float64{5, 15, 30, 60, 120, 300, 600, 1800, 3600},
		}, []string{"priority"}),
		onTarget: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "calmbot_first_responses_total",
			Help: "First human responses after a handoff, by priority and whether they met the first-response target.",
		}, []string{"priority", "within_target"}),
		stalled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "calmbot_turns_stalled_total",
			Help: "Answers to stored customer messages that kept failing to commit (the engine keeps retrying, and logs an error), by channel: alert on any.",
		}, []string{"channel"}),
		paused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "calmbot_deliveries_paused_total",
			Help: "Replies not delivered after their last attempt, which paused their conversation's later replies until the next resend (logged as an error), by channel: alert on a rise.",
		}, []string{"channel"}),
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "calmbot_answers_total",
			Help: "Knowledge-base answers by answer and outcome: answered (given), helped and not_helped (the customer's reply to \"did that help?\").",
		}, []string{"answer", "outcome"}),
		hints:    newHints(),
		assisted: newAssisted(),
		moods:    map[bot.Address]*mood{},
		outcomes: map[string]*AnswerCount{},
	}
	reg.MustRegister(m.conversations, m.messages, m.handoffs, m.ended, m.sentiment, m.ratings, m.wait, m.firstResponse, m.onTarget, m.stalled, m.paused, m.hints, m.assisted, m.answers)
	return m
}

// Preset creates every labelled series with the values known up front (the
// channels given, each author, handoff reason, outcome and priority), at
// zero, so dashboards and absent() alerts see 0 rather than nothing before
// the first event.
func (m *Metrics) Preset(channels []string) {
	for _, ch := range channels {
		m.conversations.WithLabelValues(ch)
		for _, author := range []string{"customer", "bot", "agent"} {
			m.messages.WithLabelValues(ch, author)
		}
		m.stalled.WithLabelValues(ch)
		m.paused.WithLabelValues(ch)
	}
	for _, r := range flows.HandoffReasons {
		m.handoffs.WithLabelValues(string(r))
	}
	for _, o := range []string{"contained", "handed_off"} {
		m.ended.WithLabelValues(o)
	}
	for _, p := range flows.Priorities {
		m.wait.WithLabelValues(p)
		m.firstResponse.WithLabelValues(p)
		m.onTarget.WithLabelValues(p, "true")
		m.onTarget.WithLabelValues(p, "false")
	}
}

// QueueLength registers a gauge that reads the handoff queue's length.
func (m *Metrics) QueueLength(reg prometheus.Registerer, length func() int) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "calmbot_queue_length",
		Help: "Conversations waiting in the handoff queue for a person.",
	}, func() float64 { return float64(length()) }))
}

// Panics registers a counter that reads how many panics the process
// recovered from (each a bug, logged with its stack): alert on any.
func (m *Metrics) Panics(reg prometheus.Registerer, count func() int64) {
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "calmbot_panics_total",
		Help: "Panics recovered (in turns, listeners, senders, flow reloads, the resend loop); each is a bug logged with its stack: alert on any.",
	}, func() float64 { return float64(count()) }))
}

// ObserveWait records how long a customer waited until an agent took the conversation.
func (m *Metrics) ObserveWait(priority string, d time.Duration) {
	m.wait.WithLabelValues(priority).Observe(d.Seconds())
}

// ObserveFirstResponse records the first human response after a handoff
// against its target.
func (m *Metrics) ObserveFirstResponse(priority string, d, target time.Duration) {
	m.firstResponse.WithLabelValues(priority).Observe(d.Seconds())
	within := "false"
	if d <= target {
		within = "true"
	}
	m.onTarget.WithLabelValues(priority, within).Inc()
}

// Notify implements bot.Listener.
func (m *Metrics) Notify(_ context.Context, ev bot.Event) {
	switch ev.Kind {
	case bot.EventStarted:
		m.conversations.WithLabelValues(ev.Address.Channel).Inc()
		m.started.Add(1)
	case bot.EventMessage:
		m.messages.WithLabelValues(ev.Address.Channel, "customer").Inc()
		if a := ev.Entry.Analysis; a != nil {
			m.track(ev.Address, a.Sentiment)
		}
	case bot.EventReply:
		author := "bot"
		if ev.Entry.Author != "" {
			author = "agent"
		}
		m.messages.WithLabelValues(ev.Address.Channel, author).Inc()
	case bot.EventHandoff:
		m.handoffs.WithLabelValues(string(ev.Handoff.Reason)).Inc()
		m.mu.Lock()
		if md := m.moods[ev.Address]; md != nil {
			md.handedOff = true
		} else {
			m.moods[ev.Address] = &mood{first: math.NaN(), last: math.NaN(), handedOff: true}
		}
		m.mu.Unlock()
	case bot.EventRated:
		m.ratings.Observe(float64(ev.Rating.Score))
	case bot.EventAnswer:
		m.answers.WithLabelValues(ev.Answer.Answer, ev.Answer.Outcome).Inc()
		m.mu.Lock()
		c := m.outcomes[ev.Answer.Answer]
		if c == nil {
			c = &AnswerCount{Answer: ev.Answer.Answer}
			m.outcomes[ev.Answer.Answer] = c
		}
		switch ev.Answer.Outcome {
		case bot.AnswerGiven:
			c.Answered++
		case bot.AnswerHelped:
			c.Helped++
		case bot.AnswerNotHelped:
			c.NotHelped++
		}
		m.mu.Unlock()
	case bot.EventStalled:
		m.stalled.WithLabelValues(ev.Address.Channel).Inc()
	case bot.EventDeliveryPaused:
		m.paused.WithLabelValues(ev.Address.Channel).Inc()
	case bot.EventEnded:
		m.mu.Lock()
		md := m.moods[ev.Address]
		delete(m.moods, ev.Address)
		m.mu.Unlock()
		outcome := "contained"
		// The snapshot knows of a handoff made before a restart too.
		if md != nil && md.handedOff || ev.Snapshot != nil && ev.Snapshot.HandedOff {
			outcome = "handed_off"
			m.handedOff.Add(1)
		} else {
			m.contained.Add(1)
		}
		m.ended.WithLabelValues(outcome).Inc()
		if md != nil && !math.IsNaN(md.first) {
			m.sentiment.Observe(md.last - md.first)
		}
	}
}

// Tracked counts the conversations whose sentiment is followed: those in
// progress (an ended conversation is forgotten at once), at most 262,144.
func (m *Metrics) Tracked() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.moods)
}

func (m *Metrics) track(a bot.Address, s float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	md := m.moods[a]
	if md == nil {
		if len(m.moods) >= maxTracked {
			for k := range m.moods { // forget one at random: map order
				delete(m.moods, k)
				break
			}
		}
		md = &mood{first: s}
		m.moods[a] = md
	}
	if math.IsNaN(md.first) {
		md.first = s
	}
	md.last = s
}

// Messages returns the counter of messages stored on channel by author, for tests and dashboards.
func (m *Metrics) Messages(channel, author string) prometheus.Counter {
	return m.messages.WithLabelValues(channel, author)
}

// answerOutcomes are the outcome labels of calmbot_answers_total.
var answerOutcomes = []string{bot.AnswerGiven, bot.AnswerHelped, bot.AnswerNotHelped}

// KnowAnswers creates the series of calmbot_answers_total for every
// answer named, at zero, so that a dashboard sees an answer that was never
// given; call it whenever the flows are loaded.
func (m *Metrics) KnowAnswers(names []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range names {
		for _, o := range answerOutcomes {
			m.answers.WithLabelValues(n, o)
		}
		if m.outcomes[n] == nil {
			m.outcomes[n] = &AnswerCount{Answer: n}
		}
	}
}

// AnswerCount is how often one answer was given and what customers said of it.
type AnswerCount struct {
	Answer    string `json:"answer"`
	Answered  int64  `json:"answered"`
	Helped    int64  `json:"helped"`
	NotHelped int64  `json:"not_helped"`
}

// Answers returns the answers' counts since the process started, the
// answers that most often did not help first (then by name).
func (m *Metrics) Answers() []AnswerCount {
	m.mu.Lock()
	out := make([]AnswerCount, 0, len(m.outcomes))
	for _, c := range m.outcomes {
		out = append(out, *c)
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b AnswerCount) int {
		return cmp.Or(cmp.Compare(b.NotHelped, a.NotHelped), cmp.Compare(a.Answer, b.Answer))
	})
	return out
}
