package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
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
// database with web chat customers spread over them (each request to the
// next instance), kills one with SIGKILL in the middle, and checks that
// every acknowledged customer message is stored exactly once, that every
// conversation is answered to the end, in order, and that no reply waits
// in the outbox.
func TestInstancesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three servers")
	}
	dsn := postgresDSN(t, "instances_kill")
	insts := []*instance{startInstance(t, dsn), startInstance(t, dsn), startInstance(t, dsn)}
	const customers, messages = 40, 4
	client := &http.Client{Timeout: 60 * time.Second}
	var alive [3]atomic.Bool
	var retried atomic.Int64
	for i := range alive {
		alive[i].Store(true)
	}
	// do sends a request to instance i or, when it fails, to the next live one.
	do := func(i int, method, path, token, body string) (*http.Response, []byte, error) {
		var lastErr error
		for try := range 6 {
			k := (i + try) % len(insts)
			if !alive[k].Load() {
				continue
			}
			req, _ := http.NewRequest(method, insts[k].base+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
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
				continue
			}
			return resp, b, nil
		}
		return nil, nil, lastErr
	}
	type customer struct {
		id, token string
		acked     []string
	}
	cs := make([]*customer, customers)
	var sent atomic.Int64
	killed := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for n := range customers {
		wg.Go(func() {
			resp, b, err := do(n, "POST", "/api/conversations", "", `{"lang":"en"}`)
			if err != nil || resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
				t.Errorf("customer %d: create: %v %s", n, err, b)
				return
			}
			c := &customer{}
			var created struct{ ID, Token string }
			_ = json.Unmarshal(b, &created)
			c.id, c.token = created.ID, created.Token
			cs[n] = c
			texts := []string{"my parcel has still not arrived", "yes", "track it", "thank you"}
			for m := range messages {
				mid := fmt.Sprintf("c%d-m%d", n, m)
				body, _ := json.Marshal(map[string]string{"text": texts[m%len(texts)], "id": mid})
				resp, b, err := do(n+m, "POST", "/api/conversations/"+c.id+"/messages?wait=1", c.token, string(body))
				if err != nil || resp.StatusCode >= 300 {
					t.Errorf("customer %d message %d: %v %s", n, m, err, b)
					continue
				}
				c.acked = append(c.acked, mid)
				if sent.Add(1) == customers*messages/3 {
					once.Do(func() {
						alive[1].Store(false)
						_ = insts[1].cmd.Process.Signal(syscall.SIGKILL)
						close(killed)
					})
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-killed:
	default:
		t.Fatal("no instance was killed")
	}

	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	// The killed instance's conversations move on on the others.
	deadline := time.Now().Add(60 * time.Second)
	for {
		un, err := st.Unanswered(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pend, err := st.Pending(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(un) == 0 && len(pend) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d conversations unanswered, %d replies undelivered after the kill", len(un), len(pend))
		}
		time.Sleep(100 * time.Millisecond) // polling the database
	}
	for n, c := range cs {
		if c == nil {
			continue
		}
		tr, err := st.Transcript(ctx, bot.Address{Channel: web.Channel, Conversation: c.id})
		if err != nil {
			t.Fatal(err)
		}
		stored := map[string]int{}
		for i, e := range tr {
			if e.Seq != int64(i+1) {
				t.Errorf("customer %d: entry %d has seq %d", n, i, e.Seq)
			}
			if e.Direction == bot.Inbound {
				stored[e.PlatformID]++
			}
		}
		for _, mid := range c.acked {
			if stored[mid] != 1 {
				t.Errorf("customer %d: acknowledged message %s stored %d times", n, mid, stored[mid])
			}
		}
		if len(tr) == 0 || tr[len(tr)-1].Direction != bot.Outbound {
			t.Errorf("customer %d: the conversation does not end with a reply: %+v", n, tr[len(tr)-1:])
		}
	}
	acked := 0
	for _, c := range cs {
		if c != nil {
			acked += len(c.acked)
		}
	}
	t.Logf("%d customers, %d messages acknowledged, %d requests retried on another instance after the kill", customers, acked, retried.Load())
	var logs bytes.Buffer
	for i, in := range insts {
		fmt.Fprintf(&logs, "--- instance %d\n%s", i, in.log.String())
	}
	if t.Failed() {
		t.Log(logs.String())
	}
}
