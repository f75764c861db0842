package assist_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/calmbot/calmbot/handoff/assist"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		draft string
		ctx   assist.Context
		want  []string // rule:text of each hint
	}{
		{"negative with span", "Thanks! Unfortunately it is late.", assist.Context{Lang: "en"},
			[]string{"negative_word:Unfortunately"}},
		{"curly apostrophe", "We can’t.", assist.Context{Lang: "en-GB"}, []string{"negative_word:can’t"}},
		{"no problem", "No problem, I can't wait to help.", assist.Context{Lang: "en"}, nil},
		{"quoted", `You wrote "unfortunately I can't log in".`, assist.Context{Lang: "en"}, nil},
		{"quote ends with its line", "You wrote \"hello\nUnfortunately", assist.Context{Lang: "en"},
			[]string{"negative_word:Unfortunately"}},
		{"first apology", "Sorry for the wait.", assist.Context{Lang: "en"}, nil},
		{"second apology", "Sorry for the wait.", assist.Context{Lang: "en", Earlier: []string{"We apologise."}},
			[]string{"second_apology:Sorry"}},
		{"blame", "As I already said, it ships Monday.", assist.Context{Lang: "en"}, []string{"blame:As I already said"}},
		{"expectation is no blame", "You should have received it today.", assist.Context{Lang: "en"}, nil},
		{"promise", "We'll fix it.", assist.Context{Lang: "en"}, []string{"promise_no_time:We'll fix"}},
		{"promise with time", "We'll fix it by Friday.", assist.Context{Lang: "en"}, nil},
		{"promise with number", "We'll fix it in 2 days.", assist.Context{Lang: "en"}, nil},
		{"time frame in its own sentence", "We'll fix it. Time frame: by tomorrow.", assist.Context{Lang: "en"}, nil},
		{"channel", "Please call us.", assist.Context{Lang: "en"}, []string{"channel_switch:call us"}},
		{"one option", "I can send a replacement.", assist.Context{Lang: "en", Options: 3},
			[]string{"one_option:I can send a replacement"}},
		{"one option chosen already", "I can send a replacement.", assist.Context{Lang: "en"}, nil},
		{"two options", "I can send a replacement or refund it.", assist.Context{Lang: "en", Options: 3}, nil},
		{"german quotes", "Sie schreiben „leider geht es nicht“.", assist.Context{Lang: "de"}, nil},
		{"guillemets", "Ha scritto «purtroppo non va».", assist.Context{Lang: "it"}, nil},
		{"finnish", "Valitettavasti se on loppu.", assist.Context{Lang: "fi"}, []string{"negative_word:Valitettavasti"}},
		{"unknown language", "Unfortunately.", assist.Context{Lang: "sv"}, nil},
		{"empty", "", assist.Context{Lang: "en"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, h := range assist.Check(tt.draft, tt.ctx) {
				got = append(got, string(h.Rule)+":"+h.Text)
				if h.Why == "" || h.Why != assist.Why(h.Rule) {
					t.Errorf("hint %+v: why %q", h, h.Why)
				}
				if tt.draft[h.Span.Start:h.Span.End] != h.Text {
					t.Errorf("hint %+v: span does not hold its text", h)
				}
				if h.Rule != assist.RuleApology && len(h.Alternatives) == 0 && h.Rule != assist.RuleNegative {
					t.Errorf("hint %+v: no alternatives", h)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Check(%q) = %q, want %q", tt.draft, got, tt.want)
			}
		})
	}
}

func TestEveryRuleHasWhyAndAlternatives(t *testing.T) {
	for _, r := range assist.Rules {
		if w := assist.Why(r); w == "" || strings.Contains(w, "\n") {
			t.Errorf("rule %s: why %q, want one line", r, w)
		}
	}
	h := assist.Check("Unfortunately it's a problem.", assist.Context{Lang: "en"})
	if len(h) != 2 || len(h[0].Alternatives) == 0 || len(h[1].Alternatives) == 0 {
		t.Errorf("negative hints %+v: want alternatives on both", h)
	}
}

// FuzzCheck checks that any draft gets hints whose spans hold their text.
func FuzzCheck(f *testing.F) {
	for _, lang := range langs {
		for _, r := range readReplies(f, lang) {
			f.Add(r.text, lang, r.ctx.Options, len(r.ctx.Earlier) > 0)
		}
	}
	f.Fuzz(func(t *testing.T, draft, lang string, options int, apologised bool) {
		c := assist.Context{Lang: lang, Options: options}
		if apologised {
			c.Earlier = []string{draft}
		}
		for _, h := range assist.Check(draft, c) {
			if h.Span.Start < 0 || h.Span.End > len(draft) || h.Span.Start >= h.Span.End {
				t.Fatalf("hint %+v: span outside %q", h, draft)
			}
			if draft[h.Span.Start:h.Span.End] != h.Text || (utf8.ValidString(draft) && !utf8.ValidString(h.Text)) {
				t.Fatalf("hint %+v: text is not the span of %q", h, draft)
			}
		}
	})
}

func TestFormat(t *testing.T) {
	if got := assist.Format(nil); got != "" {
		t.Errorf("Format(nil) = %q", got)
	}
	got := assist.Format(assist.Check("Unfortunately. Please call us.", assist.Context{Lang: "en"}))
	want := "Hints on your reply (only agents see this):\n" +
		"• “Unfortunately”: " + assist.Why(assist.RuleNegative) + " Try: Here is what I can do: · The good news is\n" +
		"• “call us”: " + assist.Why(assist.RuleChannel) + " Try: I'll take care of it right here in this chat. · You can stay in this chat while I …"
	if got != want {
		t.Errorf("Format =\n%s\nwant\n%s", got, want)
	}
}
