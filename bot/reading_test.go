package bot_test

import (
	"strings"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/flows"
)

// readingFlows loads the default flows with the real analyzer.
func readingFlows(t *testing.T) (*bottest.Harness, *flows.File) {
	t.Helper()
	f := bottest.LoadFlows(t, "../flows.yaml")
	return bottest.New(t, f), f
}

func joined(rs []bot.Reply) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Text)
		b.WriteString("\n")
	}
	return b.String()
}

// TestGoodbyeAfterEnd checks that "thanks, bye" after the farewell gets the
// goodbye text and keeps the conversation ended, in every language; it got
// "Could you tell me a little more about what happened?" (issue 12).
func TestGoodbyeAfterEnd(t *testing.T) {
	h, f := readingFlows(t)
	tests := []struct {
		lang    string
		turns   []string
		goodbye []string
	}{
		{"en", []string{"I was charged twice for the same order", "yes", "1", "yes", "no, thank you"}, []string{"thanks, bye", "ok thank you, goodbye"}},
		{"it", []string{"Mi avete addebitato due volte lo stesso ordine", "sì, esatto", "1", "sì, va bene", "no, grazie"}, []string{"grazie, arrivederci", "grazie mille, buona giornata"}},
		{"de", []string{"Der bestellte Artikel ist nicht auf Lager", "ja, genau", "2", "ja, passt", "nein danke"}, []string{"danke, tschüss", "danke schön, auf Wiedersehen"}},
		{"fi", []string{"Tuote saapui rikki", "kyllä", "1", "kyllä, sopii", "ei kiitos"}, []string{"kiitos, heippa", "kiitos paljon, hyvää päivänjatkoa"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			c := h.Chat(tt.lang)
			for _, s := range tt.turns {
				c.Say(s)
			}
			if st := c.Snapshot().Status; st != bot.StatusEnded {
				t.Fatalf("after the conversation: status %s, want ended", st)
			}
			want := f.Texts.Goodbye.All(tt.lang)
			for _, g := range tt.goodbye {
				got := joined(c.Say(g))
				if len(want) == 0 || strings.TrimSpace(got) != want[0] {
					t.Errorf("%q after the end: replies %q, want %q", g, got, want)
				}
				if snap := c.Snapshot(); snap.Status != bot.StatusEnded {
					t.Errorf("%q after the end: status %s, want ended", g, snap.Status)
				}
			}
			// A new concern after the goodbye starts again.
			c.Say(tt.turns[0])
			if snap := c.Snapshot(); snap.Status != bot.StatusBot || snap.Flow == "" {
				t.Errorf("a concern after the goodbye: status %s flow %q, want a new flow", snap.Status, snap.Flow)
			}
		})
	}
}

// TestChatterFirstMessage checks that a lone yes, no or filler as the first
// message gets the welcome and starts no flow ("no" started out_of_stock,
// "ja" damaged_item, "non" and "ei" late_delivery).
func TestChatterFirstMessage(t *testing.T) {
	h, f := readingFlows(t)
	for _, tt := range []struct{ locale, text string }{
		{"en", "no"}, {"en", "ok"}, {"en", "no, thanks"}, {"", "no"},
		{"it", "non"}, {"it", "no"}, {"", "non"},
		{"de", "ja"}, {"de", "nein"}, {"", "ja"},
		{"fi", "ei"}, {"fi", "joo"}, {"", "ei"},
	} {
		c := h.Chat(tt.locale)
		got := joined(c.Say(tt.text))
		if snap := c.Snapshot(); snap.Flow != "" || snap.Status != bot.StatusBot {
			t.Errorf("%s %q first: flow %q status %s, want no flow", tt.locale, tt.text, snap.Flow, snap.Status)
		}
		if !containsAny(got, f.Texts.Welcome, f.Texts.Clarify) {
			t.Errorf("%s %q first: replies %q, want the welcome or the clarifying text", tt.locale, tt.text, got)
		}
	}
}

// TestOffTopicFirstMessage checks that a question no concern flow covers
// never starts one (issue 12: late_delivery began): it gets the answer the
// flows keep for it (issue 13), or, when they keep none, the clarifying
// text.
func TestOffTopicFirstMessage(t *testing.T) {
	h, f := readingFlows(t)
	for _, tt := range []struct{ locale, text, answer string }{
		{"en", "can I change my delivery address?", "delivery_address"},
		{"en", "where is my invoice?", "invoice"},
		{"en", "my password reset email never came", "password_reset"},
		{"it", "vorrei cambiare l'indirizzo di consegna", "delivery_address"},
		{"de", "kann ich meine Lieferadresse ändern?", "delivery_address"},
		{"fi", "voinko vaihtaa toimitusosoitteen?", "delivery_address"},
		{"en", "how do I wash this sweater", ""},
		{"en", "are you hiring?", ""},
		{"it", "state assumendo?", ""},
		{"de", "wie schreibe ich eine Bewertung", ""},
	} {
		c := h.Chat(tt.locale)
		got := joined(c.Say(tt.text))
		snap := c.Snapshot()
		if tt.answer != "" {
			if want := flows.AnswerPrefix + tt.answer; snap.Flow != want {
				t.Errorf("%s %q: flow %q, want %s", tt.locale, tt.text, snap.Flow, want)
			}
			continue
		}
		if snap.Flow != "" {
			t.Errorf("%s %q: flow %q, want none", tt.locale, tt.text, snap.Flow)
		}
		if !containsAny(got, f.Texts.Welcome, f.Texts.Clarify) {
			t.Errorf("%s %q: replies %q, want the welcome or the clarifying text", tt.locale, tt.text, got)
		}
	}
}

// containsAny reports whether s contains a variant of one of the texts in
// any language.
func containsAny(s string, texts ...flows.Text) bool {
	for _, t := range texts {
		for _, l := range []string{"en", "it", "de", "fi"} {
			for _, v := range t.All(l) {
				if strings.Contains(s, v) {
					return true
				}
			}
		}
	}
	return false
}

// TestEndedBeforeNewConcern checks that a customer who writes again after
// the conversation ended is told with texts.ended that the last one is
// closed, before the new concern is answered, in every language; the
// text was never sent (so a handoff's summary, which starts at it, held
// the earlier conversation too).
func TestEndedBeforeNewConcern(t *testing.T) {
	h, f := readingFlows(t)
	tests := []struct {
		lang  string
		turns []string
	}{
		{"en", []string{"I was charged twice for the same order", "yes", "1", "yes", "no, thank you"}},
		{"it", []string{"Mi avete addebitato due volte lo stesso ordine", "sì, esatto", "1", "sì, va bene", "no, grazie"}},
		{"de", []string{"Der bestellte Artikel ist nicht auf Lager", "ja, genau", "2", "ja, passt", "nein danke"}},
		{"fi", []string{"Tuote saapui rikki", "kyllä", "1", "kyllä, sopii", "ei kiitos"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			c := h.Chat(tt.lang)
			for _, s := range tt.turns {
				if got := joined(c.Say(s)); containsAny(got, f.Texts.Ended) {
					t.Errorf("%q in the first conversation: replies %q hold texts.ended", s, got)
				}
			}
			if st := c.Snapshot().Status; st != bot.StatusEnded {
				t.Fatalf("after the conversation: status %s, want ended", st)
			}
			rs := c.Say(tt.turns[0])
			want := f.Texts.Ended.All(tt.lang)
			if len(rs) < 2 || len(want) == 0 || rs[0].Text != want[0] {
				t.Fatalf("a new concern after the end: replies %q, want %q first and the new flow's answer", joined(rs), want)
			}
			if snap := c.Snapshot(); snap.Status != bot.StatusBot || snap.Flow == "" {
				t.Errorf("a new concern after the end: status %s flow %q, want a new flow", snap.Status, snap.Flow)
			}
			// The next turn of the new conversation is answered as usual.
			if got := joined(c.Say(tt.turns[1])); containsAny(got, f.Texts.Ended) {
				t.Errorf("the second turn again: replies %q hold texts.ended", got)
			}
		})
	}
}
