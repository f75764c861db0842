package intent

import (
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/language"
)

// shortReply is the length (in tokens) up to which a yes or no anywhere in
// the reply counts; in longer replies it must open the reply or a clause.
const shortReply = 4

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
		counts := i <= start+2 || toks[i].Break || len(toks) <= shortReply
		if !counts {
			continue
		}
		p, ok := t.phraseAt(toks, i)
		if !ok {
			continue
		}
		if p.unsure {
			return bot.AnswerNone, true
		}
		if p.answer == bot.AnswerYes && t.negated(toks, i, 2) {
			return bot.AnswerNo, true // "not right", "that's not correct"
		}
		return p.answer, true
	}
	return bot.AnswerNone, false
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
