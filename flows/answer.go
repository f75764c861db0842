package flows

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// AnswerPrefix starts the name under which an answer competes with the
// intents in Candidates and runs as a flow (AnswerFlow): answer:<name>.
// Flow and intent names cannot hold a colon, so the names never clash.
const AnswerPrefix = "answer:"

// TargetFlow starts a target that leaves the flow for the start of another
// one: $flow:<name>. Only the flows made by AnswerFlow use it.
const TargetFlow = "$flow:"

// The states of the flow AnswerFlow makes of an answer.
const (
	AnswerStateAcknowledge = "acknowledge" // an upset customer is acknowledged first
	AnswerStateAnswer      = "answer"      // the answer, its link and "did that help?"
	AnswerStateClose       = "close"       // it helped: "anything else?"
	AnswerStateHandoff     = "handoff"     // it did not help and a person takes over
)

// Answer is an entry of the knowledge base: a plain question that needs no
// de-escalation gets a short answer, optionally with a link the customer is
// asked to try without closing the chat, then "did that help?".
type Answer struct {
	// Examples are questions per language; the classifier reads them like
	// an intent's, with the same out-of-scope threshold.
	Examples map[string][]string `yaml:"examples" json:"examples"`
	// Say is the answer per language, with channel variants (a help page
	// wants it dry, a chat warm). It may place the link with {link};
	// otherwise the link follows the text.
	Say Text `yaml:"say" json:"say"`
	// Link is the page per language (https://...), optional.
	Link map[string]string `yaml:"link,omitempty" json:"link,omitempty"`
	// Check asks "did that help?" after the answer (answer_texts.check);
	// true unless set to false. An answer with a link should always ask.
	Check *bool `yaml:"check,omitempty" json:"check,omitempty"`
	// NotHelped is what follows "no, it did not help": another flow, a
	// handoff with a skill and priority, or another answer. A handoff to
	// any agent by default.
	NotHelped *NotHelped `yaml:"not_helped,omitempty" json:"not_helped,omitempty"`

	Name string `yaml:"-" json:"-"`
}

// NotHelped names one next step after an answer that did not help.
type NotHelped struct {
	// Flow starts this flow.
	Flow string `yaml:"flow,omitempty" json:"flow,omitempty"`
	// Handoff hands the conversation to a person.
	Handoff *Handoff `yaml:"handoff,omitempty" json:"handoff,omitempty"`
	// Answer gives this other answer.
	Answer string `yaml:"answer,omitempty" json:"answer,omitempty"`
}

// AnswerTexts are the words the bot says around every answer.
type AnswerTexts struct {
	// Try follows a link: try it without closing the chat.
	Try Text `yaml:"try,omitempty" json:"try,omitempty"`
	// Check asks whether the answer helped.
	Check Text `yaml:"check,omitempty" json:"check,omitempty"`
	// Close answers "yes, it helped" and asks whether anything else is
	// needed; the farewell (texts.farewell) reminds of the channels.
	Close Text `yaml:"close,omitempty" json:"close,omitempty"`
	// Acknowledge comes first when the customer who asks is upset.
	Acknowledge Text `yaml:"acknowledge,omitempty" json:"acknowledge,omitempty"`
}

// Checks reports whether the answer asks "did that help?".
func (a *Answer) Checks() bool { return a.Check == nil || *a.Check }

// IsAnswer reports whether name (an intent or flow name) is an answer's
// (answer:<name>), and returns the answer's own name.
func IsAnswer(name string) (string, bool) {
	return strings.CutPrefix(name, AnswerPrefix)
}

// Candidates returns what the classifier chooses among: the intents and,
// as answer:<name>, the answers with their examples.
func (f *File) Candidates() map[string]*Intent {
	if len(f.Answers) == 0 {
		return f.Intents
	}
	out := make(map[string]*Intent, len(f.Intents)+len(f.Answers))
	for k, v := range f.Intents {
		out[k] = v
	}
	for name, a := range f.Answers {
		if a == nil {
			continue
		}
		out[AnswerPrefix+name] = &Intent{Examples: a.Examples, Flow: AnswerPrefix + name, Name: AnswerPrefix + name}
	}
	return out
}

// AnswerFlow returns the flow the engine runs for the answer named name
// (without the prefix), or nil. Its name is answer:<name>; it starts at
// AnswerStateAnswer, which says the answer (with its link, the try text and
// the check question) and waits for yes or no: yes leads to a close, no to
// NotHelped. AnswerStateAcknowledge, for an upset customer, acknowledges
// and moves on to the answer. The flow's skill is that of the not_helped
// handoff. An answer that does not check moves on to
// $restart.
func (f *File) AnswerFlow(name string) *Flow {
	a := f.Answers[name]
	if a == nil {
		return nil
	}
	fl := &Flow{Name: AnswerPrefix + name, Start: AnswerStateAnswer, States: map[string]*State{}}
	fl.rank = map[string]int{AnswerStateAcknowledge: 0, AnswerStateAnswer: 1, AnswerStateClose: 2, AnswerStateHandoff: 3}
	add := func(s *State) { s.rank = map[string]int{}; fl.States[s.Name] = s }
	add(&State{Name: AnswerStateAcknowledge, Kind: KindAcknowledge, Say: f.AnswerTexts.Acknowledge, Next: AnswerStateAnswer})
	ans := &State{Name: AnswerStateAnswer, Say: f.answerSay(a)}
	add(ans)
	if !a.Checks() {
		ans.Kind, ans.Next = KindMessage, TargetRestart
		return fl
	}
	ans.Kind = KindConfirm
	ans.On = map[string]string{EventConfirmed: AnswerStateClose, EventDenied: AnswerStateHandoff}
	ans.rank = map[string]int{EventConfirmed: 0, EventDenied: 1}
	add(&State{Name: AnswerStateClose, Kind: KindClose, Say: f.AnswerTexts.Close})
	nh := a.NotHelped
	switch {
	case nh != nil && nh.Flow != "":
		ans.On[EventDenied] = TargetFlow + nh.Flow
	case nh != nil && nh.Answer != "":
		ans.On[EventDenied] = TargetFlow + AnswerPrefix + nh.Answer
	default:
		h := &Handoff{}
		if nh != nil && nh.Handoff != nil {
			h = nh.Handoff
		}
		add(&State{Name: AnswerStateHandoff, Kind: KindHandoff, Say: f.Texts.Handoff, Handoff: h})
		fl.Skill = h.Skill // any handoff from the answer asks for it
	}
	return fl
}

// answerSay composes what the answer state says in each language and
// channel variant: the answer, its link, the try text, the check question.
func (f *File) answerSay(a *Answer) Text {
	out := Text{}
	for lang, l := range a.Say {
		compose := func(s string) string {
			parts := []string{strings.TrimSpace(s)}
			if link := a.Link[lang]; link != "" {
				if strings.Contains(parts[0], "{link}") {
					parts[0] = strings.ReplaceAll(parts[0], "{link}", link)
				} else {
					parts = append(parts, link)
				}
				parts = append(parts, textIn(f.AnswerTexts.Try, lang))
			} else {
				parts[0] = strings.ReplaceAll(parts[0], "{link}", "")
			}
			if a.Checks() {
				parts = append(parts, textIn(f.AnswerTexts.Check, lang))
			}
			return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), "\n")
		}
		c := Localized{Default: compose(l.Default)}
		for ch, v := range l.Channels {
			if c.Channels == nil {
				c.Channels = map[string]string{}
			}
			c.Channels[ch] = compose(v)
		}
		out[lang] = c
	}
	return out
}

func textIn(t Text, lang string) string {
	s, _ := t.Get(lang, "")
	return s
}

// validLink reports whether s is a well-formed absolute http(s) URL.
func validLink(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\n\"<>") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && !strings.HasPrefix(u.Host, ".") && u.User == nil
}

// flow returns the flow named name: one of f.Flows, or an answer's flow.
func (f *File) flow(name string) *Flow {
	if fl, ok := f.Flows[name]; ok {
		return fl
	}
	if a, ok := IsAnswer(name); ok {
		return f.AnswerFlow(a)
	}
	return nil
}

// answerTexts lists the texts of the answers section for the text rules.
func (f *File) answerTexts() []textRef {
	t := f.AnswerTexts
	out := []textRef{
		{path: "answer_texts.try", text: t.Try, vars: []string{}},
		{path: "answer_texts.check", text: t.Check, vars: []string{}},
		{path: "answer_texts.close", text: t.Close, vars: []string{}},
		{path: "answer_texts.acknowledge", text: t.Acknowledge, vars: []string{}},
	}
	for _, name := range f.AnswerNames() {
		out = append(out, textRef{path: "answers." + name + ".say", text: f.Answers[name].Say, vars: []string{"link"}, answer: f.Answers[name]})
	}
	return out
}

func (v *validator) answers() {
	f := v.f
	for _, name := range f.AnswerNames() {
		a := f.Answers[name]
		p := "answers." + name
		if !nameRE.MatchString(name) {
			v.errorf(p, "name", "answer name %q: use letters, digits, _ and -", name)
		}
		if len(a.Examples) == 0 {
			v.errorf(p, "empty", "answer %s has no examples", name)
		}
		for _, lang := range v.langs {
			if len(a.Examples) > 0 && len(a.Examples[lang]) == 0 {
				v.errorf(p+".examples", "missing-translation", "answer %s has no %q examples", name, lang)
			}
			if len(a.Link) > 0 && a.Link[lang] == "" {
				v.errorf(p+".link", "missing-translation", "answer %s has no %q link", name, lang)
			}
		}
		for _, l := range slices.Sorted(maps.Keys(a.Examples)) {
			if !slices.Contains(f.Languages, l) && len(f.Languages) > 0 {
				v.errorf(p+".examples."+l, "unknown-language", "answer %s has examples in %q, which is not one of the languages", name, l)
			}
			for i, ex := range a.Examples[l] {
				if strings.TrimSpace(ex) == "" {
					v.errorf(p+".examples."+l+"."+strconv.Itoa(i), "empty", "answer %s has an empty example", name)
				}
			}
		}
		for _, l := range slices.Sorted(maps.Keys(a.Link)) {
			lp := p + ".link." + l
			if !slices.Contains(f.Languages, l) && len(f.Languages) > 0 {
				v.errorf(lp, "unknown-language", "answer %s has a link in %q, which is not one of the languages", name, l)
			}
			if link := a.Link[l]; link != "" && !validLink(link) {
				v.errorf(lp, "link", "answer %s: %q is not a well-formed link: want an absolute https:// or http:// URL", name, link)
			}
		}
		nh, np := a.NotHelped, p+".not_helped"
		if nh == nil {
			continue
		}
		set := 0
		for _, ok := range []bool{nh.Flow != "", nh.Handoff != nil, nh.Answer != ""} {
			if ok {
				set++
			}
		}
		if set != 1 {
			v.errorf(np, "not-helped", "answer %s: not_helped names %d of flow, handoff and answer: want exactly one", name, set)
		}
		if nh.Flow != "" && f.Flows[nh.Flow] == nil {
			v.errorf(np+".flow", "not-helped", "answer %s: no flow %q", name, nh.Flow)
		}
		if nh.Answer != "" {
			if f.Answers[nh.Answer] == nil {
				v.errorf(np+".answer", "not-helped", "answer %s: no answer %q", name, nh.Answer)
			} else if nh.Answer == name {
				v.errorf(np+".answer", "not-helped", "answer %s offers itself again when it did not help: name another answer", name)
			}
		}
		if !a.Checks() {
			v.errorf(np, "not-helped", "answer %s does not ask whether it helped (check: false), so not_helped never happens", name)
		}
		v.handoff(np+".handoff", nh.Handoff)
	}
}
