package flows

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestGraphGolden(t *testing.T) {
	f, err := Load("testdata/graph.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, format, flow string }{
		{"all.mermaid", "", ""},
		{"all.dot", "dot", ""},
		{"billing.mermaid", "mermaid", "billing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := f.Graph(&buf, tt.format, tt.flow); err != nil {
				t.Fatal(err)
			}
			golden(t, "testdata/graph/"+tt.name+".golden", buf.Bytes())
		})
	}
}

func TestGraphErrors(t *testing.T) {
	data, err := os.ReadFile("testdata/graph.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse("graph.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Graph(&buf, "svg", ""); err == nil || !strings.Contains(err.Error(), `unknown format "svg"`) {
		t.Errorf("Graph(svg) error = %v", err)
	}
	if err := f.Graph(&buf, "dot", "nope"); err == nil || !strings.Contains(err.Error(), `no flow "nope"`) {
		t.Errorf("Graph(nope) error = %v", err)
	}
}
