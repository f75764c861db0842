package flows

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Graph writes a diagram of the flow named flowName, or of every flow when
// flowName is "", in format "mermaid" (the default when format is "") or
// "dot" (Graphviz). States are labelled with their name and kind, edges with
// their event (none for next). $end, $restart and $handoff are drawn as
// nodes of their own, as are the implicit edges: a close's default
// anything_else targets and the handoffs of choices. The answers follow
// the flows, as the flows the engine runs for them (AnswerFlow, named
// answer:<name>), with the flow or answer a "no" leads to as a node.
func (f *File) Graph(w io.Writer, format string, flowName string) error {
	names := f.FlowNames()
	for _, a := range f.AnswerNames() {
		names = append(names, AnswerPrefix+a)
	}
	if flowName != "" {
		if f.flow(flowName) == nil {
			return fmt.Errorf("graph: no flow %q", flowName)
		}
		names = []string{flowName}
	}
	var graphs []flowGraph
	for _, n := range names {
		graphs = append(graphs, buildGraph(f.flow(n)))
	}
	bw := bufio.NewWriter(w)
	switch format {
	case "", "mermaid":
		writeMermaid(bw, graphs)
	case "dot":
		writeDot(bw, graphs)
	default:
		return fmt.Errorf("graph: unknown format %q: want mermaid or dot", format)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("graph: %w", err)
	}
	return nil
}

type graphNode struct {
	id    string // unique in the flow: a state name, "$start", or a reserved target
	label string
	kind  string // a state kind, "start", or "reserved"
}

type graphEdge struct {
	from, to, label string
}

type flowGraph struct {
	name  string
	nodes []graphNode
	edges []graphEdge
}

func buildGraph(fl *Flow) flowGraph {
	g := flowGraph{name: fl.Name}
	g.nodes = append(g.nodes, graphNode{id: "$start", label: "start", kind: "start"})
	if fl.Start != "" {
		g.edges = append(g.edges, graphEdge{from: "$start", to: fl.Start})
	}
	if _, ok := IsAnswer(fl.Name); ok {
		g.edges = append(g.edges, graphEdge{from: "$start", to: AnswerStateAcknowledge, label: "upset"})
	}
	used := map[string]bool{}
	for _, sn := range fl.StateNames() {
		s := fl.States[sn]
		g.nodes = append(g.nodes, graphNode{id: sn, label: sn, kind: string(s.Kind)})
		add := func(to, label string) {
			g.edges = append(g.edges, graphEdge{from: sn, to: to, label: label})
			if isReserved(to) || strings.HasPrefix(to, TargetFlow) {
				used[to] = true
			}
		}
		for _, e := range s.edges() {
			add(e.to, e.event)
		}
		if s.Kind == KindClose {
			for _, ev := range []string{EventAnythingElseYes, EventAnythingElseNo} {
				if _, ok := s.On[ev]; !ok {
					to, _ := s.Target(ev)
					add(to, ev)
				}
			}
		}
		for _, c := range s.Choices {
			if c.Handoff != nil {
				add(TargetHandoff, EventChose+":"+c.ID)
			}
		}
	}
	for _, r := range []string{TargetEnd, TargetRestart, TargetHandoff} {
		if used[r] {
			g.nodes = append(g.nodes, graphNode{id: r, label: r, kind: "reserved"})
		}
	}
	for _, sn := range fl.StateNames() {
		for _, e := range fl.States[sn].edges() {
			if other, ok := strings.CutPrefix(e.to, TargetFlow); ok && used[e.to] {
				used[e.to] = false
				g.nodes = append(g.nodes, graphNode{id: e.to, label: "→ " + other, kind: "reserved"})
			}
		}
	}
	return g
}

// mermaidID makes an identifier Mermaid accepts out of a flow and a node id.
func mermaidID(flow, id string) string {
	var b strings.Builder
	for _, r := range flow + "__" + id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		case r == '$':
			b.WriteString("S_")
		default:
			fmt.Fprintf(&b, "_%x_", r)
		}
	}
	return b.String()
}

func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;").Replace(s)
}

func writeMermaid(w io.Writer, graphs []flowGraph) {
	fmt.Fprintln(w, "flowchart TD")
	for _, g := range graphs {
		fmt.Fprintf(w, "  subgraph %s[\"%s\"]\n", mermaidID(g.name, ""), mermaidText(g.name))
		for _, n := range g.nodes {
			id := mermaidID(g.name, n.id)
			switch n.kind {
			case "start":
				fmt.Fprintf(w, "    %s((\"start\"))\n", id)
			case "reserved":
				fmt.Fprintf(w, "    %s([\"%s\"])\n", id, mermaidText(n.label))
			default:
				kind := n.kind
				if kind == "" {
					kind = "no kind"
				}
				fmt.Fprintf(w, "    %s[\"%s<br/><i>%s</i>\"]\n", id, mermaidText(n.label), mermaidText(kind))
			}
		}
		for _, e := range g.edges {
			if e.label == "" {
				fmt.Fprintf(w, "    %s --> %s\n", mermaidID(g.name, e.from), mermaidID(g.name, e.to))
				continue
			}
			fmt.Fprintf(w, "    %s -->|\"%s\"| %s\n", mermaidID(g.name, e.from), mermaidText(e.label), mermaidID(g.name, e.to))
		}
		fmt.Fprintln(w, "  end")
	}
}

func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func writeDot(w io.Writer, graphs []flowGraph) {
	fmt.Fprintln(w, "digraph flows {")
	fmt.Fprintln(w, "  node [shape=box, style=rounded];")
	for _, g := range graphs {
		fmt.Fprintf(w, "  subgraph %s {\n", dotQuote("cluster_"+g.name))
		fmt.Fprintf(w, "    label=%s;\n", dotQuote(g.name))
		id := func(n string) string { return dotQuote(g.name + "/" + n) }
		for _, n := range g.nodes {
			switch n.kind {
			case "start":
				fmt.Fprintf(w, "    %s [label=\"start\", shape=circle];\n", id(n.id))
			case "reserved":
				fmt.Fprintf(w, "    %s [label=%s, shape=doublecircle];\n", id(n.id), dotQuote(n.label))
			default:
				fmt.Fprintf(w, "    %s [label=%s];\n", id(n.id), dotQuote(n.label+"\n("+n.kind+")"))
			}
		}
		for _, e := range g.edges {
			if e.label == "" {
				fmt.Fprintf(w, "    %s -> %s;\n", id(e.from), id(e.to))
				continue
			}
			fmt.Fprintf(w, "    %s -> %s [label=%s];\n", id(e.from), id(e.to), dotQuote(e.label))
		}
		fmt.Fprintln(w, "  }")
	}
	fmt.Fprintln(w, "}")
}
