package language

import "strings"

// stemmer is a light suffix stripper: it removes the longest listed suffix
// that leaves at least min bytes, passes times.
type stemmer struct {
	byLast [256][]string // suffixes by their last byte, longest first
	min    int
	passes int
	// keep lists endings that protect a word from stripping ("ss" in English).
	keep []string
}

func newStemmer(suffixes string, min, passes int, keep ...string) *stemmer {
	st := &stemmer{min: min, passes: passes, keep: keep}
	for _, suf := range sortSuffixes(suffixes) {
		c := suf[len(suf)-1]
		st.byLast[c] = append(st.byLast[c], suf)
	}
	return st
}

// stemmers are the light stemmers per language, on folded text. They are
// deliberately conservative: the aim is that inflected forms of one word
// share a prefix, not linguistic accuracy.
var stemmers = map[string]*stemmer{
	"en": newStemmer("ations ation ingly ings ing edly ed ies ied es ly ness ments ment s e y", 3, 1, "ss", "us", "is"),
	"it": newStemmer("amente mente azioni azione zioni zione issimo issima issimi issime menti mento ando endo ato ata ati ate uto uta uti ute ito ita iti ite are ere ire ano ono a e i o", 3, 1),
	"es": newStemmer("amente mente aciones acion ando iendo ado ada ados adas ido ida idos idas ar er ir os as es a e o s", 3, 1),
	"fr": newStemmer("ements ement ations ation ees ee es er ez e s x", 3, 1),
	"de": newStemmer("ungen heiten keiten ung heit keit lichen liche lich ern en em er es st e n s", 3, 1),
	"nl": newStemmer("heden heid ingen ing en er e s", 3, 1),
	"da": newStemmer("erne ene ede er en et e s", 3, 1),
	"sv": newStemmer("orna arna erna ande ade ar er or en et na a e s", 3, 1),
	"fi": newStemmer("isiin iden itten ista issa illa ilta ille iksi ssaan staan llaan lleen seen ssa sta lla lta lle ksi ine tta kin kaan han jen ien nsa mme nne ni si na ta en an in un yn on ja ia a n t i e", 3, 2),
}

// stemmerCodes indexes stemmers by the letters of a two-letter language
// code: Stem and StripSuffix run for every word of every turn, and a map
// lookup by string was a tenth of the analyzer's time.
var stemmerCodes = func() (t [26 * 26]*stemmer) {
	for lang, st := range stemmers {
		t[codeIndex(lang)] = st
	}
	return t
}()

// codeIndex is the index of a two-letter lower-case code in stemmerCodes,
// -1 for any other string.
func codeIndex(lang string) int {
	if len(lang) != 2 || lang[0] < 'a' || lang[0] > 'z' || lang[1] < 'a' || lang[1] > 'z' {
		return -1
	}
	return int(lang[0]-'a')*26 + int(lang[1]-'a')
}

// stemmerOf returns the stemmer of lang, nil when it has none.
func stemmerOf(lang string) *stemmer {
	i := codeIndex(lang)
	if i < 0 {
		return nil
	}
	return stemmerCodes[i]
}

func sortSuffixes(list string) []string {
	s := strings.Fields(list)
	// Longest first, stable for equal lengths.
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && len(s[j]) > len(s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// Stem returns a light stem of the folded word w in lang: w with inflectional
// suffixes removed. The result is always a prefix of w, so Stem does not
// allocate. Languages without a stemmer return w.
func Stem(lang, w string) string {
	st := stemmerOf(lang)
	if st == nil {
		return w
	}
	for range st.passes {
		next := st.strip(w)
		if next == w {
			break
		}
		w = next
	}
	// Italian and Spanish plurals harden c/g before e/i: pacchi -> pacch -> pacc.
	if (lang == "it") && len(w) > 3 && w[len(w)-1] == 'h' && (w[len(w)-2] == 'c' || w[len(w)-2] == 'g') {
		w = w[:len(w)-1]
	}
	return w
}

// StripSuffix removes one inflectional suffix from the folded word w in
// lang, as one pass of Stem does; it returns w when there is none. Callers
// that look words up in a list can strip step by step and look up each form.
func StripSuffix(lang, w string) string {
	st := stemmerOf(lang)
	if st == nil {
		return w
	}
	return st.strip(w)
}

// strip removes one suffix from w.
func (st *stemmer) strip(w string) string {
	for _, k := range st.keep {
		if strings.HasSuffix(w, k) {
			return w
		}
	}
	if w == "" {
		return w
	}
	for _, suf := range st.byLast[w[len(w)-1]] {
		if len(w)-len(suf) >= st.min && strings.HasSuffix(w, suf) {
			return w[:len(w)-len(suf)]
		}
	}
	return w
}
