package floor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// maxBody bounds a request body, as the web chat's.
const maxBody = 16 << 10

// Handler serves the web chat's two routes of a turn, with no engine:
// POST /api/conversations creates a conversation and answers 201 with its
// id and token; POST /api/conversations/{id}/messages, with the token as
// a bearer, reads {"text", "id"}, commits the turn through w and answers
// 200 {"replies": [{"text"}]}. reply is the text answered (the peer
// bench's load generator checks for words of its script in it). Tokens
// are an HMAC-SHA256 of the id with key.
func Handler(w *Writer, key []byte, reply string) http.Handler {
	h := &handler{w: w, key: key}
	h.replyBody, _ = json.Marshal(map[string]any{"replies": []map[string]string{{"text": reply}}})
	m := http.NewServeMux()
	m.HandleFunc("POST /api/conversations", h.create)
	m.HandleFunc("POST /api/conversations/{id}/messages", h.post)
	return m
}

type handler struct {
	w         *Writer
	key       []byte
	replyBody []byte
}

func (h *handler) token(id string) string {
	mac := hmac.New(sha256.New, h.key)
	mac.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (h *handler) create(w http.ResponseWriter, r *http.Request) {
	conv, err := h.w.Create(r.Context())
	if err != nil {
		http.Error(w, "not stored; try again", http.StatusServiceUnavailable)
		return
	}
	id := strconv.FormatInt(conv, 10)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]string{"id": id, "token": h.token(id)})
}

func (h *handler) post(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	conv, err := strconv.ParseInt(id, 10, 64)
	given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if err != nil || conv <= 0 || !ok || !hmac.Equal([]byte(given), []byte(h.token(id))) {
		http.Error(w, "unknown conversation or wrong token", http.StatusUnauthorized)
		return
	}
	var in struct {
		Text string `json:"text"`
		ID   string `json:"id"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&in); err != nil || strings.TrimSpace(in.Text) == "" {
		http.Error(w, `want {"text": "...", "id": "..."}`, http.StatusBadRequest)
		return
	}
	if err := h.w.Turn(r.Context(), conv, in.Text); err != nil {
		http.Error(w, "not stored; try again", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(h.replyBody)
}
