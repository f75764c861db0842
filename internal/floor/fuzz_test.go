package floor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzHandler posts arbitrary bodies to both routes, as a customer of a
// created conversation: the floor never panics and answers only 200 (or
// 201), 400 or 401.
func FuzzHandler(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "bodies", "*.json"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	ctx := context.Background()
	w, err := NewWriter(ctx, openDB(f), 16)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = w.Close() })
	key := []byte("fuzz key")
	h := Handler(w, key, "ok")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/conversations", strings.NewReader(`{}`)))
	if rec.Code != http.StatusCreated {
		f.Fatalf("create: %d", rec.Code)
	}
	token := (&handler{key: key}).token("1")
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{"/api/conversations/1/messages?wait=1", "/api/conversations"} {
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			switch rec.Code {
			case http.StatusOK, http.StatusCreated, http.StatusBadRequest, http.StatusUnauthorized:
			default:
				t.Fatalf("%s answered %d: %s", path, rec.Code, rec.Body)
			}
		}
	})
}
