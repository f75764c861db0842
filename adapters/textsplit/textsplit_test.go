package textsplit_test

import (
	"slices"
	"testing"

	"github.com/calmbot/calmbot/adapters/textsplit"
)

func one(rune) int { return 1 }

func TestSplit(t *testing.T) {
	tests := []struct {
		name  string
		s     string
		limit int
		want  []string
	}{
		{"fits", "hello world", 20, []string{"hello world"}},
		{"at a space", "hello brave world", 12, []string{"hello brave", "world"}},
		{"at a line break in the second half", "first line\nsecond part", 15, []string{"first line", "second part"}},
		{"a long word", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"never inside a character", "ééé", 2, []string{"éé", "é"}},
		{"empty", "   ", 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := textsplit.Split(tt.s, tt.limit, one); !slices.Equal(got, tt.want) {
				t.Errorf("Split(%q, %d) = %q, want %q", tt.s, tt.limit, got, tt.want)
			}
		})
	}
	// The cost decides: "&" costing 5 leaves room for two of them in 10.
	amp := func(r rune) int {
		if r == '&' {
			return 5
		}
		return 1
	}
	if got, want := textsplit.Split("&& &&", 10, amp), []string{"&&", "&&"}; !slices.Equal(got, want) {
		t.Errorf("with a cost: %q, want %q", got, want)
	}
}
