// Package language identifies the language of short customer messages and
// holds the per-language text knowledge calmbot's analysers share:
// tokenizing, accent folding and light stemming.
//
// Detection is rule based and dependency-free: frequent short words, typical
// character n-grams and language-specific letters, scored per language from
// the tables in tables.go. It is built for chat turns of a few words, and it
// says how sure it is, so that a caller can keep a conversation's language
// when a turn ("ok", "2", "yes") says little.
package language

import (
	"math"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Evidence weights.
const (
	stopwordWeight = 1.0
	ngramWeight    = 0.3
	letterWeight   = 0.5
	maxLetterScore = 2.0 // letters alone never outweigh a few words
	maxNgramTokens = 24  // tokens scanned for n-grams
	minNgram       = 2
	maxNgram       = 5
)

// Detector tells which of a fixed set of languages a text is written in.
// It is safe for concurrent use.
type Detector struct {
	langs     []string
	stopwords map[string]uint32 // folded word -> bit set of languages
	ngrams    gramTable         // folded n-gram, '_' at word boundaries -> languages
	letters   map[rune]uint32
}

// NewDetector returns a Detector that chooses among langs (ISO 639-1 codes).
// Languages it has no tables for are never detected; it knows en, it, de,
// fi, fr, es, nl, da, sv, pl and tr. At most 32 languages are used.
func NewDetector(langs []string) *Detector {
	d := &Detector{
		stopwords: map[string]uint32{},
		letters:   map[rune]uint32{},
	}
	grams := map[uint64]uint32{}
	for _, l := range langs {
		l = strings.ToLower(l)
		p, ok := profiles[l]
		if !ok || len(d.langs) == 32 {
			continue
		}
		bit := uint32(1) << len(d.langs)
		d.langs = append(d.langs, l)
		for _, w := range strings.Fields(p.stopwords) {
			d.stopwords[Fold(w)] |= bit
		}
		for _, g := range strings.Fields(p.ngrams) {
			if g = Fold(g); len(g) <= maxNgram {
				grams[gramKey(g)] |= bit
			}
		}
		for _, r := range p.letters {
			d.letters[r] |= bit
		}
	}
	d.ngrams = newGramTable(grams)
	return d
}

// Languages returns the languages d chooses among, in the order given.
func (d *Detector) Languages() []string { return append([]string(nil), d.langs...) }

// Detect returns the most likely language of text among d's languages and a
// confidence in [0, 1]. Short texts ("ok", "2", "yes") and texts with no
// evidence get a low confidence; with no evidence at all lang is "".
func (d *Detector) Detect(text string) (lang string, confidence float64) {
	var buf [64]Token
	return d.DetectTokens(Split(buf[:0], text), text)
}

// DetectTokens is Detect for a text already split with Split.
func (d *Detector) DetectTokens(toks []Token, text string) (lang string, confidence float64) {
	if len(d.langs) == 0 {
		return "", 0
	}
	var score [32]float64
	words := 0
	var gram [80]byte
	for i, t := range toks {
		if t.Kind != Word {
			continue
		}
		words++
		if m, ok := d.stopwords[t.Text]; ok {
			addMask(&score, m, stopwordWeight)
			continue
		}
		if i >= maxNgramTokens || len(t.Text)+2 > len(gram) {
			continue
		}
		g := gram[:0]
		g = append(g, '_')
		g = append(g, t.Text...)
		g = append(g, '_')
		for s := 0; s+minNgram <= len(g); s++ {
			// The n-grams starting at s, each key built from the one before.
			k := uint64(g[s])
			for n := 2; n <= maxNgram && s+n <= len(g); n++ {
				k = k<<8 | uint64(g[s+n-1])
				if n < minNgram {
					continue
				}
				if m := d.ngrams.get(uint64(n)<<56 | k); m != 0 {
					addMask(&score, m, ngramWeight)
				}
			}
		}
	}
	if len(d.letters) > 0 {
		var letters [32]float64
		for _, r := range text {
			if r < utf8.RuneSelf {
				continue
			}
			if m, ok := d.letters[unicode.ToLower(r)]; ok {
				addMask(&letters, m, letterWeight)
			}
		}
		for i := range d.langs {
			score[i] += math.Min(letters[i], maxLetterScore)
		}
	}
	best, second := -1, -1
	for i := range d.langs {
		switch {
		case best < 0 || score[i] > score[best]:
			best, second = i, best
		case second < 0 || score[i] > score[second]:
			second = i
		}
	}
	if score[best] == 0 {
		return "", 0
	}
	margin := score[best]
	if second >= 0 {
		margin -= score[second]
	}
	length := math.Min(1, float64(words)/4)
	if words == 0 {
		length = 0.25
	}
	return d.langs[best], (1 - math.Exp(-margin/2)) * length
}

func addMask(score *[32]float64, m uint32, w float64) {
	for m != 0 {
		i := bits.TrailingZeros32(m)
		score[i] += w
		m &= m - 1
	}
}

// gramKey packs the n-gram g (at most 7 bytes) into one key: its length in
// the top byte, its bytes below.
func gramKey(g string) uint64 {
	var k uint64
	for i := 0; i < len(g); i++ {
		k = k<<8 | uint64(g[i])
	}
	return uint64(len(g))<<56 | k
}

// gramTable is a read-only open-addressing hash table from n-gram keys
// (gramKey, never 0) to language bit sets: the detector looks up a few
// dozen n-grams per word, which a string-keyed map hashes far slower.
type gramTable struct {
	keys  []uint64
	vals  []uint32
	shift uint
}

// newGramTable returns the table of m, at most half full.
func newGramTable(m map[uint64]uint32) gramTable {
	size, shift := 8, uint(61)
	for size < 2*len(m) {
		size *= 2
		shift--
	}
	t := gramTable{keys: make([]uint64, size), vals: make([]uint32, size), shift: shift}
	for k, v := range m {
		i := t.slot(k)
		for t.keys[i] != 0 {
			i = (i + 1) & (size - 1)
		}
		t.keys[i], t.vals[i] = k, v
	}
	return t
}

func (t *gramTable) slot(k uint64) int { return int((k * 0x9e3779b97f4a7c15) >> t.shift) }

// get returns the languages of the n-gram key k, 0 when it is not listed.
func (t *gramTable) get(k uint64) uint32 {
	if len(t.keys) == 0 {
		return 0
	}
	mask := len(t.keys) - 1
	for i := t.slot(k); ; i = (i + 1) & mask {
		switch t.keys[i] {
		case k:
			return t.vals[i]
		case 0:
			return 0
		}
	}
}
