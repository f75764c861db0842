// Package intent is calmbot's rule-based bot.Analyzer: it reads a customer
// turn's language, sentiment, intent (matched against the flow file's
// examples), yes/no answer, chosen option and explicit request for a person.
//
// Everything is built from the flow file and the per-language tables in
// tables.go when the Analyzer is made: the intents are read by a linear
// classifier trained then on the examples (classify.go); with answers, the
// same classifier also reads the turn among the intents and the answers
// (one feature vector, one pass over the weights), and an answer it reads
// at or above the threshold wins the turn. Training takes milliseconds
// for a flow file and seconds for thousands of examples. Analyze itself
// allocates little and takes a few microseconds.
package intent

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/language"
	"github.com/calmbot/calmbot/bot/sentiment"
	"github.com/calmbot/calmbot/flows"
)

// strongLanguage is the detection confidence at which a turn's own language
// overrides the conversation's.
const strongLanguage = 0.5

// langLead is how much better the examples of another language must match a
// turn whose language is unsure for that language to be taken instead.
const langLead = 0.1

// plainMax is the most words of a turn whose unsure language may yield to
// one that reads it as an answer or a request for a person: such turns are
// short.
const plainMax = 8

// countWords counts the word tokens of toks.
func countWords(toks []language.Token) int {
	n := 0
	for _, tk := range toks {
		if tk.Kind == language.Word {
			n++
		}
	}
	return n
}

// maxTokens bounds the tokens of one turn kept in its scratch; longer turns
// still work, on the heap.
const maxTokens = 96

var _ bot.Analyzer = (*Analyzer)(nil)

// Analyzer reads customer turns against one flow file. It is safe for
// concurrent use.
type Analyzer struct {
	threshold   float64
	langs       []string
	declared    map[string]bool
	defaultLang string
	detector    *language.Detector
	scorer      *sentiment.Scorer
	tables      map[string]*tables
	index       *index
	clf         *classifier          // the intents, the answers and the background
	choices     map[string][]variant // choice id -> labels and aliases in every language
	scratch     scratchPool          // the turns' working memory
}

// Option configures New.
type Option func(*Analyzer)

// WithScorer makes the Analyzer score sentiment with s instead of a
// sentiment scorer of its own: a server that rebuilds its Analyzer on every
// flow reload, and scores elsewhere too, keeps one scorer's lexicons in
// memory.
func WithScorer(s *sentiment.Scorer) Option {
	return func(a *Analyzer) {
		if s != nil {
			a.scorer = s
		}
	}
}

// New builds an Analyzer for f: its languages, intents' and answers' examples, choices'
// labels and aliases, and policy.intent_threshold.
func New(f *flows.File, opts ...Option) (*Analyzer, error) {
	if f == nil {
		return nil, fmt.Errorf("intent: no flow file")
	}
	if len(f.Languages) == 0 {
		return nil, fmt.Errorf("intent: flow file %q declares no languages", f.Name)
	}
	a := &Analyzer{
		threshold: f.Policy.IntentThreshold,
		declared:  map[string]bool{},
		detector:  language.NewDetector(f.Languages),
		tables:    map[string]*tables{},
	}
	for _, o := range opts {
		o(a)
	}
	if a.scorer == nil {
		a.scorer = sentiment.New()
	}
	for _, l := range f.Languages {
		l = strings.ToLower(l)
		a.langs = append(a.langs, l)
		a.declared[l] = true
		a.tables[l] = newTables(l)
	}
	a.defaultLang = strings.ToLower(f.DefaultLanguage)
	if !a.declared[a.defaultLang] {
		a.defaultLang = a.langs[0]
	}
	a.index = newIndex(f, a.tables)
	// One classifier reads the intents and the answers (answer:<name>)
	// under the same threshold: the intents with the background's veto,
	// and, for the answers, the intents and answers with no background
	// (several of its matters, invoices, addresses, passwords, are what
	// answers are for).
	a.clf = newClassifier(f, a.tables, a.scorer)
	a.choices = buildChoices(f, a.tables, a.index)
	return a, nil
}

// TrainTime returns how long New took to train the intent classifier on
// the flow file's examples.
func (a *Analyzer) TrainTime() time.Duration { return a.clf.trainTime }

// Languages returns the languages the Analyzer reads, in the file's order.
func (a *Analyzer) Languages() []string { return append([]string(nil), a.langs...) }

// Analyze reads one customer turn.
func (a *Analyzer) Analyze(_ context.Context, in bot.AnalyzeInput) bot.Analysis {
	sc := a.scratch.get()
	defer a.scratch.put(sc)
	toks := language.Split(sc.toks[:0], in.Text)

	var out bot.Analysis
	var sure bool
	out.Lang, sure = a.pickLanguage(toks, in)
	r := a.clf.classify(sc, toks, out.Lang, a.tables[out.Lang], true)
	if !sure && r.score < a.threshold {
		// Nothing tells the language for sure and the guess matches no
		// intent: a language whose own examples the text matches is
		// likelier than a weak guess.
		for _, l := range a.langs {
			if l == out.Lang {
				continue
			}
			if rl := a.clf.classify(sc, toks, l, a.tables[l], false); rl.score > r.score+langLead {
				out.Lang, r = l, rl
			}
		}
	}
	if !sure && countWords(toks) <= plainMax {
		// An unsure guess that reads as no answer or request, where
		// another language reads one ("ja", "keinen Bot bitte"), yields.
		if l := a.plainer(toks, out.Lang); l != out.Lang {
			out.Lang = l
			r = a.clf.classify(sc, toks, l, a.tables[l], false)
		}
	}
	out.Intent, out.IntentScore = r.intent, r.score
	t := a.tables[out.Lang]
	chatter, parting := t.chat(toks)
	if !chatter && !r.joined {
		// Another language than the first guess: read its answers too
		// (the other languages were read for their intents only).
		r = a.clf.classify(sc, toks, out.Lang, t, true)
	}
	if chatter && !a.clf.isChatty(out.Intent, out.Lang) {
		// "no", "ok", "no, thanks": an answer or courtesy, no concern
		// (unless the flow file has an intent of such turns).
		out.Intent, out.IntentScore, out.Goodbye = "", 0, parting
	} else if name, score := r.answer(); name != "" && score >= a.threshold && (out.IntentScore < a.threshold || score > out.IntentScore) {
		// A turn read as an answer gets it, unless the intents' reading
		// finds a concern more surely ("love waiting a month for a
		// delivery" is a complaint, not a question about shipping); any
		// other turn keeps the intents' reading.
		out.Intent, out.IntentScore = name, score
	}
	out.Sentiment, out.Label = a.scorer.ScoreTokens(toks, in.Text, out.Lang)
	out.InScope = out.Intent != "" && out.IntentScore >= a.threshold
	out.HumanRequest = t.humanRequest(toks)
	out.Answer = a.answer(toks, out.Lang)
	if len(in.Choices) > 0 {
		out.Choice = a.choose(sc, toks, out.Lang, in.Choices)
		if out.Choice != "" {
			out.Answer = bot.AnswerNone // "no, the second one" picks the second
		}
	}
	return out
}

// plainer returns the language, lang first, in which toks are a request
// for a person, else chatter (an answer, thanks, a goodbye); lang when none.
func (a *Analyzer) plainer(toks []language.Token, lang string) string {
	if t := a.tables[lang]; t.humanRequest(toks) {
		return lang
	}
	for _, l := range a.langs {
		if l != lang && a.tables[l].humanRequest(toks) {
			return l
		}
	}
	if chatter, _ := a.tables[lang].chat(toks); chatter {
		return lang
	}
	for _, l := range a.langs {
		if chatter, _ := a.tables[l].chat(toks); chatter && l != lang {
			return l
		}
	}
	return lang
}

// pickLanguage applies the language rule: strong evidence in the text for a
// declared language, else the conversation's language, else the platform
// locale, else whatever the text suggests, else the file's default. sure is
// false for the last two.
func (a *Analyzer) pickLanguage(toks []language.Token, in bot.AnalyzeInput) (lang string, sure bool) {
	detected, conf := a.detector.DetectTokens(toks, in.Text)
	if detected != "" && conf >= strongLanguage {
		return detected, true
	}
	if l := a.declaredLanguage(in.Lang); l != "" {
		return l, true
	}
	if l := a.declaredLanguage(in.Locale); l != "" {
		return l, true
	}
	if detected != "" {
		return detected, false
	}
	return a.defaultLang, false
}

// declaredLanguage maps a language tag ("de", "de-AT", "pt_BR") to a declared
// language, or "".
func (a *Analyzer) declaredLanguage(tag string) string {
	if tag == "" {
		return ""
	}
	tag = strings.ToLower(tag)
	if i := strings.IndexAny(tag, "-_"); i > 0 {
		tag = tag[:i]
	}
	if a.declared[tag] {
		return tag
	}
	return ""
}
