package flows

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Validate checks what must hold for the file to be loaded and returns the
// errors found, sorted by position; nil means the file is valid. The rules:
//
//	version              version is 1
//	languages            languages are listed, lower-case, once each; default_language is one of them
//	policy               thresholds and counts are in range
//	empty                something that must have content has none (flows, states, choices, examples, tests)
//	name                 names of intents, flows, states and choices are letters, digits, _ and -
//	kind                 a state's kind is known, and it only uses the keys of its kind
//	transition           acknowledge states have next; handoff states have neither next nor on; waiting states have no next
//	unknown-state        a flow's start names a state
//	unknown-event        a state maps only events its kind reacts to; chose:<id> names a choice
//	missing-event        confirm and agree map confirmed; every agree choice has a chose target
//	unknown-target       next and on lead to a state of the flow or to $end, $restart, $handoff
//	unreachable          every state is reachable from start
//	no-close             a flow has a path to a close state, $end or $restart
//	missing-text         required texts (texts.*, a state's say, a choice's label) exist
//	missing-translation  every text and intent has every language
//	unknown-language     texts use only the languages listed
//	unknown-placeholder  braces name only Placeholders (texts.wait_words: only their own)
//	duplicate-choice     a choices state's ids are unique
//	choice               a choice agrees or hands off, not both
//	unknown-flow         an intent's flow exists; a test's expected flow exists
//	intent               an intent has a flow or a handoff, not both
//	priority             a handoff's priority is one of Priorities
//	unknown-choice       a test's expected choices exist
//	handoff-reason       a test's expected handoff is one of HandoffReasons or none
//	duplicate-test       test names are unique
//	link                 an answer's links are absolute http(s) URLs, one for every language
//	not-helped           an answer's not_helped names one of flow, handoff, answer, and it exists
func (f *File) Validate() Diagnostics {
	v := &validator{f: f}
	for _, l := range f.Languages {
		if langRE.MatchString(l) && !slices.Contains(v.langs, l) {
			v.langs = append(v.langs, l)
		}
	}
	v.file()
	v.texts()
	v.intents()
	v.answers()
	for _, name := range f.FlowNames() {
		v.flow(f.Flows[name])
	}
	v.tests()
	return v.diags.Sort()
}

type validator struct {
	f     *File
	diags Diagnostics
	langs []string // the file's valid languages, once each
}

func (v *validator) errorf(path, rule, format string, args ...any) {
	v.diags = append(v.diags, Diagnostic{File: v.f.Name, Pos: v.f.Pos(path), Rule: rule,
		Severity: SeverityError, Message: fmt.Sprintf(format, args...)})
}

var (
	langRE        = regexp.MustCompile(`^[a-z]{2,3}$`)
	nameRE        = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	placeholderRE = regexp.MustCompile(`\{([^{}]*)\}`)
)

func (v *validator) file() {
	f := v.f
	switch {
	case f.Version == 0:
		v.errorf("version", "version", "version is missing: want version: %d", Version)
	case f.Version != Version:
		v.errorf("version", "version", "unknown version %d: want %d", f.Version, Version)
	}
	if len(f.Languages) == 0 {
		v.errorf("languages", "languages", "no languages: list the languages every text is written in, e.g. [en]")
	}
	seen := map[string]bool{}
	for i, l := range f.Languages {
		p := "languages." + strconv.Itoa(i)
		if !langRE.MatchString(l) {
			v.errorf(p, "languages", "language %q is not a lower-case ISO 639 code such as en", l)
		}
		if seen[l] {
			v.errorf(p, "languages", "language %q is listed twice", l)
		}
		seen[l] = true
	}
	if len(f.Languages) > 0 && !slices.Contains(f.Languages, f.DefaultLanguage) {
		v.errorf("default_language", "languages", "default_language %q is not one of the languages", f.DefaultLanguage)
	}
	p := f.Policy
	if p.SentimentHandoffBelow < -1 || p.SentimentHandoffBelow > 1 {
		v.errorf("policy.sentiment_handoff_below", "policy", "sentiment_handoff_below must be between -1 and 1")
	}
	if p.RaisePriorityBelow < -1 || p.RaisePriorityBelow > 1 {
		v.errorf("policy.raise_priority_below", "policy", "raise_priority_below must be between -1 and 1")
	}
	if p.StillUpsetBelow < -1 || p.StillUpsetBelow > 1 {
		v.errorf("policy.still_upset_below", "policy", "still_upset_below must be between -1 and 1")
	}
	if p.IntentThreshold < 0 || p.IntentThreshold > 1 {
		v.errorf("policy.intent_threshold", "policy", "intent_threshold must be between 0 and 1")
	}
	if p.MaxAttempts < 1 {
		v.errorf("policy.max_attempts", "policy", "max_attempts must be at least 1")
	}
	if p.MaxUnclear < 1 {
		v.errorf("policy.max_unclear", "policy", "max_unclear must be at least 1")
	}
	if p.QuietWindow < 0 {
		v.errorf("policy.quiet_window", "policy", "quiet_window must not be negative")
	}
	if p.WorseningTurns != 0 && p.WorseningTurns < 2 {
		v.errorf("policy.worsening_turns", "policy", "worsening_turns must be 0 (off) or at least 2")
	}
	if p.MaxMessageBytes < 1 {
		v.errorf("policy.max_message_bytes", "policy", "max_message_bytes must be at least 1")
	}
	if len(f.Flows) == 0 {
		v.errorf("flows", "empty", "no flows")
	}
}

// textRef is one text of a file, with its path.
type textRef struct {
	path string
	text Text
	// lint: whether lint rules about the customer-facing wording apply
	// (every text; switchOK marks the channel reminder and farewells).
	switchOK bool
	// vars, when not nil, are the only placeholders the text may use
	// instead of Placeholders.
	vars []string
	// answer is the answer whose say this is, if any.
	answer *Answer
}

// allTexts lists every text of f in a fixed order: texts.*, then each
// flow's states in source order.
func (f *File) allTexts() []textRef {
	t := f.Texts
	out := []textRef{
		{path: "texts.welcome", text: t.Welcome},
		{path: "texts.clarify", text: t.Clarify},
		{path: "texts.unclear", text: t.Unclear},
		{path: "texts.handoff", text: t.Handoff},
		{path: "texts.restart", text: t.Restart},
		{path: "texts.channels", text: t.Channels, switchOK: true},
		{path: "texts.farewell", text: t.Farewell, switchOK: true},
		{path: "texts.too_long", text: t.TooLong},
		{path: "texts.waiting", text: t.Waiting},
		{path: "texts.ended", text: t.Ended},
		{path: "texts.goodbye", text: t.Goodbye},
		{path: "texts.busy", text: t.Busy},
		{path: "texts.unavailable", text: t.Unavailable},
		{path: "texts.after_hours", text: t.AfterHours},
		{path: "texts.incentive", text: t.Incentive},
		{path: "texts.rating", text: t.Rating},
		{path: "texts.rating_comment", text: t.RatingComment},
		{path: "texts.rating_thanks", text: t.RatingThanks},
	}
	out = append(out, t.WaitWords.refs()...)
	out = append(out, f.answerTexts()...)
	for _, fname := range f.FlowNames() {
		fl := f.Flows[fname]
		for _, sname := range fl.StateNames() {
			s := fl.States[sname]
			sp := statePath(fl, s)
			out = append(out,
				textRef{path: sp + ".say", text: s.Say},
				textRef{path: sp + ".again", text: s.Again},
				textRef{path: sp + ".farewell", text: s.Farewell, switchOK: true})
			for i, c := range s.Choices {
				cp := sp + ".choices." + strconv.Itoa(i)
				out = append(out, textRef{path: cp + ".label", text: c.Label})
				if c.Agree != nil {
					out = append(out,
						textRef{path: cp + ".agree.solution", text: c.Agree.Solution},
						textRef{path: cp + ".agree.time_frame", text: c.Agree.TimeFrame},
						textRef{path: cp + ".agree.next_steps", text: c.Agree.NextSteps})
				}
			}
		}
	}
	return out
}

func flowPath(fl *Flow) string            { return "flows." + fl.Name }
func statePath(fl *Flow, s *State) string { return "flows." + fl.Name + ".states." + s.Name }

// textPath is the path of lang's text in the text at path, or of one of its
// channel variants.
func textPath(path, lang, channel string) string {
	if channel == "" {
		return path + "." + lang
	}
	return path + "." + lang + "." + channel
}

// sortedLangs returns the languages of t: the file's languages first, in
// their order, then any others alphabetically.
func (f *File) sortedLangs(t Text) []string {
	var out []string
	for _, l := range f.Languages {
		if _, ok := t[l]; ok {
			out = append(out, l)
		}
	}
	var extra []string
	for l := range t {
		if !slices.Contains(f.Languages, l) {
			extra = append(extra, l)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

// variants calls fn for each string of t in lang: the default, then the
// channel variants in the order of their names.
func variants(t Text, lang string, fn func(channel, s string)) {
	l, ok := t[lang]
	if !ok {
		return
	}
	if l.Default != "" {
		fn("", l.Default)
	}
	for _, ch := range slices.Sorted(maps.Keys(l.Channels)) {
		fn(ch, l.Channels[ch])
	}
}

func (v *validator) texts() {
	f := v.f
	required := map[string]bool{
		"texts.welcome": true, "texts.clarify": true, "texts.unclear": true, "texts.handoff": true,
		"texts.restart": true, "texts.channels": true, "texts.farewell": true, "texts.too_long": true,
	}
	if len(f.Answers) > 0 {
		required["answer_texts.check"], required["answer_texts.close"], required["answer_texts.acknowledge"] = true, true, true
		for _, a := range f.Answers {
			required["answers."+a.Name+".say"] = true
			if len(a.Link) > 0 {
				required["answer_texts.try"] = true
			}
		}
	}
	for _, r := range f.allTexts() {
		if len(r.text) == 0 {
			if required[r.path] {
				v.errorf(r.path, "missing-text", "%s is missing", r.path)
			}
			continue
		}
		for _, lang := range v.langs {
			l, ok := r.text[lang]
			switch {
			case !ok:
				v.errorf(r.path, "missing-translation", "%s has no %q text", r.path, lang)
			case l.Default == "" && len(l.Channels) == 0:
				v.errorf(textPath(r.path, lang, ""), "missing-translation", "%s.%s is empty", r.path, lang)
			case l.Default == "":
				v.errorf(textPath(r.path, lang, ""), "missing-translation", "%s.%s has channel variants but no default", r.path, lang)
			}
		}
		for _, lang := range f.sortedLangs(r.text) {
			if !slices.Contains(f.Languages, lang) {
				if len(f.Languages) == 0 {
					continue // reported once as languages
				}
				v.errorf(textPath(r.path, lang, ""), "unknown-language", "%s has a text in %q, which is not one of the languages", r.path, lang)
				continue
			}
			allowed := Placeholders
			if r.vars != nil {
				allowed = r.vars
			}
			variants(r.text, lang, func(ch, s string) {
				for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
					if slices.Contains(allowed, m[1]) {
						continue
					}
					want := "want one of " + strings.Join(allowed, ", ")
					if len(allowed) == 0 {
						want = "it takes none"
					}
					v.errorf(textPath(r.path, lang, ch), "unknown-placeholder", "unknown placeholder {%s} in %s: %s",
						m[1], textPath(r.path, lang, ch), want)
				}
			})
		}
	}
}

func (v *validator) handoff(path string, h *Handoff) {
	if h != nil && h.Priority != "" && !slices.Contains(Priorities, h.Priority) {
		v.errorf(path+".priority", "priority", "unknown priority %q: want one of %s", h.Priority, strings.Join(Priorities, ", "))
	}
}

func (v *validator) intents() {
	f := v.f
	for _, name := range f.IntentNames() {
		in := f.Intents[name]
		p := "intents." + name
		if !nameRE.MatchString(name) {
			v.errorf(p, "name", "intent name %q: use letters, digits, _ and -", name)
		}
		v.handoff(p+".handoff", in.Handoff)
		switch {
		case in.Handoff != nil && in.Flow != "":
			v.errorf(p, "intent", "intent %s has both a flow and a handoff", name)
		case in.Handoff != nil:
		case in.Flow != "":
			if _, ok := f.Flows[in.Flow]; !ok {
				v.errorf(p+".flow", "unknown-flow", "intent %s: no flow %q", name, in.Flow)
			}
		default:
			if _, ok := f.Flows[name]; !ok {
				v.errorf(p, "unknown-flow", "intent %s has no flow %q and no handoff: set flow: or handoff:", name, name)
			}
		}
		if len(in.Examples) == 0 {
			v.errorf(p, "empty", "intent %s has no examples", name)
			continue
		}
		for _, lang := range v.langs {
			if len(in.Examples[lang]) == 0 {
				v.errorf(p+".examples", "missing-translation", "intent %s has no %q examples", name, lang)
			}
		}
		langs := make([]string, 0, len(in.Examples))
		for l := range in.Examples {
			langs = append(langs, l)
		}
		slices.Sort(langs)
		for _, l := range langs {
			if !slices.Contains(f.Languages, l) && len(f.Languages) > 0 {
				v.errorf(p+".examples."+l, "unknown-language", "intent %s has examples in %q, which is not one of the languages", name, l)
			}
			for i, ex := range in.Examples[l] {
				if strings.TrimSpace(ex) == "" {
					v.errorf(p+".examples."+l+"."+strconv.Itoa(i), "empty", "intent %s has an empty example", name)
				}
			}
		}
	}
}

func (v *validator) flow(fl *Flow) {
	fp := flowPath(fl)
	if !nameRE.MatchString(fl.Name) {
		v.errorf(fp, "name", "flow name %q: use letters, digits, _ and -", fl.Name)
	}
	if len(fl.States) == 0 {
		v.errorf(fp, "empty", "flow %s has no states", fl.Name)
		return
	}
	switch _, ok := fl.States[fl.Start]; {
	case fl.Start == "":
		v.errorf(fp, "unknown-state", "flow %s has no start", fl.Name)
	case !ok:
		v.errorf(fp+".start", "unknown-state", "flow %s starts at %q, which is not one of its states", fl.Name, fl.Start)
	}
	for _, sname := range fl.StateNames() {
		v.state(fl, fl.States[sname])
	}
	if _, ok := fl.States[fl.Start]; !ok {
		return
	}
	reach := fl.reachable()
	closes := false
	for _, sname := range fl.StateNames() {
		s := fl.States[sname]
		if !reach[sname] {
			v.errorf(statePath(fl, s), "unreachable", "state %s of flow %s is not reachable from %s", sname, fl.Name, fl.Start)
			continue
		}
		if s.Kind == KindClose {
			closes = true
		}
		for _, e := range s.edges() {
			if e.to == TargetEnd || e.to == TargetRestart {
				closes = true
			}
		}
	}
	if !closes {
		v.errorf(fp, "no-close", "flow %s has no path to a close state, $end or $restart", fl.Name)
	}
}

func (v *validator) target(fl *Flow, path, to string) {
	if to == "" {
		v.errorf(path, "unknown-target", "empty target")
		return
	}
	if _, ok := fl.States[to]; ok || isReserved(to) {
		return
	}
	if strings.Contains(to, ": ") {
		// {anything_else:yes: x} in flow style reads as anything_else: "yes: x".
		v.errorf(path, "unknown-target", "%q is not a state of flow %s: quote events that hold a colon in {...} mappings (\"anything_else:yes\": ...)", to, fl.Name)
		return
	}
	v.errorf(path, "unknown-target", "%q is not a state of flow %s nor $end, $restart or $handoff", to, fl.Name)
}

func (v *validator) state(fl *Flow, s *State) {
	sp := statePath(fl, s)
	if !nameRE.MatchString(s.Name) {
		v.errorf(sp, "name", "state name %q: use letters, digits, _ and -", s.Name)
	}
	switch {
	case s.Kind == "":
		v.errorf(sp, "kind", "state %s has no kind: want one of %s", s.Name, kindList())
		return
	case !isKind(s.Kind):
		v.errorf(sp+".kind", "kind", "unknown kind %q: want one of %s", s.Kind, kindList())
		return
	}
	if len(s.Say) == 0 && s.Kind != KindHandoff {
		v.errorf(sp, "missing-text", "%s state %s has nothing to say", s.Kind, s.Name)
	}
	if len(s.Choices) > 0 && s.Kind != KindChoices {
		v.errorf(sp+".choices", "kind", "choices belong to choices states, not to %s", s.Kind)
	}
	if len(s.Farewell) > 0 && s.Kind != KindClose {
		v.errorf(sp+".farewell", "kind", "a farewell belongs to close states, not to %s", s.Kind)
	}
	if s.Handoff != nil {
		if s.Kind != KindHandoff {
			v.errorf(sp+".handoff", "kind", "handoff: belongs to handoff states, not to %s (use a choice's handoff or $handoff)", s.Kind)
		}
		v.handoff(sp+".handoff", s.Handoff)
	}
	switch s.Kind {
	case KindAcknowledge:
		if s.Next == "" {
			v.errorf(sp, "transition", "acknowledge state %s needs next: it does not wait for the customer", s.Name)
		}
		if len(s.On) > 0 {
			v.errorf(sp+".on", "transition", "acknowledge state %s does not wait for the customer: use next, not on", s.Name)
		}
	case KindHandoff:
		if s.Next != "" || len(s.On) > 0 {
			v.errorf(sp, "transition", "handoff state %s ends the bot's part: it has no next or on", s.Name)
		}
	case KindMessage:
		if s.Next != "" && len(s.On) > 0 {
			v.errorf(sp+".next", "transition", "state %s has both next and on", s.Name)
		}
		if s.Next == "" && len(s.On) == 0 {
			v.errorf(sp, "transition", "message state %s neither moves on (next) nor waits (on)", s.Name)
		}
	default:
		if s.Next != "" {
			v.errorf(sp+".next", "transition", "%s state %s waits for the customer: use on, not next", s.Kind, s.Name)
		}
	}
	if s.Next != "" {
		v.target(fl, sp+".next", s.Next)
	}
	if s.Kind != KindAcknowledge && s.Kind != KindHandoff {
		for _, ev := range s.Events() {
			v.target(fl, sp+".on."+ev, s.On[ev])
			v.event(fl, s, sp+".on."+ev, ev)
		}
	}
	switch s.Kind {
	case KindConfirm, KindAgree:
		if _, ok := s.On[EventConfirmed]; !ok {
			v.errorf(sp, "missing-event", "%s state %s must map confirmed in on", s.Kind, s.Name)
		}
	case KindChoices:
		v.choices(fl, s, sp)
	}
}

func kindList() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

func (v *validator) event(fl *Flow, s *State, path, ev string) {
	if ev == EventStillUpset || ev == EventUnclear || slices.Contains(kindEvents[s.Kind], ev) {
		return
	}
	if id, ok := strings.CutPrefix(ev, EventChose+":"); ok && s.Kind == KindChoices {
		if s.Choice(id) == nil {
			v.errorf(path, "unknown-event", "%s: state %s has no choice %q", ev, s.Name, id)
		}
		return
	}
	want := append(slices.Clone(kindEvents[s.Kind]), EventStillUpset, EventUnclear)
	if s.Kind == KindChoices {
		want = append(want, "chose:<id>")
	}
	v.errorf(path, "unknown-event", "%s states do not react to %q: want one of %s", s.Kind, ev, strings.Join(want, ", "))
}

func (v *validator) choices(fl *Flow, s *State, sp string) {
	if len(s.Choices) == 0 {
		v.errorf(sp, "empty", "choices state %s offers no choices", s.Name)
		return
	}
	seen := map[string]bool{}
	for i, c := range s.Choices {
		cp := sp + ".choices." + strconv.Itoa(i)
		switch {
		case c.ID == "":
			v.errorf(cp, "empty", "choice %d of state %s has no id", i+1, s.Name)
		case !nameRE.MatchString(c.ID):
			v.errorf(cp+".id", "name", "choice id %q: use letters, digits, _ and -", c.ID)
		case seen[c.ID]:
			v.errorf(cp+".id", "duplicate-choice", "state %s has more than one choice %q", s.Name, c.ID)
		}
		seen[c.ID] = true
		if len(c.Label) == 0 {
			v.errorf(cp, "missing-text", "choice %q has no label", c.ID)
		}
		v.handoff(cp+".handoff", c.Handoff)
		if c.Agree != nil && c.Handoff != nil {
			v.errorf(cp, "choice", "choice %q both agrees and hands off: pick one", c.ID)
			continue
		}
		if c.Handoff != nil || c.ID == "" {
			continue
		}
		to, ok := s.Target(EventChose + ":" + c.ID)
		if !ok {
			v.errorf(cp, "missing-event", "choice %q leads nowhere: map chose:%s or chose in on, or give it a handoff", c.ID, c.ID)
			continue
		}
		if t, ok := fl.States[to]; ok && c.Agree != nil && isKind(t.Kind) && t.Kind != KindAgree {
			v.errorf(cp+".agree", "kind", "choice %q has an agreement but leads to %s, a %s state: want an agree state", c.ID, to, t.Kind)
		}
	}
}

func (v *validator) tests() {
	f := v.f
	names := map[string]bool{}
	for _, t := range f.Tests {
		tv := &validator{f: t.src}
		if tv.f == nil {
			tv.f = f
		}
		p := t.path
		if strings.TrimSpace(t.Name) == "" {
			tv.errorf(p, "empty", "a test has no name")
		} else if names[t.Name] {
			tv.errorf(p+".name", "duplicate-test", "more than one test is named %q", t.Name)
		}
		names[t.Name] = true
		if t.Lang != "" && !slices.Contains(f.Languages, baseLang(t.Lang)) {
			tv.errorf(p+".lang", "unknown-language", "test %q: %q is not one of the languages", t.Name, t.Lang)
		}
		if len(t.Turns) == 0 {
			tv.errorf(p, "empty", "test %q has no turns", t.Name)
		}
		flow := ""
		for i, turn := range t.Turns {
			tp := p + ".turns." + strconv.Itoa(i)
			ep := tp + ".expect"
			e := turn.Expect
			if strings.TrimSpace(turn.Say) == "" {
				tv.errorf(tp, "empty", "test %q, turn %d says nothing", t.Name, i+1)
			}
			if e.Flow != "" {
				flow = e.Flow
				if f.flow(e.Flow) == nil {
					tv.errorf(ep+".flow", "unknown-flow", "test %q, turn %d: no flow %q", t.Name, i+1, e.Flow)
				}
			}
			if e.State != "" && !f.hasState(flow, e.State) {
				where := "any flow"
				if flow != "" {
					where = "flow " + flow
				}
				tv.errorf(ep+".state", "unknown-state", "test %q, turn %d: no state %q in %s", t.Name, i+1, e.State, where)
			}
			if e.Lang != "" && !slices.Contains(f.Languages, e.Lang) {
				tv.errorf(ep+".lang", "unknown-language", "test %q, turn %d: %q is not one of the languages", t.Name, i+1, e.Lang)
			}
			if e.Handoff != "" && e.Handoff != "none" && !Reason(e.Handoff).Known() {
				tv.errorf(ep+".handoff", "handoff-reason", "test %q, turn %d: unknown handoff reason %q: want none or one of %s",
					t.Name, i+1, e.Handoff, reasonList())
			}
			for j, id := range e.Choices {
				if !f.hasChoice(flow, id) {
					tv.errorf(ep+".choices."+strconv.Itoa(j), "unknown-choice", "test %q, turn %d: no choice %q", t.Name, i+1, id)
				}
			}
		}
		v.diags = append(v.diags, tv.diags...)
	}
}

// baseLang returns the language code of a locale: de for de-CH or de_CH.
func baseLang(locale string) string {
	locale = strings.ToLower(locale)
	if i := strings.IndexAny(locale, "-_"); i > 0 {
		return locale[:i]
	}
	return locale
}

// hasState reports whether flow (or, when flow is "" or unknown, any flow)
// has the state.
func (f *File) hasState(flow, state string) bool {
	if fl := f.flow(flow); fl != nil {
		_, ok := fl.States[state]
		return ok
	}
	for _, fl := range f.Flows {
		if _, ok := fl.States[state]; ok {
			return true
		}
	}
	return false
}

// hasChoice reports whether flow (or any flow) offers a choice with id.
func (f *File) hasChoice(flow, id string) bool {
	for name, fl := range f.Flows {
		if flow != "" && f.Flows[flow] != nil && name != flow {
			continue
		}
		for _, s := range fl.States {
			if s.Choice(id) != nil {
				return true
			}
		}
	}
	return false
}
