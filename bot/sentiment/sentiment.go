// Package sentiment scores how positive or negative a customer's message is,
// in several languages, with embedded lexicons and rules: negation,
// intensifiers and dampeners, "but" contrast, words in capitals, repeated
// exclamation and question marks, emoticons and emoji.
//
// The method follows VADER (Hutto and Gilbert, 2014): word valences on a
// -4..4 scale are adjusted by the words around them, summed and normalised
// to [-1, 1]. Lexicons live in lexicons/ as word<TAB>valence files, one or
// more per language (lexicons/README.md says where each comes from).
package sentiment

import (
	"bufio"
	"bytes"
	"embed"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/calmbot/calmbot/bot/language"
)

// Labels returned by Score.
const (
	Negative = "negative"
	Neutral  = "neutral"
	Positive = "positive"
)

// Tuning constants (VADER's where it has one).
const (
	boostIncr     = 0.293 // booster or dampener before a word
	capsIncr      = 0.733 // a word in capitals among words that are not
	negScale      = -0.74 // a negated word
	negScope      = 3     // words after a negator that it flips
	beforeBut     = 0.5   // weight of the clause before a contrast word
	afterBut      = 1.5   // and of the clause after it
	exclaimIncr   = 0.292 // per !, at most maxExclaim
	maxExclaim    = 4
	questionIncr  = 0.18 // per ? when there are two or more, at most maxQuestion
	maxQuestion   = 3
	normAlpha     = 15  // compound = s / sqrt(s^2 + alpha)
	labelBoundary = 0.1 // |value| below it is neutral (VADER: 0.05; wider for weak words like "number")
	minStem       = 4   // shortest stem looked up
	maxStrip      = 3   // longest ending a lexicon word's stem may drop
	minPrefixPart = 7   // shortest lexicon word matched as the first part of a compound
	minCompound   = 5   // shortest lexicon word matched inside a compound
	minCompoundW  = 8   // shortest word searched for compound parts
)

//go:embed lexicons/*.tsv
var lexiconFS embed.FS

// role bits of a rule word.
const (
	roleNegator uint8 = 1 << iota
	roleBooster
	roleDampener
	roleContrast
	roleCourtesy
)

// idiom is a fixed phrase with its own valence.
type idiom struct {
	toks    []string // folded
	valence float64
}

type langData struct {
	words     map[string]float64 // folded word -> valence (-4..4)
	stems     map[string]float64 // stem of a lexicon word -> mean valence
	roles     map[string]uint8
	negPrefix []string
	idioms    map[string][]idiom // first token -> idioms, longest first
	compounds bool
}

// Scorer scores the sentiment of texts. It is safe for concurrent use.
type Scorer struct {
	langs map[string]*langData
}

// New returns a Scorer with the embedded lexicons and rules.
func New() *Scorer {
	s := &Scorer{langs: map[string]*langData{}}
	entries, err := lexiconFS.ReadDir("lexicons")
	if err != nil {
		panic("sentiment: embedded lexicons: " + err.Error()) // cannot happen: go:embed
	}
	// Base lexicons first (en.tsv), then the additions that override them (en-calmbot.tsv).
	for _, pass := range []bool{false, true} {
		for _, e := range entries {
			name := strings.TrimSuffix(e.Name(), ".tsv")
			lang, _, extra := strings.Cut(name, "-")
			if extra != pass {
				continue
			}
			data, err := lexiconFS.ReadFile(path.Join("lexicons", e.Name()))
			if err != nil {
				panic("sentiment: embedded lexicons: " + err.Error())
			}
			s.lang(lang).load(data)
		}
	}
	for lang, r := range languageRules {
		d := s.lang(lang)
		d.compounds = r.compounds
		for role, words := range map[uint8]string{roleNegator: r.negators, roleBooster: r.boosters, roleDampener: r.dampeners, roleContrast: r.contrast, roleCourtesy: r.courtesy} {
			for _, w := range strings.Fields(words) {
				d.roles[language.Fold(w)] |= role
			}
		}
		for _, p := range strings.Fields(r.negatorPrefixes) {
			d.negPrefix = append(d.negPrefix, language.Fold(p))
		}
		d.addIdioms(r.idioms)
	}
	for lang, d := range s.langs {
		sum := map[string]float64{}
		n := map[string]int{}
		for w, v := range d.words {
			// Only inflectional endings: a derivational one (-lich, -mente)
			// changes the word too much to share its valence.
			st := language.Stem(lang, w)
			if len(st) < minStem || len(w)-len(st) > maxStrip {
				continue
			}
			sum[st] += v
			n[st]++
		}
		for st, v := range sum {
			d.stems[st] = v / float64(n[st])
		}
	}
	return s
}

// addIdioms parses "phrase=valence" items separated by commas.
func (d *langData) addIdioms(list string) {
	for _, item := range strings.Split(list, ",") {
		phrase, val, ok := strings.Cut(item, "=")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			panic("sentiment: bad idiom valence in " + item) // a constant table: a programming error
		}
		var id idiom
		for _, tk := range language.Split(nil, phrase) {
			id.toks = append(id.toks, tk.Text)
		}
		if len(id.toks) == 0 {
			continue
		}
		id.valence = v
		if d.idioms == nil {
			d.idioms = map[string][]idiom{}
		}
		list := append(d.idioms[id.toks[0]], id)
		sort.SliceStable(list, func(i, j int) bool { return len(list[i].toks) > len(list[j].toks) })
		d.idioms[id.toks[0]] = list
	}
}

// idiomAt returns the longest idiom starting at toks[i]; punctuation
// inside it does not matter ("no, thanks").
func (d *langData) idiomAt(toks []language.Token, i int) (idiom, bool) {
	for _, id := range d.idioms[toks[i].Text] {
		if i+len(id.toks) > len(toks) {
			continue
		}
		ok := true
		for k := 1; k < len(id.toks); k++ {
			if toks[i+k].Text != id.toks[k] {
				ok = false
				break
			}
		}
		if ok {
			return id, true
		}
	}
	return idiom{}, false
}

func (s *Scorer) lang(l string) *langData {
	d, ok := s.langs[l]
	if !ok {
		d = &langData{words: map[string]float64{}, stems: map[string]float64{}, roles: map[string]uint8{}}
		s.langs[l] = d
	}
	return d
}

// load reads word<TAB>valence lines; # starts a comment. Multi-word entries
// are skipped.
func (d *langData) load(data []byte) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		w, val, ok := strings.Cut(line, "\t")
		if !ok || strings.ContainsRune(w, ' ') {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			continue
		}
		d.words[language.Fold(w)] = v
	}
}

// Languages returns the languages the Scorer has a lexicon for.
func (s *Scorer) Languages() []string {
	out := make([]string, 0, len(s.langs))
	for l, d := range s.langs {
		if len(d.words) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// Valence returns the lexicon valence (-4..4) of the folded word w in lang,
// matching inflected forms and compounds as Score does; ok is false when the
// word carries no sentiment.
func (s *Scorer) Valence(w, lang string) (v float64, ok bool) {
	d := s.langs[lang]
	if d == nil {
		return 0, false
	}
	v = d.valence(lang, w)
	return v, v != 0
}

func (d *langData) valence(lang, w string) float64 {
	if v, ok := d.words[w]; ok {
		return v
	}
	if v, ok := emoticonValence[w]; ok {
		return v
	}
	// Strip endings one at a time: an inflected form may be in the lexicon
	// (surkeaa -> surkea) or share its stem with a lexicon word.
	for st := w; ; {
		next := language.StripSuffix(lang, st)
		if next == st || len(next) < minStem {
			break
		}
		st = next
		if v, ok := d.words[st]; ok {
			return v
		}
		if v, ok := d.stems[st]; ok {
			return v
		}
	}
	if d.compounds && len(w) >= minCompoundW {
		// The head of a compound carries its meaning (Servicekatastrophe);
		// then try the first part (Katastrophenservice).
		for i := 1; len(w)-i >= minCompound; i++ {
			if v, ok := d.words[w[i:]]; ok {
				return v
			}
		}
		for j := len(w) - 1; j >= minPrefixPart; j-- {
			if v, ok := d.words[w[:j]]; ok {
				return v
			}
		}
	}
	return 0
}

func (d *langData) isNegator(w string) bool {
	if d.roles[w]&roleNegator != 0 {
		return true
	}
	for _, p := range d.negPrefix {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return strings.HasSuffix(w, "n't")
}

// Score returns the sentiment of text written in lang: value in [-1, 1] and
// its label (Negative, Neutral or Positive). Languages without a lexicon are
// scored on emoticons, emoji and punctuation only.
func (s *Scorer) Score(text, lang string) (value float64, label string) {
	var buf [64]language.Token
	toks := language.Split(buf[:0], text)
	return s.ScoreTokens(toks, text, lang)
}

// ScoreTokens is Score for a text already split with language.Split.
func (s *Scorer) ScoreTokens(toks []language.Token, text, lang string) (value float64, label string) {
	d := s.langs[lang]
	if d == nil {
		d = &langData{}
	}
	words, caps := 0, 0
	for _, t := range toks {
		if t.Kind == language.Word {
			words++
			if t.Caps {
				caps++
			}
		}
	}
	capsDiffer := caps > 0 && caps < words

	// The last contrast word splits the text into a weaker and a stronger part.
	but := -1
	for i, t := range toks {
		if d.roles[t.Text]&roleContrast != 0 {
			but = i
		}
	}

	sum := 0.0
	skip := 0 // tokens of an idiom still to pass
	for i, t := range toks {
		if skip > 0 {
			skip--
			continue
		}
		if id, ok := d.idiomAt(toks, i); ok {
			skip = len(id.toks) - 1
			sum += contrastWeight(id.valence, i, but)
			continue
		}
		if d.roles[t.Text]&^roleCourtesy != 0 || d.isNegator(t.Text) {
			continue
		}
		v := d.valence(lang, t.Text)
		if v == 0 {
			continue
		}
		if capsDiffer && t.Caps {
			v += math.Copysign(capsIncr, v)
		}
		// Boosters, dampeners and negators among the words before, within the clause.
		negated := false
		for k := 1; k <= negScope && i-k >= 0; k++ {
			if toks[i-k+1].Break {
				break
			}
			p := toks[i-k].Text
			r := d.roles[p]
			scale := 1 - 0.05*float64(k-1)
			if r&roleBooster != 0 {
				v += math.Copysign(boostIncr*scale, v)
			}
			if r&roleDampener != 0 {
				v -= math.Copysign(boostIncr*scale, v)
			}
			if d.isNegator(p) {
				negated = !negated
			}
		}
		if negated {
			if d.roles[t.Text]&roleCourtesy != 0 {
				continue // "no thanks": a polite refusal
			}
			v *= negScale
		}
		sum += contrastWeight(v, i, but)
	}
	if sum != 0 {
		sum += math.Copysign(punctuationEmphasis(text), sum)
	}
	value = sum / math.Sqrt(sum*sum+normAlpha)
	switch {
	case value >= labelBoundary:
		return value, Positive
	case value <= -labelBoundary:
		return value, Negative
	}
	return value, Neutral
}

// contrastWeight weighs the valence v of the token at i by its side of the
// contrast word at but (-1: none).
func contrastWeight(v float64, i, but int) float64 {
	switch {
	case but < 0:
	case i < but:
		v *= beforeBut
	case i > but:
		v *= afterBut
	}
	return v
}

// punctuationEmphasis is the extra intensity of repeated ! and ?.
func punctuationEmphasis(text string) float64 {
	ex := min(strings.Count(text, "!"), maxExclaim)
	q := strings.Count(text, "?")
	e := float64(ex) * exclaimIncr
	if q > 1 {
		e += float64(min(q, maxQuestion)) * questionIncr
	}
	return e
}
