package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/calmbot/calmbot/bot"
)

const analyzeUsage = `Usage: calmbot analyze [--flows FILE] [--workers N] < in.jsonl > out.jsonl

Reads one JSON object per line, {"id": ..., "text": "...", "lang": "de"?}, and
writes one per line, in the same order:
  {"id":...,"lang":"en","sentiment":-0.62,"label":"negative","intent":"late_delivery",
   "intent_score":0.81,"in_scope":true,"human_request":false}
"lang" in the input is the platform's hint; the output's is what the analyzer
read. Intents and the in-scope threshold come from the flow file. A line that
is not such an object yields {"id":...,"line":N,"error":"..."} and the run
goes on.

Flags:
`

// analyzeInput is one input line.
type analyzeInput struct {
	ID   json.RawMessage `json:"id"`
	Text *string         `json:"text"`
	Lang string          `json:"lang"`
}

// analyzeOutput is one output line.
type analyzeOutput struct {
	ID           json.RawMessage `json:"id,omitempty"`
	Lang         string          `json:"lang"`
	Sentiment    float64         `json:"sentiment"`
	Label        string          `json:"label"`
	Intent       string          `json:"intent"`
	IntentScore  float64         `json:"intent_score"`
	InScope      bool            `json:"in_scope"`
	HumanRequest bool            `json:"human_request"`
}

type analyzeError struct {
	ID    json.RawMessage `json:"id,omitempty"`
	Line  int             `json:"line"`
	Error string          `json:"error"`
}

// analyzeBatch is how many lines a worker takes at once.
const analyzeBatch = 512

func (e *env) analyze(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	flowsFlag := fs.String("flows", "", "flow `file` whose intents and languages are used (default $CALMBOT_FLOWS, ./flows.yaml, else the built-in flows)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "parallel `workers`")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), analyzeUsage)
		fs.PrintDefaults()
	}
	rest, err := e.parseFlags(fs, args, "analyze")
	if err != nil {
		return helpOK(err)
	}
	if len(rest) > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("analyze reads stdin and takes no arguments, got %q", rest)}
	}
	if *workers < 1 {
		return &exitError{code: 2, msg: "--workers must be at least 1"}
	}
	f, err := e.loadFlows(e.flowsPath(*flowsFlag))
	if err != nil {
		return err
	}
	an, err := analyzer(f)
	if err != nil {
		return err
	}
	bad, err := analyzeStream(ctx, an, e.stdin, e.stdout, *workers)
	if bad > 0 {
		fmt.Fprintf(e.stderr, "calmbot analyze: %d line(s) could not be read (see their error objects)\n", bad)
	}
	return err
}

// analyzeStream analyses JSON lines from r into w with n workers, keeping
// the input order, and returns how many lines were bad.
func analyzeStream(ctx context.Context, an bot.Analyzer, r io.Reader, w io.Writer, n int) (int, error) {
	type batch struct {
		first int // line number of lines[0]
		lines [][]byte
		out   *bytes.Buffer
		bad   int
		done  chan struct{}
	}
	jobs := make(chan *batch, n)
	ordered := make(chan *batch, 2*n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				enc := json.NewEncoder(b.out)
				for i, line := range b.lines {
					if len(bytes.TrimSpace(line)) == 0 {
						continue
					}
					var in analyzeInput
					if err := json.Unmarshal(line, &in); err != nil || in.Text == nil {
						msg := `want {"id": ..., "text": "..."}`
						if err != nil {
							msg = err.Error() + "; " + msg
						}
						b.bad++
						_ = enc.Encode(analyzeError{ID: in.ID, Line: b.first + i, Error: msg})
						continue
					}
					a := an.Analyze(ctx, bot.AnalyzeInput{Text: *in.Text, Locale: in.Lang})
					_ = enc.Encode(analyzeOutput{ID: in.ID, Lang: a.Lang, Sentiment: round3(a.Sentiment), Label: a.Label,
						Intent: a.Intent, IntentScore: round3(a.IntentScore), InScope: a.InScope, HumanRequest: a.HumanRequest})
				}
				close(b.done)
			}
		}()
	}
	// The writer emits batches in input order.
	var bad int
	var werr error
	wdone := make(chan struct{})
	go func() {
		defer close(wdone)
		bw := bufio.NewWriterSize(w, 1<<16)
		for b := range ordered {
			<-b.done
			bad += b.bad
			if werr == nil {
				_, werr = bw.Write(b.out.Bytes())
			}
		}
		if werr == nil {
			werr = bw.Flush()
		}
	}()

	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	var readErr error
	cur := &batch{first: 1, out: new(bytes.Buffer), done: make(chan struct{})}
	send := func() {
		ordered <- cur
		jobs <- cur
		cur = &batch{first: line + 1, out: new(bytes.Buffer), done: make(chan struct{})}
	}
	for sc.Scan() {
		if ctx.Err() != nil {
			readErr = ctx.Err()
			break
		}
		line++
		cur.lines = append(cur.lines, bytes.Clone(sc.Bytes()))
		if len(cur.lines) == analyzeBatch {
			send()
		}
	}
	if err := sc.Err(); err != nil && readErr == nil {
		readErr = fmt.Errorf("line %d: %w", line+1, err)
		if errors.Is(err, bufio.ErrTooLong) {
			readErr = fmt.Errorf("line %d is longer than 1 MiB", line+1)
		}
	}
	if len(cur.lines) > 0 {
		send()
	}
	close(jobs)
	close(ordered)
	wg.Wait()
	<-wdone
	if readErr != nil {
		return bad, readErr
	}
	if werr != nil {
		return bad, fmt.Errorf("write output: %w", werr)
	}
	return bad, nil
}

func round3(f float64) float64 {
	if f < 0 {
		return -float64(int64(-f*1000+0.5)) / 1000
	}
	return float64(int64(f*1000+0.5)) / 1000
}
