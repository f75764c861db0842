package handoff

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
)

// Summary is what an agent reads to answer a handed-off customer without
// asking them to repeat anything.
type Summary struct {
	TicketID int64       `json:"ticket_id"`
	Address  bot.Address `json:"address"`
	Channel  string      `json:"channel"`
	Lang     string      `json:"lang"`
	// Flow is the flow the bot ran and Concern its description.
	Flow    string `json:"flow,omitempty"`
	Concern string `json:"concern,omitempty"`
	// FirstMessage is the customer's first message of the conversation.
	FirstMessage string `json:"first_message,omitempty"`
	// Confirmation is the bot's confirming question and the customer's
	// answer, when the flow got that far.
	Confirmation *Exchange `json:"confirmation,omitempty"`
	// Offered are the options last offered, Chosen the one taken.
	Offered []bot.Choice `json:"offered,omitempty"`
	Chosen  *bot.Choice  `json:"chosen,omitempty"`
	// Moods are the sentiment of each customer turn the bot read.
	Moods []Mood `json:"moods,omitempty"`
	// Reason is the handoff's reason code, ReasonText it in words, and
	// Evidence the facts behind it.
	Reason     flows.Reason   `json:"reason"`
	ReasonText string         `json:"reason_text"`
	Evidence   map[string]any `json:"evidence,omitempty"`
	Skill      string         `json:"skill,omitempty"`
	Priority   string         `json:"priority"`
	// Created is when the bot handed off; Waited how long the customer
	// has waited for a person (until the first reply); Target the
	// first-response target; Responded whether a person replied.
	Created   time.Time     `json:"created"`
	Waited    time.Duration `json:"waited"`
	Target    time.Duration `json:"target"`
	Responded bool          `json:"responded"`
	// Since are the customer's messages written after the handoff.
	Since []string `json:"since,omitempty"`
}

// Exchange is a question of the bot and the customer's answer.
type Exchange struct {
	Question string `json:"question"`
	Answer   string `json:"answer,omitempty"`
	// Reading is how the bot read the answer: yes, no or "".
	Reading bot.Answer `json:"reading,omitempty"`
	// Confirmed is true when the customer confirmed (the answer read as
	// yes); AskedForPerson when they asked for a person instead of
	// answering (Answer is then empty).
	Confirmed      bool `json:"confirmed,omitempty"`
	AskedForPerson bool `json:"asked_for_person,omitempty"`
}

// Mood is the sentiment of one customer turn.
type Mood struct {
	Seq int64     `json:"seq"`
	At  time.Time `json:"at"`
	// Text is what the customer wrote.
	Text      string  `json:"text"`
	Sentiment float64 `json:"sentiment"`
	Label     string  `json:"label"`
}

// Transcript returns ticket id's conversation, both directions, in order.
func (s *summaries) Transcript(ctx context.Context, id int64) ([]bot.Entry, error) {
	eng, err := s.engine()
	if err != nil {
		return nil, err
	}
	t, err := s.Ticket(ctx, id)
	if err != nil {
		return nil, err
	}
	tr, err := eng.Transcript(ctx, t.Address)
	if err != nil {
		return nil, fmt.Errorf("transcript of ticket %d: %w", id, err)
	}
	return tr, nil
}

// Summary builds ticket id's summary from its conversation.
func (s *summaries) Summary(ctx context.Context, id int64) (Summary, error) {
	eng, err := s.engine()
	if err != nil {
		return Summary{}, err
	}
	t, err := s.Ticket(ctx, id)
	if err != nil {
		return Summary{}, err
	}
	tr, err := eng.Transcript(ctx, t.Address)
	if err != nil {
		return Summary{}, fmt.Errorf("summary of ticket %d: %w", id, err)
	}
	snap, err := eng.Conversation(ctx, t.Address)
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		return Summary{}, fmt.Errorf("summary of ticket %d: %w", id, err)
	}
	return summarize(t, tr, snap, eng.Flows(), s.clock.Now()), nil
}

// brief reads ticket id, its conversation once for the summary and the
// transcript, and, while it is open, its release stages.
func (s *summaries) brief(ctx context.Context, id int64) (Brief, error) {
	eng, err := s.engine()
	if err != nil {
		return Brief{}, err
	}
	t, err := s.Ticket(ctx, id)
	if err != nil {
		return Brief{}, err
	}
	tr, err := eng.Transcript(ctx, t.Address)
	if err != nil {
		return Brief{}, fmt.Errorf("transcript of ticket %d: %w", id, err)
	}
	snap, err := eng.Conversation(ctx, t.Address)
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		return Brief{}, fmt.Errorf("summary of ticket %d: %w", id, err)
	}
	b := Brief{Ticket: t, Summary: summarize(t, tr, snap, eng.Flows(), s.clock.Now()), Transcript: tr}
	if t.Mood == nil {
		t.Mood = TrendOf(tr) // a ticket stored before tickets kept their mood
	}
	if t.Open() {
		if b.Stages, err = s.Stages(ctx, id); err != nil {
			return Brief{}, err
		}
	}
	return b, nil
}

// summarize builds t's summary from its conversation's transcript tr and
// snapshot snap (nil when unknown), as of now.
func summarize(t *Ticket, tr []bot.Entry, snap *bot.Snapshot, f *flows.File, now time.Time) Summary {
	sum := Summary{
		TicketID: t.ID, Address: t.Address, Channel: t.Address.Channel, Lang: t.Lang,
		Flow: t.Flow, Reason: t.Reason, ReasonText: t.Reason.Text(), Evidence: maps.Clone(t.Evidence),
		Skill: t.Skill, Priority: t.Priority, Created: t.Created, Waited: t.Waited(now), Target: t.Target,
		Responded: !t.FirstResponse.IsZero(),
	}
	var fl *flows.Flow
	if f != nil {
		fl = f.Flows[t.Flow]
	}
	if fl != nil {
		sum.Concern = fl.Description
	}
	tr = conversationOf(tr, t, f)
	before := tr
	if t.Seq > 0 {
		i, _ := slices.BinarySearchFunc(tr, t.Seq+1, func(e bot.Entry, seq int64) int { return int(e.Seq - seq) })
		before = tr[:i]
		for _, e := range tr[i:] {
			if e.Direction == bot.Inbound {
				sum.Since = append(sum.Since, e.Text)
			}
		}
	}
	// The bot's last words before the handoff are the handoff text, said
	// in the state it left from: a question counts only when the customer
	// wrote after it.
	var lastIn int64
	for _, e := range before {
		if e.Direction == bot.Inbound {
			lastIn = e.Seq
		}
	}
	for i, e := range before {
		switch {
		case e.Direction == bot.Inbound:
			if sum.FirstMessage == "" {
				sum.FirstMessage = e.Text
			}
			if a := e.Analysis; a != nil {
				sum.Moods = append(sum.Moods, Mood{Seq: e.Seq, At: e.At, Text: e.Text, Sentiment: a.Sentiment, Label: a.Label})
			}
		case e.Author == "":
			if len(e.Choices) > 0 {
				sum.Offered = slices.Clone(e.Choices)
			}
			if e.Seq < lastIn && isConfirm(f, e.Flow, e.State) {
				x := &Exchange{Question: e.Text}
				if j := slices.IndexFunc(before[i+1:], func(e bot.Entry) bool { return e.Direction == bot.Inbound }); j >= 0 {
					ans := before[i+1+j]
					x.Answer = ans.Text
					if a := ans.Analysis; a != nil {
						x.Reading = a.Answer
						x.Confirmed = a.Answer == bot.AnswerYes
						if a.HumanRequest && a.Answer != bot.AnswerYes {
							// "I want a person": no answer to the question.
							x.Answer, x.Reading, x.AskedForPerson = "", bot.AnswerNone, true
						}
					}
				}
				sum.Confirmation = x
			}
		}
	}
	sum.Chosen = chosen(t, before, snap, sum.Offered)
	return sum
}

// conversationOf cuts tr to t's conversation: from the customer message
// that started it again after an earlier one ended (the bot answered it
// with texts.ended), to the ticket's end.
func conversationOf(tr []bot.Entry, t *Ticket, f *flows.File) []bot.Entry {
	if t.EndSeq > 0 {
		if i := slices.IndexFunc(tr, func(e bot.Entry) bool { return e.Seq > t.EndSeq }); i >= 0 {
			tr = tr[:i]
		}
	}
	if f == nil || len(f.Texts.Ended) == 0 {
		return tr
	}
	var ended []string
	for _, l := range f.Languages {
		ended = append(ended, f.Texts.Ended.All(l)...)
	}
	for i := len(tr) - 1; i > 0; i-- {
		e := tr[i]
		if e.Direction != bot.Outbound || e.Author != "" || (t.Seq > 0 && e.Seq > t.Seq) {
			continue
		}
		if slices.ContainsFunc(ended, func(s string) bool { return strings.HasPrefix(e.Text, s) }) {
			for j := i - 1; j >= 0; j-- {
				if tr[j].Direction == bot.Inbound && (j == 0 || tr[j-1].Direction != bot.Inbound) {
					return tr[j:]
				}
			}
			return tr[i:]
		}
	}
	return tr
}

// isConfirm reports whether state of flow is a confirm state in f.
func isConfirm(f *flows.File, flow, state string) bool {
	if f == nil || flow == "" {
		return false
	}
	fl := f.Flows[flow]
	if fl == nil {
		return false
	}
	st := fl.States[state]
	return st != nil && st.Kind == flows.KindConfirm
}

// chosen finds the option the customer took: the snapshot's while it
// still holds this handoff, else the handoff's evidence, else the last
// option a customer turn picked.
func chosen(t *Ticket, tr []bot.Entry, snap *bot.Snapshot, offered []bot.Choice) *bot.Choice {
	id := ""
	if snap != nil && snap.Status == bot.StatusHuman {
		id = snap.Chosen
	}
	if id == "" {
		id, _ = t.Evidence["chosen"].(string)
	}
	for i := len(tr) - 1; id == "" && i >= 0; i-- {
		if a := tr[i].Analysis; a != nil && a.Choice != "" {
			id = a.Choice
		}
	}
	if id == "" {
		return nil
	}
	for _, c := range offered {
		if c.ID == id {
			return &c
		}
	}
	return &bot.Choice{ID: id, Label: id}
}

// Text renders the summary for an agent, in English, one fact a line.
func (sum Summary) Text() string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("Ticket #%d · %s · language %s · priority %s%s", sum.TicketID, sum.Address, orNone(sum.Lang), orNone(sum.Priority), skillPart(sum.Skill))
	confirmed := " · not confirmed by the customer"
	if sum.Confirmation != nil && sum.Confirmation.Confirmed {
		confirmed = " · confirmed by the customer"
	}
	switch {
	case sum.Concern != "":
		line("Concern: %s (flow %s%s)", sum.Concern, sum.Flow, confirmed)
	case sum.Flow != "":
		line("Concern: flow %s%s", sum.Flow, confirmed)
	default:
		line("Concern: not identified by the bot")
	}
	if sum.FirstMessage != "" {
		line("Customer first wrote: %s", quote(sum.FirstMessage))
	}
	if x := sum.Confirmation; x != nil {
		answer := "no answer yet"
		if x.AskedForPerson {
			answer = "none: asked for a person instead"
		}
		if x.Answer != "" {
			answer = quote(x.Answer)
			if x.Reading != bot.AnswerNone {
				answer += " (read as " + string(x.Reading) + ")"
			}
		}
		line("Bot asked: %s", quote(x.Question))
		line("Customer answered: %s", answer)
	}
	if len(sum.Offered) > 0 {
		opts := make([]string, len(sum.Offered))
		for i, c := range sum.Offered {
			opts[i] = fmt.Sprintf("%s [%s]", c.Label, c.ID)
		}
		line("Options offered: %s", strings.Join(opts, "; "))
	}
	if sum.Chosen != nil {
		line("Option chosen: %s [%s]", sum.Chosen.Label, sum.Chosen.ID)
	} else if len(sum.Offered) > 0 {
		line("Option chosen: none")
	}
	if len(sum.Moods) > 0 {
		first, last := sum.Moods[0], sum.Moods[len(sum.Moods)-1]
		worst := first
		for _, m := range sum.Moods {
			if m.Sentiment < worst.Sentiment {
				worst = m
			}
		}
		turns := "turns"
		if len(sum.Moods) == 1 {
			turns = "turn"
		}
		worstPart := ""
		if worst.Seq != first.Seq && worst.Seq != last.Seq {
			worstPart = fmt.Sprintf("; worst %s (%+.2f)", worst.Label, worst.Sentiment)
		}
		line("Sentiment: %s (%+.2f) → %s (%+.2f) over %d customer %s%s", first.Label, first.Sentiment, last.Label, last.Sentiment,
			len(sum.Moods), turns, worstPart)
		for i, m := range sum.Moods {
			line("  %d. %+.2f %-8s %s", i+1, m.Sentiment, m.Label, quote(m.Text))
		}
	}
	line("Handoff: %s (%s)", sum.ReasonText, sum.Reason)
	if len(sum.Evidence) > 0 {
		keys := slices.Sorted(maps.Keys(sum.Evidence))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + evidence(sum.Evidence[k])
		}
		line("Evidence: %s", strings.Join(parts, ", "))
	}
	state := "waiting for a first reply"
	if sum.Responded {
		state = "answered"
	}
	over := ""
	if sum.Target > 0 && sum.Waited > sum.Target {
		over = ", over target"
	}
	line("Waited: %s (%s; target %s%s)", sum.Waited.Round(time.Second), state, sum.Target, over)
	if len(sum.Since) > 0 {
		line("Written since the handoff:")
		for _, s := range sum.Since {
			line("  - %s", quote(s))
		}
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func skillPart(skill string) string {
	if skill == "" {
		return ""
	}
	return " · skill " + skill
}

// quote puts a message on one line between quotes.
func quote(s string) string {
	return "“" + strings.Join(strings.Fields(s), " ") + "”"
}

// evidence formats an evidence value: numbers with two decimals.
func evidence(v any) string {
	if x, ok := v.(float64); ok {
		if x == math.Trunc(x) {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
	return fmt.Sprint(v)
}

// Stages lists where ticket id can be released to the bot: "what else can
// I do?" first, then the states of the ticket's flow that are stages of a
// de-escalating reply (acknowledge, confirm, choices, agree, close), in
// stage order. Only stages the bot can speak from for this conversation
// are listed (the agreement only once the customer chose an option), each
// with what the bot would say there.
func (s *summaries) Stages(ctx context.Context, id int64) ([]Stage, error) {
	eng, err := s.engine()
	if err != nil {
		return nil, err
	}
	t, err := s.Ticket(ctx, id)
	if err != nil {
		return nil, err
	}
	f := eng.Flows()
	lang := f.Language(t.Lang)
	out := []Stage{{Say: shorten(textIn(f.Texts.Restart, lang, t.Address.Channel))}}
	for _, name := range stageNames(f.Flows[t.Flow]) {
		say, err := eng.ReleaseText(ctx, t.Address, t.Flow, name)
		if err != nil {
			// The bot cannot speak from there now (ErrStageNeedsChoice, or
			// the conversation is no longer a person's): not offered.
			if !errors.Is(err, bot.ErrStageNeedsChoice) {
				s.log.DebugContext(ctx, "stage not offered", "ticket", id, "state", name, "err", err)
			}
			continue
		}
		out = append(out, Stage{Flow: t.Flow, State: name, Kind: f.Flows[t.Flow].States[name].Kind, Say: shorten(say)})
	}
	return out, nil
}

// stageNames are the states of fl a person can release to, in stage order.
func stageNames(fl *flows.Flow) []string {
	if fl == nil {
		return nil
	}
	names := make([]string, 0, len(fl.States))
	for name, st := range fl.States {
		if st != nil && slices.Contains(flows.Stages, st.Kind) {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		ka, kb := slices.Index(flows.Stages, fl.States[a].Kind), slices.Index(flows.Stages, fl.States[b].Kind)
		if ka != kb {
			return ka - kb
		}
		return strings.Compare(a, b)
	})
	return names
}

// textIn returns t in lang on channel, or in English, or "".
func textIn(t flows.Text, lang, channel string) string {
	if s, ok := t.Get(lang, channel); ok {
		return s
	}
	s, _ := t.Get("en", channel)
	return s
}

func shorten(s string) string {
	if len(s) <= maxSay {
		return s
	}
	cut := maxSay
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimSpace(s[:cut]) + "…"
}

// summaries tell an agent about a ticket's conversation: its summary, its
// transcript, and the stages it can be released to.
type summaries struct{ *core }
