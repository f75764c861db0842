package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/looplab/fsm"

	"github.com/calmbot/calmbot/flows"
)

// eventNext is the fsm event of a state's `next`: move on without waiting.
const eventNext = "next"

// AnalyzerFactory builds the Analyzer for a flow file; the engine calls it
// whenever it loads a new version of the flows.
type AnalyzerFactory func(f *flows.File) (Analyzer, error)

// program is one loaded version of the flows: the file, its analyzer and the
// state machines compiled from it. It is immutable once built, so
// conversations that still run on an older version can share it.
type program struct {
	file     *flows.File
	hash     string
	analyzer Analyzer
	// machines are the flows' state machines, by flow name (answers'
	// flows included).
	machines map[string]*machine
	// choices indexes each flow's options by id.
	choices map[string]map[string]*flows.Choice
	// intentFlow maps an intent to its flow ("" for a human-only intent),
	// and each answer:<name> to the answer's flow of the same name.
	intentFlow map[string]string
	// answers are the flows run for the answers (flows.File.AnswerFlow), by
	// their name answer:<name>.
	answers map[string]*flows.Flow
}

func compile(f *flows.File, newAnalyzer AnalyzerFactory) (*program, error) {
	a, err := newAnalyzer(f)
	if err != nil {
		return nil, fmt.Errorf("build analyzer: %w", err)
	}
	p := &program{
		file:       f,
		hash:       f.Hash(),
		analyzer:   a,
		machines:   make(map[string]*machine, len(f.Flows)+len(f.Answers)),
		choices:    make(map[string]map[string]*flows.Choice, len(f.Flows)),
		intentFlow: make(map[string]string, len(f.Intents)),
	}
	for name, in := range f.Intents {
		switch {
		case in.Handoff != nil:
			p.intentFlow[name] = ""
		case in.Flow != "":
			p.intentFlow[name] = in.Flow
		default:
			p.intentFlow[name] = name
		}
	}
	p.answers = make(map[string]*flows.Flow, len(f.Answers))
	for name := range f.Answers {
		fl := f.AnswerFlow(name)
		p.answers[fl.Name] = fl
		p.intentFlow[fl.Name] = fl.Name
		p.machines[fl.Name] = newMachine(fl)
	}
	for name, fl := range f.Flows {
		p.machines[name] = newMachine(fl)
		idx := map[string]*flows.Choice{}
		for _, st := range fl.States {
			for _, c := range st.Choices {
				if _, dup := idx[c.ID]; !dup {
					idx[c.ID] = c
				}
			}
		}
		p.choices[name] = idx
	}
	return p, nil
}

// flowEvents lists a flow's transitions for looplab/fsm, defaults included.
// The reserved targets ($end, $restart, $handoff) are states of the machine
// like any other.
func flowEvents(fl *flows.Flow) []fsm.EventDesc {
	var evs []fsm.EventDesc
	add := func(ev, src, dst string) {
		evs = append(evs, fsm.EventDesc{Name: ev, Src: []string{src}, Dst: dst})
	}
	for name, st := range fl.States {
		if st.Next != "" {
			add(eventNext, name, st.Next)
		}
		for ev, dst := range st.On {
			add(ev, name, dst)
		}
		for _, c := range st.Choices {
			ev := flows.EventChose + ":" + c.ID
			if _, ok := st.On[ev]; ok {
				continue
			}
			switch {
			case c.Handoff != nil:
				add(ev, name, flows.TargetHandoff)
			case st.On[flows.EventChose] != "":
				add(ev, name, st.On[flows.EventChose])
			}
		}
		for ev, dst := range defaultTransitions(name, st) {
			if _, ok := st.On[ev]; !ok {
				add(ev, name, dst)
			}
		}
	}
	return evs
}

// defaultTransitions are the transitions a state has unless its `on` says
// otherwise.
func defaultTransitions(name string, st *flows.State) map[string]string {
	d := map[string]string{}
	if st.Next != "" || st.Kind == flows.KindHandoff {
		return d
	}
	d[flows.EventStillUpset] = name
	d[flows.EventUnclear] = name
	switch st.Kind {
	case flows.KindClose:
		d[flows.EventAnythingElseYes] = flows.TargetRestart
		d[flows.EventAnythingElseNo] = flows.TargetEnd
	case flows.KindChoices:
		d[flows.EventDenied] = name
	}
	return d
}

// machine is one flow's looplab/fsm state machine, shared by every
// conversation in the flow: a conversation's place is its snapshot's
// state, and a transition sets the machine there, fires the event and
// reads where it landed, under mu. The machine has no callbacks, so a
// transition is a map lookup, and a conversation costs no machine of its
// own (building one per conversation was 6% of the bytes allocated per
// message under the peer bench).
type machine struct {
	mu  sync.Mutex
	fsm *fsm.FSM
}

func newMachine(fl *flows.Flow) *machine {
	return &machine{fsm: fsm.NewFSM(fl.Start, flowEvents(fl), nil)}
}

// errNoMachine is fire's error for a flow the program does not have.
var errNoMachine = errors.New("no such flow")

// fire moves a conversation of flow from state on event ev and returns
// the state it lands in (from itself when ev leads back there, with
// fsm.NoTransitionError). Any other error leaves it at from.
func (p *program) fire(flow, from, ev string) (string, error) {
	m := p.machines[flow]
	if m == nil {
		return from, fmt.Errorf("fire %s in flow %q: %w", ev, flow, errNoMachine)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fsm.SetState(from)
	// The context only reaches callbacks, and the machine has none; a
	// turn's context would only be wrapped (and its cancellation
	// propagated) for nothing.
	err := m.fsm.Event(context.Background(), ev)
	return m.fsm.Current(), err
}

// flow returns a flow of the file or an answer's flow, or nil.
func (p *program) flow(name string) *flows.Flow {
	if fl, ok := p.file.Flows[name]; ok {
		return fl
	}
	return p.answers[name]
}

// state returns a flow's state, or nil.
func (p *program) state(flow, state string) *flows.State {
	fl := p.flow(flow)
	if fl == nil {
		return nil
	}
	return fl.States[state]
}

// has reports whether the program can carry a conversation at flow/state.
func (p *program) has(flow, state string) bool {
	if flow == "" {
		return true
	}
	return p.state(flow, state) != nil
}

// text returns t in lang for channel, falling back to the default language.
func (p *program) text(t flows.Text, lang, channel string) string {
	if s, ok := t.Get(lang, channel); ok {
		return s
	}
	s, _ := t.Get(p.file.DefaultLanguage, channel)
	return s
}

// renderer fills the placeholders of one reply.
type renderer struct {
	p       *program
	lang    string
	channel string
	choice  *flows.Choice
	offered []Choice
	vars    map[string]string
	// missing collects the placeholders render could not fill: a text
	// that has any must never reach a customer.
	missing []string
}

// choicePlaceholders are filled from the option the customer chose.
var choicePlaceholders = []string{"choice", "solution", "time_frame", "next_steps"}

// render returns t with its placeholders filled; those it cannot fill are
// left as they are and added to r.missing.
func (r *renderer) render(t flows.Text) string {
	s := r.p.text(t, r.lang, r.channel)
	if strings.IndexByte(s, '{') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 64)
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		name := s[i+1 : i+j]
		if v, ok := r.value(name); ok {
			b.WriteString(v)
		} else {
			b.WriteString(s[i : i+j+1])
			if slices.Contains(flows.Placeholders, name) && !slices.Contains(r.missing, name) {
				r.missing = append(r.missing, name)
			}
		}
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String()
}

func (r *renderer) value(name string) (string, bool) {
	if v, ok := r.vars[name]; ok {
		return v, true
	}
	switch name {
	case "channels":
		return r.p.text(r.p.file.Texts.Channels, r.lang, r.channel), true
	case "choices":
		var b strings.Builder
		for i, c := range r.offered {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(strconv.Itoa(i + 1))
			b.WriteString(". ")
			b.WriteString(c.Label)
		}
		return b.String(), true
	}
	if r.choice == nil {
		return "", false
	}
	switch name {
	case "choice":
		return r.p.text(r.choice.Label, r.lang, r.channel), true
	}
	if r.choice.Agree == nil {
		return "", false
	}
	switch name {
	case "solution":
		return r.p.text(r.choice.Agree.Solution, r.lang, r.channel), true
	case "time_frame":
		return r.p.text(r.choice.Agree.TimeFrame, r.lang, r.channel), true
	case "next_steps":
		return r.p.text(r.choice.Agree.NextSteps, r.lang, r.channel), true
	}
	return "", false
}
