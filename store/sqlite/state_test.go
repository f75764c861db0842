package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

func TestAdapterState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := st.Get(ctx, "telegram/offset"); err != nil || v != "" {
		t.Fatalf("unset key: %q %v", v, err)
	}
	for _, v := range []string{"501", "777"} {
		if err := st.Set(ctx, "telegram/offset", v); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Set(ctx, "telegram/keyboard/1", "9"); err != nil {
		t.Fatal(err)
	}
	if err := st.Set(ctx, "telegram/keyboard/1", ""); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for key, want := range map[string]string{"telegram/offset": "777", "telegram/keyboard/1": ""} {
		if got, err := st.Get(ctx, key); err != nil || got != want {
			t.Errorf("after reopening, %s = %q (%v), want %q", key, got, err, want)
		}
	}
}
