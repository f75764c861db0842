package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/calmbot/calmbot"
	"github.com/calmbot/calmbot/flows"
)

// BenchmarkAnalyzeStream measures `calmbot analyze` end to end (JSON in,
// analysis, JSON out) on realistic customer messages; set CALMBOT_ANALYZE_INPUT
// to a JSON-lines file to measure on other text.
func BenchmarkAnalyzeStream(b *testing.B) {
	f, err := flows.Parse("flows.yaml", calmbot.DefaultFlows())
	if err != nil {
		b.Fatal(err)
	}
	an, err := analyzer(f)
	if err != nil {
		b.Fatal(err)
	}
	var in []byte
	if p := os.Getenv("CALMBOT_ANALYZE_INPUT"); p != "" {
		if in, err = os.ReadFile(p); err != nil {
			b.Fatal(err)
		}
	} else {
		var buf bytes.Buffer
		msgs := []string{
			"my parcel still has not arrived and I am really annoyed",
			"Mi avete addebitato due volte lo stesso ordine, è inaccettabile",
			"Das Paket kam kaputt an, ich will mit einem Menschen sprechen",
			"tilaamani tuote on loppu varastosta, milloin saan sen?",
			"yes please, the second option",
			"thank you, that's all",
		}
		for i := range 60000 {
			fmt.Fprintf(&buf, "{\"id\":%d,\"text\":%q}\n", i, msgs[i%len(msgs)])
		}
		in = buf.Bytes()
	}
	lines := bytes.Count(in, []byte("\n"))
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for range b.N {
		if _, err := analyzeStream(context.Background(), an, bytes.NewReader(in), io.Discard, 2); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
}
