package language

import (
	"unicode"
	"unicode/utf8"
)

// Kind is what a token is made of.
type Kind uint8

// Token kinds.
const (
	Word     Kind = iota // letters, with inner apostrophes ("don't", "l'")
	Number               // digits only ("2", "2024")
	Emoticon             // an ASCII emoticon (":)", ":-(") or an emoji
)

// Token is one word, number or emoticon of a text.
type Token struct {
	// Text is the token lower-cased and folded (see Fold); for emoticons, as
	// written.
	Text string
	// Kind is what the token is made of.
	Kind Kind
	// Caps is true for a word of two or more letters written in capitals.
	Caps bool
	// Break is true when punctuation (, . ; : ! ? and the like) separates
	// the token from the one before it.
	Break bool
}

// fold maps the lower-case letters that fold to something else. Letters are
// folded to their base letter so that customers who type without accents
// still match ("perche" = "perché", "hyva" = "hyvä", "fur" = "für").
var fold = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'ą': "a", 'æ': "ae",
	'ç': "c", 'ć': "c", 'č': "c",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ę': "e",
	'ğ': "g",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ı': "i",
	'ł': "l",
	'ñ': "n", 'ń': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o",
	'ś': "s", 'š': "s", 'ş': "s", 'ß': "ss",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u",
	'ý': "y", 'ÿ': "y",
	'ź': "z", 'ż': "z", 'ž': "z",
}

// apostrophes are the characters read as an apostrophe inside words.
func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == '`' || r == 'ʼ' }

// AppendFold appends s lower-cased and folded (accents removed, ß as ss) to dst.
func AppendFold(dst []byte, s string) []byte {
	for _, r := range s {
		dst = appendFoldRune(dst, r)
	}
	return dst
}

// Fold returns s lower-cased and folded: accents removed, ß as ss, typographic
// apostrophes as '.
func Fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') || c == '`' {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	return string(AppendFold(make([]byte, 0, len(s)), s))
}

func appendFoldRune(dst []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		if r == '`' {
			r = '\''
		}
		return append(dst, byte(r))
	}
	if isApostrophe(r) {
		return append(dst, '\'')
	}
	r = unicode.ToLower(r)
	if f, ok := fold[r]; ok {
		return append(dst, f...)
	}
	return utf8.AppendRune(dst, r)
}

// emoticons are the ASCII emoticons the tokenizer keeps as tokens, longest first.
var emoticons = []string{
	":-)))", ":)))", ":-))", ":))", ":'-(", ":'(", ":-((", ":((", ">:-(", ">:(",
	":-)", ":-(", ":-D", ":-P", ":-p", ":-/", ":-|", ";-)", "=)", "=(", "^_^", "-_-",
	":-[", ";-(", ":-*", ":')", ":'D", "-.-",
	":)", ":(", ":D", ":P", ":p", ":/", ":|", ";)", "<3", "</3", ":@", "^^", ":[", ";(", ":*",
}

// IsEmoji reports whether r is a pictograph or emoji symbol.
func IsEmoji(r rune) bool {
	return (r >= 0x1F300 && r <= 0x1FAFF) || (r >= 0x2600 && r <= 0x27BF) || r == 0x2B50 || r == 0x2764
}

// Split appends the tokens of s to dst and returns it, with the folded text
// of every token in one allocation. Pass a slice with spare capacity (for
// example a stack array) to keep the call allocation-light.
func Split(dst []Token, s string) []Token {
	var stack [256]byte
	buf := stack[:0]
	type span struct{ start, end int }
	var spanStack [64]span
	spans := spanStack[:0]
	first := len(dst)

	brk := false
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			start := len(buf)
			caps, letters, digitsOnly := true, 0, true
			j := i
			for j < len(s) {
				r, size := utf8.DecodeRuneInString(s[j:])
				if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
					if unicode.IsLetter(r) {
						letters++
						digitsOnly = false
						if !unicode.IsUpper(r) {
							caps = false
						}
					}
					buf = appendFoldRune(buf, r)
					j += size
					continue
				}
				if isApostrophe(r) && j+size < len(s) {
					n, _ := utf8.DecodeRuneInString(s[j+size:])
					if unicode.IsLetter(n) {
						buf = append(buf, '\'')
						j += size
						// Keep English contractions (don't, it's, I'm) whole;
						// split elisions (l'ordine, dell'anno) after the apostrophe.
						if !isContraction(s[j:]) {
							break
						}
						continue
					}
				}
				break
			}
			kind := Word
			if digitsOnly {
				kind = Number
			}
			dst = append(dst, Token{Kind: kind, Caps: caps && letters >= 2, Break: brk})
			spans = append(spans, span{start, len(buf)})
			brk = false
			i = j
			continue
		case IsEmoji(r):
			start := len(buf)
			buf = utf8.AppendRune(buf, r)
			dst = append(dst, Token{Kind: Emoticon, Break: brk})
			spans = append(spans, span{start, len(buf)})
			brk = false
		case r < utf8.RuneSelf && !unicode.IsSpace(r):
			if e := matchEmoticon(s[i:]); e != "" {
				start := len(buf)
				buf = append(buf, e...)
				dst = append(dst, Token{Kind: Emoticon, Break: brk})
				spans = append(spans, span{start, len(buf)})
				brk = false
				i += len(e)
				continue
			}
			switch r {
			case ',', '.', ';', ':', '!', '?', '(', ')', '"', '/':
				brk = true
			}
		case r == '¿' || r == '¡' || r == '…' || r == '–' || r == '—':
			brk = true
		}
		i += size
	}
	text := string(buf)
	for k, sp := range spans {
		dst[first+k].Text = text[sp.start:sp.end]
	}
	return dst
}

// isContraction reports whether s (the text after an apostrophe) starts
// with an English contraction ending: t, s, m, re, ve, ll, d.
func isContraction(s string) bool {
	n := 0
	for n < len(s) && isASCIILetter(s[n]) {
		n++
	}
	if n == 0 || n > 2 {
		return false
	}
	a := s[0] | 0x20
	if n == 1 {
		return a == 't' || a == 's' || a == 'm' || a == 'd'
	}
	b := s[1] | 0x20
	return (a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')
}

func isASCIILetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

func matchEmoticon(s string) string {
	for _, e := range emoticons {
		if len(s) >= len(e) && s[:len(e)] == e {
			if e == ":/" && len(s) > 2 && s[2] == '/' {
				return "" // a URL scheme, not a frown
			}
			return e
		}
	}
	return ""
}
