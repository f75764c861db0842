// Package assist coaches the people who take over from the bot: it checks
// an agent's draft reply against the de-escalation rules the flows linter
// applies to the bot (positive wording, one apology, no blame, promises
// with a time frame, answering on the customer's channel, more than one
// option), and suggests the flow's own texts for the stages still ahead.
//
// Check is the one definition of the rules: the desk asks the server for
// hints as the agent types, and the platform agent surfaces call the same
// function. The negative, apology and channel word lists are the linter's
// (flows.NegativeWords, flows.ApologyWords, flows.ChannelSwitchWords).
package assist

import (
	"slices"
	"strings"

	"github.com/calmbot/calmbot/flows"
)

// Rule names one check of a draft.
type Rule string

// The rules, in the order Check reports them.
const (
	RuleNegative  Rule = "negative_word"   // a negative-sounding word
	RuleApology   Rule = "second_apology"  // an apology after one was already made
	RuleBlame     Rule = "blame"           // wording that blames the customer
	RulePromise   Rule = "promise_no_time" // a promise with no time frame
	RuleChannel   Rule = "channel_switch"  // sending the customer to another channel
	RuleOneOption Rule = "one_option"      // one option where the flow offers several
)

// Rules lists every rule.
var Rules = []Rule{RuleNegative, RuleApology, RuleBlame, RulePromise, RuleChannel, RuleOneOption}

// why says in one line why each rule matters.
var why = map[Rule]string{
	RuleNegative:  "Negative-sounding words keep an upset customer upset; say what you can do.",
	RuleApology:   "The conversation already apologised once; a second apology reads as fear.",
	RuleBlame:     "This wording blames the customer; thank them and move to the solution.",
	RulePromise:   "A promise without a real time frame escalates the next contact; say when.",
	RuleChannel:   "Answer where the customer wrote; sending them elsewhere is the most hated step.",
	RuleOneOption: "The flow offers several options; give the customer a choice, not one answer.",
}

// Why returns the one-line reason behind rule.
func Why(rule Rule) string { return why[rule] }

// Span is a byte range of the draft: draft[Start:End].
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Hint is one finding on a draft.
type Hint struct {
	Rule Rule   `json:"rule"`
	Why  string `json:"why"`
	Span Span   `json:"span"`
	// Text is the draft's words the hint is about.
	Text string `json:"text"`
	// Alternatives are phrasings to use instead, in the draft's language.
	Alternatives []string `json:"alternatives,omitempty"`
}

// Context is what Check knows of the conversation.
type Context struct {
	// Lang is the ticket's language (en, it, de, fi); other languages get
	// no hints.
	Lang string
	// Earlier are the texts the bot and the agents already sent in this
	// conversation, oldest first.
	Earlier []string
	// Options is how many options the flow offers the customer at this
	// point: the open choice's count, 0 once an option is chosen.
	Options int
}

// Check returns the hints on draft, in rule order, then in draft order.
// Words the agent quotes ("...", «...», „...“) are the customer's and are
// never flagged.
func Check(draft string, c Context) []Hint {
	lang := c.Lang
	if i := strings.IndexAny(lang, "-_"); i > 0 {
		lang = lang[:i]
	}
	lang = strings.ToLower(lang)
	if _, ok := blame[lang]; !ok {
		return nil
	}
	toks := tokenize(draft)
	if len(toks) == 0 {
		return nil
	}
	var out []Hint
	add := func(rule Rule, m match, alts []string) {
		sp := Span{toks[m.first].start, toks[m.last].end}
		out = append(out, Hint{Rule: rule, Why: why[rule], Span: sp, Text: draft[sp.Start:sp.End], Alternatives: alts})
	}

	fine := findAll(toks, positive[lang])
	for _, m := range findAll(toks, flows.NegativeWords(lang)) {
		if overlaps(m, fine) {
			continue
		}
		add(RuleNegative, m, alternativesFor(lang, spanWords(toks, m)))
	}

	if apologised(c.Earlier, lang) {
		for _, m := range findAll(toks, flows.ApologyWords(lang)) {
			add(RuleApology, m, apologyAlternatives[lang])
		}
	}

	notBlame := findAll(toks, blameFine[lang])
	for _, m := range findAll(toks, blame[lang]) {
		if overlaps(m, notBlame) {
			continue
		}
		add(RuleBlame, m, blameAlternatives[lang])
	}

	// The time frame may come in its own sentence ("Time frame: 2 days").
	if len(findAll(toks, timeWords[lang])) == 0 && !hasNumber(toks) {
		for _, m := range findAll(toks, promises[lang]) {
			add(RulePromise, m, promiseAlternatives[lang])
		}
	}

	for _, m := range findAll(toks, flows.ChannelSwitchWords(lang)) {
		add(RuleChannel, m, channelAlternatives[lang])
	}

	if c.Options >= 2 {
		offers := findAll(toks, offerWords[lang])
		if len(offers) > 0 && len(findAll(toks, alternativeWords[lang])) == 0 && !numbered(draft) {
			add(RuleOneOption, offers[0], optionAlternatives[lang])
		}
	}
	return out
}

// apologised reports whether any of texts holds an apology in lang.
func apologised(texts []string, lang string) bool {
	list := flows.ApologyWords(lang)
	for _, t := range texts {
		if len(findAll(tokenize(t), list)) > 0 {
			return true
		}
	}
	return false
}

// overlaps reports whether m shares a token with one of ms.
func overlaps(m match, ms []match) bool {
	for _, x := range ms {
		if x.first <= m.last && m.first <= x.last {
			return true
		}
	}
	return false
}

// hasNumber reports whether toks hold a number (a date, "2 days").
func hasNumber(toks []token) bool {
	for _, t := range toks {
		if t.word[0] >= '0' && t.word[0] <= '9' {
			return true
		}
	}
	return false
}

// numbered reports whether draft lists options on lines "1." and "2.".
func numbered(draft string) bool {
	has := func(n string) bool {
		for line := range strings.SplitSeq(draft, "\n") {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, n+".") || strings.HasPrefix(line, n+")") {
				return true
			}
		}
		return false
	}
	return has("1") && has("2")
}

func spanWords(toks []token, m match) string {
	ws := make([]string, 0, m.last-m.first+1)
	for _, t := range toks[m.first : m.last+1] {
		ws = append(ws, t.word)
	}
	return strings.Join(ws, " ")
}

// alternativesFor returns the positive phrasings for the negative words
// found, by the first pattern of negativeAlternatives that matches them.
func alternativesFor(lang, found string) []string {
	for _, a := range negativeAlternatives[lang] {
		if slices.ContainsFunc(a.words, func(p string) bool { return len(find(tokenize(found), p)) > 0 }) {
			return a.say
		}
	}
	return nil
}

// Outcome is what an agent did with a hint.
type Outcome string

// The outcomes of a hint.
const (
	OutcomeShown     Outcome = "shown"     // the hint appeared on a draft
	OutcomeActed     Outcome = "acted"     // the agent changed the wording and the hint went away
	OutcomeDismissed Outcome = "dismissed" // the agent dismissed it
	OutcomeIgnored   Outcome = "ignored"   // the draft was sent with the hint still on it
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{OutcomeShown, OutcomeActed, OutcomeDismissed, OutcomeIgnored}

// Format writes hints as plain text for a platform's agent surface (a
// Slack ephemeral message, a note in a Telegram or Discord staff thread):
// one line per hint with the words, why, and the alternatives. It returns
// "" for no hints.
func Format(hints []Hint) string {
	if len(hints) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("Hints on your reply (only agents see this):")
	for _, h := range hints {
		b.WriteString("\n• “" + h.Text + "”: " + h.Why)
		if len(h.Alternatives) > 0 {
			b.WriteString(" Try: " + strings.Join(h.Alternatives, " · "))
		}
	}
	return b.String()
}
