package flows

import (
	"strings"
	"unicode"
)

// A message the engine joins from two texts (texts.unclear, then the
// question of the state that did not understand the reply) says one idea
// twice when the two share a run of three words ("to be sure"), two
// neighbouring words one of which is a content word ("capire bene",
// "richtig verstehe"), or two content words ("ymmärrän ... oikein",
// "ymmärsin oikein"). A content word has at least contentRunes letters; words
// are compared by their first stemRunes letters, so that inflections
// ("verstehe", "verstehen") match.
const (
	contentRunes = 5
	stemRunes    = 4
)

// repeats runs repeated-idea over the states of fl that texts.unclear may
// precede: those that wait for a reply and have no transition of their own
// for an unclear one.
func (l *linter) repeats(fl *Flow) {
	unclear := l.f.Texts.Unclear
	if len(unclear) == 0 {
		return
	}
	for _, sname := range fl.StateNames() {
		s := fl.States[sname]
		if s.Next != "" || s.Kind == KindHandoff || s.On[EventUnclear] != "" {
			continue
		}
		for _, part := range []struct {
			name string
			text Text
		}{{"say", s.Say}, {"again", s.Again}} {
			for _, lang := range l.f.sortedLangs(part.text) {
				var heads []string
				variants(unclear, lang, func(_, u string) { heads = append(heads, u) })
				variants(part.text, lang, func(ch, q string) {
					for _, u := range heads {
						if why := sameIdea(u, q); why != "" {
							l.warnf(textPath(statePath(fl, s)+"."+part.name, lang, ch), "repeated-idea",
								"texts.unclear %q and this question say %s twice in one message (%s): rephrase one of them", u, why, lang)
							return
						}
					}
				})
			}
		}
	}
}

// sameIdea returns what a and b both say, quoted, or "" when they say
// different things.
func sameIdea(a, b string) string {
	wa, wb := wordsOf(a), wordsOf(b)
	// gram is the stems of ws[i:i+n], or "" for two function words.
	gram := func(ws []string, i, n int) string {
		if n == 2 && !isContentWord(ws[i]) && !isContentWord(ws[i+1]) {
			return ""
		}
		st := make([]string, n)
		for k := range st {
			st[k] = stemOf(ws[i+k])
		}
		return strings.Join(st, " ")
	}
	for _, n := range []int{3, 2} {
		ga := map[string]string{}
		for i := 0; i+n <= len(wa); i++ {
			if g := gram(wa, i, n); g != "" {
				ga[g] = strings.Join(wa[i:i+n], " ")
			}
		}
		for i := 0; i+n <= len(wb); i++ {
			if g := gram(wb, i, n); g != "" && ga[g] != "" {
				return `"` + ga[g] + `"`
			}
		}
	}
	stems := map[string]string{}
	for _, w := range wa {
		if isContentWord(w) {
			stems[stemOf(w)] = w
		}
	}
	var shared []string
	seen := map[string]bool{}
	for _, w := range wb {
		st := stemOf(w)
		if isContentWord(w) && stems[st] != "" && !seen[st] {
			seen[st] = true
			shared = append(shared, `"`+stems[st]+`"`)
		}
	}
	if len(shared) >= 2 {
		return strings.Join(shared, " and ")
	}
	return ""
}

// wordsOf returns the lower-cased words of s, without placeholders.
func wordsOf(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '{' && r != '}' }) {
		if strings.ContainsAny(f, "{}") {
			continue
		}
		out = append(out, strings.ToLower(f))
	}
	return out
}

func isContentWord(w string) bool { return len([]rune(w)) >= contentRunes }

func stemOf(w string) string {
	r := []rune(w)
	if len(r) > stemRunes {
		r = r[:stemRunes]
	}
	return string(r)
}
