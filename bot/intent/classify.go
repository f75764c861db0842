package intent

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/calmbot/calmbot/bot/language"
	"github.com/calmbot/calmbot/bot/sentiment"
	"github.com/calmbot/calmbot/flows"
)

// Intent classification. A turn becomes a sparse vector of hashed features
// in its language: stems of its content words and the pairs of neighbouring
// words (with the start and end of the turn), the frequent words themselves,
// and the character 3- to 5-grams of every word (so typos and inflections
// still share most of a word). Features are weighed by TF-IDF over the flow
// file's examples and by what the word is (a complaint, an emotional or a
// weak word says little about the concern), then the word and the character
// block are each scaled to half of unit length.
//
// Features no example has count in that length with the idf of the rarest
// known feature and then are dropped: a turn made of an intent's words keeps
// its full length ("known share" 1), a turn with one shared word among many
// unknown ones keeps little.
//
// A multinomial logistic regression over the intents (no bias, so a turn
// with no known feature is equally far from all of them) is trained when
// the Analyzer is made, by SGD in a seeded order, so the same file always
// gives the same model: first on four fifths of the examples, whose model
// fits the softmax temperature on the remaining fifth, then a few more
// epochs on all of them. Besides the intents it learns one background
// class, customer-service matters of no intent (elsewhere.go): a turn it
// finds at least backgroundLead times likelier to be such a matter than
// any intent is out of scope; otherwise the intents are scored among
// themselves, as without it. A turn's score for its likeliest intent is that
// intent's probability above chance times the known share, mapped so that
// the default threshold, 0.5, falls where both a small flow file and a
// large intent set read in- and out-of-scope turns well (see scoreAt).
const (
	minGram, maxGram = 3, 5
	maxFeatures      = 512 // features of one turn kept on the stack

	charBlock = 0.5 // share of the vector's squared length given to character n-grams
	wordBlock = 1 - charBlock

	weakFactor      = 0.5  // weight of a weak word ("same", "again")
	complaintFactor = 0.25 // weight of a complaint word ("ridiculous")
	// frequentFactor weighs a frequent word ("where", "the"). Lower values
	// were tried (0.5: CLINC150 val in-scope 91.7% -> 90.5%; 0.3: 89.2%):
	// frequent words carry phrasings ("how do I", "where is").
	frequentFactor = 1

	// The known share counts the features of content words: known ones
	// with their evidence, unknown ones with their weight.
	weakEvidence     = 0.1 // evidence of a known weak or complaint word: "two" or "same" alone is no intent
	weakUnknown      = 0.5 // weight of an unknown weak word
	emotionalUnknown = 0.3 // weight of an unknown word with a sentiment valence ("annoyed")
	complaintUnknown = 0.3 // weight of an unknown complaint word
	frequentEvidence = 1   // evidence of a turn of frequent words only, the examples' share of it
	frequentShare    = 0   // evidence and weight of a frequent word's features

	// backgroundLead is how many times likelier than the likeliest intent
	// the background class must be to make a turn out of scope.
	backgroundLead = 2.0

	seed    = 0x5eed_ca1b
	holdOut = 5 // one example in holdOut fits the temperature
	minProb = 1e-5

	// scoreAt is the chance-corrected, known-weighted probability that
	// scores 0.5, the default threshold. It was chosen on CLINC150's
	// validation split (150 intents, 100 English examples each) and on
	// testdata/paraphrases.tsv with the default flows (7 intents, about
	// 15 examples per language) as the point that keeps both in-scope
	// accuracy and out-of-scope recall high in both.
	scoreAt = 0.15
)

// Training.
const (
	epochs    = 8   // SGD epochs on four fifths of the examples
	finish    = 3   // then epochs on all of them
	learnRate = 1.5 // constant: the vectors have unit length
)

// Feature kinds, mixed into the hash.
const (
	kindUnigram  byte = 'u'
	kindBigram   byte = 'b'
	kindChar     byte = 'c'
	kindNegation      = 'n'
)

// feature is one hashed feature of a turn and its weight before scaling.
type feature struct {
	hash  uint64
	value float32
	ev    float32 // evidence for the known share when known; 0 for frequent words
	unk   float32 // weight in the known share when unknown; 0 for frequent words
	char  bool
}

// classifier scores a turn against every intent.
type classifier struct {
	langs   []string // language of each language index
	intents []string // the last is "", the background, when background is set
	// background is whether the classifier learnt the background class
	// of matters of no intent (elsewhere.go).
	background bool
	vocab      *table // feature hash -> index
	idf        []float32
	unkIDF     float32   // idf given to a feature no example has
	weights    []float32 // feature*len(intents) + intent
	temp       float64   // softmax temperature
	scorer     *sentiment.Scorer

	trainTime time.Duration // how long training took
}

// sample is one training example as features, with its intent.
type sample struct {
	idx    []int32
	val    []float32
	intent int
}

// newClassifier trains a classifier on f's intents and, when background
// is set, the background class of matters of no intent.
func newClassifier(f *flows.File, tabs map[string]*tables, scorer *sentiment.Scorer, background bool) *classifier {
	start := time.Now()
	c := &classifier{scorer: scorer}
	vocab := map[uint64]int32{}
	names := make([]string, 0, len(f.Intents))
	for name, in := range f.Intents {
		if in != nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	// The background class, last: matters of no intent (elsewhere.go), in
	// the languages of the file that have them.
	var bgLangs []string
	if background && len(names) > 0 {
		for lang := range tabs {
			bgLangs = append(bgLangs, lang)
		}
		sort.Strings(bgLangs)
		names = append(names, "")
		c.background = true
	}
	c.intents = names

	// Features of every example, and their document frequencies.
	type raw struct {
		feats  []feature
		intent int
	}
	var raws []raw
	var df []int32
	var buf [maxFeatures]feature
	add := func(text, lang string, li int, t *tables, intent int) {
		var tb [maxTokens]language.Token
		feats := c.extract(buf[:0], language.Split(tb[:0], text), lang, li, t)
		if len(feats) == 0 {
			return
		}
		seen := map[int32]bool{}
		for _, ft := range feats {
			id, ok := vocab[ft.hash]
			if !ok {
				id = int32(len(df))
				vocab[ft.hash] = id
				df = append(df, 0)
			}
			if !seen[id] {
				seen[id] = true
				df[id]++
			}
		}
		raws = append(raws, raw{feats: slices.Clone(feats), intent: intent})
	}
	for i, name := range names {
		if name == "" {
			break
		}
		in := f.Intents[name]
		langs := make([]string, 0, len(in.Examples))
		for l := range in.Examples {
			langs = append(langs, l)
		}
		sort.Strings(langs)
		for _, l := range langs {
			lang := strings.ToLower(l)
			t := tablesFor(tabs, lang)
			li := c.langIndex(lang)
			for _, text := range in.Examples[l] {
				add(text, lang, li, t, i)
			}
		}
	}
	if n := len(names); len(bgLangs) > 0 {
		for _, lang := range bgLangs {
			t := tablesFor(tabs, lang)
			li := c.langIndex(lang)
			for _, text := range elsewhere[lang] {
				add(text, lang, li, t, n-1)
			}
		}
	}
	c.vocab = newTable(vocab)
	n := float64(len(raws))
	c.idf = make([]float32, len(df))
	for id, d := range df {
		c.idf[id] = float32(math.Log((1+n)/(1+float64(d))) + 1)
	}
	c.unkIDF = float32(math.Log(1+n) + 1)
	c.temp = 1
	if len(names) == 0 || len(raws) == 0 {
		c.trainTime = time.Since(start)
		return c
	}

	samples := make([]sample, len(raws))
	for i, r := range raws {
		s := sample{intent: r.intent}
		c.vectorize(r.feats, func(id int32, v float32) {
			s.idx = append(s.idx, id)
			s.val = append(s.val, v)
		})
		samples[i] = s
	}

	// Fit the temperature on a held-out fifth, then train on everything.
	var fit, held []sample
	for i, s := range samples {
		if i%holdOut == holdOut-1 {
			held = append(held, s)
		} else {
			fit = append(fit, s)
		}
	}
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	nf, nc := len(df), len(names)
	if len(held) > 0 && nc > 1 {
		w := train(nil, fit, nf, nc, epochs, rng)
		c.temp = calibrate(w, held, nc)
		c.weights = train(w, samples, nf, nc, finish, rng)
	} else {
		c.weights = train(nil, samples, nf, nc, epochs, rng)
	}
	c.trainTime = time.Since(start)
	return c
}

// langIndex returns the index of lang, adding it when new.
func (c *classifier) langIndex(lang string) int {
	for i, l := range c.langs {
		if l == lang {
			return i
		}
	}
	c.langs = append(c.langs, lang)
	return len(c.langs) - 1
}

// findLang returns the index of lang, or -1.
func (c *classifier) findLang(lang string) int {
	for i, l := range c.langs {
		if l == lang {
			return i
		}
	}
	return -1
}

// FNV-1a.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashByte(h uint64, b byte) uint64 { return (h ^ uint64(b)) * fnvPrime }

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// extract appends the features of toks, read in lang (index li), to dst.
// A feature that occurs twice is two entries, at training as at reading.
func (c *classifier) extract(dst []feature, toks []language.Token, lang string, li int, t *tables) []feature {
	base := hashByte(hashByte(fnvOffset, byte(li)), byte(li>>8))
	prev := "<s>"
	negated := false
	for _, tk := range toks {
		if !t.isContent(tk) {
			if !negated && tk.Kind == language.Word && (t.negators[tk.Text] || strings.HasSuffix(tk.Text, "n't")) {
				negated = true
			}
			if tk.Kind == language.Word && len(dst)+2 < cap(dst) {
				// A frequent word: itself, its pair and its letters.
				dst = append(dst, feature{hash: hashString(hashByte(base, kindUnigram), tk.Text), value: frequentFactor, ev: frequentShare, unk: frequentShare})
				if prev != "" && !tk.Break {
					dst = append(dst, feature{hash: bigram(base, prev, tk.Text), value: frequentFactor, ev: frequentShare, unk: frequentShare})
				}
				prev = tk.Text
				dst = c.charGrams(dst, base, tk.Text, feature{value: frequentFactor, ev: frequentShare, unk: frequentShare})
				continue
			}
			if tk.Break {
				prev = ""
			}
			continue
		}
		if len(dst)+2 >= cap(dst) {
			break
		}
		stem := language.Stem(lang, tk.Text)
		kind := feature{value: 1, ev: 1, unk: 1}
		ft := kind
		ft.hash = hashString(hashByte(base, kindUnigram), stem)
		flags := t.wordFlags(tk.Text, stem)
		switch {
		case flags&flagComplaint != 0:
			kind = feature{value: complaintFactor, ev: weakEvidence, unk: complaintUnknown}
		case flags&flagWeak != 0:
			kind = feature{value: weakFactor, ev: weakEvidence, unk: weakUnknown}
		case c.vocab != nil && c.vocab.get(ft.hash) < 0 && c.emotional(tk.Text, lang):
			// An unknown word that says how the customer feels, not what
			// they want. (While training, c.vocab is nil: every word is known.)
			kind.unk = emotionalUnknown
		}
		hash := ft.hash
		ft = kind
		ft.hash = hash
		dst = append(dst, ft)
		if negated {
			// "not arrived" is another fact than "arrived (broken)": the
			// word after a negator is also a feature of its own.
			ft.hash = hashString(hashByte(base, kindNegation), stem)
			dst = append(dst, ft)
			ft.hash = hash
		}
		if prev != "" && !tk.Break {
			ft.hash = bigram(base, prev, stem)
			dst = append(dst, ft)
		}
		prev = stem
		dst = c.charGrams(dst, base, tk.Text, kind)
	}
	if prev != "" && len(dst) < cap(dst) {
		dst = append(dst, feature{hash: bigram(base, prev, "</s>"), value: 1})
	}
	if negated && len(dst) < cap(dst) {
		// "not arrived" and "arrived broken" share words, not meaning.
		dst = append(dst, feature{hash: hashByte(base, kindNegation), value: 1})
	}
	return dst
}

func bigram(base uint64, a, b string) uint64 {
	return hashString(hashByte(hashString(hashByte(base, kindBigram), a), ' '), b)
}

// charGrams appends the character n-grams of "<word>", weighed as kind.
func (c *classifier) charGrams(dst []feature, base uint64, word string, kind feature) []feature {
	kind.char = true
	n := len(word) + 2
	for g := minGram; g <= maxGram && g <= n; g++ {
		for i := 0; i+g <= n; i++ {
			if len(dst) == cap(dst) {
				return dst
			}
			h := hashByte(base, kindChar)
			for k := i; k < i+g; k++ {
				switch {
				case k == 0:
					h = hashByte(h, '<')
				case k == n-1:
					h = hashByte(h, '>')
				default:
					h = hashByte(h, word[k-1])
				}
			}
			kind.hash = h
			dst = append(dst, kind)
		}
	}
	return dst
}

// emotional reports whether a word carries sentiment.
func (c *classifier) emotional(w, lang string) bool {
	if c.scorer == nil {
		return false
	}
	_, ok := c.scorer.Valence(w, lang)
	return ok
}

// vectorize weighs merged features by idf, scales each block to its share
// of unit length (unknown features counting in the length), calls emit for
// every known one and returns the known share: the evidence-weighted
// squared length of the known content features over that of all content
// features, known or not.
func (c *classifier) vectorize(feats []feature, emit func(id int32, v float32)) float64 {
	var idBuf [maxFeatures]int32
	ids := idBuf[:len(feats)]
	var norm [2]float64
	for i, ft := range feats {
		idf := c.unkIDF
		id := c.vocab.get(ft.hash)
		if id >= 0 {
			idf = c.idf[id]
		}
		ids[i] = id
		v := float64(ft.value * idf)
		norm[b2i(ft.char)] += v * v
	}
	scale := [2]float32{0, 0}
	if norm[0] > 0 {
		scale[0] = float32(math.Sqrt(wordBlock / norm[0]))
	}
	if norm[1] > 0 {
		scale[1] = float32(math.Sqrt(charBlock / norm[1]))
	}
	var num, den, all float64
	for i, ft := range feats {
		id := ids[i]
		if id < 0 {
			v := float64(ft.value * c.unkIDF * scale[b2i(ft.char)])
			den += v * v * float64(ft.unk)
			continue
		}
		v := ft.value * c.idf[id] * scale[b2i(ft.char)]
		emit(id, v)
		v2 := float64(v * v)
		all += v2
		if ft.unk > 0 {
			num += v2 * float64(ft.ev)
			den += v2
		}
	}
	if den == 0 {
		// Frequent words only ("how are you"): they are the evidence,
		// for what it is worth.
		return all * frequentEvidence
	}
	return num / den
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// train runs SGD epochs of a multinomial logistic regression without bias
// over samples, starting from w (nil: zero), and returns the weights. There
// is no explicit regularisation: the few epochs stop it early.
func train(w []float32, samples []sample, nFeat, nClass, epochs int, rng *rand.Rand) []float32 {
	if w == nil {
		w = make([]float32, nFeat*nClass)
	}
	order := make([]int, len(samples))
	for i := range order {
		order[i] = i
	}
	z := make([]float64, nClass)
	for range epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, si := range order {
			s := &samples[si]
			for k := range z {
				z[k] = 0
			}
			for j, id := range s.idx {
				row := w[int(id)*nClass : int(id+1)*nClass]
				v := s.val[j]
				for k, wk := range row {
					z[k] += float64(v * wk)
				}
			}
			softmax(z, 1)
			z[s.intent]--
			for j, id := range s.idx {
				row := w[int(id)*nClass : int(id+1)*nClass]
				v := learnRate * float64(s.val[j])
				for k, p := range z {
					if p > minProb || p < -minProb {
						row[k] -= float32(v * p)
					}
				}
			}
		}
	}
	return w
}

// softmax turns z (scaled by scale) into probabilities in place.
func softmax(z []float64, scale float64) {
	m := math.Inf(-1)
	for k := range z {
		z[k] *= scale
		m = math.Max(m, z[k])
	}
	sum := 0.0
	for k := range z {
		z[k] = math.Exp(z[k] - m)
		sum += z[k]
	}
	for k := range z {
		z[k] /= sum
	}
}

// calibrate fits the softmax temperature that minimises the negative log
// likelihood of held under w (searched on a log grid), and the exponent
// that maps the probability below which calibrateAt of the rightly read
// held-out examples fall to a score of 0.5.
func calibrate(w []float32, held []sample, nClass int) float64 {
	logits := make([][]float64, len(held))
	for i, s := range held {
		z := make([]float64, nClass)
		for j, id := range s.idx {
			row := w[int(id)*nClass : int(id+1)*nClass]
			for k, wk := range row {
				z[k] += float64(s.val[j] * wk)
			}
		}
		logits[i] = z
	}
	temp, bestNLL := 1.0, math.Inf(1)
	for t := 0.05; t <= 5; t *= 1.1 {
		nll := 0.0
		for i, z := range logits {
			m := math.Inf(-1)
			for _, v := range z {
				m = math.Max(m, v/t)
			}
			sum := 0.0
			for _, v := range z {
				sum += math.Exp(v/t - m)
			}
			nll -= z[held[i].intent]/t - m - math.Log(sum)
		}
		if nll < bestNLL {
			temp, bestNLL = t, nll
		}
	}
	return temp
}

// classify returns the likeliest intent for toks read in lang and its
// probability.
func (c *classifier) classify(toks []language.Token, lang string, t *tables) (string, float64) {
	li := c.findLang(lang)
	if li < 0 || len(c.weights) == 0 {
		return "", 0
	}
	var buf [maxFeatures]feature
	feats := c.extract(buf[:0], toks, lang, li, t)
	if len(feats) == 0 {
		return "", 0
	}
	nc := len(c.intents)
	var zbuf [64]float64
	var z []float64
	if nc <= len(zbuf) {
		z = zbuf[:nc]
	} else {
		z = make([]float64, nc)
	}
	known := c.vectorize(feats, func(id int32, v float32) {
		row := c.weights[int(id)*nc : int(id+1)*nc]
		for k, wk := range row {
			z[k] += float64(v * wk)
		}
	})
	softmax(z, 1/c.temp)
	k := nc
	if c.background {
		// The background class vetoes: a turn at least backgroundLead
		// times likelier to be about another matter than about any intent
		// is out of scope. Otherwise the intents are scored among
		// themselves, as without it.
		k = nc - 1
		bg := z[k]
		best := 0
		for i, p := range z[:k] {
			if p > z[best] {
				best = i
			}
		}
		if k == 0 || bg >= backgroundLead*z[best] {
			return "", 0
		}
		return c.intents[best], score(z[best]/(1-bg), known, k)
	}
	best := 0
	for i, p := range z {
		if p > z[best] {
			best = i
		}
	}
	return c.intents[best], score(z[best], known, k)
}

// score is an intent's score from its probability p among k intents and the
// known share of the turn's vector (its squared length that features of
// the examples make up): the probability above chance times the known
// share, raised to the power that maps scoreAt to 0.5.
// With a single intent there is nothing to tell apart: the known share is
// all the evidence.
func score(p, known float64, k int) float64 {
	if known <= 0 {
		return 0
	}
	above := 1.0
	if k > 1 {
		chance := 1 / float64(k)
		if p <= chance {
			return 0
		}
		above = (p - chance) / (1 - chance)
	}
	return math.Pow(above*min(1, known), math.Log(0.5)/math.Log(scoreAt))
}

// table maps feature hashes to indexes: open addressing with linear
// probing, several times quicker than a map for this read-only use.
type table struct {
	keys []uint64 // 0 is empty
	vals []int32
	mask uint64
}

func newTable(m map[uint64]int32) *table {
	n := 1
	for n < 2*len(m)+1 {
		n <<= 1
	}
	t := &table{keys: make([]uint64, n), vals: make([]int32, n), mask: uint64(n - 1)}
	for h, v := range m {
		h = nonZero(h)
		i := slot(h) & t.mask
		for t.keys[i] != 0 {
			i = (i + 1) & t.mask
		}
		t.keys[i], t.vals[i] = h, v
	}
	return t
}

// get returns the index of h, or -1.
func (t *table) get(h uint64) int32 {
	h = nonZero(h)
	for i := slot(h) & t.mask; ; i = (i + 1) & t.mask {
		switch t.keys[i] {
		case h:
			return t.vals[i]
		case 0:
			return -1
		}
	}
}

func nonZero(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

func slot(h uint64) uint64 { return (h * 0x9e3779b97f4a7c15) >> 17 }
