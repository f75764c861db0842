package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/calmbot/calmbot/flows"
)

const benchUsage = `Usage: calmbot bench [flags]

Runs simulated customers against a calmbot server over its HTTP API (the
web chat's wait mode: each customer sends a message, waits for the bot's
answer, then sends the next) and prints messages per second and latency
percentiles. The customers are a mix of calm ones (all five stages to the
end), angry ones (reject the options until a person takes over) and ones
who ask for a person, in every language of the flows. With --agents, agents
log in to the desk, take handed-off conversations and reply, and the time
until a reply reaches the customer's event stream is measured too.

Without --url the server runs in this process on a temporary database.

Flags:
`

type benchOptions struct {
	url       string
	customers int
	duration  time.Duration
	messages  int
	quiet     time.Duration
	agents    int
	flows     string
	seed      uint64
}

// benchResult is what a bench run measured.
type benchResult struct {
	Messages  int             `json:"messages"`
	Errors    int             `json:"errors"`
	Elapsed   time.Duration   `json:"elapsed"`
	PerSecond float64         `json:"per_second"`
	P50       time.Duration   `json:"p50"`
	P95       time.Duration   `json:"p95"`
	P99       time.Duration   `json:"p99"`
	Handoffs  int             `json:"handoffs"`
	Agent     *latencySummary `json:"agent_reply,omitempty"`
}

type latencySummary struct {
	N             int `json:"n"`
	P50, P95, P99 time.Duration
}

func summarize(ds []time.Duration) (p50, p95, p99 time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
	return at(0.50), at(0.95), at(0.99)
}

func (e *env) bench(ctx context.Context, args []string) error {
	var o benchOptions
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&o.url, "url", "", "base `URL` of a running server (default: one in this process)")
	fs.IntVar(&o.customers, "customers", 50, "concurrent simulated `customers`")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to run")
	fs.IntVar(&o.messages, "messages", 0, "stop after this many messages instead (0: run for --duration)")
	fs.DurationVar(&o.quiet, "quiet-window", 0, "the in-process server's quiet window (the flows' own would add it to every answer)")
	fs.IntVar(&o.agents, "agents", 0, "simulated agents replying to handed-off conversations (needs --agent-password with --url)")
	fs.StringVar(&o.flows, "flows", "", "flow `file` for the in-process server and the customers' words (default: as for serve)")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed of the customer mix")
	agentPW := fs.String("agent-password", "", "password of the agent \"admin\" on the --url server")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (server included when in process) to `file`")
	fs.Usage = func() { fmt.Fprint(fs.Output(), benchUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return &exitError{code: 2}
	}
	if o.customers < 1 {
		return &exitError{code: 2, msg: "--customers must be at least 1"}
	}
	f, err := e.loadFlows(e.flowsPath(o.flows))
	if err != nil {
		return err
	}
	base := strings.TrimRight(o.url, "/")
	password := *agentPW
	agents := []string{"admin"}
	if base == "" {
		var stop func() error
		base, agents, password, stop, err = startBenchServer(ctx, f, o.quiet, o.agents)
		if err != nil {
			return err
		}
		defer stop()
	} else if o.agents > 1 {
		return &exitError{code: 2, msg: "with --url, --agents can only be 1 (the agent admin, with --agent-password)"}
	} else if o.agents == 1 && password == "" {
		return &exitError{code: 2, msg: "--agents with --url needs --agent-password"}
	}
	if o.agents == 0 {
		agents = nil
	}
	if *cpuProfile != "" {
		out, err := os.Create(*cpuProfile)
		if err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("--cpuprofile: %v", err)}
		}
		defer out.Close()
		if err := pprof.StartCPUProfile(out); err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("--cpuprofile: %v", err)}
		}
		defer pprof.StopCPUProfile()
	}
	res, err := runBench(ctx, base, f, o, agents, password, e.stderr)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(e.stdout, "customers  %d\nmessages   %d in %s (%d errors)\nthroughput %.0f messages/s\nlatency    p50 %s  p95 %s  p99 %s\nhandoffs   %d\n",
		o.customers, res.Messages, res.Elapsed.Round(time.Millisecond), res.Errors, res.PerSecond,
		ms(res.P50), ms(res.P95), ms(res.P99), res.Handoffs)
	if a := res.Agent; a != nil {
		fmt.Fprintf(e.stdout, "agent reply to customer stream: n %d  p50 %s  p95 %s  p99 %s\n", a.N, ms(a.P50), ms(a.P95), ms(a.P99))
	}
	if res.Messages == 0 || res.Errors > res.Messages/100 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d requests failed", res.Errors, res.Messages+res.Errors)}
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// startBenchServer runs a server in this process on a temporary database,
// with n agents who share one password.
func startBenchServer(ctx context.Context, f *flows.File, quiet time.Duration, n int) (base string, agents []string, password string, stop func() error, err error) {
	dir, err := os.MkdirTemp("", "calmbot-bench-")
	if err != nil {
		return "", nil, "", nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	fail := func(err error, st io.Closer) (string, []string, string, func() error, error) {
		if st != nil {
			st.Close()
		}
		os.RemoveAll(dir)
		return "", nil, "", nil, err
	}
	st, err := openStore(ctx, filepath.Join(dir, "bench.db"), log)
	if err != nil {
		return fail(err, nil)
	}
	srv, err := newServer(ctx, serverConfig{flows: f, store: st, keyPath: filepath.Join(dir, "bench.key"), log: log, quiet: &quiet})
	if err != nil {
		return fail(err, st)
	}
	password = srv.firstPassword
	for i := range n {
		name := fmt.Sprintf("bench%d", i+1)
		if _, err := srv.handoff.AddAgent(ctx, name, password, []string{"*"}, 1000); err != nil {
			return fail(err, st)
		}
		agents = append(agents, name)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err, st)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.run(runCtx, ln, nil, nil) }()
	stop = func() error {
		cancel()
		err := <-done
		st.Close()
		os.RemoveAll(dir)
		return err
	}
	return "http://" + ln.Addr().String(), agents, password, stop, nil
}

// phrases are the customers' short answers per language.
var phrases = map[string]struct{ yes, no, reject, human, done string }{
	"en": {"yes", "no", "no, none of these work for me", "I want to talk to a real person", "no thanks, that's all"},
	"it": {"sì", "no", "no, nessuna di queste", "voglio parlare con un operatore", "no grazie, è tutto"},
	"de": {"ja", "nein", "nein, keine davon", "ich möchte mit einem Menschen sprechen", "nein danke, das ist alles"},
	"fi": {"kyllä", "ei", "ei, mikään näistä ei käy", "haluan puhua ihmisen kanssa", "ei kiitos, siinä kaikki"},
}

// script is one simulated conversation: the messages a customer sends.
type script struct {
	lang     string
	messages []string
	handoff  bool
}

// scripts makes the customer mix from the flows: calm (60%), angry (25%),
// asking for a person (15%).
func scripts(f *flows.File) []script {
	var out []script
	for _, lang := range f.Languages {
		p, ok := phrases[lang]
		if !ok {
			continue
		}
		for _, name := range f.IntentNames() {
			in := f.Intents[name]
			if in.Handoff != nil || len(in.Examples[lang]) == 0 {
				continue
			}
			first := in.Examples[lang][0]
			for range 12 {
				out = append(out, script{lang: lang, messages: []string{first, p.yes, "1", p.yes, p.done}})
			}
			for range 5 {
				out = append(out, script{lang: lang, messages: []string{first, p.yes, p.reject, p.reject}, handoff: true})
			}
			for range 3 {
				out = append(out, script{lang: lang, messages: []string{first, p.human}, handoff: true})
			}
		}
	}
	return out
}

// runBench drives the customers (and agents) and measures.
func runBench(ctx context.Context, base string, f *flows.File, o benchOptions, agents []string, password string, progress io.Writer) (*benchResult, error) {
	scr := scripts(f)
	if len(scr) == 0 {
		return nil, errors.New("the flows have no intent examples in en, it, de or fi to write customer messages from")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: o.customers * 2, MaxIdleConnsPerHost: o.customers * 2, IdleConnTimeout: time.Minute}, Timeout: 60 * time.Second}
	runCtx, cancel := context.WithTimeout(ctx, o.duration)
	if o.messages > 0 {
		runCtx, cancel = context.WithCancel(ctx)
	}
	defer cancel()

	var (
		sent, failed, handoffs atomic.Int64
		mu                     sync.Mutex
		lat                    []time.Duration
	)
	var handedOff sync.Map // conversation id -> customerConv, for the agents
	var agentLat *agentLatencies
	if o.agents > 0 {
		agentLat = &agentLatencies{}
	}
	start := time.Now()
	stopProgress := showProgress(progress, start, o, &sent)
	var wg sync.WaitGroup
	for w := range o.customers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(o.seed, uint64(w)))
			var local []time.Duration
			defer func() {
				mu.Lock()
				lat = append(lat, local...)
				mu.Unlock()
			}()
			for runCtx.Err() == nil {
				s := scr[rng.IntN(len(scr))]
				c, err := newCustomer(runCtx, client, base, s.lang)
				if err != nil {
					if runCtx.Err() == nil {
						failed.Add(1)
					}
					continue
				}
				for _, text := range s.messages {
					if o.messages > 0 && sent.Load() >= int64(o.messages) {
						cancel()
						return
					}
					t0 := time.Now()
					status, err := c.say(runCtx, text)
					if err != nil {
						if runCtx.Err() == nil {
							failed.Add(1)
						}
						break
					}
					local = append(local, time.Since(t0))
					sent.Add(1)
					if status == "human" {
						handoffs.Add(1)
						handedOff.Store(c.conv.ID, c.conv)
						break
					}
				}
			}
		}()
	}
	var agentsWG sync.WaitGroup
	if o.agents > 0 {
		for _, name := range agents {
			agentsWG.Add(1)
			go func() {
				defer agentsWG.Done()
				if err := runAgent(runCtx, client, base, name, password, &handedOff, agentLat); err != nil && runCtx.Err() == nil {
					fmt.Fprintf(progress, "\nagent %s: %v\n", name, err)
				}
			}()
		}
	}
	wg.Wait()
	cancel()
	agentsWG.Wait()
	elapsed := time.Since(start)
	stopProgress()

	res := &benchResult{Messages: int(sent.Load()), Errors: int(failed.Load()), Elapsed: elapsed, Handoffs: int(handoffs.Load())}
	res.PerSecond = float64(res.Messages) / elapsed.Seconds()
	res.P50, res.P95, res.P99 = summarize(lat)
	if agentLat != nil {
		ds := agentLat.all()
		s := &latencySummary{N: len(ds)}
		s.P50, s.P95, s.P99 = summarize(ds)
		res.Agent = s
	}
	return res, nil
}

// showProgress draws a progress bar on w until the returned stop is called.
func showProgress(w io.Writer, start time.Time, o benchOptions, sent *atomic.Int64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		draw := func() {
			n := sent.Load()
			el := time.Since(start)
			frac := el.Seconds() / o.duration.Seconds()
			if o.messages > 0 {
				frac = float64(n) / float64(o.messages)
			}
			frac = min(max(frac, 0), 1)
			const width = 30
			bar := strings.Repeat("=", int(frac*width)) + strings.Repeat(" ", width-int(frac*width))
			fmt.Fprintf(w, "\r[%s] %3.0f%%  %d messages  %.0f/s ", bar, frac*100, n, float64(n)/max(el.Seconds(), 0.001))
		}
		for {
			select {
			case <-done:
				draw()
				fmt.Fprintln(w)
				return
			case <-t.C:
				draw()
			}
		}
	}()
	return func() { close(done); <-finished }
}

// customerConv is a web chat conversation and its token.
type customerConv struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

type customer struct {
	client *http.Client
	base   string
	conv   customerConv
	n      int
}

func newCustomer(ctx context.Context, client *http.Client, base, lang string) (*customer, error) {
	body, _ := json.Marshal(map[string]string{"lang": lang})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/conversations", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	c := &customer{client: client, base: base}
	if resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("create conversation: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&c.conv); err != nil {
		return nil, err
	}
	return c, nil
}

// say posts a message in wait mode and returns the conversation's status.
func (c *customer) say(ctx context.Context, text string) (string, error) {
	c.n++
	body, _ := json.Marshal(map[string]string{"text": text, "id": fmt.Sprintf("b%d", c.n)})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/conversations/"+c.conv.ID+"/messages?wait=1", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.conv.Token)
	resp, err := c.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Status   string `json:"status"`
		Complete bool   `json:"complete"`
	}
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return "", fmt.Errorf("post message: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", err
	}
	if !out.Complete && out.Status != "human" {
		return "", errors.New("the bot did not answer in time")
	}
	return out.Status, nil
}

// agentLatencies collects agent reply latencies from several agents.
type agentLatencies struct {
	mu sync.Mutex
	ds []time.Duration
}

func (a *agentLatencies) add(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ds = append(a.ds, d)
}

func (a *agentLatencies) all() []time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.ds)
}

// deskClient is a logged-in agent on the desk API.
type deskClient struct {
	client *http.Client
	base   string
	cookie string
	csrf   string
}

func (d *deskClient) do(ctx context.Context, method, path string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.base+"/desk/api"+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if d.cookie != "" {
		req.Header.Set("Cookie", d.cookie)
		req.Header.Set("X-CSRF-Token", d.csrf)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if c := resp.Header.Get("Set-Cookie"); c != "" {
		d.cookie = strings.SplitN(c, ";", 2)[0]
	}
	if out != nil && resp.StatusCode < 300 {
		return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
	}
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// runAgent logs in, takes handed-off conversations one by one and replies
// to each, measuring the time until the reply is on the customer's stream.
func runAgent(ctx context.Context, client *http.Client, base, name, password string, convs *sync.Map, lat *agentLatencies) error {
	d := &deskClient{client: client, base: base}
	var login struct {
		CSRF string `json:"csrf"`
	}
	if code, err := d.do(ctx, http.MethodPost, "/login", map[string]string{"name": name, "password": password}, &login); err != nil || code != http.StatusOK {
		return fmt.Errorf("log in: status %d %v", code, err)
	}
	d.csrf = login.CSRF
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	n := 0
	for ctx.Err() == nil {
		var next struct {
			Ticket struct {
				ID      int64 `json:"id"`
				Address struct {
					Conversation string `json:"conversation"`
				} `json:"address"`
			} `json:"ticket"`
		}
		code, err := d.do(ctx, http.MethodPost, "/queue/next", nil, &next)
		t := next.Ticket
		if err != nil || code != http.StatusOK || t.ID == 0 {
			select { // the queue is empty: look again shortly
			case <-ctx.Done():
			case <-tick.C:
			}
			continue
		}
		v, ok := convs.Load(t.Address.Conversation)
		if ok {
			n++
			marker := fmt.Sprintf("Hello, %s here (%d). I have read everything you wrote.", name, n)
			if dur, err := timeReply(ctx, client, base, v.(customerConv), func() error {
				code, err := d.do(ctx, http.MethodPost, fmt.Sprintf("/tickets/%d/reply", t.ID), map[string]string{"text": marker}, nil)
				if err == nil && code != http.StatusOK {
					err = fmt.Errorf("reply: status %d", code)
				}
				return err
			}, marker); err == nil {
				lat.add(dur)
			} else if ctx.Err() == nil {
				return fmt.Errorf("time a reply: %w", err)
			}
		}
		_, _ = d.do(ctx, http.MethodPost, fmt.Sprintf("/tickets/%d/close", t.ID), nil, nil)
	}
	return nil
}

// timeReply opens the customer's event stream, runs reply, and returns the
// time from the reply's start until marker arrives on the stream.
func timeReply(ctx context.Context, client *http.Client, base string, c customerConv, reply func() error, marker string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/conversations/"+c.ID+"/events?token="+c.Token, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("event stream: %s", resp.Status)
	}
	t0 := time.Now()
	if err := reply(); err != nil {
		return 0, err
	}
	buf := make([]byte, 0, 4096)
	chunk := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if bytes.Contains(buf, []byte(marker)) {
			return time.Since(t0), nil
		}
		if err != nil {
			return 0, err
		}
	}
}
