package floor

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "modernc.org/sqlite"
)

func openDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "floor.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestHandler runs the web chat's two routes of a turn against the floor
// and checks what it stored and what it refuses.
func TestHandler(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	w, err := NewWriter(ctx, db, 64)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(w, []byte("test key"), "Just to be sure"))
	defer srv.Close()

	post := func(path, token, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	code, body := post("/api/conversations", "", `{"lang":"en"}`)
	var c struct{ ID, Token string }
	if err := json.Unmarshal([]byte(body), &c); code != http.StatusCreated || err != nil || c.ID == "" || c.Token == "" {
		t.Fatalf("create: %d %q", code, body)
	}
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			code, body := post("/api/conversations/"+c.ID+"/messages?wait=1", c.Token, `{"text":"my order is late","id":"m`+string(rune('1'+i))+`"}`)
			if code != http.StatusOK || !strings.Contains(body, `"replies":[{"text":"Just to be sure"}]`) {
				t.Errorf("post: %d %q", code, body)
			}
		})
	}
	wg.Wait()
	var seq, msgs int
	if err := db.QueryRowContext(ctx, `SELECT seq, (SELECT count(*) FROM msg WHERE conv = conv.id) FROM conv WHERE id = ?`, c.ID).Scan(&seq, &msgs); err != nil {
		t.Fatal(err)
	}
	if seq != 6 || msgs != 6 {
		t.Errorf("after 3 turns: seq %d, %d messages; want 6 and 6", seq, msgs)
	}

	for _, tc := range []struct {
		name, path, token, body string
		want                    int
	}{
		{"wrong token", "/api/conversations/" + c.ID + "/messages", c.Token + "x", `{"text":"hi"}`, http.StatusUnauthorized},
		{"no token", "/api/conversations/" + c.ID + "/messages", "", `{"text":"hi"}`, http.StatusUnauthorized},
		{"another id", "/api/conversations/99/messages", c.Token, `{"text":"hi"}`, http.StatusUnauthorized},
		{"not a number", "/api/conversations/x/messages", c.Token, `{"text":"hi"}`, http.StatusUnauthorized},
		{"not JSON", "/api/conversations/" + c.ID + "/messages", c.Token, `hi`, http.StatusBadRequest},
		{"blank", "/api/conversations/" + c.ID + "/messages", c.Token, `{"text":"  "}`, http.StatusBadRequest},
		{"too big", "/api/conversations/" + c.ID + "/messages", c.Token, `{"text":"` + strings.Repeat("a", maxBody) + `"}`, http.StatusBadRequest},
	} {
		if code, body := post(tc.path, tc.token, tc.body); code != tc.want {
			t.Errorf("%s: %d %q, want %d", tc.name, code, body, tc.want)
		}
	}

	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Turn(ctx, 1, "late"); !errors.Is(err, ErrClosed) {
		t.Errorf("Turn after Close: %v, want ErrClosed", err)
	}
	if code, _ := post("/api/conversations", "", `{}`); code != http.StatusServiceUnavailable {
		t.Errorf("create after Close: %d, want 503", code)
	}
}
