package webserve

import (
	"encoding/json"
	"net/http"
)

// jsonHeaders are WriteJSON's headers (canonical names and values);
// jsonHeadersNosniff adds nosniff for a response that has it not yet.
var (
	jsonHeaders        = [][2]string{{"Content-Type", "application/json; charset=utf-8"}, {"Cache-Control", "no-store"}}
	jsonHeadersNosniff = append(jsonHeaders[:len(jsonHeaders):len(jsonHeaders)], [2]string{"X-Content-Type-Options", "nosniff"})
)

// WriteJSON answers with v as JSON, not to be cached or sniffed.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	own := jsonHeaders
	if len(h["X-Content-Type-Options"]) == 0 {
		own = jsonHeadersNosniff
	}
	vals := make([]string, len(own))
	for i, kv := range own {
		vals[i] = kv[1]
		h[kv[0]] = vals[i : i+1 : i+1]
	}
	w.WriteHeader(status)
	// The client may be gone; nothing to do then.
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError answers with {"error": msg}.
func WriteError(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, map[string]string{"error": msg})
}
