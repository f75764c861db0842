package intent

import (
	"strings"

	"github.com/calmbot/calmbot/bot/language"
	"github.com/calmbot/calmbot/flows"
)

// Words of a choice's label that the intents' examples also use name what
// the conversation is about ("order", "parcel") rather than the option, and
// a reply's word matches a label's loosely when they share a long prefix.
const (
	fuzzyMinPrefix = 5    // shortest shared prefix for a fuzzy match
	fuzzyMinShare  = 0.75 // shared prefix / length of the shorter word
)

// index is the vocabulary of the intents' examples: the stems of their
// content words, in any language.
type index struct {
	stems map[string]bool
}

func newIndex(f *flows.File, tabs map[string]*tables) *index {
	ix := &index{stems: map[string]bool{}}
	for _, in := range f.Intents {
		if in == nil {
			continue
		}
		for l, list := range in.Examples {
			lang := strings.ToLower(l)
			t := tablesFor(tabs, lang)
			for _, text := range list {
				for _, tk := range language.Split(nil, text) {
					if t.isContent(tk) {
						ix.stems[language.Stem(lang, tk.Text)] = true
					}
				}
			}
		}
	}
	return ix
}

// has reports whether stem is a word of the examples in any language.
func (ix *index) has(stem string) bool { return ix.stems[stem] }

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
