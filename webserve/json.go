package webserve

import (
	"encoding/json"
	"net/http"
)

// WriteJSON answers with v as JSON, not to be cached or sniffed.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	// The client may be gone; nothing to do then.
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError answers with {"error": msg}.
func WriteError(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, map[string]string{"error": msg})
}
