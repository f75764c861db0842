package intent

import (
	"math"
	"sort"
	"strings"

	"github.com/calmbot/calmbot/bot/language"
	"github.com/calmbot/calmbot/bot/sentiment"
	"github.com/calmbot/calmbot/flows"
)

// Intent scoring. A turn's content words (stopwords and noise removed,
// stemmed) are weighed by how specific they are to one intent (idf over
// intents). The score of an intent is the mean of
//   - coverage: the share of the turn's weight that the intent's examples
//     explain, and
//   - similarity: the best cosine between the turn and one example,
//
// so a turn made of an intent's words scores near 1, and one with a single
// shared word among many unknown ones stays under the threshold. Unknown
// words weigh less than known ones, and emotional unknown words ("annoyed")
// less still: they say how the customer feels, not what they want.
const (
	unknownWeight   = 0.4  // weight of a word no example has, relative to the most specific word
	emotionalWeight = 0.15 // the same, for a word with a sentiment valence
	fuzzySim        = 0.8  // credit of a word matched by a shared prefix (Finnish, German inflection)
	fuzzyMinPrefix  = 5    // shortest shared prefix for a fuzzy match
	fuzzyMinShare   = 0.75 // shared prefix / length of the shorter word
	prefixKey       = 4    // bytes of the prefix index key
	maxQueryTerms   = 48
)

type index struct {
	vocab    map[string]int32   // stem -> term
	byPrefix map[string][]int32 // first prefixKey bytes -> terms, for fuzzy matches
	terms    []string
	idf      []float64
	maxIDF   float64
	postings [][]int32 // term -> intents whose examples have it
	intents  []intentDoc
	scorer   *sentiment.Scorer
}

type intentDoc struct {
	name     string
	examples []example
}

type example struct {
	terms []int32 // sorted, unique
	norm  float64
}

func newIndex(f *flows.File, tabs map[string]*tables, scorer *sentiment.Scorer) *index {
	ix := &index{vocab: map[string]int32{}, byPrefix: map[string][]int32{}, scorer: scorer}
	names := make([]string, 0, len(f.Intents))
	for name := range f.Intents {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		in := f.Intents[name]
		if in == nil {
			continue
		}
		doc := intentDoc{name: name}
		langs := make([]string, 0, len(in.Examples))
		for l := range in.Examples {
			langs = append(langs, l)
		}
		sort.Strings(langs)
		for _, l := range langs {
			t := tabs[strings.ToLower(l)]
			if t == nil {
				t = newTables(strings.ToLower(l))
			}
			for _, text := range in.Examples[l] {
				var ex example
				for _, tk := range language.Split(nil, text) {
					if !t.isContent(tk) {
						continue
					}
					ex.terms = append(ex.terms, ix.term(language.Stem(t.lang, tk.Text)))
				}
				ex.terms = uniq(ex.terms)
				if len(ex.terms) > 0 {
					doc.examples = append(doc.examples, ex)
				}
			}
		}
		ix.intents = append(ix.intents, doc)
	}
	// Document frequency over intents.
	ix.postings = make([][]int32, len(ix.terms))
	for i, doc := range ix.intents {
		for _, ex := range doc.examples {
			for _, tm := range ex.terms {
				p := ix.postings[tm]
				if len(p) == 0 || p[len(p)-1] != int32(i) {
					ix.postings[tm] = append(p, int32(i))
				}
			}
		}
	}
	n := float64(len(ix.intents))
	ix.idf = make([]float64, len(ix.terms))
	for tm, p := range ix.postings {
		ix.idf[tm] = math.Log(1 + n/float64(len(p)))
		ix.maxIDF = math.Max(ix.maxIDF, ix.idf[tm])
	}
	for i := range ix.intents {
		for k := range ix.intents[i].examples {
			ex := &ix.intents[i].examples[k]
			for _, tm := range ex.terms {
				ex.norm += ix.idf[tm] * ix.idf[tm]
			}
			ex.norm = math.Sqrt(ex.norm)
		}
	}
	return ix
}

func (ix *index) term(stem string) int32 {
	if id, ok := ix.vocab[stem]; ok {
		return id
	}
	id := int32(len(ix.terms))
	ix.vocab[stem] = id
	ix.terms = append(ix.terms, stem)
	if len(stem) >= fuzzyMinPrefix {
		ix.byPrefix[stem[:prefixKey]] = append(ix.byPrefix[stem[:prefixKey]], id)
	}
	return id
}

func uniq(s []int32) []int32 {
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// queryTerm is a content word of a turn: the term it matched (-1: none),
// how well, and its weight.
type queryTerm struct {
	term   int32
	sim    float64
	weight float64
}

// lookup finds the term for a stem: exact, else the vocabulary word sharing
// the longest long-enough prefix.
func (ix *index) lookup(stem string) (int32, float64) {
	if id, ok := ix.vocab[stem]; ok {
		return id, 1
	}
	if len(stem) < fuzzyMinPrefix {
		return -1, 0
	}
	best, bestLen := int32(-1), 0
	for _, id := range ix.byPrefix[stem[:prefixKey]] {
		v := ix.terms[id]
		n := commonPrefix(stem, v)
		if n >= fuzzyMinPrefix && float64(n) >= fuzzyMinShare*float64(min(len(stem), len(v))) && n > bestLen {
			best, bestLen = id, n
		}
	}
	if best < 0 {
		return -1, 0
	}
	return best, fuzzySim
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// match returns the best intent for toks and its score in [0, 1].
func (ix *index) match(toks []language.Token, lang string, t *tables) (string, float64) {
	if len(ix.intents) == 0 || ix.maxIDF == 0 {
		return "", 0
	}
	var qbuf [maxQueryTerms]queryTerm
	q := qbuf[:0]
	total := 0.0
	for _, tk := range toks {
		if len(q) == maxQueryTerms {
			break
		}
		if !t.isContent(tk) {
			continue
		}
		qt := queryTerm{term: -1}
		qt.term, qt.sim = ix.lookup(language.Stem(lang, tk.Text))
		switch {
		case qt.term >= 0:
			qt.weight = ix.idf[qt.term]
		case ix.emotional(tk.Text, lang):
			qt.weight = emotionalWeight * ix.maxIDF
		default:
			qt.weight = unknownWeight * ix.maxIDF
		}
		q = append(q, qt)
		total += qt.weight * qt.weight
	}
	if len(q) == 0 {
		return "", 0
	}
	qnorm := math.Sqrt(total)
	sumWeight := 0.0
	for _, qt := range q {
		sumWeight += qt.weight
	}

	var covBuf [64]float64
	var cov []float64
	if len(ix.intents) <= len(covBuf) {
		cov = covBuf[:len(ix.intents)]
	} else {
		cov = make([]float64, len(ix.intents))
	}
	for _, qt := range q {
		if qt.term < 0 {
			continue
		}
		for _, in := range ix.postings[qt.term] {
			cov[in] += qt.weight * qt.sim
		}
	}
	best, bestScore := -1, 0.0
	for i, c := range cov {
		if c == 0 {
			continue
		}
		coverage := min(1, c/sumWeight)
		sim := 0.0
		for _, ex := range ix.intents[i].examples {
			dot := 0.0
			for _, qt := range q {
				if qt.term >= 0 && contains(ex.terms, qt.term) {
					dot += qt.weight * qt.sim * ix.idf[qt.term]
				}
			}
			if dot > 0 {
				sim = math.Max(sim, dot/(qnorm*ex.norm))
			}
		}
		score := (coverage + min(1, sim)) / 2
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		return "", 0
	}
	return ix.intents[best].name, bestScore
}

// emotional reports whether an unknown word carries sentiment.
func (ix *index) emotional(w, lang string) bool {
	_, ok := ix.scorer.Valence(w, lang)
	return ok
}

func contains(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
		if x > v {
			return false
		}
	}
	return false
}
