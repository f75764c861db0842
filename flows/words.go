package flows

import (
	"path"
	"slices"
	"strings"
	"unicode"
)

// The word lists of the lint rules, per language. Each entry is a phrase of
// lower-case words; a word may hold * for any letters (path.Match syntax),
// which covers inflections: "ongelm*" matches ongelma, ongelman, ongelmia.
// Apostrophes are normalised to ', so "can't" matches "can’t" too.
var (
	negativeWords = map[string][]string{
		"en": {"problem*", "unfortunately", "can't", "cannot", "can not", "won't", "unable", "impossible"},
		"it": {"purtroppo", "problema", "problemi", "problematic*", "non può", "non possiamo", "non posso",
			"non possono", "impossibile"},
		"de": {"leider", "problem", "probleme", "problemen", "problems", "problematisch*", "kann nicht",
			"können nicht", "kann ich nicht", "können wir nicht", "nicht möglich", "unmöglich"},
		"fi": {"ongelm*", "valitettavasti", "ei voi", "emme voi", "en voi", "eivät voi", "mahdoton*"},
	}
	apologyWords = map[string][]string{
		"en": {"sorry", "apolog*"},
		"it": {"scus*", "mi dispiace", "ci dispiace", "spiacent*"},
		"de": {"entschuldig*", "tut uns leid", "tut mir leid", "tut uns sehr leid", "tut mir sehr leid",
			"tut uns wirklich leid", "tut mir wirklich leid", "bedauer*"},
		"fi": {"pahoittel*", "anteeksi"},
	}
	// websiteWords send the customer to the website ("look it up on our
	// website"): fine with the link, not without.
	websiteWords = map[string][]string{
		"en": {"our website", "our web site", "our site", "the website", "our homepage", "our web page*", "look it up online",
			"our help pages", "our help centre", "our help center", "our faq*"},
		"it": {"nostro sito", "sul sito", "sito web", "sito internet", "nostra pagina web", "nostre faq", "nostro centro assistenza"},
		"de": {"unsere* website", "unsere* webseite", "unsere* homepage", "unsere* internetseite", "auf der website",
			"auf der webseite", "im internet nach*", "unsere* faq*", "unsere* hilfeseite*", "unsere* hilfecenter"},
		"fi": {"verkkosivu*", "kotisivu*", "nettisivu*", "sivustolta*", "sivustollamme", "ukk-sivu*", "ohjesivu*"},
	}
	channelSwitchWords = map[string][]string{
		"en": {"call us", "phone us", "ring us", "give us a call", "e-mail us", "email us",
			"send us an e-mail", "send us an email", "write us an e-mail", "write us an email",
			"contact us by phone", "contact us by e-mail", "contact us by email"},
		"it": {"chiamaci", "chiamateci", "ci chiami", "ci chiamate", "telefonaci", "telefonateci",
			"ci telefoni", "ci telefonate", "scriveteci", "scrivici un*mail", "scrivici una *mail",
			"mandaci un*mail", "mandaci una *mail", "inviaci un*mail", "inviaci una *mail",
			"ci scriva una *mail", "ci scriva un*mail", "ci mandi una *mail", "ci mandi un*mail",
			"ci invii una *mail", "ci invii un*mail", "ci telefona", "ci chiama"},
		"de": {"rufen sie uns", "ruf uns an", "uns anrufen", "schreiben sie uns eine *mail",
			"schreib uns eine *mail", "schicken sie uns eine *mail", "senden sie uns eine *mail",
			"kontaktieren sie uns telefonisch", "kontaktieren sie uns per *mail"},
		"fi": {"soita meille", "soittakaa meille", "soitatko meille", "soitat meille", "soitatte meille", "lähetä meille sähköpost*",
			"lähettäkää meille sähköpost*", "ota yhteyttä puhelimitse", "ottakaa yhteyttä puhelimitse"},
	}
)

// words splits s into lower-case words: letters, digits and the
// apostrophes and hyphens inside them.
func words(s string) []string {
	s = strings.NewReplacer("’", "'", "‘", "'", "ʼ", "'").Replace(strings.ToLower(s))
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '-'
	})
	out := fields[:0]
	for _, w := range fields {
		if w = strings.Trim(w, "'-"); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// findPhrases returns the phrases of list found in s, as the words of s
// that matched, in list order, once per occurrence.
func findPhrases(s string, list []string) []string {
	ws := words(s)
	var found []string
	for _, phrase := range list {
		pw := strings.Fields(phrase)
		for i := 0; i+len(pw) <= len(ws); i++ {
			if matchWords(pw, ws[i:i+len(pw)]) {
				found = append(found, strings.Join(ws[i:i+len(pw)], " "))
			}
		}
	}
	return found
}

func matchWords(pattern, ws []string) bool {
	for i, p := range pattern {
		if ok, err := path.Match(p, ws[i]); err != nil || !ok {
			return false
		}
	}
	return true
}

// NegativeWords returns the negative-sounding phrases the linter flags in
// lang (nil for a language it has no list for), in the syntax of the lists
// above, for other checkers of wording (the agent assist).
func NegativeWords(lang string) []string { return slices.Clone(negativeWords[lang]) }

// ApologyWords returns the apology phrases of lang, as NegativeWords does.
func ApologyWords(lang string) []string { return slices.Clone(apologyWords[lang]) }

// ChannelSwitchWords returns the phrases of lang that send the customer to
// another channel, as NegativeWords does.
func ChannelSwitchWords(lang string) []string { return slices.Clone(channelSwitchWords[lang]) }
