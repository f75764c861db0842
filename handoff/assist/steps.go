package assist

import (
	"slices"
	"strconv"
	"strings"

	"github.com/calmbot/calmbot/flows"
)

// Step is a suggested reply for a stage still ahead: the flow's own text,
// in the customer's language and, beside it, in the agent's.
type Step struct {
	Kind  flows.Kind `json:"kind"`
	State string     `json:"state"`
	// Choice is the option an agreement step repeats.
	Choice string `json:"choice,omitempty"`
	// Label names the step in the agent's language ("agree: Send a
	// replacement now").
	Label string `json:"label"`
	// Customer is the text in the customer's language, Agent in the
	// agent's; Lang and AgentLang say which those are.
	Customer  string `json:"customer"`
	Agent     string `json:"agent"`
	Lang      string `json:"lang"`
	AgentLang string `json:"agent_lang"`
}

// Progress is how far a conversation got through its flow.
type Progress struct {
	Flow string
	// State is the state the conversation reached.
	State string
	// Chosen is the id of the option the customer chose, if any.
	Chosen string
	// Lang is the customer's language, AgentLang the agent's; Channel
	// picks the texts' channel variants.
	Lang, AgentLang, Channel string
}

// NextSteps returns the flow's texts for the stages after the one p
// reached: the confirmation, the options with their solutions and time
// frames, the agreement (for the chosen option, or one per option while
// none is chosen) and the close with the channel reminder. The
// acknowledgement is never suggested: the conversation already had it.
func NextSteps(f *flows.File, p Progress) []Step {
	if f == nil || f.Flows[p.Flow] == nil {
		return nil
	}
	fl := f.Flows[p.Flow]
	lang, agentLang := f.Language(p.Lang), f.Language(p.AgentLang)
	first := firstOfKind(fl)
	reached := -1
	if st := fl.States[p.State]; st != nil {
		reached = slices.Index(flows.Stages, st.Kind)
	}
	choices := first[flows.KindChoices]
	var chosen *flows.Choice
	if choices != nil && p.Chosen != "" {
		chosen = choices.Choice(p.Chosen)
		reached = max(reached, slices.Index(flows.Stages, flows.KindChoices))
	}
	var out []Step
	step := func(kind flows.Kind, st *flows.State, c *flows.Choice, label func(lang string) string, text func(lang string) string) {
		s := Step{Kind: kind, State: st.Name, Lang: lang, AgentLang: agentLang,
			Customer: text(lang), Agent: text(agentLang), Label: string(kind)}
		if c != nil {
			s.Choice = c.ID
		}
		if l := label(agentLang); l != "" {
			s.Label += ": " + l
		}
		out = append(out, s)
	}
	none := func(string) string { return "" }
	for i, kind := range flows.Stages {
		st := first[kind]
		if st == nil || kind == flows.KindAcknowledge || i < reached || i == reached && !(kind == flows.KindChoices && chosen == nil) {
			continue
		}
		switch kind {
		case flows.KindConfirm:
			step(kind, st, nil, none, func(l string) string { return render(f, st.Say, l, p.Channel, nil) })
		case flows.KindChoices:
			step(kind, st, nil, none, func(l string) string { return optionsText(f, st, l, p.Channel) })
		case flows.KindAgree:
			for _, c := range agreeable(choices, chosen) {
				step(kind, st, c, func(l string) string { return text(c.Label, f, l, p.Channel) },
					func(l string) string { return render(f, st.Say, l, p.Channel, c) })
			}
		case flows.KindClose:
			step(kind, st, nil, none, func(l string) string {
				say := render(f, st.Say, l, p.Channel, nil)
				if !strings.Contains(text(st.Say, f, l, p.Channel), "{channels}") {
					say = strings.TrimSpace(say + " " + text(f.Texts.Channels, f, l, p.Channel))
				}
				return say
			})
		}
	}
	return out
}

// agreeable returns the options an agreement can repeat: the chosen one,
// or while none is, every option that has an agreement.
func agreeable(choices *flows.State, chosen *flows.Choice) []*flows.Choice {
	if chosen != nil {
		if chosen.Agree == nil {
			return nil
		}
		return []*flows.Choice{chosen}
	}
	if choices == nil {
		return nil
	}
	var out []*flows.Choice
	for _, c := range choices.Choices {
		if c != nil && c.Agree != nil {
			out = append(out, c)
		}
	}
	return out
}

// optionsText is a choices state's text with its options numbered, each
// with its solution and time frame when it has an agreement.
func optionsText(f *flows.File, st *flows.State, lang, channel string) string {
	var b strings.Builder
	b.WriteString(render(f, st.Say, lang, channel, nil))
	for i, c := range st.Choices {
		if c == nil {
			continue
		}
		b.WriteString("\n" + strconv.Itoa(i+1) + ". " + text(c.Label, f, lang, channel))
		if a := c.Agree; a != nil {
			b.WriteString(": " + text(a.Solution, f, lang, channel) + " (" + text(a.TimeFrame, f, lang, channel) + ")")
		}
	}
	return b.String()
}

// firstOfKind returns, for each stage kind, the first state of that kind
// met walking the flow from its start (next, then `on` in source order):
// the main path's confirm, not the clarifying one.
func firstOfKind(fl *flows.Flow) map[flows.Kind]*flows.State {
	out := map[flows.Kind]*flows.State{}
	seen := map[string]bool{fl.Start: true}
	queue := []string{fl.Start}
	for len(queue) > 0 {
		st := fl.States[queue[0]]
		queue = queue[1:]
		if st == nil {
			continue
		}
		if _, ok := out[st.Kind]; !ok {
			out[st.Kind] = st
		}
		next := []string{st.Next}
		for _, ev := range st.Events() {
			next = append(next, st.On[ev])
		}
		for _, n := range next {
			if _, ok := fl.States[n]; ok && !seen[n] {
				seen[n] = true
				queue = append(queue, n)
			}
		}
	}
	return out
}

// text returns t in lang on channel, else in the file's default language.
func text(t flows.Text, f *flows.File, lang, channel string) string {
	if s, ok := t.Get(lang, channel); ok {
		return s
	}
	s, _ := t.Get(f.DefaultLanguage, channel)
	return s
}

// render fills t's placeholders in lang: {solution}, {time_frame},
// {next_steps} and {choice} from option c, {channels} from texts.channels.
// Others stay as written, for the agent to fill.
func render(f *flows.File, t flows.Text, lang, channel string, c *flows.Choice) string {
	vars := map[string]string{"channels": text(f.Texts.Channels, f, lang, channel)}
	if c != nil {
		vars["choice"] = text(c.Label, f, lang, channel)
		if a := c.Agree; a != nil {
			vars["solution"] = text(a.Solution, f, lang, channel)
			vars["time_frame"] = text(a.TimeFrame, f, lang, channel)
			vars["next_steps"] = text(a.NextSteps, f, lang, channel)
		}
	}
	s := text(t, f, lang, channel)
	for k, v := range vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}
