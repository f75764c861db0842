package console_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calmbot/calmbot/adapters/console"
	"github.com/calmbot/calmbot/bot"
)

// lines is a bot.Handler that cannot Flush.
type lines struct {
	mu   sync.Mutex
	msgs []bot.Message
}

func (r *lines) Handle(_ context.Context, m bot.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	return nil
}

// Start reads the input in the background and Done tells when it ended.
func TestStartDone(t *testing.T) {
	var out strings.Builder
	a := console.New(strings.NewReader("hello\n\nmy order\n"), &out)
	var _ bot.Adapter = a
	h := &lines{}
	if err := a.Start(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background(), h); err == nil {
		t.Error("a second Start: no error")
	}
	select {
	case <-a.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the input's end was not noticed")
	}
	if err := a.Err(); err != nil {
		t.Errorf("Err: %v", err)
	}
	if len(h.msgs) != 2 || h.msgs[0].Text != "hello" || h.msgs[1].Text != "my order" || h.msgs[0].Address.Channel != console.Channel {
		t.Errorf("handled %+v", h.msgs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
}
