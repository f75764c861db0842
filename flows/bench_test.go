package flows

import (
	"os"
	"testing"
)

// BenchmarkCheck measures Parse, Validate and Lint of the repository's
// flows.yaml, or of testdata/good.yaml when there is none.
func BenchmarkCheck(b *testing.B) {
	data, err := os.ReadFile("../flows.yaml")
	if err != nil {
		data, err = os.ReadFile("testdata/good.yaml")
	}
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		f, err := Parse("flows.yaml", data)
		if err != nil {
			b.Fatal(err)
		}
		if ds := append(f.Validate(), f.Lint()...); ds.HasErrors() {
			b.Fatal(ds)
		}
	}
}
