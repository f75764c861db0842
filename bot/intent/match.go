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
// stemmed) are looked up among the examples of the turn's language first;
// a word found only among another language's examples counts for less.
// Each word is weighed by how specific it is to one intent (idf over
// intents). The base score of an intent is the mean of
//   - coverage: the share of the turn's weight that the intent's examples
//     explain, and
//   - similarity: the best cosine between the turn and one example,
//
// so a turn made of an intent's words scores near 1, and one with a single
// shared word among many unknown ones stays under the threshold. Unknown
// words weigh less than known ones, and emotional unknown words ("annoyed")
// less still: they say how the customer feels, not what they want. For the
// same reason the complaint words of the lexicon ("ridiculous",
// "Frechheit") weigh little even when the examples have them.
//
// The base score is then scaled by the intent's evidence: the specificity
// of the distinctive words it matched, where a word unique to one intent in
// the turn's language counts 1. Weak words (the words of yes and no answers,
// numbers, "same", "all", "else") are little evidence, so "two", "wrong" or
// "nothing else" alone match nothing, and one word shared by several
// intents, matched loosely or matched in another language is not enough by
// itself.
const (
	fuzzyMinPrefix = 5    // shortest shared prefix for a fuzzy match
	fuzzyMinShare  = 0.75 // shared prefix / length of the shorter word
	crossMinLen    = 4    // shortest word matched across languages
	prefixKey      = 4    // bytes of the prefix index key
	typoMinLen     = 5    // shortest word of the examples matched with a typo ("stok" for "stock")
	maxQueryTerms  = 48

	unknownWeight   = 0.4  // weight of a word no example has, relative to the most specific word
	emotionalWeight = 0.15 // the same, for a word with a sentiment valence
	complaintKnown  = 0.25 // weight factor of a complaint word the examples have; it is no evidence
	weakUnknown     = 0.5  // weight factor of a weak word no example has
	weakEvidence    = 0.4  // evidence factor of a weak word the examples have
	fuzzySim        = 0.8  // credit of a word matched by a shared prefix or a typo
	crossSim        = 0.5  // credit of a word matched only in another language's examples
	minEvidence     = 1.0  // evidence for an intent's full score: one word unique to it
)

type index struct {
	langs    []string             // languages with examples, sorted
	vocab    []map[string]int32   // per language: stem -> term
	byPrefix []map[string][]int32 // per language: first prefixKey bytes -> terms, for fuzzy matches
	byShape  []map[uint32][]int32 // per language: shape -> terms, for typos
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
	ix := &index{scorer: scorer}
	names := make([]string, 0, len(f.Intents))
	for name, in := range f.Intents {
		names = append(names, name)
		if in == nil {
			continue
		}
		for l := range in.Examples {
			ix.langIndex(strings.ToLower(l))
		}
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
			lang := strings.ToLower(l)
			t := tablesFor(tabs, lang)
			li := ix.langIndex(lang)
			for _, text := range in.Examples[l] {
				var ex example
				for _, tk := range language.Split(nil, text) {
					if !t.isContent(tk) {
						continue
					}
					ex.terms = append(ex.terms, ix.term(li, language.Stem(lang, tk.Text)))
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

// langIndex returns the position of lang among the index's languages,
// adding it when new.
func (ix *index) langIndex(lang string) int {
	for i, l := range ix.langs {
		if l == lang {
			return i
		}
	}
	ix.langs = append(ix.langs, lang)
	ix.vocab = append(ix.vocab, map[string]int32{})
	ix.byPrefix = append(ix.byPrefix, map[string][]int32{})
	ix.byShape = append(ix.byShape, map[uint32][]int32{})
	return len(ix.langs) - 1
}

// find returns the position of lang among the index's languages, or -1.
func (ix *index) find(lang string) int {
	for i, l := range ix.langs {
		if l == lang {
			return i
		}
	}
	return -1
}

func (ix *index) term(li int, stem string) int32 {
	if id, ok := ix.vocab[li][stem]; ok {
		return id
	}
	id := int32(len(ix.terms))
	ix.vocab[li][stem] = id
	ix.terms = append(ix.terms, stem)
	if len(stem) >= fuzzyMinPrefix {
		ix.byPrefix[li][stem[:prefixKey]] = append(ix.byPrefix[li][stem[:prefixKey]], id)
	}
	if len(stem) >= typoMinLen {
		k := shape(stem[0], len(stem))
		ix.byShape[li][k] = append(ix.byShape[li][k], id)
	}
	return id
}

// shape is what a typo keeps of a word: its first byte and about its
// length, as a map key.
func shape(first byte, n int) uint32 { return uint32(first)<<24 | uint32(n) }

// typo returns a term of language li one edit (a letter added, dropped,
// changed or two swapped) away from stem, with the same first letter, or -1.
func (ix *index) typo(li int, stem string) int32 {
	if len(stem) < typoMinLen-1 {
		return -1
	}
	for n := len(stem) - 1; n <= len(stem)+1; n++ {
		for _, id := range ix.byShape[li][shape(stem[0], n)] {
			if oneEdit(stem, ix.terms[id]) {
				return id
			}
		}
	}
	return -1
}

// oneEdit reports whether a and b differ by exactly one insertion,
// deletion, substitution or transposition of adjacent bytes.
func oneEdit(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	switch len(b) - len(a) {
	case 0:
		if i == len(a) {
			return false // equal
		}
		if a[i+1:] == b[i+1:] {
			return true // substitution
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case 1:
		return a[i:] == b[i+1:]
	}
	return false
}

// has reports whether stem is a word of the examples in any language.
func (ix *index) has(stem string) bool {
	for _, v := range ix.vocab {
		if _, ok := v[stem]; ok {
			return true
		}
	}
	return false
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
// how well, its weight and the evidence it gives for the term's intents.
type queryTerm struct {
	term     int32
	sim      float64
	weight   float64
	evidence float64
}

// lookup finds the term for the folded word w of a turn, stem being its
// stem in the turn's language (index language li, -1 when that language
// has no examples): stem among that language's examples, else the word of
// those examples sharing the longest long-enough prefix, else, when
// primary, one a typo away, else w's stem among another language's
// examples.
func (ix *index) lookup(w, stem string, li int, primary bool) (int32, float64) {
	if li >= 0 {
		if id, ok := ix.vocab[li][stem]; ok {
			return id, 1
		}
		if id := ix.fuzzy(li, stem); id >= 0 {
			return id, fuzzySim
		}
		if !primary {
			return -1, 0
		}
		if id := ix.typo(li, stem); id >= 0 {
			return id, fuzzySim
		}
	}
	if len(w) < crossMinLen {
		return -1, 0
	}
	for k, l := range ix.langs {
		if k == li {
			continue
		}
		if id, ok := ix.vocab[k][language.Stem(l, w)]; ok {
			return id, crossSim
		}
	}
	return -1, 0
}

// fuzzy returns the term of language li sharing the longest long-enough
// prefix with stem, or -1.
func (ix *index) fuzzy(li int, stem string) int32 {
	if len(stem) < fuzzyMinPrefix {
		return -1
	}
	best, bestLen := int32(-1), 0
	for _, id := range ix.byPrefix[li][stem[:prefixKey]] {
		v := ix.terms[id]
		n := commonPrefix(stem, v)
		if n >= fuzzyMinPrefix && float64(n) >= fuzzyMinShare*float64(min(len(stem), len(v))) && n > bestLen {
			best, bestLen = id, n
		}
	}
	return best
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// match returns the best intent for toks read in lang and its score in
// [0, 1]. A turn read in a language other than its likeliest one (primary
// false) is matched quicker and more strictly: among lang's examples only,
// with no typos, and its unknown words all weigh as unknown.
func (ix *index) match(toks []language.Token, lang string, t *tables, primary bool) (string, float64) {
	if len(ix.intents) == 0 || ix.maxIDF == 0 {
		return "", 0
	}
	li := ix.find(lang)
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
		stem := language.Stem(lang, tk.Text)
		qt.term, qt.sim = ix.lookup(tk.Text, stem, li, primary)
		weak := t.isWeak(tk.Text, stem)
		complaint := t.isComplaint(tk.Text, stem)
		switch {
		case qt.term >= 0 && complaint:
			qt.weight = complaintKnown * ix.idf[qt.term]
		case qt.term >= 0:
			qt.weight = ix.idf[qt.term]
			qt.evidence = qt.sim * ix.idf[qt.term] / ix.maxIDF
			if weak {
				qt.evidence *= weakEvidence
			}
		case complaint, primary && ix.emotional(tk.Text, lang):
			qt.weight = emotionalWeight * ix.maxIDF
		case weak:
			qt.weight = weakUnknown * unknownWeight * ix.maxIDF
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

	var covBuf, evBuf [64]float64
	var cov, ev []float64
	if len(ix.intents) <= len(covBuf) {
		cov, ev = covBuf[:len(ix.intents)], evBuf[:len(ix.intents)]
	} else {
		cov, ev = make([]float64, len(ix.intents)), make([]float64, len(ix.intents))
	}
	for _, qt := range q {
		if qt.term < 0 {
			continue
		}
		for _, in := range ix.postings[qt.term] {
			cov[in] += qt.weight * qt.sim
			ev[in] += qt.evidence
		}
	}
	best, bestScore := -1, 0.0
	for i, c := range cov {
		if c == 0 || ev[i] == 0 {
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
		score := (coverage + min(1, sim)) / 2 * min(1, ev[i]/minEvidence)
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		return "", 0
	}
	return ix.intents[best].name, bestScore
}

// emotional reports whether a word carries sentiment.
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
