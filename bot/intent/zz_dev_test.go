package intent

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
)

func TestZZDev(t *testing.T) {
	data, _ := os.ReadFile("../../flows.yaml")
	f, err := flows.Parse("flows.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Leave one out.
	right := map[string][2]int{}
	names := []string{}
	for n := range f.Intents {
		names = append(names, n)
	}
	sort.Strings(names)
	var misses []string
	for _, name := range names {
		in := f.Intents[name]
		for lang, list := range in.Examples {
			for k := range list {
				held := list[k]
				rest := append(append([]string(nil), list[:k]...), list[k+1:]...)
				in.Examples[lang] = rest
				a, _ := New(f)
				in.Examples[lang] = list
				got := a.Analyze(ctx, bot.AnalyzeInput{Text: held, Lang: lang})
				c := right[lang]
				c[1]++
				if got.InScope && got.Intent == name {
					c[0]++
				} else {
					misses = append(misses, fmt.Sprintf("%s %s %q -> %s %.2f", lang, name, held, got.Intent, got.IntentScore))
				}
				right[lang] = c
			}
		}
	}
	a, _ := New(f)
	var d map[string][][2]string
	raw, _ := os.ReadFile("/work/shared/data/eval/clinc150/clinc150_dev.json")
	json.Unmarshal(raw, &d)
	oos, n := 0, 0
	var fps []string
	for _, set := range []string{"oos_val", "val"} {
		for _, item := range d[set] {
			n++
			got := a.Analyze(ctx, bot.AnalyzeInput{Text: item[0], Lang: "en"})
			if !got.InScope {
				oos++
			} else {
				fps = append(fps, fmt.Sprintf("%q %s -> %s %.2f", item[0], item[1], got.Intent, got.IntentScore))
			}
		}
	}
	tot := [2]int{}
	for l, c := range right {
		fmt.Printf("LOO %s %d/%d %.0f%%\n", l, c[0], c[1], 100*float64(c[0])/float64(c[1]))
		tot[0] += c[0]
		tot[1] += c[1]
	}
	fmt.Printf("LOO all %.1f%%  CLINC out of scope %.1f%% of %d\n", 100*float64(tot[0])/float64(tot[1]), 100*float64(oos)/float64(n), n)
	if os.Getenv("SHOW") != "" {
		fmt.Println(strings.Join(misses, "\n"))
		fmt.Println(strings.Join(fps, "\n"))
	}
}

func init() {
	for _, kv := range strings.Fields(os.Getenv("TUNE")) {
		k, v, _ := strings.Cut(kv, "=")
		var x float64
		fmt.Sscan(v, &x)
		switch k {
		case "u":
			unknownWeight = x
		case "e":
			emotionalWeight = x
		case "wk":
			weakKnown = x
		case "we":
			weakEvidence = x
		case "cs":
			crossSim = x
		case "me":
			minEvidence = x
		case "g":
			gamma = x
		}
	}
}
