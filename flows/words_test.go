package flows

import (
	"slices"
	"testing"
)

func TestFindPhrases(t *testing.T) {
	tests := []struct {
		lang, text string
		list       map[string][]string
		want       []string
	}{
		{"en", "Unfortunately we can’t do that.", negativeWords, []string{"unfortunately", "can't"}},
		{"en", "No problems here, it is problematic", negativeWords, []string{"problems", "problematic"}},
		{"en", "We can not and cannot and won't", negativeWords, []string{"cannot", "can not", "won't"}},
		{"en", "Thank you for telling us, we can send it today.", negativeWords, nil},
		{"it", "Purtroppo c'è un problema: non possiamo farlo.", negativeWords, []string{"purtroppo", "problema", "non possiamo"}},
		{"it", "Due problemi, e non può aspettare", negativeWords, []string{"problemi", "non può"}},
		{"it", "Grazie per avercelo detto.", negativeWords, nil},
		{"de", "Leider gibt es ein Problem, das kann nicht warten.", negativeWords, []string{"leider", "problem", "kann nicht"}},
		{"de", "Probleme? Wir können nicht helfen.", negativeWords, []string{"probleme", "können nicht"}},
		{"de", "Danke, dass Sie uns das sagen. Können Sie mir mehr erzählen?", negativeWords, nil},
		{"fi", "Valitettavasti ongelman korjaus ei voi alkaa, emme voi.", negativeWords, []string{"ongelman", "valitettavasti", "ei voi", "emme voi"}},
		{"fi", "Ongelmia oli monta.", negativeWords, []string{"ongelmia"}},
		{"fi", "Kiitos, että kerroit.", negativeWords, nil},
		{"en", "Sorry! We apologise, and apologies again.", apologyWords, []string{"sorry", "apologise", "apologies"}},
		{"it", "Ci scusiamo, mi dispiace.", apologyWords, []string{"scusiamo", "mi dispiace"}},
		{"de", "Entschuldigen Sie, das tut uns leid.", apologyWords, []string{"entschuldigen", "tut uns leid"}},
		{"fi", "Pahoittelemme, anteeksi.", apologyWords, []string{"pahoittelemme", "anteeksi"}},
		{"en", "Please call us or send us an e-mail.", channelSwitchWords, []string{"call us", "send us an e-mail"}},
		{"en", "Thank you for taking the time to write to us.", channelSwitchWords, nil},
		{"it", "Chiamaci oppure scrivici un'e-mail.", channelSwitchWords, []string{"chiamaci", "scrivici un'e-mail"}},
		{"de", "Rufen Sie uns gern an.", channelSwitchWords, []string{"rufen sie uns"}},
		{"de", "Schauen wir uns an, was passiert ist.", channelSwitchWords, nil},
		{"fi", "Soita meille tai lähetä meille sähköpostia.", channelSwitchWords, []string{"soita meille", "lähetä meille sähköpostia"}},
		{"it", "Meglio se ci chiama o ci scriva una mail.", channelSwitchWords, []string{"ci scriva una mail", "ci chiama"}},
		{"fi", "Nopeampaa on, jos soitat meille.", channelSwitchWords, []string{"soitat meille"}},
		{"de", "Das tut mir wirklich leid.", apologyWords, []string{"tut mir wirklich leid"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			got := findPhrases(tt.text, tt.list[tt.lang])
			if !slices.Equal(got, tt.want) {
				t.Errorf("findPhrases(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestWordAccessors(t *testing.T) {
	for _, lang := range []string{"en", "it", "de", "fi"} {
		for name, got := range map[string][]string{"negative": NegativeWords(lang), "apology": ApologyWords(lang), "channel": ChannelSwitchWords(lang)} {
			if len(got) == 0 {
				t.Errorf("%s %s words: empty", lang, name)
			}
		}
		got := NegativeWords(lang)
		got[0] = "changed"
		if NegativeWords(lang)[0] == "changed" {
			t.Errorf("%s: NegativeWords returns the linter's own list", lang)
		}
	}
	if NegativeWords("xx") != nil {
		t.Error("NegativeWords(xx) is not nil")
	}
}
