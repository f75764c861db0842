package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/calmbot/calmbot/adapters/web"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/store/postgres"
)

// instance is a `calmbot serve` child process.
type instance struct {
	cmd  *exec.Cmd
	base string
	log  *syncBuffer
}

// startInstance runs calmbot serve in a child process (this test binary,
// see TestMain) and waits for its address.
func startInstance(t *testing.T, dsn string) *instance {
	t.Helper()
	args := []string{"serve", "--addr", "127.0.0.1:0", "--db", dsn, "--flows", "../../flows.yaml",
		"--conversation-rate", "off", "--message-rate", "off"}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CALMBOT_TEST_CHILD_ARGS="+strings.Join(args, "\x1f"))
	in := &instance{cmd: cmd, log: &syncBuffer{}}
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		pw.Close()
	})
	found := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`chat=(http://127\.0\.0\.1:\d+)/`)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			in.log.Write([]byte(line + "\n"))
			if m := re.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case in.base = <-found:
	case <-time.After(60 * time.Second):
		t.Fatalf("instance did not start:\n%s", in.log.String())
	}
	waitStatus(t, in.base+"/readyz", http.StatusOK)
	return in
}

// TestInstancesKill runs three `calmbot serve` processes on one PostgreSQL
// database, reached through a TCP proxy, with 200 web chat customers
// spread over them (each request to the next instance, another one when it
// fails) and two agents, one on the desk of instance 0 and one on that of
// instance 2, both trying to claim every handed-off conversation. In the
// middle it kills instance 1 with SIGKILL and later cuts the database off
// once: the proxy drops every connection and refuses new ones for
// outageFor, which is what the instances see of a PostgreSQL restart or a
// failover (the shared test server itself is not restarted: other test
// packages use it at the same time). Then it checks that every
// acknowledged customer message is stored exactly once; that every reply
// was delivered (none left in the outbox) exactly once and in order (the
// transcript's seqs have no gap and no repeat, the outbox ids grow with
// them, and no customer was handed a reply twice or out of order); that
// every ticket was claimed by one agent at most (the other's claim was
// refused); and that no conversation is left unanswered.
func TestInstancesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three servers")
	}
	const (
		customers = 200
		outageFor = 3 * time.Second
		// budget bounds the customers, the agents and the recovery, after
		// the servers started (about 25-35 s under -race on a loaded
		// 2-core machine; the takeover of the killed instance's
		// conversations alone takes two 5 s rounds).
		budget = 90 * time.Second
	)
	direct := postgresDSN(t, "instances_kill")
	u, _ := url.Parse(direct)
	p := newProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	dsn := u.String()
	for _, name := range []string{"alice", "bob"} {
		if r := runCmd(t, "password-of-"+name+"\n", "agents", "add", "--db", direct, "--capacity", "1000", "--password-stdin", name); r.code != 0 {
			t.Fatalf("agents add %s: %d %s", name, r.code, r.stderr)
		}
	}
	begin := time.Now()
	insts := make([]*instance, 3)
	var starting sync.WaitGroup
	for i := range insts {
		starting.Go(func() { insts[i] = startInstance(t, dsn) })
	}
	starting.Wait()
	if t.Failed() {
		return
	}
	t.Logf("three instances ready in %s", time.Since(begin).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			for i, in := range insts {
				t.Logf("--- instance %d\n%s", i, in.log.String())
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	client := &http.Client{Timeout: 20 * time.Second}
	var alive [3]atomic.Bool
	for i := range alive {
		alive[i].Store(true)
	}
	var retried atomic.Int64
	// do sends a request to instance i or, when it fails, to the next
	// live one, round after round until ctx ends (the database may be
	// away for a while).
	do := func(i int, method, path string, header map[string]string, body string) (int, []byte, error) {
		var lastErr error
		backoff := time.NewTicker(100 * time.Millisecond)
		defer backoff.Stop()
		for round := 0; ; round++ {
			for try := range len(insts) {
				k := (i + try) % len(insts)
				if !alive[k].Load() {
					continue
				}
				req, _ := http.NewRequestWithContext(ctx, method, insts[k].base+path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				for h, v := range header {
					req.Header.Set(h, v)
				}
				resp, err := client.Do(req)
				if err != nil {
					lastErr = err
					retried.Add(1)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode >= 500 {
					lastErr = fmt.Errorf("%d %s", resp.StatusCode, b)
					retried.Add(1)
					continue
				}
				return resp.StatusCode, b, nil
			}
			select { // every instance failed: the database may be away
			case <-ctx.Done():
				return 0, nil, fmt.Errorf("%w (last: %v)", ctx.Err(), lastErr)
			case <-backoff.C:
			}
		}
	}

	// desks are the agents' sessions: alice on instance 0, bob on
	// instance 2; rivals are the other agent on the other instance, to
	// whom the claim of a ticket an agent holds must be refused. They log
	// in before the customers start (a failed login counts against the
	// desk's rate limit: tries are a second apart).
	desks := map[string]*deskClient{"alice": {client: client, base: insts[0].base}, "bob": {client: client, base: insts[2].base}}
	rivals := map[string]*deskClient{"alice": {client: client, base: insts[2].base}, "bob": {client: client, base: insts[0].base}}
	for _, s := range []struct {
		d    *deskClient
		name string
	}{{desks["alice"], "alice"}, {desks["bob"], "bob"}, {rivals["alice"], "bob"}, {rivals["bob"], "alice"}} {
		for err := s.d.login(ctx, s.name, "password-of-"+s.name); err != nil; err = s.d.login(ctx, s.name, "password-of-"+s.name) {
			select {
			case <-ctx.Done():
				t.Fatal(err)
			case <-time.After(time.Second):
			}
		}
	}
	t.Logf("agents logged in at %s", time.Since(begin).Round(time.Millisecond))

	// The customers: three in four go through a calm flow, every fourth
	// asks for a person and waits for an agent's answer.
	type customer struct {
		id, token string
		handoff   bool
		acked     []string
		seen      map[int64]string // replies handed to the customer, by seq
		lastSeq   int64
		problems  []string
	}
	cs := make([]*customer, customers)
	var sent atomic.Int64
	const total = customers * 3
	killed, cut := make(chan struct{}), make(chan struct{})
	var killOnce, cutOnce sync.Once
	var outage sync.WaitGroup
	events := func() {
		switch n := sent.Add(1); {
		case n == total/3:
			killOnce.Do(func() {
				alive[1].Store(false)
				_ = insts[1].cmd.Process.Signal(syscall.SIGKILL)
				close(killed)
			})
		case n == 2*total/3:
			cutOnce.Do(func() {
				p.pause(true)
				outage.Add(1)
				time.AfterFunc(outageFor, func() { p.pause(false); outage.Done() })
				close(cut)
			})
		}
	}
	var wg sync.WaitGroup
	for n := range customers {
		c := &customer{handoff: n%4 == 3, seen: map[int64]string{}}
		cs[n] = c
		wg.Go(func() {
			code, b, err := do(n, "POST", "/api/conversations", nil, `{"lang":"en"}`)
			if err != nil || code != http.StatusCreated {
				c.problems = append(c.problems, fmt.Sprintf("create: %d %v %s", code, err, b))
				return
			}
			var created struct{ ID, Token string }
			_ = json.Unmarshal(b, &created)
			c.id, c.token = created.ID, created.Token
			auth := map[string]string{"Authorization": "Bearer " + c.token}
			texts := []string{"my parcel has still not arrived", "yes", "no thanks, that's all"}
			if c.handoff {
				texts = []string{"my parcel has still not arrived", "I want to talk to a real person", "hello, is anyone there?"}
			}
			for m, text := range texts {
				mid := fmt.Sprintf("c%d-m%d", n, m)
				body, _ := json.Marshal(map[string]string{"text": text, "id": mid})
				code, b, err := do(n+m, "POST", "/api/conversations/"+c.id+"/messages?wait=1", auth, string(body))
				if err != nil || code >= 300 {
					c.problems = append(c.problems, fmt.Sprintf("message %d: %d %v %s", m, code, err, b))
					break
				}
				var res struct {
					Stored  bool
					Replies []struct {
						Seq  int64 `json:"seq"`
						Text string
					}
				}
				_ = json.Unmarshal(b, &res)
				if res.Stored {
					c.acked = append(c.acked, mid)
				}
				// A message posted again (its first answer was lost) is
				// answered with its replies again; a reply of an earlier
				// message may not come back, nor one out of order.
				for i, r := range res.Replies {
					if old, ok := c.seen[r.Seq]; ok && old != r.Text {
						c.problems = append(c.problems, fmt.Sprintf("reply seq %d was %q, now %q", r.Seq, old, r.Text))
					}
					if i > 0 && r.Seq <= res.Replies[i-1].Seq {
						c.problems = append(c.problems, fmt.Sprintf("replies out of order: %d after %d", r.Seq, res.Replies[i-1].Seq))
					}
					if i == 0 && r.Seq <= c.lastSeq && c.seen[r.Seq] == "" {
						c.problems = append(c.problems, fmt.Sprintf("reply %d after %d", r.Seq, c.lastSeq))
					}
					c.seen[r.Seq] = r.Text
					c.lastSeq = max(c.lastSeq, r.Seq)
				}
				events()
			}
		})
	}

	// The agents: each lists the queue on its own instance and claims
	// every ticket it sees (a claim is refused to one of them when the
	// other got there first), and answers and closes the tickets it holds,
	// claimed or given to it by the routing.
	var claimsMu sync.Mutex
	owners := map[int64]map[string]bool{} // ticket -> the agents who held it
	replied := map[string]string{}        // conversation -> the agent's reply
	var refused, crossRefused atomic.Int64
	// signedOut counts the desk's 401s after the logins, storeDown its
	// 503s: the database going away is no logout.
	var signedOut, storeDown atomic.Int64
	deskDo := func(ctx context.Context, d *deskClient, method, path string, body, out any) (int, error) {
		code, err := d.do(ctx, method, path, body, out)
		switch {
		case err != nil:
		case code == http.StatusUnauthorized:
			signedOut.Add(1)
		case code == http.StatusServiceUnavailable:
			storeDown.Add(1)
		}
		return code, err
	}
	agentsDone := make(chan struct{})
	var agents sync.WaitGroup
	for _, ag := range []struct {
		name string
		inst int
	}{{"alice", 0}, {"bob", 2}} {
		agents.Go(func() {
			d := desks[ag.name]
			done := map[int64]bool{}
			tick := time.NewTicker(25 * time.Millisecond)
			defer tick.Stop()
			list := func(path string) []deskTicket {
				var l struct {
					Tickets []deskTicket `json:"tickets"`
				}
				// While the database is away the desk answers 503 (it
				// cannot read the revocations), which is no logout: the
				// session serves again once it is back.
				if code, err := deskDo(ctx, d, http.MethodGet, path, nil, &l); err != nil || code != http.StatusOK {
					return nil // look again
				}
				return l.Tickets
			}
			// answer replies to a ticket the agent holds and closes it,
			// trying again while the database is away; a ticket the agent
			// no longer holds (409) is left to whoever has it now.
			answer := func(tk deskTicket) {
				claimsMu.Lock()
				if owners[tk.ID] == nil {
					owners[tk.ID] = map[string]bool{}
				}
				owners[tk.ID][ag.name] = true
				claimsMu.Unlock()
				switch code, err := deskDo(ctx, rivals[ag.name], http.MethodPost, fmt.Sprintf("/tickets/%d/claim", tk.ID), nil, nil); {
				case err == nil && code == http.StatusConflict:
					crossRefused.Add(1)
				case err == nil && code == http.StatusServiceUnavailable:
					// The database is away (as list above says), which is
					// not a claim granted.
				case err == nil && code < 500:
					t.Errorf("ticket %d held by %s on instance %d: the other agent's claim on the other instance answered %d, want 409",
						tk.ID, ag.name, ag.inst, code)
				}
				text := fmt.Sprintf("Hello, %s here, about ticket %d.", ag.name, tk.ID)
				for ctx.Err() == nil {
					code, err := deskDo(ctx, d, http.MethodPost, fmt.Sprintf("/tickets/%d/reply", tk.ID), map[string]string{"text": text}, nil)
					if err == nil && code == http.StatusOK {
						claimsMu.Lock()
						replied[tk.Address.Conversation] = text
						claimsMu.Unlock()
						done[tk.ID] = true
						break
					}
					if code == http.StatusConflict {
						return
					}
					<-tick.C
				}
				for try := 0; try < 200 && ctx.Err() == nil; try++ {
					if code, err := deskDo(ctx, d, http.MethodPost, fmt.Sprintf("/tickets/%d/close", tk.ID), nil, nil); err == nil && code < 500 {
						break
					}
					<-tick.C
				}
			}
			for {
				select {
				case <-agentsDone:
					return
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				for _, tk := range list("/queue") {
					code, err := deskDo(ctx, d, http.MethodPost, fmt.Sprintf("/tickets/%d/claim", tk.ID), nil, nil)
					switch {
					case err == nil && code == http.StatusOK:
						answer(tk)
					case err == nil && code == http.StatusConflict:
						refused.Add(1)
					}
				}
				for _, tk := range list("/mine") {
					if !done[tk.ID] {
						answer(tk)
					}
				}
			}
		})
	}
	wg.Wait()
	for _, ch := range []chan struct{}{killed, cut} {
		select {
		case <-ch:
		default:
			t.Fatalf("the customers finished before the kill and the outage (%d messages)", sent.Load())
		}
	}
	outage.Wait()
	customersDone := time.Since(begin)

	st, err := postgres.Open(context.Background(), direct)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	handed := 0
	for _, c := range cs {
		if c.handoff && c.id != "" {
			handed++
		}
	}
	// Wait until the killed instance's conversations moved on on the
	// others, every handed-off customer has had an agent's reply and
	// nothing waits in the outbox.
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	var lastNote time.Time
	for {
		un, err := st.Unanswered(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pend, err := st.Pending(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		claimsMu.Lock()
		nReplied := len(replied)
		claimsMu.Unlock()
		if len(un) == 0 && len(pend) == 0 && nReplied >= handed {
			break
		}
		if time.Since(lastNote) > 2*time.Second {
			lastNote = time.Now()
			t.Logf("at %s: %d unanswered, %d undelivered, %d of %d agent replies", time.Since(begin).Round(time.Millisecond), len(un), len(pend), nReplied, handed)
		}
		select {
		case <-ctx.Done():
			for _, a := range un {
				sn, _ := st.Load(context.Background(), a)
				tr, _ := st.Transcript(context.Background(), a)
				t.Logf("unanswered %s: %+v\n%+v", a, sn, tr)
			}
			t.Fatalf("after the kill and the outage: %d conversations unanswered, %d replies undelivered, %d of %d handed-off customers answered by an agent",
				len(un), len(pend), nReplied, handed)
		case <-poll.C:
		}
	}
	close(agentsDone)
	agents.Wait()
	if n := signedOut.Load(); n > 0 {
		t.Errorf("the desk answered 401 %d times after the agents logged in; want none (the database away is a 503, not a logout)", n)
	}
	if storeDown.Load() == 0 {
		t.Error("the desk never answered 503 while the database was away")
	}
	t.Logf("the desk answered 503 %d times while the database was away", storeDown.Load())
	t.Logf("customers done at %s, all answered at %s", customersDone.Round(time.Millisecond), time.Since(begin).Round(time.Millisecond))

	acked := 0
	for n, c := range cs {
		for _, pr := range c.problems {
			t.Errorf("customer %d: %s", n, pr)
		}
		if c.id == "" {
			continue
		}
		acked += len(c.acked)
		a := bot.Address{Channel: web.Channel, Conversation: c.id}
		tr, err := st.Transcript(context.Background(), a)
		if err != nil {
			t.Fatal(err)
		}
		stored := map[string]int{}
		var lastOutbox int64
		for i, e := range tr {
			if e.Seq != int64(i+1) {
				t.Errorf("customer %d: entry %d has seq %d", n, i, e.Seq)
			}
			switch e.Direction {
			case bot.Inbound:
				stored[e.PlatformID]++
			case bot.Outbound:
				if !e.Sent {
					t.Errorf("customer %d: reply %d not delivered", n, e.Seq)
				}
				if e.OutboxID <= lastOutbox {
					t.Errorf("customer %d: reply %d has outbox id %d after %d: not in order", n, e.Seq, e.OutboxID, lastOutbox)
				}
				lastOutbox = e.OutboxID
			}
			if text, ok := c.seen[e.Seq]; ok && (e.Direction != bot.Outbound || text != e.Text) {
				t.Errorf("customer %d: was handed %q as reply %d, the transcript has %s %q", n, text, e.Seq, e.Direction, e.Text)
			}
		}
		for _, mid := range c.acked {
			if stored[mid] != 1 {
				t.Errorf("customer %d: acknowledged message %s stored %d times", n, mid, stored[mid])
			}
		}
		if len(tr) == 0 || tr[len(tr)-1].Direction != bot.Outbound {
			t.Errorf("customer %d: the conversation does not end with a reply: %+v", n, tr[max(0, len(tr)-1):])
		}
		if c.handoff {
			claimsMu.Lock()
			text, ok := replied[c.id]
			claimsMu.Unlock()
			if !ok || !slices.ContainsFunc(tr, func(e bot.Entry) bool { return e.Direction == bot.Outbound && e.Text == text && e.Author != "" }) {
				t.Errorf("customer %d: no agent's reply in the transcript (%q)", n, text)
			}
		}
	}
	claimsMu.Lock()
	for id, who := range owners {
		if len(who) > 1 {
			t.Errorf("ticket %d held by %v", id, who)
		}
	}
	nClaims := len(owners)
	claimsMu.Unlock()
	if crossRefused.Load() == 0 {
		t.Error("no claim of a held ticket was refused to the other agent on the other instance")
	}
	t.Logf("%d customers, %d messages acknowledged, %d requests retried on another instance, %d tickets held, %d claims refused (taken by the other agent), %d claims of a held ticket refused to the other agent on the other instance, in %s",
		customers, acked, retried.Load(), nClaims, refused.Load(), crossRefused.Load(), time.Since(begin).Round(time.Millisecond))
}
