package store

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadMigrations(t *testing.T) {
	file := func(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }
	tests := []struct {
		name  string
		files fstest.MapFS
		want  []Migration
		err   string // in the error; "" for none
	}{
		{name: "none", files: fstest.MapFS{}},
		{name: "in order", files: fstest.MapFS{
			"m/0002_b.sql":   file("CREATE TABLE b (x int);"),
			"m/0001_a.sql":   file("CREATE TABLE a (x int);"),
			"m/README.md":    file("not a step"),
			"other/0003.sql": file("not in m"),
		}, want: []Migration{
			{Version: 1, Name: "0001_a.sql", SQL: "CREATE TABLE a (x int);"},
			{Version: 2, Name: "0002_b.sql", SQL: "CREATE TABLE b (x int);"},
		}},
		{name: "gap", files: fstest.MapFS{"m/0001_a.sql": file(""), "m/0003_c.sql": file("")}, err: "migration 0003_c.sql: version 3, want 2"},
		{name: "not from 1", files: fstest.MapFS{"m/0002_b.sql": file("")}, err: "version 2, want 1"},
		{name: "no number", files: fstest.MapFS{"m/init.sql": file("")}, err: "migration init.sql: name is not NNNN_name.sql"},
		{name: "no name", files: fstest.MapFS{"m/0001.sql": file("")}, err: "name is not NNNN_name.sql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadMigrations(tt.files, "m")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("LoadMigrations = %v, %v; want an error with %q", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("LoadMigrations = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("step %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestPending(t *testing.T) {
	steps := []Migration{{Version: 1, Name: "0001_a.sql"}, {Version: 2, Name: "0002_b.sql"}}
	for v, want := range []int{2, 1, 0} {
		got, err := Pending(steps, v)
		if err != nil || len(got) != want || (want > 0 && got[0].Version != v+1) {
			t.Errorf("Pending(version %d) = %+v, %v; want the %d steps after it", v, got, err, want)
		}
	}
	if got, err := Pending(steps, 3); !errors.Is(err, ErrSchemaTooNew) || got != nil {
		t.Errorf("Pending(version 3) = %+v, %v; want ErrSchemaTooNew", got, err)
	}
}
