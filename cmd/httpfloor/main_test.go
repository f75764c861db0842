package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRun serves the floor on a loopback port, runs one turn through it
// and stops it; any other address is refused.
func TestRun(t *testing.T) {
	if err := run(context.Background(), []string{"--addr", "0.0.0.0:0"}, io.Discard); err == nil || !strings.Contains(err.Error(), "only a loopback address") {
		t.Errorf("0.0.0.0: %v, want a refusal", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "f.db")}, pw)
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	base := strings.Fields(line)[2]
	res, err := http.Post(base+"/api/conversations", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ ID, Token string }
	_ = json.NewDecoder(res.Body).Decode(&c)
	res.Body.Close()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/conversations/"+c.ID+"/messages?wait=1", strings.NewReader(`{"text":"late","id":"m1"}`))
	req.Header.Set("Authorization", "Bearer "+c.Token)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"Just to be sure", "Here is what I can do", "Time frame", "anything else", "pleasure to help"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("reply %q lacks %q, which the peer bench's load generator looks for", b, want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
}
