package intent

import (
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/language"
)

// shortReply is the length (in tokens) up to which a yes or no anywhere in
// the reply counts; in longer replies it must open the reply or a short
// clause ("I see. Yes.").
const shortReply = 4

// shortClause is the length (in tokens) up to which a clause of a longer
// reply can be an answer by itself. Words that are also adverbs
// ("absolutely", "right") answer only leading a reply, or in a short one,
// and only with no other content word in their clause.
const shortClause = 3

// answer reads toks as yes or no in lang. A reply that says nothing else in
// lang is also read with the other declared languages' wording, whole ("si"
// to a German conversation).
func (a *Analyzer) answer(toks []language.Token, lang string) bot.Answer {
	if ans, found := a.tables[lang].answer(toks); found {
		return ans
	}
	for _, l := range a.langs {
		if l == lang {
			continue
		}
		if ans, whole := a.tables[l].wholeAnswer(toks); whole {
			return ans
		}
	}
	return bot.AnswerNone
}

// answer returns the first yes, no or unsure phrase that counts, and
// whether there was one.
func (t *tables) answer(toks []language.Token) (bot.Answer, bool) {
	start := 0
	for start < len(toks)-1 && t.fillers[toks[start].Text] {
		start++
	}
	for i := start; i < len(toks); i++ {
		short := len(toks) <= shortReply
		counts := i <= start+2 || short || (toks[i].Break && clauseLen(toks, i) <= shortClause)
		if !counts {
			continue
		}
		p, ok := t.phraseAt(toks, i)
		if !ok {
			continue
		}
		if t.leadOnly[p.toks[0]] && (!(i == start || short) || !t.alone(toks, i+len(p.toks))) {
			continue // "absolutely useless", "..., absolutely useless"
		}
		if p.unsure {
			return bot.AnswerNone, true
		}
		if p.answer == bot.AnswerYes && (t.negated(toks, i, 2) || t.negatorAt(toks, i+len(p.toks))) {
			return bot.AnswerNo, true // "not right", "that's not correct", "definitely not"
		}
		return p.answer, true
	}
	return bot.AnswerNone, false
}

// negatorAt reports whether toks[i] is a negator in the clause of the
// token before it.
func (t *tables) negatorAt(toks []language.Token, i int) bool {
	return i < len(toks) && !toks[i].Break && t.negators[toks[i].Text]
}

// clauseLen is the number of tokens from toks[i] to the end of its clause.
func clauseLen(toks []language.Token, i int) int {
	n := 1
	for i+n < len(toks) && !toks[i+n].Break {
		n++
	}
	return n
}

// alone reports whether the clause goes on from toks[i] with no content
// word ("perfect, thanks", "right!", not "absolutely useless").
func (t *tables) alone(toks []language.Token, i int) bool {
	for ; i < len(toks) && !toks[i].Break; i++ {
		if t.isContent(toks[i]) {
			return false
		}
	}
	return true
}

// wholeAnswer reads toks as yes or no only when a phrase is the whole reply.
func (t *tables) wholeAnswer(toks []language.Token) (bot.Answer, bool) {
	if len(toks) == 0 {
		return bot.AnswerNone, false
	}
	p, ok := t.phraseAt(toks, 0)
	if !ok || len(p.toks) != len(toks) || p.unsure {
		return bot.AnswerNone, false
	}
	return p.answer, true
}
