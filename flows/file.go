// Package flows defines calmbot's flow files (flows.yaml): their types, parsing
// with line:column positions, validation (hard errors), linting (diagnostics
// about de-escalation practice), conversation tests and graph export.
//
// A flow file declares the languages the bot speaks, the intents customers
// express (with example utterances per language), and the flows: state
// machines whose states follow the five stages of a de-escalating reply
// (acknowledge, confirm, offer choices, agree and repeat, close).
//
// The package imports nothing else of calmbot's.
package flows

import (
	"fmt"
	"strings"
	"time"
)

// Version is the flow file format version this package reads.
const Version = 1

// Kind is the role a state plays in a de-escalation flow.
type Kind string

// The kinds of state. The first five are the stages of a de-escalating reply.
const (
	KindAcknowledge Kind = "acknowledge" // acknowledge the concern and say it is valid
	KindConfirm     Kind = "confirm"     // confirm the concern before proposing anything
	KindChoices     Kind = "choices"     // offer two or more options
	KindAgree       Kind = "agree"       // repeat the chosen solution, its real time frame and next steps
	KindClose       Kind = "close"       // ask "anything else?", then say goodbye with the channel reminder
	KindHandoff     Kind = "handoff"     // hand the conversation to a human
	KindMessage     Kind = "message"     // any other message
)

// Kinds lists every valid kind in stage order.
var Kinds = []Kind{KindAcknowledge, KindConfirm, KindChoices, KindAgree, KindClose, KindHandoff, KindMessage}

// Stages lists the five kinds every path from a flow's start to its close passes through.
var Stages = []Kind{KindAcknowledge, KindConfirm, KindChoices, KindAgree, KindClose}

// Events a state can react to in its `on` map. A choice is chosen with the
// event EventChose+":"+choice id; EventChose alone matches any choice.
const (
	EventConfirmed       = "confirmed"         // the customer said yes
	EventDenied          = "denied"            // the customer said no, or rejected every option
	EventChose           = "chose"             // prefix of chose:<choice id>
	EventAnythingElseYes = "anything_else:yes" // at a close: there is something else
	EventAnythingElseNo  = "anything_else:no"  // at a close: nothing else
	EventUnclear         = "unclear"           // the bot did not understand the reply
	EventStillUpset      = "still_upset"       // the customer is still upset (sentiment below policy.still_upset_below)
)

// Reserved transition targets, usable wherever a state name is expected.
const (
	TargetEnd     = "$end"     // end the conversation (after the close's farewell)
	TargetRestart = "$restart" // back to finding out what the customer needs
	TargetHandoff = "$handoff" // hand off to a human with the flow's skill
)

// Priorities a handoff may ask for, lowest first.
var Priorities = []string{"low", DefaultPriority, "high", "urgent"}

// DefaultPriority is the priority of a handoff that names none.
const DefaultPriority = "normal"

// Pos is a position in a flow file, 1-based. The zero Pos means unknown.
type Pos struct {
	Line int
	Col  int
}

// String formats p as line:col.
func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// File is a parsed flow file.
type File struct {
	// Version is the format version; it must be 1.
	Version int `yaml:"version" json:"version"`
	// Languages are the languages every text must be written in, as
	// lower-case ISO 639-1 codes (en, it, de, fi, ...).
	Languages []string `yaml:"languages" json:"languages"`
	// DefaultLanguage is used when a conversation's language is unknown.
	// It defaults to the first of Languages.
	DefaultLanguage string `yaml:"default_language,omitempty" json:"default_language,omitempty"`
	// Policy holds the thresholds of the handoff policy and engine timing.
	Policy Policy `yaml:"policy" json:"policy"`
	// Texts are the bot's messages that belong to no single flow.
	Texts Texts `yaml:"texts" json:"texts"`
	// Service configures the handoff to people: hours, targets, incentive.
	Service Service `yaml:"service,omitempty" json:"service,omitempty"`
	// Intents are what customers ask for, with example utterances per language.
	Intents map[string]*Intent `yaml:"intents" json:"intents"`
	// Flows are the conversation state machines, by name.
	Flows map[string]*Flow `yaml:"flows" json:"flows"`
	// AnswerTexts are the words around every answer of Answers.
	AnswerTexts AnswerTexts `yaml:"answer_texts,omitempty" json:"answer_texts,omitempty"`
	// Answers are the knowledge base: plain questions answered at once.
	Answers map[string]*Answer `yaml:"answers,omitempty" json:"answers,omitempty"`
	// Tests are conversation tests kept in the same file.
	Tests []*Test `yaml:"tests,omitempty" json:"tests,omitempty"`

	// Name is the file name used in diagnostics.
	Name string `yaml:"-" json:"-"`
	// Source is the raw file content.
	Source []byte `yaml:"-" json:"-"`

	pos   map[string]Pos
	order map[string]int // position rank of every path, for source-ordered iteration
}

// Policy holds the thresholds of the handoff policy. Zero values in the file
// are meaningful (quiet_window: 0 disables the quiet window); absent keys
// take the defaults of DefaultPolicy.
type Policy struct {
	// SentimentHandoffBelow hands off when a customer turn scores below it (-1..1).
	SentimentHandoffBelow float64 `yaml:"sentiment_handoff_below" json:"sentiment_handoff_below"`
	// StillUpsetBelow fires the still_upset event when a turn scores below it.
	StillUpsetBelow float64 `yaml:"still_upset_below" json:"still_upset_below"`
	// MaxAttempts is how many de-escalation attempts (rejected options, still
	// upset) a conversation gets before it is handed off.
	MaxAttempts int `yaml:"max_attempts" json:"max_attempts"`
	// MaxUnclear is how many replies in a row the bot may fail to understand
	// before it hands off.
	MaxUnclear int `yaml:"max_unclear" json:"max_unclear"`
	// WorseningTurns hands off when the customer's sentiment fell turn after
	// turn for this many turns of a flow, ending negative; 0 turns it off.
	WorseningTurns int `yaml:"worsening_turns" json:"worsening_turns"`
	// IntentThreshold is the lowest intent score that counts as a match (0..1).
	IntentThreshold float64 `yaml:"intent_threshold" json:"intent_threshold"`
	// QuietWindow is how long the bot waits for a burst of messages to end
	// before it answers them as one turn. 0 answers every message at once.
	QuietWindow Duration `yaml:"quiet_window" json:"quiet_window"`
	// MaxMessageBytes is the largest customer message the bot reads; longer
	// ones are answered with texts.too_long.
	MaxMessageBytes int `yaml:"max_message_bytes" json:"max_message_bytes"`
	// RaisePriorityBelow raises a handoff's priority one step (normal to
	// high, high to urgent) when the customer's most negative turn scored
	// below it (-1..1); -1 turns it off.
	RaisePriorityBelow float64 `yaml:"raise_priority_below" json:"raise_priority_below"`
}

// DefaultPolicy returns the policy used for keys a file leaves out.
func DefaultPolicy() Policy {
	return Policy{
		SentimentHandoffBelow: -0.75,
		StillUpsetBelow:       -0.3,
		MaxAttempts:           2,
		MaxUnclear:            2,
		WorseningTurns:        3,
		IntentThreshold:       0.5,
		QuietWindow:           Duration(2 * time.Second),
		MaxMessageBytes:       4096,
		RaisePriorityBelow:    -0.8,
	}
}

// Duration is a time.Duration written as a Go duration string ("2s",
// "1500ms") or a number of seconds.
type Duration time.Duration

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// Texts are the bot's messages that belong to no single flow. Each may use
// the placeholders listed in Placeholders.
type Texts struct {
	// Welcome greets a customer whose first message names no concern.
	Welcome Text `yaml:"welcome" json:"welcome"`
	// Clarify asks what the concern is when no intent matched.
	Clarify Text `yaml:"clarify" json:"clarify"`
	// Unclear precedes a repeated question when a reply was not understood.
	Unclear Text `yaml:"unclear" json:"unclear"`
	// Handoff tells the customer a person will take over.
	Handoff Text `yaml:"handoff" json:"handoff"`
	// Restart asks what else the customer needs, after "anything else? yes".
	Restart Text `yaml:"restart" json:"restart"`
	// Channels reminds the customer which service channels exist; a close's
	// farewell includes it with {channels}.
	Channels Text `yaml:"channels" json:"channels"`
	// Farewell is the default goodbye of close states.
	Farewell Text `yaml:"farewell" json:"farewell"`
	// TooLong answers a message over policy.max_message_bytes.
	TooLong Text `yaml:"too_long" json:"too_long"`
	// Waiting answers a customer who writes while waiting for a human.
	Waiting Text `yaml:"waiting" json:"waiting"`
	// Ended answers a customer who writes after the conversation ended; the
	// message then starts a new conversation.
	Ended Text `yaml:"ended,omitempty" json:"ended,omitempty"`
	// Goodbye answers a customer who only thanks or says goodbye after the
	// conversation ended ("thanks, bye"); the conversation stays ended.
	// Without it such a message gets no answer.
	Goodbye Text `yaml:"goodbye,omitempty" json:"goodbye,omitempty"`
	// Busy tells a waiting customer the queue is longer than usual, with
	// {position} and the expected {wait}.
	Busy Text `yaml:"busy,omitempty" json:"busy,omitempty"`
	// Unavailable tells a waiting customer, within the service hours, that
	// nobody who could take the conversation is online now; without it
	// they get texts.waiting with a guess of the wait.
	Unavailable Text `yaml:"unavailable,omitempty" json:"unavailable,omitempty"`
	// AfterHours tells a customer that people answer again at {opens}.
	AfterHours Text `yaml:"after_hours,omitempty" json:"after_hours,omitempty"`
	// Incentive is offered once to a customer who has waited longer than
	// service.incentive_after.
	Incentive Text `yaml:"incentive,omitempty" json:"incentive,omitempty"`
	// Rating asks for a score from 1 to 5 after a person closed the
	// conversation; without it no rating is asked.
	Rating Text `yaml:"rating,omitempty" json:"rating,omitempty"`
	// RatingComment asks, optionally, what could be better.
	RatingComment Text `yaml:"rating_comment,omitempty" json:"rating_comment,omitempty"`
	// RatingThanks thanks the customer for the rating.
	RatingThanks Text `yaml:"rating_thanks,omitempty" json:"rating_thanks,omitempty"`
	// WaitWords are the words of {wait} and {opens} in the texts a waiting
	// customer reads. Each one a file leaves out is taken from the default
	// flows (calmbot's flows.yaml) by whoever fills them in.
	WaitWords WaitWords `yaml:"wait_words,omitempty" json:"wait_words,omitempty"`
}

// WaitWords are the words {wait} and {opens} are made of. A wait is
// rounded up to minutes: at most one minute is Minute, up to 89 minutes
// Minutes, longer waits Hours (rounded up).
type WaitWords struct {
	// Minute is a wait of one minute: "1 minute".
	Minute Text `yaml:"minute,omitempty" json:"minute,omitempty"`
	// Minutes is a wait of {minutes} minutes.
	Minutes Text `yaml:"minutes,omitempty" json:"minutes,omitempty"`
	// Hours is a wait of {hours} hours.
	Hours Text `yaml:"hours,omitempty" json:"hours,omitempty"`
	// OpensToday says an opening time later today: {time} is the clock
	// time with the time zone ("10:00 CET").
	OpensToday Text `yaml:"opens_today,omitempty" json:"opens_today,omitempty"`
	// OpensLater says an opening time on another day: {day} (one of Days)
	// and {time}.
	OpensLater Text `yaml:"opens_later,omitempty" json:"opens_later,omitempty"`
	// Days are the weekday names {day} is said with.
	Days Weekdays `yaml:"days,omitempty" json:"days,omitempty"`
}

// Weekdays are a text for each day of the week.
type Weekdays struct {
	Sun Text `yaml:"sun,omitempty" json:"sun,omitempty"`
	Mon Text `yaml:"mon,omitempty" json:"mon,omitempty"`
	Tue Text `yaml:"tue,omitempty" json:"tue,omitempty"`
	Wed Text `yaml:"wed,omitempty" json:"wed,omitempty"`
	Thu Text `yaml:"thu,omitempty" json:"thu,omitempty"`
	Fri Text `yaml:"fri,omitempty" json:"fri,omitempty"`
	Sat Text `yaml:"sat,omitempty" json:"sat,omitempty"`
}

// Day returns the text of weekday d.
func (w *Weekdays) Day(d time.Weekday) Text {
	return [7]Text{w.Sun, w.Mon, w.Tue, w.Wed, w.Thu, w.Fri, w.Sat}[d%7]
}

// waitWordRefs lists the wait words with their paths and placeholders.
func (w *WaitWords) refs() []textRef {
	const p = "texts.wait_words."
	out := []textRef{
		{path: p + "minute", text: w.Minute, vars: []string{}},
		{path: p + "minutes", text: w.Minutes, vars: []string{"minutes"}},
		{path: p + "hours", text: w.Hours, vars: []string{"hours"}},
		{path: p + "opens_today", text: w.OpensToday, vars: []string{"time"}},
		{path: p + "opens_later", text: w.OpensLater, vars: []string{"day", "time"}},
	}
	for i, name := range []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} {
		out = append(out, textRef{path: p + "days." + name, text: w.Days.Day(time.Weekday(i)), vars: []string{}})
	}
	return out
}

// Service says when people answer and what the handoff queue promises.
type Service struct {
	// Hours are when agents answer; none means always.
	Hours *Hours `yaml:"hours,omitempty" json:"hours,omitempty"`
	// FirstResponse is the first-response target per priority (low,
	// normal, high, urgent); 60s for any priority it does not name.
	FirstResponse map[string]Duration `yaml:"first_response,omitempty" json:"first_response,omitempty"`
	// IncentiveAfter offers texts.incentive to a customer who has waited
	// this long; 0 never does.
	IncentiveAfter Duration `yaml:"incentive_after,omitempty" json:"incentive_after,omitempty"`
}

// Hours are a service's opening hours.
type Hours struct {
	// Timezone is an IANA name such as Europe/Rome.
	Timezone string `yaml:"timezone" json:"timezone"`
	// Days are the open days: mon, tue, wed, thu, fri, sat, sun.
	Days []string `yaml:"days" json:"days"`
	// Open and Close are "HH:MM" in Timezone.
	Open  string `yaml:"open" json:"open"`
	Close string `yaml:"close" json:"close"`
}

// Text is a message in every language: language code -> text, with optional
// per-channel variants. In YAML a language maps either to a string or to a
// map with a `default` key and channel names (slack, telegram, discord, web,
// console):
//
//	say:
//	  en: "Thank you for telling us."
//	  it: {default: "Grazie di avercelo detto.", slack: "Grazie!"}
type Text map[string]Localized

// Localized is one language's text with optional channel variants.
type Localized struct {
	Default  string            `json:"default"`
	Channels map[string]string `json:"channels,omitempty"`
}

// Get returns the text for lang on channel: the channel variant if there is
// one, else the default. ok is false when lang has no text.
func (t Text) Get(lang, channel string) (s string, ok bool) {
	l, ok := t[lang]
	if !ok {
		return "", false
	}
	if v, ok := l.Channels[channel]; ok {
		return v, true
	}
	return l.Default, l.Default != ""
}

// All returns every string of t (defaults and variants) for lang.
func (t Text) All(lang string) []string {
	l, ok := t[lang]
	if !ok {
		return nil
	}
	out := []string{}
	if l.Default != "" {
		out = append(out, l.Default)
	}
	for _, v := range l.Channels {
		out = append(out, v)
	}
	return out
}

// Placeholders are the names a text may use in braces, e.g. {time_frame}.
// {solution}, {time_frame} and {next_steps} come from the chosen option's
// agreement; {choices} is the numbered list of options; {channels} is
// texts.channels; {position}, {wait} and {opens} are for texts shown while
// a customer waits for a person.
var Placeholders = []string{"solution", "time_frame", "next_steps", "choice", "choices", "channels", "position", "wait", "opens"}

// Intent is something customers ask for.
type Intent struct {
	// Examples are utterances per language.
	Examples map[string][]string `yaml:"examples" json:"examples"`
	// Flow is the flow that handles the intent; it defaults to the flow of
	// the same name.
	Flow string `yaml:"flow,omitempty" json:"flow,omitempty"`
	// Handoff, when set, sends the intent straight to a human (legal threats,
	// account closure, ...). An intent has a flow or a handoff.
	Handoff *Handoff `yaml:"handoff,omitempty" json:"handoff,omitempty"`

	Name string `yaml:"-" json:"-"`
}

// Flow is a conversation state machine.
type Flow struct {
	// Description says what the flow is for, for people.
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Start is the first state.
	Start string `yaml:"start" json:"start"`
	// Skill is the agent skill a handoff from this flow asks for.
	Skill string `yaml:"skill,omitempty" json:"skill,omitempty"`
	// States by name.
	States map[string]*State `yaml:"states" json:"states"`

	Name string `yaml:"-" json:"-"`

	rank map[string]int // source order of the states
}

// State is one step of a flow.
type State struct {
	// Kind is the state's stage (acknowledge, confirm, choices, agree, close)
	// or handoff or message.
	Kind Kind `yaml:"kind" json:"kind"`
	// Say is what the bot says on entering the state.
	Say Text `yaml:"say,omitempty" json:"say,omitempty"`
	// Again, when set, replaces Say when the state is entered again in a
	// later de-escalation attempt: another approach, not the same words.
	Again Text `yaml:"again,omitempty" json:"again,omitempty"`
	// Next moves on at once after saying, without waiting for the customer.
	Next string `yaml:"next,omitempty" json:"next,omitempty"`
	// On maps events to the next state, when the state waits for the customer.
	On map[string]string `yaml:"on,omitempty" json:"on,omitempty"`
	// Choices are the options of a choices state.
	Choices []*Choice `yaml:"choices,omitempty" json:"choices,omitempty"`
	// Farewell is said by a close state when nothing else is needed;
	// texts.farewell by default.
	Farewell Text `yaml:"farewell,omitempty" json:"farewell,omitempty"`
	// Handoff is the skill and priority of a handoff state.
	Handoff *Handoff `yaml:"handoff,omitempty" json:"handoff,omitempty"`

	Name string `yaml:"-" json:"-"`

	rank map[string]int // source order of the events in On
}

// Choice is an option offered in a choices state.
type Choice struct {
	// ID names the choice in events (chose:<id>) and tests.
	ID string `yaml:"id" json:"id"`
	// Label is what the customer sees.
	Label Text `yaml:"label" json:"label"`
	// Aliases are other words customers use for this choice, per language.
	Aliases map[string][]string `yaml:"aliases,omitempty" json:"aliases,omitempty"`
	// Agree is the agreement repeated in the agree state when this option is chosen.
	Agree *Agreement `yaml:"agree,omitempty" json:"agree,omitempty"`
	// Handoff, when set, hands off to a human when this option is chosen
	// (it needs more authority or expertise than the bot has).
	Handoff *Handoff `yaml:"handoff,omitempty" json:"handoff,omitempty"`
}

// Agreement is a chosen solution as the bot repeats it.
type Agreement struct {
	// Solution says what will be done.
	Solution Text `yaml:"solution" json:"solution"`
	// TimeFrame is the real time it takes; never shorten it.
	TimeFrame Text `yaml:"time_frame" json:"time_frame"`
	// NextSteps says what happens next and what the customer does, if anything.
	NextSteps Text `yaml:"next_steps" json:"next_steps"`
}

// Handoff asks for a human with a skill and a priority.
type Handoff struct {
	// Skill routes to agents who have it; empty means any agent.
	Skill string `yaml:"skill,omitempty" json:"skill,omitempty"`
	// Priority is one of low, normal (the default), high, urgent.
	Priority string `yaml:"priority,omitempty" json:"priority,omitempty"`
}

// Test is a conversation test: a script of customer turns with expectations.
type Test struct {
	// Name identifies the test in reports.
	Name string `yaml:"name" json:"name"`
	// Lang is the locale the customer's channel reports; empty lets the bot detect it.
	Lang string `yaml:"lang,omitempty" json:"lang,omitempty"`
	// Channel is the channel the customer writes on; "test" by default.
	Channel string `yaml:"channel,omitempty" json:"channel,omitempty"`
	// Turns are the customer's messages, in order.
	Turns []*TestTurn `yaml:"turns" json:"turns"`

	// File is where the test was read from; Pos where it starts.
	File string `yaml:"-" json:"-"`
	Pos  Pos    `yaml:"-" json:"-"`

	src  *File  // the file the test was read from, for positions
	path string // the test's path in src, e.g. tests.3
}

// TestTurn is one customer message and what must hold after the bot's answer.
type TestTurn struct {
	// Say is what the customer writes.
	Say string `yaml:"say" json:"say"`
	// Expect is checked after the bot has answered.
	Expect Expect `yaml:"expect,omitempty" json:"expect,omitempty"`

	Pos Pos `yaml:"-" json:"-"`
}

// Expect lists what must hold after a turn; empty fields are not checked.
type Expect struct {
	Flow  string `yaml:"flow,omitempty" json:"flow,omitempty"`
	State string `yaml:"state,omitempty" json:"state,omitempty"`
	Lang  string `yaml:"lang,omitempty" json:"lang,omitempty"`
	// ReplyContains are substrings (case-insensitive) the bot's reply must contain.
	ReplyContains []string `yaml:"reply_contains,omitempty" json:"reply_contains,omitempty"`
	// ReplyNotContains are substrings the reply must not contain.
	ReplyNotContains []string `yaml:"reply_not_contains,omitempty" json:"reply_not_contains,omitempty"`
	// Choices are the ids of the options the reply must offer, in order.
	Choices []string `yaml:"choices,omitempty" json:"choices,omitempty"`
	// Handoff is the reason code the turn must hand off with, or "none".
	Handoff string `yaml:"handoff,omitempty" json:"handoff,omitempty"`
	// Ended requires the conversation to have ended.
	Ended bool `yaml:"ended,omitempty" json:"ended,omitempty"`
}

// Language returns lang if the file declares it, else the default language.
func (f *File) Language(lang string) string {
	lang = strings.ToLower(lang)
	if i := strings.IndexAny(lang, "-_"); i > 0 {
		lang = lang[:i]
	}
	for _, l := range f.Languages {
		if l == lang {
			return l
		}
	}
	return f.DefaultLanguage
}
