package flows

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// pathBudget bounds how many path steps a lint rule explores per flow, so
// that a flow with very many paths cannot make Lint slow.
const pathBudget = 20000

// Lint checks the file against de-escalation practice and returns warnings,
// sorted by position; nil means nothing to report. Lint assumes nothing about
// validity: on an invalid file it lints what it can. The rules:
//
//	negative-wording   replies avoid negative-sounding words (per-language lists for en, it, de, fi)
//	one-apology        at most one apology on any path from a flow's start
//	two-choices        a choices state offers at least two options
//	agreement-complete every agreement has a solution, a time frame and next steps, and agree states repeat them
//	close-complete     a close asks a question, and its farewell reminds of the channels ({channels})
//	five-stages        every path from start to a close passes acknowledge, confirm, choices, agree, close in order
//	no-channel-switch  replies do not send the customer to another channel, except the channel reminder and farewells
//	unknown-channel    a text's channel variant is for a channel the bot runs (with WithChannels only)
//	repeated-idea      texts.unclear and the question it precedes in one message do not say the same thing twice
//	website-link       a reply that sends the customer to the website gives the link (in every language)
//	link-check         an answer with a link asks "did that help?"
//	answer-overlap     an answer's example is not (nearly) an intent's: it would shadow a concern flow
func (f *File) Lint(opts ...LintOption) Diagnostics {
	l := &linter{f: f}
	for _, o := range opts {
		o(l)
	}
	l.wording()
	l.variantChannels()
	l.answers()
	for _, name := range f.FlowNames() {
		fl := f.Flows[name]
		l.apologies(fl)
		l.repeats(fl)
		l.stages(fl)
		for _, sname := range fl.StateNames() {
			s := fl.States[sname]
			switch s.Kind {
			case KindChoices:
				l.choices(fl, s)
			case KindAgree:
				l.agree(fl, s)
			case KindClose:
				l.close(fl, s)
			}
		}
	}
	return l.diags.Sort()
}

type linter struct {
	f     *File
	diags Diagnostics
	// channels are the channels the bot runs; nil when Lint was not told.
	channels []string
}

// LintOption configures Lint.
type LintOption func(*linter)

// WithChannels tells Lint the channels the bot runs on (web, telegram,
// ...): a text's variant for any other channel is never shown, most
// likely a typo ("telgram"), and is reported as unknown-channel.
func WithChannels(names ...string) LintOption {
	return func(l *linter) { l.channels = slices.Clone(names) }
}

// variantChannels runs unknown-channel over every text.
func (l *linter) variantChannels() {
	if l.channels == nil {
		return
	}
	for _, r := range l.f.allTexts() {
		for _, lang := range l.f.sortedLangs(r.text) {
			variants(r.text, lang, func(ch, _ string) {
				if ch != "" && !slices.Contains(l.channels, ch) {
					l.warnf(textPath(r.path, lang, ch), "unknown-channel", "%q is not a channel this bot runs (%s): the variant is never shown; a typo?",
						ch, strings.Join(l.channels, ", "))
				}
			})
		}
	}
}

func (l *linter) warnf(path, rule, format string, args ...any) {
	l.diags = append(l.diags, Diagnostic{File: l.f.Name, Pos: l.f.Pos(path), Rule: rule,
		Severity: SeverityWarning, Message: fmt.Sprintf(format, args...)})
}

// wording runs negative-wording and no-channel-switch over every text.
func (l *linter) wording() {
	for _, r := range l.f.allTexts() {
		for _, lang := range l.f.sortedLangs(r.text) {
			variants(r.text, lang, func(ch, s string) {
				p := textPath(r.path, lang, ch)
				for _, w := range findPhrases(s, negativeWords[lang]) {
					l.warnf(p, "negative-wording", "%q sounds negative (%s): say what can be done instead", w, lang)
				}
				if len(findPhrases(s, websiteWords[lang])) > 0 && !strings.Contains(s, "://") &&
					(r.answer == nil || r.answer.Link[lang] == "") {
					l.warnf(p, "website-link", "%q sends the customer to the website without a link (%s): give the link (answers: link) and ask to try it without closing the chat",
						findPhrases(s, websiteWords[lang])[0], lang)
				}
				if r.switchOK {
					return
				}
				for _, w := range findPhrases(s, channelSwitchWords[lang]) {
					l.warnf(p, "no-channel-switch", "%q sends the customer to another channel (%s): answer here; channels belong in texts.channels", w, lang)
				}
			})
		}
	}
}

// walkPaths calls fn with every simple path from fl's start (each state at
// most once), each time the path grows by one state. fn returns false to stop
// extending that path. Reserved targets end a path. The walk stops after
// pathBudget steps.
func (fl *Flow) walkPaths(fn func(path []*State) bool) {
	start, ok := fl.States[fl.Start]
	if !ok {
		return
	}
	budget := pathBudget
	on := map[string]bool{}
	var path []*State
	var visit func(s *State)
	visit = func(s *State) {
		if budget <= 0 {
			return
		}
		budget--
		path = append(path, s)
		on[s.Name] = true
		if fn(path) {
			for _, e := range s.edges() {
				if t, ok := fl.States[e.to]; ok && !on[e.to] {
					visit(t)
				}
			}
		}
		on[s.Name] = false
		path = path[:len(path)-1]
	}
	visit(start)
}

func pathString(path []*State) string {
	names := make([]string, len(path))
	for i, s := range path {
		names[i] = s.Name
	}
	return strings.Join(names, " → ")
}

// apologies warns about paths on which the bot apologises more than once.
func (l *linter) apologies(fl *Flow) {
	for _, lang := range l.f.Languages {
		counts := map[*State]int{}
		for _, s := range fl.States {
			variants(s.Say, lang, func(_, text string) { counts[s] = max(counts[s], len(findPhrases(text, apologyWords[lang]))) })
		}
		count := func(s *State) int { return counts[s] }
		reported := map[string]bool{}
		fl.walkPaths(func(path []*State) bool {
			last := path[len(path)-1]
			if count(last) == 0 || reported[last.Name] {
				return true
			}
			total := 0
			for _, s := range path {
				total += count(s)
			}
			if total > 1 {
				reported[last.Name] = true
				l.warnf(textPath(statePath(fl, last)+".say", lang, ""), "one-apology",
					"%d apologies on the path %s (%s): apologise at most once", total, pathString(path), lang)
			}
			return true
		})
	}
}

// stages warns about paths from start to a close that skip one of the five
// stages or take them out of order. Paths that end in a handoff are exempt.
func (l *linter) stages(fl *Flow) {
	reported := map[string]bool{}
	fl.walkPaths(func(path []*State) bool {
		last := path[len(path)-1]
		switch last.Kind {
		case KindHandoff:
			return false
		case KindClose:
		default:
			return true
		}
		if reported[last.Name] {
			return false
		}
		i := 0
		present := map[Kind]bool{}
		for _, s := range path {
			present[s.Kind] = true
			if i < len(Stages) && s.Kind == Stages[i] {
				i++
			}
		}
		if i == len(Stages) {
			return false
		}
		var missing []string
		for _, k := range Stages {
			if !present[k] {
				missing = append(missing, string(k))
			}
		}
		why := "out of order"
		if len(missing) > 0 {
			why = "missing " + strings.Join(missing, ", ")
		}
		reported[last.Name] = true
		l.warnf(statePath(fl, last), "five-stages",
			"the path %s does not pass acknowledge, confirm, choices, agree and close in order (%s)", pathString(path), why)
		return false
	})
}

func (l *linter) choices(fl *Flow, s *State) {
	sp := statePath(fl, s)
	if len(s.Choices) == 1 {
		l.warnf(sp+".choices", "two-choices", "choices state %s offers one option: offer at least two", s.Name)
	}
	for i, c := range s.Choices {
		cp := sp + ".choices." + strconv.Itoa(i)
		if c.Agree == nil {
			if to, ok := s.Target(EventChose + ":" + c.ID); ok && c.Handoff == nil && c.ID != "" {
				if t := fl.States[to]; t != nil && t.Kind == KindAgree {
					l.warnf(cp, "agreement-complete", "choice %q leads to agree state %s but has no agreement (agree: solution, time_frame, next_steps)", c.ID, to)
				}
			}
			continue
		}
		for _, part := range []struct {
			key  string
			text Text
		}{{"solution", c.Agree.Solution}, {"time_frame", c.Agree.TimeFrame}, {"next_steps", c.Agree.NextSteps}} {
			if len(part.text) == 0 {
				l.warnf(cp+".agree", "agreement-complete", "the agreement of choice %q has no %s", c.ID, part.key)
			}
		}
	}
}

func (l *linter) agree(fl *Flow, s *State) {
	p := statePath(fl, s) + ".say"
	for _, lang := range l.f.sortedLangs(s.Say) {
		variants(s.Say, lang, func(ch, text string) {
			var missing []string
			for _, ph := range []string{"{solution}", "{time_frame}", "{next_steps}"} {
				if !strings.Contains(text, ph) {
					missing = append(missing, ph)
				}
			}
			if len(missing) > 0 {
				l.warnf(textPath(p, lang, ch), "agreement-complete", "agree state %s does not repeat %s (%s)", s.Name, strings.Join(missing, ", "), lang)
			}
		})
	}
}

func (l *linter) close(fl *Flow, s *State) {
	sp := statePath(fl, s)
	for _, lang := range l.f.sortedLangs(s.Say) {
		variants(s.Say, lang, func(ch, text string) {
			if !strings.ContainsAny(text, "?？¿") {
				l.warnf(textPath(sp+".say", lang, ch), "close-complete", "close state %s does not ask whether anything else is needed: no question (%s)", s.Name, lang)
			}
		})
	}
	farewell, fp, whose := s.Farewell, sp+".farewell", "the farewell of close state "+s.Name
	if len(farewell) == 0 {
		farewell, fp, whose = l.f.Texts.Farewell, "texts.farewell", "texts.farewell"
	}
	for _, lang := range l.f.Languages {
		variants(farewell, lang, func(ch, text string) {
			if !strings.Contains(text, "{channels}") {
				l.warnf(textPath(fp, lang, ch), "close-complete", "%s does not remind of the service channels: add {channels} (%s)", whose, lang)
			}
		})
	}
}

// overlapShare is the share of words an answer's example must have in
// common with an intent's (Jaccard, at least three words) to shadow it.
const overlapShare = 0.75

// answers runs link-check and answer-overlap.
func (l *linter) answers() {
	f := l.f
	type example struct {
		path  string
		words []string
	}
	var intentEx []example
	for _, name := range f.IntentNames() {
		in := f.Intents[name]
		for _, lang := range slices.Sorted(maps.Keys(in.Examples)) {
			for i, ex := range in.Examples[lang] {
				intentEx = append(intentEx, example{path: "intents." + name + ".examples." + lang + "." + strconv.Itoa(i), words: uniqueWords(ex)})
			}
		}
	}
	for _, name := range f.AnswerNames() {
		a := f.Answers[name]
		p := "answers." + name
		if len(a.Link) > 0 && !a.Checks() {
			l.warnf(p+".check", "link-check", "answer %s gives a link but does not ask whether it helped: remove check: false", name)
		}
		for _, lang := range slices.Sorted(maps.Keys(a.Examples)) {
			for i, ex := range a.Examples[lang] {
				ep := p + ".examples." + lang + "." + strconv.Itoa(i)
				ws := uniqueWords(ex)
				for _, ie := range intentEx {
					if !overlaps(ws, ie.words) {
						continue
					}
					in := strings.Split(ie.path, ".")[1]
					l.warnf(ep, "answer-overlap", "example %q of answer %s overlaps example %s of intent %s (%s): the answer would shadow the concern flow; reword or remove one",
						ex, name, f.Pos(ie.path), in, ie.path)
				}
			}
		}
	}
}

// uniqueWords returns the distinct words of s, sorted.
func uniqueWords(s string) []string {
	ws := words(s)
	slices.Sort(ws)
	return slices.Compact(ws)
}

// overlaps reports whether two sorted word sets are the same, or share at
// least overlapShare of their union with three words or more.
func overlaps(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	common := 0
	for _, w := range a {
		if _, ok := slices.BinarySearch(b, w); ok {
			common++
		}
	}
	union := len(a) + len(b) - common
	if common == union {
		return true
	}
	return common >= 3 && float64(common)/float64(union) >= overlapShare
}
