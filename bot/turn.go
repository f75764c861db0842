package bot

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/looplab/fsm"

	"github.com/calmbot/calmbot/flows"
)

// Handoff reason codes: the flows' closed set (flows.HandoffReasons).
const (
	ReasonCustomerRequest   = flows.ReasonCustomerRequest
	ReasonNegativeSentiment = flows.ReasonNegativeSentiment
	ReasonWorsening         = flows.ReasonWorsening
	ReasonNotCalmed         = flows.ReasonNotCalmed
	ReasonNotUnderstood     = flows.ReasonNotUnderstood
	ReasonOutOfScope        = flows.ReasonOutOfScope
	ReasonHumanOnly         = flows.ReasonHumanOnly
	ReasonOptionNeedsHuman  = flows.ReasonOptionNeedsHuman
	ReasonFlowHandoff       = flows.ReasonFlowHandoff
)

// maxSteps bounds the states one turn may pass through (next chains).
const maxSteps = 64

// session is one turn of one conversation: it reads the customer's text,
// moves the state machine and collects replies. It works on a copy of the
// conversation's snapshot; the engine adopts the result only after the
// store committed it.
type session struct {
	prog     *program
	snap     *Snapshot
	channel  string
	locale   string
	now      time.Time
	analysis *Analysis
	replies  []Reply
	handoff  *HandoffRecord
	rating   *Rating
	author   string       // who speaks: "" for the bot, else a person
	action   bool         // a person's action, not a customer turn
	leaving  *flows.State // the state a transition leaves, for the close's farewell
	// unfilled are the placeholders a text of the turn could not fill
	// (that text was replaced); an action with any is refused.
	unfilled []string
	// answers are what the knowledge base's answers did in the turn.
	answers []AnswerOutcome
	log     *slog.Logger
}

func (e *Engine) session(c *conv, snap *Snapshot, now time.Time) *session {
	return &session{prog: c.prog, snap: snap, channel: c.addr.Channel, locale: c.locale, now: now, log: e.log}
}

func (s *session) file() *flows.File { return s.prog.file }

// run is the policy: what a customer turn does to the conversation.
// choice is the option id a button press chose ("" for typed text): when
// that option is on offer it is taken as chosen, with no reading of text;
// otherwise (a button of an earlier question) text is read as typed.
func (s *session) run(ctx context.Context, text, choice, locale string) {
	f, pol := s.file(), s.file().Policy
	if s.snap.Status == StatusRating && s.rate(text) {
		return
	}
	if s.snap.Status == StatusEnded || s.snap.Status == StatusRating {
		if s.parting(ctx, text, locale) {
			return
		}
		s.startOver()
		if strings.TrimSpace(text) != "" || choice != "" {
			// The last conversation is over and this message begins the
			// next: texts.ended says so first (and marks where the new
			// conversation starts in the transcript, for a handoff's summary).
			s.say(f.Texts.Ended, nil)
		}
	}
	if s.snap.Status != StatusBot || strings.TrimSpace(text) == "" {
		return
	}
	if st := s.onOffer(choice); st != nil {
		s.handle(ctx, st, flows.EventChose+":"+choice)
		return
	}
	if len(text) > pol.MaxMessageBytes {
		s.say(f.Texts.TooLong, nil)
		return
	}
	a := s.prog.analyzer.Analyze(ctx, AnalyzeInput{Text: text, Lang: s.snap.Lang, Locale: locale, Choices: s.offered()})
	s.analysis = &a
	s.snap.Worst = min(s.snap.Worst, a.Sentiment)
	if a.Lang != "" {
		s.snap.Lang = f.Language(a.Lang)
	}
	if a.HumanRequest {
		s.handOff(ReasonCustomerRequest, nil)
		return
	}
	if s.snap.Flow != "" && a.Sentiment < pol.SentimentHandoffBelow {
		s.handOff(ReasonNegativeSentiment, nil)
		return
	}
	if s.snap.Flow != "" && s.worsening(a.Sentiment, pol.WorseningTurns) {
		s.handOff(ReasonWorsening, nil)
		return
	}
	if s.snap.Flow == "" {
		s.pick(ctx, a, text)
		return
	}
	st := s.prog.state(s.snap.Flow, s.snap.State)
	ev := event(st, a)
	if ev == "" && a.InScope && a.IntentScore >= switchThreshold(pol) && s.prog.intentFlow[a.Intent] != s.snap.Flow {
		// The reply answers nothing but clearly names another concern: follow it.
		s.pick(ctx, a, text)
		return
	}
	if ev == "" {
		ev = flows.EventUnclear
		if a.Sentiment < pol.StillUpsetBelow {
			ev = flows.EventStillUpset
		}
	}
	if st.Kind == flows.KindClose && ev == flows.EventAnythingElseYes && a.InScope {
		s.pick(ctx, a, text)
		return
	}
	s.handle(ctx, st, ev)
}

// parting answers a message after the conversation ended that only thanks
// or takes leave ("thanks, bye") with texts.goodbye, or nothing, and keeps
// the conversation ended: a goodbye is no new concern.
func (s *session) parting(ctx context.Context, text, locale string) bool {
	if strings.TrimSpace(text) == "" || len(text) > s.file().Policy.MaxMessageBytes {
		return false
	}
	a := s.prog.analyzer.Analyze(ctx, AnalyzeInput{Text: text, Lang: s.snap.Lang, Locale: locale})
	if !a.Goodbye || a.HumanRequest || a.InScope {
		return false
	}
	s.analysis = &a
	s.snap.Status, s.snap.RatingStep = StatusEnded, 0
	s.say(s.file().Texts.Goodbye, nil)
	return true
}

// onOffer returns the current state when it is a question whose options,
// as last offered, include choice; nil otherwise.
func (s *session) onOffer(choice string) *flows.State {
	if choice == "" || s.snap.Flow == "" || !slices.Contains(s.snap.Offered, choice) {
		return nil
	}
	st := s.prog.state(s.snap.Flow, s.snap.State)
	if st == nil || st.Kind != flows.KindChoices {
		return nil
	}
	return st
}

// lastChoice is the button press that ends a turn: the Choice of the
// turn's last message ("" when the customer typed it). A press followed
// by typed words in the same burst is read as the words.
func lastChoice(burst, fresh []Entry) string {
	if n := len(fresh); n > 0 {
		return fresh[n-1].Choice
	}
	if n := len(burst); n > 0 {
		return burst[n-1].Choice
	}
	return ""
}

// switchThreshold is the intent score a reply in the middle of a flow
// needs to switch to another concern: halfway between the policy's
// threshold and certainty, since a reply most likely still speaks of the
// concern at hand ("I'm still annoyed" is no new request).
func switchThreshold(p flows.Policy) float64 { return (1 + p.IntentThreshold) / 2 }

// worseningDrop is the least fall from the first to the last of the
// worsening turns that counts as a trend rather than noise.
const worseningDrop = 0.15

// worsening records the turn's sentiment and reports whether the last n
// turns of the flow were all negative, each lower than the one before, by
// at least worseningDrop in all: de-escalation is not working.
func (s *session) worsening(score float64, n int) bool {
	if n < 2 {
		return false
	}
	m := append(s.snap.Moods, score)
	if len(m) > n {
		m = m[len(m)-n:]
	}
	s.snap.Moods = m
	if len(m) < n || m[0]-score < worseningDrop {
		return false
	}
	for i, v := range m {
		if v >= 0 || i > 0 && v >= m[i-1] {
			return false
		}
	}
	return true
}

// event reads the analysis as an answer to the state's question.
func event(st *flows.State, a Analysis) string {
	switch st.Kind {
	case flows.KindChoices:
		if a.Choice != "" {
			return flows.EventChose + ":" + a.Choice
		}
		if a.Answer == AnswerNo {
			return flows.EventDenied
		}
	case flows.KindClose:
		// "No, that's all" ends the conversation even when a word of it
		// resembles a concern; a concern named with a yes goes on.
		switch {
		case a.Answer == AnswerNo:
			return flows.EventAnythingElseNo
		case a.Answer == AnswerYes, a.InScope:
			return flows.EventAnythingElseYes
		case a.Label == "positive":
			return flows.EventAnythingElseNo
		}
	default:
		switch a.Answer {
		case AnswerYes:
			return flows.EventConfirmed
		case AnswerNo:
			return flows.EventDenied
		}
	}
	return ""
}

// handle applies an event in the current state: counting failed attempts
// and unclear replies, and handing off when they run out.
func (s *session) handle(ctx context.Context, st *flows.State, ev string) {
	pol := s.file().Policy
	switch {
	case ev == flows.EventUnclear:
		s.snap.Unclear++
		if s.snap.Unclear >= pol.MaxUnclear {
			s.handOff(ReasonNotUnderstood, nil)
			return
		}
		if st.On[flows.EventUnclear] == "" {
			s.sayJoined(s.file().Texts.Unclear, s.stateText(st), st)
			return
		}
	case ev == flows.EventStillUpset, ev == flows.EventDenied && (st.Kind == flows.KindChoices || st.Kind == flows.KindAgree):
		s.snap.Unclear = 0
		s.snap.Attempts++
		if s.snap.Attempts >= pol.MaxAttempts {
			s.handOff(ReasonNotCalmed, nil)
			return
		}
	default:
		s.snap.Unclear = 0
	}
	if name, ok := flows.IsAnswer(s.snap.Flow); ok && st.Name == flows.AnswerStateAnswer {
		switch ev {
		case flows.EventConfirmed:
			s.answers = append(s.answers, AnswerOutcome{Answer: name, Outcome: AnswerHelped})
		case flows.EventDenied:
			s.answers = append(s.answers, AnswerOutcome{Answer: name, Outcome: AnswerNotHelped})
		}
	}
	if id, ok := strings.CutPrefix(ev, flows.EventChose+":"); ok {
		c := s.prog.choices[s.snap.Flow][id]
		if c == nil {
			s.handle(ctx, st, flows.EventUnclear)
			return
		}
		s.snap.Chosen = id
		if c.Handoff != nil && st.On[ev] == "" {
			s.handOff(ReasonOptionNeedsHuman, c.Handoff)
			return
		}
	}
	s.fire(ctx, ev)
}

// fire moves the state machine on ev and enters where it lands.
func (s *session) fire(ctx context.Context, ev string) {
	s.leaving = s.prog.state(s.snap.Flow, s.snap.State)
	target, err := s.prog.fire(s.snap.Flow, s.snap.State, ev)
	if err != nil {
		var nt fsm.NoTransitionError
		if !errors.As(err, &nt) {
			// Validated flows have a transition for every event the engine
			// fires; treat a gap as a reply not understood.
			s.sayJoined(s.file().Texts.Unclear, s.stateText(s.leaving), s.leaving)
			return
		}
	}
	s.enter(ctx, target)
}

// pick starts the flow of the turn's intent, hands off a human-only
// intent, or asks what the concern is.
func (s *session) pick(ctx context.Context, a Analysis, text string) {
	f := s.file()
	if a.InScope {
		if flow, ok := s.prog.intentFlow[a.Intent]; ok {
			if flow == "" {
				s.handOff(ReasonHumanOnly, f.Intents[a.Intent].Handoff)
				return
			}
			if _, ok := flows.IsAnswer(flow); ok && a.Sentiment < f.Policy.StillUpsetBelow {
				// An upset customer's question: the acknowledgement
				// comes first, and the answer inside the same flow.
				s.startAt(ctx, flow, flows.AnswerStateAcknowledge)
				return
			}
			s.startFlow(ctx, flow)
			return
		}
	}
	if s.snap.Flow != "" {
		s.snap.Flow, s.snap.State = "", ""
	}
	if s.firstContact() && len(strings.Fields(text)) <= 4 {
		s.say(f.Texts.Welcome, nil)
		return
	}
	s.snap.Unclear++
	if s.snap.Unclear >= f.Policy.MaxUnclear {
		s.handOff(ReasonOutOfScope, nil)
		return
	}
	s.say(f.Texts.Clarify, nil)
}

// firstContact reports whether the bot has not said anything yet.
func (s *session) firstContact() bool {
	return s.snap.Processed == 0
}

// startFlow begins a flow at its start state.
func (s *session) startFlow(ctx context.Context, name string) {
	fl := s.prog.flow(name)
	if fl == nil {
		s.handOff(ReasonFlowHandoff, nil)
		return
	}
	s.startAt(ctx, name, fl.Start)
}

// startAt begins flow name at state start.
func (s *session) startAt(ctx context.Context, name, start string) {
	s.snap.Flow, s.snap.State = name, start
	s.snap.Attempts, s.snap.Unclear = 0, 0
	s.snap.Offered, s.snap.Chosen, s.snap.Visited, s.snap.Moods = nil, "", nil, nil
	s.leaving = nil
	s.enter(ctx, start)
}

// startOver turns an ended conversation into a fresh one on the same address.
func (s *session) startOver() {
	s.snap.Status = StatusBot
	s.snap.Flow, s.snap.State = "", ""
	s.snap.Attempts, s.snap.Unclear = 0, 0
	s.snap.Offered, s.snap.Chosen, s.snap.Visited, s.snap.Handoff, s.snap.HandedOff = nil, "", nil, nil, false
	s.snap.RatingStep, s.snap.Score, s.snap.RatedAt, s.snap.RatingOffered = 0, 0, time.Time{}, false
	s.snap.Moods, s.snap.Worst, s.snap.Started = nil, 0, s.now
}

// enter says what the state says and follows `next` until a state waits,
// the flow ends or the conversation goes to a human.
func (s *session) enter(ctx context.Context, target string) {
	f := s.file()
	for range maxSteps {
		switch target {
		case flows.TargetEnd:
			farewell := f.Texts.Farewell
			if s.leaving != nil && len(s.leaving.Farewell) > 0 {
				farewell = s.leaving.Farewell
			}
			s.say(farewell, nil)
			s.snap.Status = StatusEnded
			s.snap.State = target
			// A person helped in this conversation: the customer may rate it.
			if s.snap.HandedOff {
				s.askRating()
			}
			return
		case flows.TargetRestart:
			s.say(f.Texts.Restart, nil)
			s.snap.Flow, s.snap.State = "", ""
			s.snap.Attempts, s.snap.Unclear, s.snap.Offered, s.snap.Visited = 0, 0, nil, nil
			return
		case flows.TargetHandoff:
			s.handOff(ReasonFlowHandoff, nil)
			return
		}
		if next, ok := strings.CutPrefix(target, flows.TargetFlow); ok {
			// An answer that did not help leads to another flow or answer.
			s.startFlow(ctx, next)
			return
		}
		st := s.prog.state(s.snap.Flow, target)
		if st == nil {
			s.handOff(ReasonFlowHandoff, nil)
			return
		}
		if s.snap.Visited == nil {
			s.snap.Visited = map[string]int{}
		}
		s.snap.State = target
		s.snap.Visited[target]++
		if name, ok := flows.IsAnswer(s.snap.Flow); ok && target == flows.AnswerStateAnswer {
			s.answers = append(s.answers, AnswerOutcome{Answer: name, Outcome: AnswerGiven})
		}
		if st.Kind == flows.KindHandoff {
			if len(st.Say) > 0 {
				s.say(st.Say, nil)
			}
			s.handOffQuiet(ReasonFlowHandoff, st.Handoff)
			return
		}
		if st.Kind == flows.KindChoices {
			s.snap.Offered = s.snap.Offered[:0]
			for _, c := range st.Choices {
				s.snap.Offered = append(s.snap.Offered, c.ID)
			}
		}
		s.say(s.stateText(st), st)
		if st.Next == "" {
			return
		}
		s.leaving = st
		next, err := s.prog.fire(s.snap.Flow, target, eventNext)
		if err != nil {
			s.handOff(ReasonFlowHandoff, nil)
			return
		}
		target = next
	}
	s.handOff(ReasonFlowHandoff, nil)
}

// stateText is what the current state says: its `again` text from the
// second visit on, when it has one.
func (s *session) stateText(st *flows.State) flows.Text {
	if len(st.Again) > 0 && s.snap.Visited[s.snap.State] > 1 {
		return st.Again
	}
	return st.Say
}

// offered are the options on the table, labelled in the conversation's language.
func (s *session) offered() []Choice {
	if len(s.snap.Offered) == 0 || s.snap.Flow == "" {
		return nil
	}
	idx := s.prog.choices[s.snap.Flow]
	out := make([]Choice, 0, len(s.snap.Offered))
	for _, id := range s.snap.Offered {
		if c := idx[id]; c != nil {
			out = append(out, Choice{ID: id, Label: s.prog.text(c.Label, s.lang(), s.channel)})
		}
	}
	return out
}

// lang is the conversation's language: what the analyzer read, else what
// the platform reports, else the flows' default.
func (s *session) lang() string {
	if s.snap.Lang != "" {
		return s.snap.Lang
	}
	return s.file().Language(s.locale)
}

func (s *session) renderer() *renderer {
	r := &renderer{p: s.prog, lang: s.lang(), channel: s.channel}
	if s.snap.Chosen != "" && s.snap.Flow != "" {
		r.choice = s.prog.choices[s.snap.Flow][s.snap.Chosen]
	}
	return r
}

// say adds a reply; a choices state's reply carries its options.
func (s *session) say(t flows.Text, st *flows.State) {
	if len(t) == 0 {
		return
	}
	r := s.renderer()
	var choices []Choice
	if st != nil && st.Kind == flows.KindChoices {
		choices = s.offered()
		r.offered = choices
	}
	s.reply(s.guard(r, r.render(t)), choices)
}

// sayJoined says a and then b (a state's question) as one message.
func (s *session) sayJoined(a, b flows.Text, st *flows.State) {
	r := s.renderer()
	var choices []Choice
	if st != nil && st.Kind == flows.KindChoices {
		choices = s.offered()
		r.offered = choices
	}
	text := strings.TrimSpace(r.render(a) + " " + r.render(b))
	s.reply(s.guard(r, text), choices)
}

// guard returns text unless r left placeholders in it unfilled: then, so
// that a customer never reads a raw template, the flows' restart text
// ("what else can I do?") goes instead, and the turn records the gap.
func (s *session) guard(r *renderer, text string) string {
	if len(r.missing) == 0 {
		return text
	}
	s.unfilled = append(s.unfilled, r.missing...)
	if !s.action {
		s.log.Error("reply with unfilled placeholders not sent", "addr", s.snap.Address.String(),
			"flow", s.snap.Flow, "state", s.snap.State, "chosen", s.snap.Chosen, "missing", r.missing)
	}
	safe := &renderer{p: s.prog, lang: r.lang, channel: r.channel}
	if text := safe.render(s.file().Texts.Restart); len(safe.missing) == 0 {
		return text
	}
	return ""
}

func (s *session) reply(text string, choices []Choice) {
	if text == "" {
		return
	}
	s.replies = append(s.replies, Reply{
		Address: s.snap.Address, Text: text, Choices: choices, Author: s.author,
		Lang: s.lang(), Flow: s.snap.Flow, State: s.snap.State,
	})
}

// handOff tells the customer a person takes over and records why.
func (s *session) handOff(reason flows.Reason, h *flows.Handoff) {
	s.say(s.file().Texts.Handoff, nil)
	s.handOffQuiet(reason, h)
}

// handOffQuiet records a handoff without saying anything.
func (s *session) handOffQuiet(reason flows.Reason, h *flows.Handoff) {
	rec := &HandoffRecord{
		Address:  s.snap.Address,
		Reason:   reason,
		Priority: flows.DefaultPriority,
		Flow:     s.snap.Flow,
		State:    s.snap.State,
		Lang:     s.lang(),
		At:       s.now,
		Evidence: map[string]any{"attempts": s.snap.Attempts, "unclear": s.snap.Unclear},
	}
	if fl := s.prog.flow(s.snap.Flow); fl != nil {
		rec.Skill = fl.Skill
	}
	if h != nil {
		if h.Skill != "" {
			rec.Skill = h.Skill
		}
		if h.Priority != "" {
			rec.Priority = h.Priority
		}
	}
	// The evidence is what the bot relied on: an intent only when it
	// counted as a match, a request for a person only when there was one.
	if a := s.analysis; a != nil {
		rec.Evidence["sentiment"] = a.Sentiment
		rec.Evidence["label"] = a.Label
		if a.HumanRequest {
			rec.Evidence["human_request"] = true
		}
		if reason == ReasonWorsening {
			rec.Evidence["sentiments"] = slices.Clone(s.snap.Moods)
		}
		if a.Intent != "" && a.InScope {
			rec.Evidence["intent"] = a.Intent
			rec.Evidence["intent_score"] = a.IntentScore
		}
	}
	if pol := s.file().Policy; s.snap.Worst < 0 && s.snap.Worst < pol.RaisePriorityBelow {
		// A very upset customer waits less.
		if i := slices.Index(flows.Priorities, rec.Priority); i >= 0 && i+1 < len(flows.Priorities) {
			rec.Evidence["raised_from"] = rec.Priority
			rec.Priority = flows.Priorities[i+1]
		}
		rec.Evidence["worst_sentiment"] = s.snap.Worst
	}
	if s.snap.Chosen != "" {
		rec.Evidence["chosen"] = s.snap.Chosen
	}
	if name, ok := flows.IsAnswer(s.snap.Flow); ok {
		rec.Evidence["answer"] = name
	}
	s.snap.Status = StatusHuman
	s.snap.Handoff, s.snap.HandedOff = rec, true
	s.handoff = rec
}
