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
	"os/exec"
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
Against a real server (--url) the bench touches only the conversations it
made: its agents claim those tickets by id and never take a real
customer's. At the end, also after Ctrl-C, it closes every ticket of its
own conversations (logged in as admin with --agent-password); without the
password they stay in the queue and the bench says how many.

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
	// Closed counts the tickets of the bench's conversations closed at
	// the end; Left those it could not close.
	Closed int `json:"closed"`
	Left   int `json:"left"`
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
	fs.StringVar(&o.url, "url", "", "base `URL` of a running server, or several instances' URL,URL,... sharing one database, the customers spread over them (default: one in this process)")
	fs.IntVar(&o.customers, "customers", 50, "concurrent simulated `customers`")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to run")
	fs.IntVar(&o.messages, "messages", 0, "stop after this many messages instead (0: run for --duration)")
	fs.DurationVar(&o.quiet, "quiet-window", 0, "the in-process server's quiet window (the flows' own would add it to every answer)")
	fs.IntVar(&o.agents, "agents", 0, "simulated agents replying to the bench's handed-off conversations (needs --agent-password with --url)")
	fs.StringVar(&o.flows, "flows", "", "flow `file` for the in-process server and the customers' words (default: as for serve)")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed of the customer mix")
	agentPW := fs.String("agent-password", "", "password of the agent \"admin\" on the --url server, who takes and at the end closes the bench's own tickets")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (server included when in process) to `file`")
	scale := fs.String("scale", "", "measure scaling on the PostgreSQL server `DSN` (postgres://...): calmbot serve in child processes on SQLite, on PostgreSQL alone and two instances sharing a database (created on that server and dropped after), each for --duration, and print them side by side")
	rounds := fs.Int("rounds", 1, "with --scale, how many `rounds` of the three setups")
	warm := fs.Duration("warmup", 2*time.Second, "with --scale, load before each measured window")
	serveBin := fs.String("serve-binary", "", "with --scale, run this calmbot `binary` as the servers (another build, to compare with) instead of this one")
	pin := fs.Bool("pin", false, "with --scale, run each instance on a CPU of its own (taskset -c N, GOMAXPROCS=1)")
	fs.Usage = func() { fmt.Fprint(fs.Output(), benchUsage); fs.PrintDefaults() }
	rest, err := e.parseFlags(fs, args, "bench")
	if err != nil {
		return helpOK(err)
	}
	if len(rest) > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("bench takes no arguments, got %q", rest)}
	}
	if o.customers < 1 {
		return &exitError{code: 2, msg: "--customers must be at least 1"}
	}
	if *scale != "" {
		if o.url != "" || o.agents > 0 || *rounds < 1 {
			return &exitError{code: 2, msg: "--scale takes no --url nor --agents, and --rounds of at least 1"}
		}
		if *serveBin != "" {
			bin := *serveBin
			e.self = func(args []string) *exec.Cmd { return exec.Command(bin, args...) }
		}
		return e.benchScale(ctx, o, *scale, e.flowsPath(o.flows), *rounds, *warm, *pin)
	}
	f, err := e.loadFlows(e.flowsPath(o.flows))
	if err != nil {
		return err
	}
	var bases []string
	for _, u := range strings.Split(o.url, ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			bases = append(bases, u)
		}
	}
	base := ""
	if len(bases) > 0 {
		base = bases[0]
	}
	password := *agentPW
	agents := []string{"admin"}
	if base == "" {
		var stop func() error
		base, agents, password, stop, err = startBenchServer(ctx, f, o.quiet, o.agents)
		if err != nil {
			return err
		}
		defer stop()
		bases = []string{base}
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
	res, err := runBench(ctx, bases, f, o, agents, password, e.stderr)
	if err != nil {
		return err
	}
	if res.Left > 0 {
		hint := "they are held by another agent"
		if password == "" {
			hint = "give --agent-password to have the bench close them"
		}
		fmt.Fprintf(e.stderr, "%d tickets of the bench's conversations are still open (%s)\n", res.Left, hint)
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
	if note := quietNote(o, f, res); note != "" {
		fmt.Fprintln(e.stdout, note)
	}
	if o.url != "" {
		fmt.Fprintf(e.stdout, "cleanup    closed %d tickets of the bench's conversations at the end\n", res.Closed)
	}
	if res.Messages == 0 || res.Errors > res.Messages/100 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d requests failed", res.Errors, res.Messages+res.Errors)}
	}
	return nil
}

// quietNote warns when the answers took about the server's quiet window:
// the server then waits for a burst of messages to end, and the bench
// measures that wait rather than calmbot. With --url the server's window is
// taken to be the flows' policy.
func quietNote(o benchOptions, f *flows.File, res *benchResult) string {
	quiet, where := o.quiet, "--quiet-window"
	if o.url != "" {
		quiet, where = time.Duration(f.Policy.QuietWindow), "the server's --quiet-window 0 (or the flows' policy.quiet_window)"
	}
	if quiet <= 0 || res.P50 < quiet*8/10 {
		return ""
	}
	return fmt.Sprintf("note       the median answer (%s) is about the quiet window (%s): the server waits for each burst to end, so this measures the wait; set %s to measure calmbot itself", ms(res.P50), quiet, where)
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

// runBench drives the customers (and agents) and measures. The customers
// are spread over bases (the first base is the agents'), each keeping to
// one.
func runBench(ctx context.Context, bases []string, f *flows.File, o benchOptions, agents []string, password string, progress io.Writer) (*benchResult, error) {
	base := bases[0]
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
	own := &benchConvs{}
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
				c, err := newCustomer(runCtx, client, bases[w%len(bases)], s.lang)
				if err != nil {
					if runCtx.Err() == nil {
						failed.Add(1)
					}
					continue
				}
				own.made(c.conv)
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
						own.handedOff(c.conv.ID)
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
				if err := runAgent(runCtx, client, base, name, password, own, agentLat); err != nil && runCtx.Err() == nil {
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
	if o.url != "" {
		// Close the bench's own tickets, also when ctx ended (Ctrl-C); an
		// in-process server goes away with its tickets.
		cleanCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer stop()
		res.Closed, res.Left = closeOwn(cleanCtx, client, base, "admin", password, own)
	}
	if agentLat != nil {
		ds := agentLat.all()
		s := &latencySummary{N: len(ds)}
		s.P50, s.P95, s.P99 = summarize(ds)
		res.Agent = s
	}
	return res, nil
}

// showProgress draws a progress bar on w until the returned stop is called,
// when w is a terminal (a log or a pipe gets no bar).
func showProgress(w io.Writer, start time.Time, o benchOptions, sent *atomic.Int64) (stop func()) {
	if !isTerminal(w) {
		return func() {}
	}
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

// benchConvs are the conversations the bench made: only their tickets
// are the bench's to claim and close.
type benchConvs struct {
	mu      sync.Mutex
	convs   map[string]customerConv
	handed  map[string]bool // handed off, ticket not closed by the bench yet
	claimed map[string]bool // a bench agent claimed its ticket
}

func (b *benchConvs) made(c customerConv) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.convs == nil {
		b.convs, b.handed, b.claimed = map[string]customerConv{}, map[string]bool{}, map[string]bool{}
	}
	b.convs[c.ID] = c
}

func (b *benchConvs) handedOff(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.handed[id] = true
}

// get returns conversation id when the bench made it.
func (b *benchConvs) get(id string) (customerConv, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.convs[id]
	return c, ok
}

// claim reports whether the caller is the first to claim id's ticket.
func (b *benchConvs) claim(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.claimed[id] {
		return false
	}
	b.claimed[id] = true
	return true
}

// done marks id's ticket closed.
func (b *benchConvs) done(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.handed, id)
}

// pending counts the handed-off conversations whose ticket is still open.
func (b *benchConvs) pending() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.handed)
}

// deskTicket is a ticket as the desk API lists it.
type deskTicket struct {
	ID      int64 `json:"id"`
	Address struct {
		Channel      string `json:"channel"`
		Conversation string `json:"conversation"`
	} `json:"address"`
	Owner string `json:"owner"`
}

// ownTickets lists the tickets of path ("/queue" or "/mine") that belong
// to the bench's conversations.
func (d *deskClient) ownTickets(ctx context.Context, path string, own *benchConvs) ([]deskTicket, error) {
	var list struct {
		Tickets []deskTicket `json:"tickets"`
	}
	code, err := d.do(ctx, http.MethodGet, path, nil, &list)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", path, code)
	}
	var out []deskTicket
	for _, t := range list.Tickets {
		if _, ok := own.get(t.Address.Conversation); ok && t.Address.Channel == "web" {
			out = append(out, t)
		}
	}
	return out, nil
}

// login logs d in as name.
func (d *deskClient) login(ctx context.Context, name, password string) error {
	var login struct {
		CSRF string `json:"csrf"`
	}
	if code, err := d.do(ctx, http.MethodPost, "/login", map[string]string{"name": name, "password": password}, &login); err != nil || code != http.StatusOK {
		return fmt.Errorf("log in as %s: status %d %v", name, code, err)
	}
	d.csrf = login.CSRF
	return nil
}

// runAgent logs in, takes the bench's handed-off conversations one by one
// (claimed by id: a real customer's ticket is never touched) and replies to
// each, measuring the time until the reply is on the customer's stream.
func runAgent(ctx context.Context, client *http.Client, base, name, password string, own *benchConvs, lat *agentLatencies) error {
	d := &deskClient{client: client, base: base}
	if err := d.login(ctx, name, password); err != nil {
		return err
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	n := 0
	for ctx.Err() == nil {
		queued, _ := d.ownTickets(ctx, "/queue", own) // an error: look again shortly
		took := false
		for _, t := range queued {
			if ctx.Err() != nil {
				break
			}
			conv := t.Address.Conversation
			if !own.claim(conv) {
				continue
			}
			if code, err := d.do(ctx, http.MethodPost, fmt.Sprintf("/tickets/%d/claim", t.ID), nil, nil); err != nil || code != http.StatusOK {
				continue // taken meanwhile; closeOwn looks again at the end
			}
			took = true
			c, _ := own.get(conv)
			n++
			marker := fmt.Sprintf("Hello, %s here (%d). I have read everything you wrote.", name, n)
			if dur, err := timeReply(ctx, client, base, c, func() error {
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
			// A ticket this agent claimed is closed even when the run ended
			// meanwhile: nobody else may close it (closeOwn acts as admin).
			closeCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if code, err := d.do(closeCtx, http.MethodPost, fmt.Sprintf("/tickets/%d/close", t.ID), nil, nil); err == nil && code == http.StatusOK {
				own.done(conv)
			}
			stop()
		}
		if !took {
			select { // nothing of ours is waiting: look again shortly
			case <-ctx.Done():
			case <-tick.C:
			}
		}
	}
	return nil
}

// closeOwn closes the open tickets of the bench's conversations, as agent
// (claiming the queued ones first), until none is left or ctx
// ends; tickets of other conversations are never touched. It returns how
// many it closed and how many handed-off conversations kept an open ticket.
func closeOwn(ctx context.Context, client *http.Client, base, agent, password string, own *benchConvs) (closed, left int) {
	if password == "" {
		return 0, own.pending()
	}
	d := &deskClient{client: client, base: base}
	if err := d.login(ctx, agent, password); err != nil {
		return 0, own.pending()
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	// A handoff answered after the customers stopped may still open a
	// ticket: look until two rounds in a row find nothing of ours and no
	// handed-off conversation is left, or for two seconds more when some
	// are (another agent may hold them).
	for quiet := 0; ctx.Err() == nil; {
		found := 0
		for _, path := range []string{"/mine", "/queue"} {
			ts, err := d.ownTickets(ctx, path, own)
			if err != nil {
				continue
			}
			for _, t := range ts {
				found++
				if path == "/queue" {
					if code, err := d.do(ctx, http.MethodPost, fmt.Sprintf("/tickets/%d/claim", t.ID), nil, nil); err != nil || code != http.StatusOK {
						continue
					}
				} else if t.Owner != agent {
					continue
				}
				if code, err := d.do(ctx, http.MethodPost, fmt.Sprintf("/tickets/%d/close", t.ID), nil, nil); err == nil && code == http.StatusOK {
					own.done(t.Address.Conversation)
					closed++
				}
			}
		}
		if found > 0 {
			quiet = 0
			continue
		}
		if quiet++; quiet >= 2 && (own.pending() == 0 || quiet >= 40) {
			break
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	return closed, own.pending()
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
