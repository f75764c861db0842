package assist_test

import (
	"strings"
	"testing"

	"github.com/calmbot/calmbot"
	"github.com/calmbot/calmbot/flows"
	"github.com/calmbot/calmbot/handoff/assist"
)

func defaultFlows(t *testing.T) *flows.File {
	t.Helper()
	f, err := flows.Parse("flows.yaml", calmbot.DefaultFlows())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestNextSteps(t *testing.T) {
	f := defaultFlows(t)
	tests := []struct {
		name string
		p    assist.Progress
		want []string // kind[:choice] of each step
	}{
		{"handed off at the confirmation", assist.Progress{Flow: "late_delivery", State: "confirm", Lang: "fi", AgentLang: "en"},
			[]string{"choices", "agree:trace", "agree:resend", "close"}},
		{"handed off at the acknowledgement", assist.Progress{Flow: "late_delivery", State: "acknowledge", Lang: "de", AgentLang: "en"},
			[]string{"confirm", "choices", "agree:trace", "agree:resend", "close"}},
		{"options offered, none chosen", assist.Progress{Flow: "late_delivery", State: "options", Lang: "it", AgentLang: "en"},
			[]string{"choices", "agree:trace", "agree:resend", "close"}},
		{"option chosen", assist.Progress{Flow: "late_delivery", State: "options", Chosen: "resend", Lang: "fi", AgentLang: "en"},
			[]string{"agree:resend", "close"}},
		{"chosen option needs a person", assist.Progress{Flow: "late_delivery", State: "options", Chosen: "refund", Lang: "en"},
			[]string{"close"}},
		{"agreed", assist.Progress{Flow: "late_delivery", State: "agree", Chosen: "trace", Lang: "en"}, []string{"close"}},
		{"no flow", assist.Progress{Lang: "en"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range assist.NextSteps(f, tt.p) {
				k := string(s.Kind)
				if s.Choice != "" {
					k += ":" + s.Choice
				}
				got = append(got, k)
				if strings.Contains(s.Customer, "{") || strings.Contains(s.Agent, "{") {
					t.Errorf("step %s: unfilled placeholder in %q / %q", k, s.Customer, s.Agent)
				}
				if s.Customer == "" || s.Agent == "" || s.Lang != f.Language(tt.p.Lang) {
					t.Errorf("step %s: %+v", k, s)
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("NextSteps = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestNextStepsFinnishAgreement: an agent who reads English gets the
// Finnish agreement for the chosen option with its time frame, and the
// English beside it.
func TestNextStepsFinnishAgreement(t *testing.T) {
	steps := assist.NextSteps(defaultFlows(t), assist.Progress{Flow: "late_delivery", State: "options", Chosen: "resend", Lang: "fi", AgentLang: "en"})
	if len(steps) == 0 {
		t.Fatal("no steps")
	}
	got := steps[0]
	for _, want := range []string{"lähetämme sinulle korvaavan paketin pikatoimituksena", "perillä 2–3 arkipäivässä"} {
		if !strings.Contains(got.Customer, want) {
			t.Errorf("customer text %q lacks %q", got.Customer, want)
		}
	}
	if !strings.Contains(got.Agent, "it arrives in 2 to 3 working days") || got.Label != "agree: Send a replacement now" {
		t.Errorf("agent side %q label %q", got.Agent, got.Label)
	}
	last := steps[len(steps)-1]
	if last.Kind != flows.KindClose || !strings.Contains(last.Customer, "help@example.com") {
		t.Errorf("close step %+v: want the channel reminder", last)
	}
}

// TestStepsPassTheRules: the flow's own texts, as suggested, get no hints
// in any language (the linter holds the bot to the same rules).
func TestStepsPassTheRules(t *testing.T) {
	f := defaultFlows(t)
	for name := range f.Flows {
		for _, lang := range f.Languages {
			for _, s := range assist.NextSteps(f, assist.Progress{Flow: name, State: "acknowledge", Lang: lang}) {
				if h := assist.Check(s.Customer, assist.Context{Lang: lang}); len(h) > 0 {
					t.Errorf("%s %s %s: %q gets %+v", name, lang, s.Label, s.Customer, h)
				}
			}
		}
	}
}
