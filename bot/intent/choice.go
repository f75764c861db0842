package intent

import (
	"sort"
	"strconv"
	"strings"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/language"
	"github.com/calmbot/calmbot/flows"
)

// Choosing an option by its words.
const (
	minLabelScore = 0.5  // share of a label's words the reply must contain
	minLead       = 0.25 // lead over the runner-up for a clear choice
	bareNumber    = 3    // tokens up to which a number alone picks an option ("2", "I'll take 2")
	bareCardinal  = 2    // words up to which a number word alone picks one ("two", "option two")
)

// topicWeight is the weight in a label of a word the intents' examples use:
// words naming what the conversation is about ("order", "parcel") do not
// tell options apart the way "refund" or "replacement" do.
const topicWeight = 0.5

// variant is one wording of a choice: a label or an alias, in one language,
// as stems of its content words with their weights.
type variant struct {
	stems   []string
	weights []float64
	total   float64
	alias   bool
}

// buildChoices indexes every choice of every choices state by id: its labels
// and aliases in every language of the file.
func buildChoices(f *flows.File, tabs map[string]*tables, ix *index) map[string][]variant {
	out := map[string][]variant{}
	flowNames := make([]string, 0, len(f.Flows))
	for name := range f.Flows {
		flowNames = append(flowNames, name)
	}
	sort.Strings(flowNames)
	for _, fn := range flowNames {
		fl := f.Flows[fn]
		if fl == nil {
			continue
		}
		for _, st := range fl.States {
			if st == nil {
				continue
			}
			for _, c := range st.Choices {
				if c == nil || c.ID == "" {
					continue
				}
				for l := range c.Label {
					for _, s := range c.Label.All(l) {
						if v := newVariant(s, tablesFor(tabs, l), false, ix); len(v.stems) > 0 {
							out[c.ID] = append(out[c.ID], v)
						}
					}
				}
				for l, aliases := range c.Aliases {
					for _, s := range aliases {
						if v := newVariant(s, tablesFor(tabs, l), true, ix); len(v.stems) > 0 {
							out[c.ID] = append(out[c.ID], v)
						}
					}
				}
			}
		}
	}
	return out
}

func tablesFor(tabs map[string]*tables, lang string) *tables {
	lang = strings.ToLower(lang)
	if t := tabs[lang]; t != nil {
		return t
	}
	return newTables(lang)
}

func newVariant(text string, t *tables, alias bool, ix *index) variant {
	var buf [32]language.Token
	toks := language.Split(buf[:0], text)
	v := variant{alias: alias}
	for _, tk := range toks {
		if t.isContent(tk) {
			v.stems = append(v.stems, language.Stem(t.lang, tk.Text))
		}
	}
	if len(v.stems) == 0 { // a wording of frequent words only ("the other one"): keep them
		for _, tk := range toks {
			if tk.Kind == language.Word {
				v.stems = append(v.stems, language.Stem(t.lang, tk.Text))
			}
		}
	}
	for _, s := range v.stems {
		w := 1.0
		if ix.has(s) {
			w = topicWeight
		}
		v.weights = append(v.weights, w)
		v.total += w
	}
	return v
}

// choose returns the id of the offered choice toks pick, or "".
func (a *Analyzer) choose(sc *scratch, toks []language.Token, lang string, choices []bot.Choice) string {
	t := a.tables[lang]
	num := a.choiceNumber(toks, lang, len(choices))
	if num < 0 {
		return ""
	}

	// The reply's content words, stemmed, without negated ones ("not the refund").
	stems := sc.stems[:0]
	for i, tk := range toks {
		if len(stems) == len(sc.stems) {
			break
		}
		if tk.Kind == language.Word && len(tk.Text) > 1 && !t.negators[tk.Text] && !t.negated(toks, i, 3) {
			stems = append(stems, language.Stem(lang, tk.Text))
		}
	}
	best, bestScore, second := -1, 0.0, 0.0
	for j, c := range choices {
		score := 0.0
		known := a.choices[c.ID]
		if len(known) == 0 && c.Label != "" {
			// An option the flow file does not know: read its label now.
			score = newVariant(c.Label, t, false, a.index).score(stems)
		}
		for _, v := range known {
			score = max(score, v.score(stems))
		}
		switch {
		case score > bestScore:
			best, bestScore, second = j, score, bestScore
		case score > second:
			second = score
		}
	}
	labelPick := -1
	if best >= 0 && bestScore >= minLabelScore && bestScore-second >= minLead {
		labelPick = best
	}
	switch {
	case num > 0 && labelPick >= 0 && labelPick != num-1 && bestScore >= 1:
		return "" // "2, the refund" when the refund is 3: ask again
	case num > 0:
		return choices[num-1].ID
	case labelPick >= 0:
		return choices[labelPick].ID
	}
	return ""
}

// score is the share of v's words found in stems; an alias counts only whole.
func (v variant) score(stems []string) float64 {
	if len(v.stems) == 0 {
		return 0
	}
	found, weight := 0, 0.0
	for i, s := range v.stems {
		for _, m := range stems {
			if s == m || fuzzyEqual(s, m) {
				found++
				weight += v.weights[i]
				break
			}
		}
	}
	if v.alias {
		if found == len(v.stems) {
			return 1
		}
		return 0
	}
	return weight / v.total
}

func fuzzyEqual(a, b string) bool {
	n := commonPrefix(a, b)
	return n >= fuzzyMinPrefix && float64(n) >= fuzzyMinShare*float64(min(len(a), len(b)))
}

// choiceNumber finds an option named by position: "2", "#2", "option 2",
// "the second one", "secondo", "zweite", "toinen". It returns the 1-based
// position, 0 for none and -1 when the reply names several.
func (a *Analyzer) choiceNumber(toks []language.Token, lang string, n int) int {
	words := 0
	for _, tk := range toks {
		if tk.Kind != language.Emoticon {
			words++
		}
	}
	found := a.tables[lang].number(toks, words, n, true)
	if found == 0 && words <= bareCardinal {
		for _, l := range a.langs {
			if l != lang {
				if found = a.tables[l].number(toks, words, n, false); found != 0 {
					break
				}
			}
		}
	}
	return found
}

func (t *tables) number(toks []language.Token, words, n int, digits bool) int {
	found := 0
	for i, tk := range toks {
		pos := 0
		afterOption := i > 0 && t.option[toks[i-1].Text]
		switch {
		case tk.Kind == language.Number && digits:
			if words <= bareNumber || afterOption {
				pos, _ = strconv.Atoi(tk.Text)
			}
		case t.ordinals[tk.Text] > 0:
			pos = t.ordinals[tk.Text]
		case t.cardinal[tk.Text] > 0 && (words <= bareCardinal || afterOption):
			pos = t.cardinal[tk.Text]
		}
		if pos < 1 || pos > n {
			continue
		}
		if found != 0 && found != pos {
			return -1
		}
		found = pos
	}
	return found
}
