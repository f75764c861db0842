package web

import (
	"context"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
)

// TestSendNeverBlocks: a listener that never takes its wake-ups holds
// nobody up; its wake-ups coalesce into one.
func TestSendNeverBlocks(t *testing.T) {
	a := New(nil, WithKey([]byte("k")))
	stuck, ok := a.hub.subscribe("c1", 1)
	if !ok {
		t.Fatal("subscribe refused")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 10000 {
			_ = a.Send(context.Background(), bot.Reply{Address: address("c1"), Text: "hi"})
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Send blocked on a listener that does not read")
	}
	if got := len(stuck.wake); got != 1 {
		t.Errorf("%d wake-ups pending, want 1", got)
	}
}

func TestHubSubscribe(t *testing.T) {
	var h hub
	h.topics = map[string]*topic{}
	s1, ok1 := h.subscribe("c", 2)
	s2, ok2 := h.subscribe("c", 2)
	_, ok3 := h.subscribe("c", 2)
	w, okw := h.subscribe("c", 0) // a waiting post is not a stream
	if !ok1 || !ok2 || ok3 || !okw {
		t.Fatalf("subscribe: %v %v %v %v, want true true false true", ok1, ok2, ok3, okw)
	}
	if got := h.listeners("c"); got != 3 {
		t.Errorf("%d listeners, want 3", got)
	}
	h.wake("c")
	h.wake("other")
	for i, s := range []*sub{s1, s2, w} {
		if len(s.wake) != 1 {
			t.Errorf("listener %d not woken", i)
		}
	}
	h.unsubscribe("c", s1)
	h.unsubscribe("c", s1) // twice is harmless
	if _, ok := h.subscribe("c", 2); !ok {
		t.Error("a stream's place is not freed by unsubscribe")
	}
	h.unsubscribe("c", s2)
	h.unsubscribe("c", w)
	if got := h.listeners("c"); got != 1 {
		t.Errorf("%d listeners, want 1", got)
	}
}

func TestHubForgetsEmptyTopics(t *testing.T) {
	var h hub
	h.topics = map[string]*topic{}
	for range 100 {
		s, _ := h.subscribe("c", 1)
		h.unsubscribe("c", s)
	}
	if len(h.topics) != 0 {
		t.Errorf("%d topics left", len(h.topics))
	}
}

func TestToken(t *testing.T) {
	a := New(nil, WithKey([]byte("secret")))
	b := New(nil, WithKey([]byte("another secret")))
	id := randomID(idBytes)
	tests := []struct {
		name     string
		id, tok  string
		wantOK   bool
		wantLang string
	}{
		{"plain", id, a.token(id, ""), true, ""},
		{"with language", id, a.token(id, "de-CH"), true, "de-CH"},
		{"language changed", id, a.token(id, "de")[:43] + ".fi", false, ""},
		{"language dropped", id, a.token(id, "de")[:43], false, ""},
		{"other id", randomID(idBytes), a.token(id, ""), false, ""},
		{"other key", id, b.token(id, ""), false, ""},
		{"empty", id, "", false, ""},
		{"junk language", id, a.token(id, "") + ".<x>", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lang, ok := a.check(tt.id, tt.tok)
			if ok != tt.wantOK || ok && lang != tt.wantLang {
				t.Errorf("check = %q, %v; want %q, %v", lang, ok, tt.wantLang, tt.wantOK)
			}
		})
	}
	// Without a key every adapter makes its own: tokens do not carry over.
	x, y := New(nil), New(nil)
	if _, ok := y.check(id, x.token(id, "")); ok {
		t.Error("a token of another process's random key was accepted")
	}
}

func TestIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := randomID(idBytes)
		if !validID(id) || seen[id] {
			t.Fatalf("id %q: invalid or repeated", id)
		}
		seen[id] = true
	}
	for _, bad := range []string{"", "short", randomID(idBytes) + "x", "abcdefghijklmnopqrstu!", "../../../../etc/passwd"} {
		if validID(bad) {
			t.Errorf("validID(%q) = true", bad)
		}
	}
}

func TestLanguages(t *testing.T) {
	tests := []struct {
		header, want string
	}{
		{"", ""},
		{"de", "de"},
		{"de-CH, de;q=0.9, en;q=0.8", "de-CH"},
		{"en;q=0.3, fi;q=0.7", "fi"},
		{"en;q=0.5, it;q=0.5", "en"},
		{"*", ""},
		{"fr;q=0", ""},
		{"x;q=abc, it", "it"},
		{"123, <b>, zh-Hant-TW", "zh-Hant-TW"},
		{"averyveryverylongtag", ""},
	}
	for _, tt := range tests {
		if got := acceptLanguage(tt.header); got != tt.want {
			t.Errorf("acceptLanguage(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}
