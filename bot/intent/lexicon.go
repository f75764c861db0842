package intent

import (
	"sort"
	"strings"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/language"
)

// phrase is a yes, no or unsure wording as folded tokens.
type phrase struct {
	toks   []string
	answer bot.Answer // AnswerNone for unsure
	unsure bool
}

// tables are one language's lexicon, folded and indexed.
type tables struct {
	lang     string
	phrases  map[string][]phrase // first token -> phrases, longest first
	negators map[string]bool
	fillers  map[string]bool
	leadOnly map[string]bool // first words of phrases that answer only leading a reply
	ordinals map[string]int
	cardinal map[string]int
	option   map[string]bool
	stop     map[string]bool // stopwords and noise: never content
	// weak are words (folded, and their stems) that say too little to
	// name an intent by themselves: the words of answers, numbers, and the
	// lexicon's weak words.
	weak map[string]bool
	// complaint are the lexicon's complaint words, folded, and their stems.
	complaint map[string]bool
	// flags are stop, negator, weak and complaint words in one map, for
	// quick reading.
	flags map[string]wordFlag
	// chatter are the words of answers, fillers, negators, thanks and
	// goodbyes (folded); parting are the thanks and goodbyes.
	chatter, parting, joiners map[string]bool
	// Stems of the words about asking for a person.
	humanStrong, humanWeak, cues, talkCues map[string]bool
	bots, refuse, trailing, urgent         map[string]bool
}

func newTables(lang string) *tables {
	lx := lexicons[lang]
	t := &tables{
		lang:        lang,
		phrases:     map[string][]phrase{},
		negators:    words(lx.negators, false, lang),
		fillers:     words(lx.fillers, false, lang),
		leadOnly:    words(lx.leadOnly, false, lang),
		ordinals:    map[string]int{},
		cardinal:    map[string]int{},
		option:      words(lx.optionWords, false, lang),
		stop:        words(lx.noise, false, lang),
		weak:        map[string]bool{},
		complaint:   map[string]bool{},
		humanStrong: words(lx.humanStrong, true, lang),
		humanWeak:   words(lx.humanWeak, true, lang),
		cues:        words(lx.cues, false, lang),
		talkCues:    words(lx.talkCues, false, lang),
		bots:        words(lx.bots, true, lang),
		refuse:      words(lx.refuse, false, lang),
		trailing:    words(lx.trailing, false, lang),
		urgent:      words(lx.urgent, false, lang),
	}
	for _, w := range language.Stopwords(lang) {
		t.stop[w] = true
	}
	t.addPhrases(lx.yes, bot.AnswerYes, false)
	t.addPhrases(neutralYes, bot.AnswerYes, false)
	t.addPhrases(lx.no, bot.AnswerNo, false)
	t.addPhrases(neutralNo, bot.AnswerNo, false)
	t.addPhrases(lx.unsure, bot.AnswerNone, true)
	for _, list := range t.phrases {
		sort.SliceStable(list, func(i, j int) bool { return len(list[i].toks) > len(list[j].toks) })
	}
	for _, list := range []string{lx.yes, lx.no, lx.unsure, lx.fillers, lx.weak, strings.Join(lx.ordinals, " ")} {
		for _, tk := range language.Split(nil, list) {
			if tk.Kind == language.Word {
				t.weak[tk.Text] = true
				t.weak[language.Stem(lang, tk.Text)] = true
			}
		}
	}
	t.parting = words(lx.thanks+" "+lx.goodbyes, false, lang)
	t.joiners = words(lx.joiners, false, lang)
	t.chatter = words(lx.fillers+" "+lx.negators, false, lang)
	for w := range t.parting {
		t.chatter[w] = true
	}
	for _, list := range []string{lx.yes, lx.no, lx.unsure, neutralYes, neutralNo} {
		for _, tk := range language.Split(nil, list) {
			if tk.Kind == language.Word {
				t.chatter[tk.Text] = true
			}
		}
	}
	for _, w := range strings.Fields(lx.complaints) {
		w = language.Fold(w)
		t.complaint[w] = true
		t.complaint[language.Stem(lang, w)] = true
	}
	t.flags = map[string]wordFlag{}
	for _, set := range []struct {
		words map[string]bool
		flag  wordFlag
	}{{t.stop, flagStop}, {t.negators, flagNegator}, {t.weak, flagWeak}, {t.complaint, flagComplaint}} {
		for w := range set.words {
			t.flags[w] |= set.flag
		}
	}
	for i, item := range lx.ordinals {
		ws := strings.Fields(item)
		for k, w := range ws {
			w = language.Fold(w)
			if k == len(ws)-1 {
				t.cardinal[w] = i + 1
			} else {
				t.ordinals[w] = i + 1
			}
		}
	}
	return t
}

// words folds a space-separated list into a set, stemmed when stem is true.
func words(list string, stem bool, lang string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(list) {
		w = language.Fold(w)
		if stem {
			w = language.Stem(lang, w)
		}
		m[w] = true
	}
	return m
}

func (t *tables) addPhrases(list string, answer bot.Answer, unsure bool) {
	for _, item := range strings.Split(list, ",") {
		toks := language.Split(nil, item)
		if len(toks) == 0 {
			continue
		}
		p := phrase{answer: answer, unsure: unsure}
		for _, tk := range toks {
			p.toks = append(p.toks, tk.Text)
		}
		t.phrases[p.toks[0]] = append(t.phrases[p.toks[0]], p)
	}
}

// phraseAt returns the longest phrase that starts at toks[i].
func (t *tables) phraseAt(toks []language.Token, i int) (phrase, bool) {
	for _, p := range t.phrases[toks[i].Text] {
		if i+len(p.toks) > len(toks) {
			continue
		}
		ok := true
		for k := 1; k < len(p.toks); k++ {
			if toks[i+k].Text != p.toks[k] || toks[i+k].Break {
				ok = false
				break
			}
		}
		if ok {
			return p, true
		}
	}
	return phrase{}, false
}

// wordFlag says what kind of word a folded word or stem is.
type wordFlag uint8

// Word flags.
const (
	flagStop wordFlag = 1 << iota
	flagNegator
	flagWeak
	flagComplaint
)

// chat reports whether toks are chatter only: answers, fillers, thanks and
// goodbyes, with at least one word ("no", "ok", "no, thanks"); parting is
// true when they also thank or take leave ("thanks, bye").
func (t *tables) chat(toks []language.Token) (chatter, parting bool) {
	n := 0
	for _, tk := range toks {
		if tk.Kind != language.Word {
			continue
		}
		if t.joiners[tk.Text] {
			continue
		}
		if !t.chatter[tk.Text] {
			return false, false
		}
		n++
		parting = parting || t.parting[tk.Text]
	}
	return n > 0, n > 0 && parting
}

// isContent reports whether a token can carry an intent or a label's meaning.
func (t *tables) isContent(tk language.Token) bool {
	return tk.Kind == language.Word && len(tk.Text) > 1 && t.flags[tk.Text]&(flagStop|flagNegator) == 0
}

// wordFlags returns the flags of the folded word w and of its stem.
func (t *tables) wordFlags(w, stem string) wordFlag {
	f := t.flags[w]
	if stem != w {
		f |= t.flags[stem]
	}
	return f
}

// negated reports whether a negator precedes toks[i] within its clause, at
// most span words back.
func (t *tables) negated(toks []language.Token, i, span int) bool {
	for k := 1; k <= span && i-k >= 0; k++ {
		if toks[i-k+1].Break {
			return false
		}
		w := toks[i-k].Text
		if t.negators[w] || strings.HasSuffix(w, "n't") || (t.lang == "de" && strings.HasPrefix(w, "kein")) {
			return true
		}
	}
	return false
}
