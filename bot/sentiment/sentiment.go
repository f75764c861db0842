// Package sentiment scores how positive or negative a customer's message is,
// in several languages, with embedded lexicons and rules: negation (with
// negative concord in Romance languages and clause-final German "nicht"),
// negated expectations ("doesn't work", "kommt nicht"), complaint idioms,
// intensifiers and dampeners, "but" contrast, words in capitals, elongated
// words, laughter, repeated exclamation and question marks, questions,
// emoticons and emoji, and a neutral band per language. Complaint cues
// (complaint words, waiting times such as "drei Wochen", negated
// expectations, complaint idioms) make a text a complaint, in which praise
// is read as sarcasm and thanks are not positive. Finnish inflected forms
// are matched by the root of their base form (pettyneitä, pettynyt) or by
// their plural stem (hyviä, kauniita), a Finnish negator negates the first
// sentiment word after it, and a prohibition or an excess that negates or
// boosts nothing is negative alone ("älkää soittako enää"), as "hyvin"
// (well) is positive.
//
// A trained linear model (model.go, fitted by train.go on train splits
// only and embedded as model.bin) labels the texts the rules do not decide
// alone; the value stays the rules' score, in the label's direction.
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
	"sync"

	"github.com/calmbot/calmbot/bot/language"
)

// Labels returned by Score.
const (
	Negative = "negative"
	Neutral  = "neutral"
	Positive = "positive"
)

// Rule constants (VADER's where it has one); the weights fitted on data
// are in params.go.
const (
	boostIncr     = 0.293 // booster or dampener before a word
	capsIncr      = 0.733 // a word in capitals among words that are not
	elongIncr     = 0.3   // an elongated word (sooo, niiicht)
	negScope      = 3     // words after a negator that it flips
	postNegScope  = 3     // words before a clause-final negator it flips (German "gefällt mir nicht")
	exclaimIncr   = 0.292 // per !, at most maxExclaim
	maxExclaim    = 4
	questionIncr  = 0.18 // per ? when there are two or more, at most maxQuestion
	maxQuestion   = 3
	minWord       = 3 // shortest stripped form looked up in the lexicon
	minStem       = 4 // shortest stem looked up
	maxStrip      = 3 // longest ending a lexicon word's stem may drop
	minPrefixPart = 7 // shortest lexicon word matched as the first part of a compound
	minCompound   = 5 // shortest lexicon word matched inside a compound
	minCompoundW  = 8 // shortest word searched for compound parts
	minRoot       = 5 // shortest root of a base form (rules.lemmaEndings)
	minPlural     = 4 // shortest plural stem (rules.pluralStems)
	maxInflection = 6 // longest ending after a root
	// complaintIdiom is the valence at or below which an idiom is a
	// complaint cue ("still waiting", "danke für gar nichts").
	complaintIdiom = -1.2
	// expectScope is how far back in its clause a negator negates an
	// expectation word.
	expectScope = 6
	// notNegator marks a word that folds to a negator but is written
	// without its accents in a text with accents (rules.accentedNegators).
	notNegator = "#"
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

// accent is a word whose valence depends on its accents.
type accent struct {
	forms   [3]string // lower case, title case, upper case
	valence float64
}

type langData struct {
	words     map[string]float64 // folded word -> valence (-4..4)
	stems     map[string]float64 // stem of a lexicon word -> mean valence
	roots     map[string]float64 // root of a lexicon word's base form -> mean valence (rules.lemmaEndings)
	plurals   map[string]float64 // plural stem of a lexicon word -> mean valence (rules.pluralStems)
	plEnds    map[string]bool    // folded endings after a plural stem (rules.pluralEndings)
	alone     map[string]float64 // folded rule word -> its valence alone (rules.alone)
	accNeg    map[string]string  // folded accented negator -> its lower-case form (rules.accentedNegators)
	accents   string             // the letters of accNeg's forms that fold away
	roles     map[string]uint8
	negPrefix []string
	idioms    map[string][]idiom // first token -> idioms, longest first
	// expect holds the stems of expectation words, neutral alone and
	// negative when negated ("doesn't work", "non risponde").
	expect map[string]bool
	// complain holds the stems of complaint words; numbers and units the
	// folded words of a waiting time ("drei Wochen").
	complain map[string]bool
	numbers  map[string]bool
	units    map[string]bool
	since    map[string]bool
	articles map[string]bool
	ahead    map[string]bool
	// accented maps a folded word to the accented word that folds to the
	// same letters and carries sentiment (German schon "already", schön
	// "beautiful"): it applies when the text has the accented form.
	accented  map[string]accent
	compounds bool
	bound     map[string]bool // folded bound prefixes (rules.boundPrefixes)
	reversing []string        // folded endings that keep a word out of stems (rules.reversing)
	negScope  int             // words after a negator that it flips
	negFirst  bool            // a negator flips only the first sentiment word after it (rules.negFirst)
	npi       []string        // folded endings of negative polarity forms (rules.polarityEndings)
	postNeg   bool
	concord   bool
}

// Scorer scores the sentiment of texts. It is safe for concurrent use.
type Scorer struct {
	langs map[string]*lazyLang // fixed at construction; each built on first use
	p     params
	model *model // nil: the rules alone
}

// New returns a Scorer with the embedded lexicons, rules and trained model
// (model.bin, built by `calmbot train sentiment`).
func New() *Scorer {
	s := newScorer(defaultParams)
	if len(modelBin) > 0 {
		m, err := loadModel(modelBin)
		if err != nil {
			panic(err.Error()) // the embedded file: a build error, caught by TestModelLoads
		}
		s.model = m
	}
	return s
}

// newScorer returns a Scorer with the rule weights p. A language's
// lexicons and rules are read the first time a text in it is scored (see
// lazyLang): a server keeps in memory only the languages its flows use.
func newScorer(p params) *Scorer {
	s := &Scorer{langs: map[string]*lazyLang{}, p: p}
	entries, err := lexiconFS.ReadDir("lexicons")
	if err != nil {
		panic("sentiment: embedded lexicons: " + err.Error()) // cannot happen: go:embed
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".tsv")
		lang, _, extra := strings.Cut(name, "-")
		l := s.lazy(lang)
		// Base lexicons first (en.tsv), then the additions that override them (en-calmbot.tsv).
		if extra {
			l.extra = append(l.extra, e.Name())
		} else {
			l.base = append(l.base, e.Name())
		}
	}
	for lang := range languageRules {
		s.lazy(lang)
	}
	return s
}

// lazyLang is one language's data, built on first use.
type lazyLang struct {
	base, extra []string // lexicon files, base ones first
	once        sync.Once
	d           *langData
}

// lazy returns lang's entry, adding it.
func (s *Scorer) lazy(lang string) *lazyLang {
	l := s.langs[lang]
	if l == nil {
		l = &lazyLang{}
		s.langs[lang] = l
	}
	return l
}

// data returns lang's lexicons and rules, reading them on the first call;
// nil for a language with neither.
func (s *Scorer) data(lang string) *langData {
	l := s.langs[lang]
	if l == nil {
		return nil
	}
	l.once.Do(func() { l.d = buildLang(lang, l.base, l.extra) })
	return l.d
}

// buildLang reads lang's lexicon files and applies its rules.
func buildLang(lang string, files ...[]string) *langData {
	d := newLangData()
	for _, names := range files {
		for _, name := range names {
			data, err := lexiconFS.ReadFile(path.Join("lexicons", name))
			if err != nil {
				panic("sentiment: embedded lexicons: " + err.Error())
			}
			d.load(data)
		}
	}
	if r, ok := languageRules[lang]; ok {
		d.compounds = r.compounds
		for _, w := range strings.Fields(r.boundPrefixes) {
			if d.bound == nil {
				d.bound = map[string]bool{}
			}
			d.bound[language.Fold(w)] = true
		}
		d.postNeg = r.postNegation
		for _, e := range strings.Fields(r.reversing) {
			d.reversing = append(d.reversing, language.Fold(e))
		}
		d.addRoots(r.lemmaEndings)
		d.addPlurals(r.pluralStems, r.pluralEndings)
		for _, w := range strings.Fields(r.accentedNegators) {
			if d.accNeg == nil {
				d.accNeg = map[string]string{}
			}
			w = strings.ToLower(w)
			d.accNeg[language.Fold(w)] = w
			for _, c := range w {
				if s := string(c); language.Fold(s) != s && !strings.Contains(d.accents, s) {
					d.accents += s + strings.ToUpper(s)
				}
			}
		}
		for _, item := range strings.Split(r.alone, ",") {
			w, v, ok := strings.Cut(strings.TrimSpace(item), "=")
			if !ok {
				continue
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				panic("sentiment: rules.alone: " + item) // the table above: caught by every test
			}
			if d.alone == nil {
				d.alone = map[string]float64{}
			}
			d.alone[language.Fold(w)] = f
		}
		d.negFirst = r.negFirst
		for _, e := range strings.Fields(r.polarityEndings) {
			d.npi = append(d.npi, language.Fold(e))
		}
		if r.negScope > 0 {
			d.negScope = r.negScope
		}
		d.concord = r.concord
		for _, w := range strings.Fields(r.expectations) {
			d.expect[language.Stem(lang, language.Fold(w))] = true
		}
		for _, w := range strings.Fields(r.complaints) {
			d.complain[language.Fold(w)] = true
			d.complain[language.Stem(lang, language.Fold(w))] = true
		}
		for _, w := range strings.Fields(r.numbers) {
			d.numbers[language.Fold(w)] = true
		}
		for _, w := range strings.Fields(r.units) {
			d.units[language.Fold(w)] = true
		}
		for _, w := range strings.Fields(r.since) {
			d.since[language.Fold(w)] = true
		}
		for _, w := range strings.Fields(r.articles) {
			d.articles[language.Fold(w)] = true
		}
		for _, w := range strings.Fields(r.ahead) {
			d.ahead[language.Fold(w)] = true
		}
		for role, words := range map[uint8]string{roleNegator: r.negators, roleBooster: r.boosters, roleDampener: r.dampeners, roleContrast: r.contrast, roleCourtesy: r.courtesy} {
			for _, w := range strings.Fields(words) {
				d.roles[language.Fold(w)] |= role
			}
		}
		for _, p := range strings.Fields(r.negatorPrefixes) {
			d.negPrefix = append(d.negPrefix, language.Fold(p))
		}
		d.addIdioms(r.idioms)
		d.addAccented(r.accented)
	}
	sum := map[string]float64{}
	n := map[string]int{}
	for w, v := range d.words {
		// Only inflectional endings: a derivational one (-lich, -mente)
		// changes the word too much to share its valence.
		st := language.Stem(lang, w)
		if len(st) < minStem || len(w)-len(st) > maxStrip || d.reverses(w) {
			continue
		}
		sum[st] += v
		n[st]++
	}
	for st, v := range sum {
		d.stems[st] = v / float64(n[st])
	}
	return d
}

// addRoots fills roots with the roots of the lexicon's base forms: each
// word less the longest of endings (folded lemma endings) that leaves at
// least minRoot letters.
func (d *langData) addRoots(endings string) {
	var ends []string
	for _, e := range strings.Fields(endings) {
		ends = append(ends, language.Fold(e))
	}
	if len(ends) == 0 {
		return
	}
	sort.SliceStable(ends, func(i, j int) bool { return len(ends[i]) > len(ends[j]) })
	sum := map[string]float64{}
	n := map[string]int{}
	for w, v := range d.words {
		if v == 0 || d.reverses(w) {
			continue
		}
		for _, e := range ends {
			if strings.HasSuffix(w, e) && len(w)-len(e) >= minRoot {
				sum[w[:len(w)-len(e)]] += v
				n[w[:len(w)-len(e)]]++
				break
			}
		}
	}
	d.roots = map[string]float64{}
	for r, v := range sum {
		d.roots[r] = v / float64(n[r])
	}
}

// addPlurals fills plurals with the plural stems of the lexicon's words
// (rules.pluralStems) that are at least minPlural letters long and are not
// lexicon words themselves.
func (d *langData) addPlurals(stems, endings string) {
	if stems == "" {
		return
	}
	d.plEnds = map[string]bool{}
	for _, e := range strings.Fields(endings) {
		d.plEnds[language.Fold(e)] = true
	}
	sum := map[string]float64{}
	n := map[string]int{}
	for _, item := range strings.Fields(stems) {
		base, stem, _ := strings.Cut(item, ":")
		base, stem = language.Fold(base), language.Fold(stem)
		for w, v := range d.words {
			if v == 0 || !strings.HasSuffix(w, base) || strings.Contains(w, " ") {
				continue
			}
			pl := w[:len(w)-len(base)] + stem
			if len(pl) < minPlural || pl == w {
				continue
			}
			if _, ok := d.words[pl]; ok {
				continue
			}
			sum[pl] += v
			n[pl]++
		}
	}
	d.plurals = map[string]float64{}
	for st, v := range sum {
		d.plurals[st] = v / float64(n[st])
	}
}

// plural returns the valence of w read as a plural stem and a case ending
// (hyviä, kauniita).
func (d *langData) plural(w string) (float64, bool) {
	for e := range d.plEnds {
		if len(w)-len(e) < minPlural || !strings.HasSuffix(w, e) {
			continue
		}
		if v, ok := d.plurals[w[:len(w)-len(e)]]; ok {
			return v, true
		}
	}
	return 0, false
}

// root returns the valence of the longest root in roots that w starts
// with, followed by at most maxInflection letters.
func (d *langData) root(w string) (float64, bool) {
	if len(d.roots) == 0 {
		return 0, false
	}
	for p := len(w) - 1; p >= minRoot && len(w)-p <= maxInflection; p-- {
		if v, ok := d.roots[w[:p]]; ok {
			return v, true
		}
	}
	return 0, false
}

// sentimentBetween reports whether a word of toks[from:to] carries
// sentiment or is an expectation or complaint word: the word a negator
// before them negates (rules.negFirst).
func (d *langData) sentimentBetween(lang string, toks []language.Token, from, to int) bool {
	for _, t := range toks[from:to] {
		if t.Kind != language.Word || d.roles[t.Text] != 0 || d.isNegator(t.Text) {
			continue
		}
		stem := ""
		if d.valence(lang, t.Text) != 0 || d.expects(lang, t.Text, &stem) || d.complains(lang, t.Text, &stem) {
			return true
		}
	}
	return false
}

// polarityItem reports whether w ends in a negative polarity ending
// (rules.polarityEndings).
func (d *langData) polarityItem(w string) bool {
	for _, e := range d.npi {
		if len(w) > len(e)+2 && strings.HasSuffix(w, e) {
			return true
		}
	}
	return false
}

// reverses reports whether w ends in an ending that makes it the opposite
// of its root (rules.reversing).
func (d *langData) reverses(w string) bool {
	for _, e := range d.reversing {
		if strings.HasSuffix(w, e) {
			return true
		}
	}
	return false
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

// addAccented parses "word=valence" items separated by commas.
func (d *langData) addAccented(list string) {
	for _, item := range strings.Split(list, ",") {
		w, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			panic("sentiment: bad accented valence in " + item) // a constant table: a programming error
		}
		if d.accented == nil {
			d.accented = map[string]accent{}
		}
		lower := strings.ToLower(w)
		d.accented[language.Fold(w)] = accent{
			forms:   [3]string{lower, strings.ToUpper(lower[:1]) + lower[1:], strings.ToUpper(lower)},
			valence: v,
		}
	}
}

// accentValence is the valence of the folded word w when text has it with
// its accents.
func (d *langData) accentValence(w, text string) float64 {
	a, ok := d.accented[w]
	if !ok {
		return 0
	}
	for _, f := range a.forms {
		if strings.Contains(text, f) {
			return a.valence
		}
	}
	return 0
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

// newLangData returns empty data for one language.
func newLangData() *langData {
	return &langData{negScope: negScope, words: map[string]float64{}, stems: map[string]float64{}, roles: map[string]uint8{}, expect: map[string]bool{},
		complain: map[string]bool{}, numbers: map[string]bool{}, units: map[string]bool{},
		since: map[string]bool{}, articles: map[string]bool{}, ahead: map[string]bool{}}
}

// load reads word<TAB>valence lines; # starts a comment, on its own line
// or after the valence. Multi-word entries
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
		val, _, _ = strings.Cut(val, "#") // "word<TAB>0<TAB># why"
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			continue
		}
		d.words[strings.Clone(language.Fold(w))] = v // not a slice of the whole line
	}
}

// Languages returns the languages the Scorer has a lexicon for.
func (s *Scorer) Languages() []string {
	out := make([]string, 0, len(s.langs))
	for l := range s.langs {
		if d := s.data(l); len(d.words) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// Valence returns the lexicon valence (-4..4) of the folded word w in lang,
// matching inflected forms and compounds as Score does; ok is false when the
// word carries no sentiment.
func (s *Scorer) Valence(w, lang string) (v float64, ok bool) {
	d := s.data(lang)
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
	if _, ok := d.accented[w]; ok {
		return 0 // schon: its valence depends on the accents (accentValence)
	}
	// Strip endings one at a time: an inflected form may be in the lexicon
	// (surkeaa -> surkea, gute -> gut) or share its stem with a lexicon word.
	stripped := w
	for st := w; ; {
		next := language.StripSuffix(lang, st)
		if next == st || len(next) < minWord {
			break
		}
		st = next
		if v, ok := d.words[st]; ok {
			return v
		}
		if len(st) < minStem {
			break
		}
		stripped = st
		if v, ok := d.stems[st]; ok {
			return v
		}
	}
	if v, ok := d.root(w); ok {
		return v // pettyneitä: the root of pettynyt
	}
	if v, ok := d.plural(w); ok {
		return v // hyviä: the plural stem of hyvä
	}
	if d.compounds && len(w) >= minCompoundW {
		// The word, then its shorter forms (Zugausfälle -> zugausfall): the
		// first form with a part in the lexicon decides.
		for st := w; ; {
			if v, ok := d.compound(st); ok {
				return v
			}
			if st == stripped {
				break
			}
			next := language.StripSuffix(lang, st)
			if next == st || len(next) < minCompoundW {
				break
			}
			st = next
		}
	}
	return 0
}

// compound returns the valence of the head of the compound w
// (Servicekatastrophe), else of its first part (Katastrophenservice); ok
// is false when no part of w is in the lexicon. A part listed with
// valence 0 ("gefahren", driven, in "festgefahren") ends the search. A
// head after bound prefixes alone ("ungefähr", "aufgefallen") is a
// derived word, not a compound, and is not matched.
func (d *langData) compound(w string) (v float64, ok bool) {
	for i := 1; len(w)-i >= minCompound; i++ {
		if v, ok := d.words[w[i:]]; ok && !d.prefixed(w[:i]) {
			return v, true
		}
	}
	for j := len(w) - 1; j >= minPrefixPart; j-- {
		if v, ok := d.words[w[:j]]; ok {
			return v, true
		}
	}
	return 0, false
}

// prefixed reports whether p is a run of bound prefixes ("an", "ange",
// "aufge").
func (d *langData) prefixed(p string) bool {
	if len(d.bound) == 0 {
		return false
	}
	if p == "" {
		return true
	}
	for i := len(p); i >= 2; i-- {
		if d.bound[p[:i]] && d.prefixed(p[i:]) {
			return true
		}
	}
	return false
}

// complains reports whether w is a complaint word ("late", "Wartezeit").
// The stem is computed once, and only when the word itself is not listed.
func (d *langData) complains(lang, w string, stem *string) bool {
	if len(d.complain) == 0 {
		return false
	}
	return d.complain[w] || d.complain[stemOnce(lang, w, stem)]
}

// stemOnce returns the stem of w, kept in *stem for the next call.
func stemOnce(lang, w string, stem *string) string {
	if *stem == "" {
		*stem = language.Stem(lang, w)
	}
	return *stem
}

// waitingTime reports whether toks[i] is the unit of a waiting time: a
// number or number word before a time unit ("two weeks", "3 Tage"), or a
// duration ("for days", "seit einem Monat", "da un mese"), unless a word
// before the number puts the time ahead ("in two days", "alle 10 Minuten").
func (d *langData) waitingTime(toks []language.Token, i int) bool {
	if i == 0 || !d.units[toks[i].Text] || toks[i].Break {
		return false
	}
	prev := toks[i-1]
	switch {
	case d.since[prev.Text]:
		return true
	case prev.Kind == language.Number || d.numbers[prev.Text]:
		// "in two minutes", "alle 10 Minuten": a time ahead, a frequency.
		return i < 2 || toks[i-2].Break || !d.ahead[toks[i-2].Text]
	case d.articles[prev.Text] && i >= 2 && !prev.Break:
		return d.since[toks[i-2].Text]
	}
	return false
}

// expects reports whether w is an expectation word ("work", "answer").
func (d *langData) expects(lang, w string, stem *string) bool {
	if len(d.expect) == 0 {
		return false
	}
	return d.expect[w] || d.expect[stemOnce(lang, w, stem)]
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
	r := s.read(toks, text, lang)
	if s.model == nil || r.decisive(&s.p) {
		return r.value, s.p.label(r.value, lang)
	}
	best := s.p.choose(&r, s.model.probs(toks, text, lang, s.data(lang), &r), lang)
	// The value stays the rules' (continuous, and what the policy's
	// thresholds were set on), moved to the edge of the label's band when
	// the model's label differs, so that value and label agree in sign.
	b := s.p.bound(lang)
	value = r.value
	switch classLabels[best] {
	case Negative:
		value = min(value, -b)
	case Positive:
		value = max(value, b)
	default:
		value = max(-b/2, min(b/2, value))
	}
	return value, classLabels[best]
}

// choose returns the class of a text the rules read as r and the model
// gives the probabilities p, when the rules do not decide it alone.
func (p *params) choose(r *reading, prob [nClasses]float32, lang string) int {
	best := classNeu
	for c := range nClasses {
		if prob[c] > prob[best] {
			best = c
		}
	}
	if r.silent() && max(prob[classNeg], prob[classPos]) < p.modelSure {
		best = classNeu // no word of sentiment and an unsure model
	}
	if best == classNeu && r.value <= -p.bound(lang) && prob[classNeg] >= p.keepNegative(lang) {
		best = classNeg // the rules read a complaint the model is unsure of
	}
	return best
}

// decisive reports whether the rules' reading decides the label alone: a
// complaint, or a clear score. The rules read customer messages more
// precisely than a model fitted on tweets; the model reads the rest.
//
// The rules decide a complaint, a clear score, a negated sentiment word
// ("not bad": the model's words do not see negation), an idiom ("no
// thanks", "na super"), thanks without complaint, a question (customers
// ask neutral questions) and a short text ("ok", "vielleicht", "das ist
// schön"): the model reads too little in it.
func (r *reading) decisive(p *params) bool {
	switch {
	case p.decide&decideComplaint != 0 && r.cues > 0 && r.value < 0 && (r.praise > 0 || r.courtesy > 0 || r.words <= p.complaintWords),
		math.Abs(r.value) >= p.gate:
		return true
	case p.decide&decideNegated != 0 && r.negated > 0,
		p.decide&decideIdiom != 0 && r.idioms > 0,
		p.decide&decideQuestion != 0 && r.question,
		p.decide&decideThanks != 0 && r.thanks > 0 && r.neg == 0,
		p.decide&decideShort != 0 && r.words <= p.shortText:
		return true
	}
	return false
}

// silent reports whether the rules found no word of sentiment.
func (r *reading) silent() bool {
	return r.pos == 0 && r.neg == 0 && r.praise == 0 && r.courtesy == 0 && r.cues == 0 && r.idioms == 0
}

// label is the label of the rules' value in lang.
func (p *params) label(value float64, lang string) string {
	b := p.bound(lang)
	switch {
	case value >= b:
		return Positive
	case value <= -b:
		return Negative
	}
	return Neutral
}

// reading is what the rules find in one text: their score and the parts of
// it the trained model takes as features.
type reading struct {
	value     float64 // the rules' score in [-1, 1]
	pos, neg  float64 // sums of the positive and negative valences (neg <= 0)
	praise    float64 // positive valence read as sarcasm in a complaint
	courtesy  float64 // thanks (and positive idioms) set aside in a complaint
	cues      int     // complaint cues: complaint words, waiting times, negated expectations, negative idioms
	negated   int     // sentiment words under a negator
	idioms    int     // idioms matched
	thanks    int     // courtesy words, not negated
	question  bool    // the text ends in a question
	words     int
	caps      int
	elongated int
}

// read applies the rules to toks.
func (s *Scorer) read(toks []language.Token, text, lang string) reading {
	d := s.data(lang)
	if d == nil {
		d = &langData{negScope: negScope}
	}
	p := &s.p
	var r reading
	var elongated []bool // set only when a word is elongated (sooo)
	for i, t := range toks {
		if t.Kind != language.Word {
			continue
		}
		r.words++
		if t.Caps {
			r.caps++
		}
		if w, ok := d.unelongate(lang, t.Text); ok {
			if elongated == nil {
				elongated = make([]bool, len(toks))
				toks = append([]language.Token(nil), toks...) // the caller's slice stays as it was
			}
			elongated[i] = true
			r.elongated++
			toks[i].Text = w
		}
	}
	capsDiffer := r.caps > 0 && r.caps < r.words
	if d.accNeg != nil && strings.ContainsAny(text, d.accents) {
		lower := ""
		for i, t := range toks {
			acc, ok := d.accNeg[t.Text]
			if !ok {
				continue
			}
			if lower == "" {
				lower = strings.ToLower(text)
			}
			if !strings.Contains(lower, acc) {
				if elongated == nil {
					elongated = make([]bool, len(toks))
					toks = append([]language.Token(nil), toks...)
				}
				toks[i].Text += notNegator // alkaa "begins", not älkää
			}
		}
	}

	// The last contrast word splits the text into a weaker and a stronger part.
	but := -1
	for i, t := range toks {
		if d.roles[t.Text]&roleContrast != 0 {
			but = i
		}
	}

	// praise and polite are the positive valences that depend on whether
	// the text is a complaint, known only at its end.
	var praise, polite, meant float64
	skip := 0 // tokens of an idiom still to pass
	for i, t := range toks {
		if skip > 0 {
			skip--
			continue
		}
		if id, ok := d.idiomAt(toks, i); ok {
			skip = len(id.toks) - 1
			r.idioms++
			v := p.contrastWeight(id.valence, i, but)
			switch {
			case id.valence <= complaintIdiom:
				r.cues++
				r.neg += v
			case v < 0:
				r.neg += v
			default:
				polite += v // "no problem" in a complaint is not praise
			}
			continue
		}
		if d.roles[t.Text]&^roleCourtesy != 0 || d.isNegator(t.Text) {
			if v, ok := d.alone[t.Text]; ok && d.written(t.Text, text) && !d.sentimentBetween(lang, toks, i+1, d.clauseEnd(toks, i+1, d.negScope)) {
				switch v = p.contrastWeight(v, i, but); {
				case v < 0:
					r.neg += v // "älkää soittako enää"
				case !d.negatedBefore(toks, i):
					praise += v * p.posScale // "toimii hyvin"
				}
			}
			continue
		}
		v := d.valence(lang, t.Text)
		if v == 0 && d.accented != nil {
			v = d.accentValence(t.Text, text)
		}
		if v == 0 && t.Kind == language.Word && isLaugh(t.Text) {
			v = p.laugh
		}
		var complaint, waiting bool
		stem := ""
		if v <= 0 && t.Kind == language.Word {
			waiting = v == 0 && d.waitingTime(toks, i)
			complaint = !waiting && d.complains(lang, t.Text, &stem)
		}
		expectation := v == 0 && !waiting && !complaint && t.Kind == language.Word && d.expects(lang, t.Text, &stem)
		if v == 0 && !expectation && !complaint && !waiting {
			continue
		}
		if capsDiffer && t.Caps {
			v += math.Copysign(capsIncr, v)
		}
		if elongated != nil && elongated[i] {
			v += math.Copysign(elongIncr, v)
		}
		// Boosters, dampeners and negators among the words before, within the clause.
		negated := false
		boost := 0.0
		for k := 1; k <= d.negScope && i-k >= 0; k++ {
			if toks[i-k+1].Break {
				break
			}
			w := toks[i-k].Text
			r := d.roles[w]
			scale := 1 - 0.05*float64(k-1)
			if r&roleBooster != 0 {
				boost += boostIncr * scale
			}
			if r&roleDampener != 0 {
				boost -= boostIncr * scale
			}
			if d.isNegator(w) && !(d.negFirst && d.sentimentBetween(lang, toks, i-k+1, i)) {
				// "not bad" is positive; "non è mai arrivato" is one negation.
				negated = d.concord || !negated
			}
		}
		if negated && d.polarityItem(t.Text) {
			negated = false // "ei paskaakaan": the form asks for the negation, which does not reverse it
		}
		if !negated && d.postNeg && d.negatedAfter(toks, i) {
			negated = true
		}
		if !negated && expectation {
			// An expectation is negated from anywhere in its clause:
			// "none of the links work", "niemand hat auf meine Mail geantwortet".
			for k := d.negScope + 1; k <= expectScope && i-k >= 0 && !toks[i-k+1].Break; k++ {
				if d.isNegator(toks[i-k].Text) {
					negated = true
					break
				}
			}
		}
		switch {
		case waiting:
			r.cues++
			v = p.waiting // "two weeks", "drei Wochen"
		case complaint:
			if negated {
				continue // "not late"
			}
			r.cues++
			if v == 0 {
				v = p.complaint
			}
			v -= boost // "very late"
		case expectation:
			if !negated {
				continue
			}
			r.cues++
			v = p.expect // "nobody answers", "kommt nicht"
		default:
			if v < 0 {
				boost = -boost
			}
			v += boost
			if negated {
				if d.roles[t.Text]&roleCourtesy != 0 {
					continue // "no thanks": a polite refusal
				}
				v *= p.negScale
				r.negated++
			}
		}
		if v > 0 && !negated {
			v *= p.posScale // negativity bias: praise weighs less than complaints
		}
		v = p.contrastWeight(v, i, but)
		switch {
		case v < 0:
			r.neg += v
		case negated:
			polite += v // "not bad"
		case d.roles[t.Text]&roleCourtesy != 0:
			polite += v
			r.thanks++
		case but >= 0 && i > but:
			meant += v // praise after "but" is meant: "broken, but the refund was perfect"
		default:
			praise += v
		}
	}
	sum := r.neg
	if r.cues > 0 {
		// A complaint: its praise is sarcasm ("great service, two weeks
		// late", "na super"), its thanks are not praise.
		r.praise, r.courtesy = praise, polite
		sum -= p.sarcasm * praise
		r.pos = meant
	} else {
		r.pos = praise + polite + meant
	}
	sum += r.pos
	if sum != 0 {
		sum += math.Copysign(punctuationEmphasis(text), sum)
		if isQuestion(text) {
			sum *= p.question
		}
		if n := float64(r.words); n > p.lengthRef {
			sum /= math.Pow(n/p.lengthRef, p.lengthExp)
		}
	}
	r.value = sum / math.Sqrt(sum*sum+p.normAlpha)
	r.question = isQuestion(text)
	return r
}

// written reports whether the folded word w is in text as itself: an
// accented negator (rules.accentedNegators) only when the text has its
// accents. Without them, "alkaa" may be "begins" as well as "don't": it
// stays a negator, but has no valence alone (rules.alone).
func (d *langData) written(w, text string) bool {
	acc, ok := d.accNeg[w]
	return !ok || strings.Contains(strings.ToLower(text), acc)
}

// negatedBefore reports whether a negator comes before toks[i] in its
// clause, within the language's negation scope.
func (d *langData) negatedBefore(toks []language.Token, i int) bool {
	for k := 1; k <= d.negScope && i-k >= 0 && !toks[i-k+1].Break; k++ {
		if d.isNegator(toks[i-k].Text) {
			return true
		}
	}
	return false
}

// clauseEnd returns the end of the at most n tokens from toks[from] that
// stay in its clause.
func (d *langData) clauseEnd(toks []language.Token, from, n int) int {
	end := from
	for end < len(toks) && end-from < n && !toks[end].Break {
		end++
	}
	return end
}

// negatedAfter reports whether a negator closes the clause of toks[i]
// within postNegScope words: German "das gefällt mir nicht".
func (d *langData) negatedAfter(toks []language.Token, i int) bool {
	for k := 1; k <= postNegScope && i+k < len(toks); k++ {
		t := toks[i+k]
		if t.Break {
			return false
		}
		if d.isNegator(t.Text) {
			return i+k+1 == len(toks) || toks[i+k+1].Break
		}
	}
	return false
}

// unelongate returns w with letters repeated three or more times
// shortened ("soooo" -> "so", "niiicht" -> "nicht", "goood" -> "good"),
// preferring the form the lexicon or the rules know; ok is false when w is
// not elongated.
func (d *langData) unelongate(lang, w string) (string, bool) {
	run, long := 1, false
	for i := 1; i < len(w); i++ {
		if w[i] == w[i-1] && w[i] < 0x80 {
			run++
			if run >= 3 {
				long = true
				break
			}
		} else {
			run = 1
		}
	}
	if !long {
		return w, false
	}
	two, one := squeeze(w, 2), squeeze(w, 1)
	for _, c := range []string{two, one} {
		if d.roles[c] != 0 || d.valence(lang, c) != 0 {
			return c, true
		}
	}
	return one, true
}

// squeeze shortens runs of the same ASCII letter in w to at most n.
func squeeze(w string, n int) string {
	b := make([]byte, 0, len(w))
	run := 0
	for i := 0; i < len(w); i++ {
		if i > 0 && w[i] == w[i-1] && w[i] < 0x80 {
			run++
		} else {
			run = 1
		}
		if run <= n {
			b = append(b, w[i])
		}
	}
	return string(b)
}

// isLaugh reports whether the folded word w is written laughter: haha,
// ahahah, hehe, hihi, jaja, xd, lol.
func isLaugh(w string) bool {
	switch w {
	case "xd", "xdd", "lol", "lool", "lmao", "rofl", "asd", "asdasd":
		return true
	}
	if len(w) < 4 {
		return false
	}
	h, vowels := 0, 0
	for i := 0; i < len(w); i++ {
		switch w[i] {
		case 'h', 'j':
			if i > 0 && w[i-1] == w[i] {
				return false
			}
			h++
		case 'a', 'e', 'i':
			vowels++
		default:
			return false
		}
	}
	return h >= 2 && vowels >= 2
}

// isQuestion reports whether text ends in a question (its last ! ? or .
// is a ?) and has no exclamation mark.
func isQuestion(text string) bool {
	if strings.IndexByte(text, '!') >= 0 {
		return false
	}
	i := strings.LastIndexAny(text, "?.")
	return i >= 0 && text[i] == '?'
}

// contrastWeight weighs the valence v of the token at i by its side of the
// contrast word at but (-1: none).
func (p *params) contrastWeight(v float64, i, but int) float64 {
	switch {
	case but < 0:
	case i < but:
		v *= p.beforeBut
	case i > but:
		v *= p.afterBut
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
