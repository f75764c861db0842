package intent

import (
	"strings"

	"github.com/calmbot/calmbot/bot/language"
)

// Requests for a person.
const (
	cueSpan   = 6 // words before a person word searched for a cue ("I want to talk to a")
	afterSpan = 4 // words after it searched for a talk cue ("a person I can talk to")
)

// humanRequest reports whether toks ask for a person: a word for a person
// after a cue in the same clause ("I want to talk to a human", "vorrei un
// operatore"), or with no other content word ("agent!", "real person please").
// A negator in the clause ("I'm not asking for a human") or no cue ("the
// agent who delivered it was rude") is no request.
func (t *tables) humanRequest(toks []language.Token) bool {
	// A message of person words only ("human please") is a request by itself.
	// So is one of talk cues only ("verbinden Sie mich bitte").
	onlyPersons, onlyTalk, negated := true, false, false
	for _, tk := range toks {
		if t.negators[tk.Text] || strings.HasSuffix(tk.Text, "n't") {
			negated = true
		}
		if !t.isContent(tk) || t.urgent[tk.Text] || t.chatter[tk.Text] {
			continue
		}
		if t.talkCues[tk.Text] {
			onlyTalk = true
			continue
		}
		if s, w := t.personWord(tk.Text); !s && !w {
			onlyPersons, onlyTalk = false, false
			break
		}
	}
	if onlyTalk && onlyPersons && !negated {
		return true
	}
	for i, tk := range toks {
		if tk.Kind != language.Word {
			continue
		}
		st := language.Stem(t.lang, tk.Text)
		if t.refusesBot(toks, i, st) {
			return true
		}
		strong, weak := t.personStem(tk.Text, st)
		if !strong && !weak {
			continue
		}
		cue, talk, neg := false, false, false
		persons := 1
		for k := i - 1; k >= 0 && i-k <= cueSpan; k-- {
			if toks[k+1].Break {
				break
			}
			w := toks[k].Text
			cue = cue || t.cues[w]
			talk = talk || t.talkCues[w]
			neg = neg || t.negated(toks, k+1, 1)
			if s, w := t.personWord(w); s || w {
				persons++
			}
		}
		// After the word: "a person to talk to", "ihmisen kanssa", "someone real".
		for k := i + 1; k < len(toks) && k-i <= afterSpan && !toks[k].Break; k++ {
			w := toks[k].Text
			talk = talk || t.talkCues[w] || t.trailing[w]
			if s, w := t.personWord(w); s || w {
				persons++
			}
		}
		if neg {
			continue
		}
		if persons > 1 {
			strong = true // "someone real", "live agent", "echten Menschen"
		}
		if (strong && (cue || talk || onlyPersons)) || (weak && talk) {
			return true
		}
	}
	return false
}

// personWord reports whether w names a person to talk to, strongly
// ("human", "Mitarbeiter") or weakly ("someone", "real").
func (t *tables) personWord(w string) (strong, weak bool) {
	return t.personStem(w, language.Stem(t.lang, w))
}

// personStem is personWord of w with its stem st.
func (t *tables) personStem(w, st string) (strong, weak bool) {
	return t.humanStrong[w] || t.humanStrong[st], t.humanWeak[w] || t.humanWeak[st]
}

// refusesBot reports whether toks[i] names the bot and its clause turns it
// away: a negator or a refusing word before it ("I don't want to talk to a
// bot", "keinen Bot bitte", "stop this bot") or a refusing word just after
// ("bot is useless").
func (t *tables) refusesBot(toks []language.Token, i int, stem string) bool {
	if !t.bots[toks[i].Text] && !t.bots[stem] {
		return false
	}
	for k := i - 1; k >= 0 && i-k <= cueSpan; k-- {
		if toks[k+1].Break {
			break
		}
		if tk := toks[k]; t.negators[tk.Text] || t.refuse[tk.Text] || strings.HasSuffix(tk.Text, "n't") {
			return true
		}
	}
	for k := i + 1; k < len(toks) && k-i <= 3 && !toks[k].Break; k++ {
		if t.refuse[toks[k].Text] || t.complaint[toks[k].Text] {
			return true
		}
	}
	return false
}
