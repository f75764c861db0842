package assist

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a draft: lower-case, apostrophes normalised, with
// its byte span in the draft, its sentence and whether the agent quotes it.
type token struct {
	word       string
	start, end int
	sentence   int
	quoted     bool
}

// quotePairs are the quotation marks that open and close a quote.
var quotePairs = map[rune]rune{'"': '"', '“': '”', '«': '»', '»': '«', '„': '“', '”': '”', '‹': '›'}

// tokenize splits s into words with their spans. Text between quotation
// marks ("...", “...”, «...», »...«, „...“) up to the end of its line is marked quoted: the agent repeats
// the customer's words there. Sentences end at . ! ? ; and line breaks.
func tokenize(s string) []token {
	var out []token
	sentence := 0
	var closer rune // the quote mark that ends the open quote, or 0
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := strings.Trim(normalize(s[start:end]), "'-")
		if w != "" {
			// Trim may have shortened the word at either end: keep the span
			// on the letters.
			lead := strings.IndexFunc(s[start:end], isLetter)
			st := start
			if lead > 0 {
				st += lead
			}
			en := end
			for en > st {
				r, size := utf8.DecodeLastRuneInString(s[st:en])
				if isLetter(r) {
					break
				}
				en -= size
			}
			out = append(out, token{word: w, start: st, end: en, sentence: sentence, quoted: closer != 0})
		}
		start = -1
	}
	for i, r := range s {
		switch {
		case isLetter(r) || r == '\'' || r == '’' || r == '-' || r == 'ʼ':
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
		switch {
		case closer != 0 && (r == closer || closer == '“' && r == '”'):
			closer = 0
		case r == '\n':
			closer = 0 // a quote ends with its line
			sentence++
		case closer == 0 && quotePairs[r] != 0:
			closer = quotePairs[r]
		case r == '.' || r == '!' || r == '?' || r == ';' || r == '\n':
			sentence++
		}
	}
	flush(len(s))
	return out
}

func isLetter(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// normalize lower-cases w and turns every apostrophe into '.
func normalize(w string) string {
	return strings.NewReplacer("’", "'", "‘", "'", "ʼ", "'").Replace(strings.ToLower(w))
}

// match is a phrase found in a draft: the tokens from first to last.
type match struct{ first, last int }

// find returns the occurrences of phrase in toks outside quotes. A phrase
// is words separated by spaces, each a path.Match pattern ("ongelm*"); the
// word "..." stands for up to gapWords words of the same sentence.
func find(toks []token, phrase string) []match {
	pw := strings.Fields(normalize(phrase))
	var out []match
	for i := range toks {
		if last, ok := matchAt(toks, i, pw); ok {
			out = append(out, match{i, last})
		}
	}
	return out
}

// gapWords is how many words "..." in a phrase may skip.
const gapWords = 6

func matchAt(toks []token, i int, pw []string) (int, bool) {
	if len(pw) == 0 {
		return i - 1, true
	}
	if pw[0] == "..." {
		for skip := 0; skip <= gapWords && i+skip < len(toks); skip++ {
			if i > 0 && toks[i+skip].sentence != toks[i-1].sentence {
				break
			}
			if last, ok := matchAt(toks, i+skip, pw[1:]); ok {
				return last, true
			}
		}
		return 0, false
	}
	if i >= len(toks) || toks[i].quoted {
		return 0, false
	}
	if ok, err := path.Match(pw[0], toks[i].word); err != nil || !ok {
		return 0, false
	}
	if len(pw) > 1 && i+1 < len(toks) && pw[1] != "..." && toks[i+1].sentence != toks[i].sentence {
		return 0, false
	}
	return matchAt(toks, i+1, pw[1:])
}

// findAll returns the occurrences of every phrase of list, in draft order,
// without overlaps (the longer phrase wins at the same start).
func findAll(toks []token, list []string) []match {
	var all []match
	for _, p := range list {
		all = append(all, find(toks, p)...)
	}
	return dedupe(all)
}

func dedupe(all []match) []match {
	// sort by first, longest first
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && less(all[j], all[j-1]); j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	var out []match
	end := -1
	for _, m := range all {
		if m.first <= end {
			continue
		}
		out = append(out, m)
		end = m.last
	}
	return out
}

func less(a, b match) bool {
	if a.first != b.first {
		return a.first < b.first
	}
	return a.last > b.last
}
