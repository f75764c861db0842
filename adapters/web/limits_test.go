package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/calmbot/calmbot/adapters/web"
)

// TestPreferWait: every wait a client asks for is clamped or refused; a
// huge one once overflowed into a negative wait and crashed the handler
// after the message was stored.
func TestPreferWait(t *testing.T) {
	e := newEnv(t, web.WithWait(time.Second, 2*time.Second))
	tests := []struct {
		name, prefer string
		status       int
		applied      string // Preference-Applied
		stored       bool
	}{
		{"within the limit", "wait=1", http.StatusOK, "wait=1", true},
		{"above the limit", "wait=3", http.StatusOK, "wait=2", true},
		{"overflows a Duration", "wait=9223372037", http.StatusOK, "wait=2", true},
		{"overflows int64", "wait=99999999999999999999999999", http.StatusOK, "wait=2", true},
		{"quoted", `wait="1"`, http.StatusOK, "wait=1", true},
		{"zero: no wait", "wait=0", http.StatusAccepted, "", true},
		{"negative", "wait=-1", http.StatusBadRequest, "", false},
		{"fraction", "wait=1.5", http.StatusBadRequest, "", false},
		{"sign", "wait=+1", http.StatusBadRequest, "", false},
		{"empty", "wait=", http.StatusBadRequest, "", false},
		{"words", "wait=soon", http.StatusBadRequest, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.create(`{"lang": "en"}`)
			res, b := e.do("POST", "/api/conversations/"+c.ID+"/messages", c.Token, `{"text": "my parcel has not arrived", "id": "m1"}`, "Prefer", tt.prefer)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, b)
			}
			if got := res.Header.Get("Preference-Applied"); got != tt.applied {
				t.Errorf("Preference-Applied = %q, want %q", got, tt.applied)
			}
			if got := len(e.transcript(c).Messages) > 0; got != tt.stored {
				t.Errorf("stored = %v, want %v", got, tt.stored)
			}
		})
	}
}
