package handoff

import (
	"log/slog"
	"testing"
	"time"

	"github.com/calmbot/calmbot/flows"
)

// bareSayer is the sayer of a flow file without wait words: every word
// comes from the default flows.
func bareSayer() sayer {
	d := &defaultWords{}
	return sayer{own: &flows.WaitWords{}, defaults: func() (*flows.WaitWords, string) { return d.get(slog.Default()) }}
}

func TestFormatWait(t *testing.T) {
	tests := []struct {
		lang string
		d    time.Duration
		want string
	}{
		{"en", 10 * time.Second, "1 minute"},
		{"en", 61 * time.Second, "2 minutes"},
		{"en", 89 * time.Minute, "89 minutes"},
		{"en", 90 * time.Minute, "2 hours"},
		{"en", 2*time.Hour + time.Minute, "3 hours"},
		{"it", 5 * time.Minute, "5 minuti"},
		{"de", time.Minute, "1 Minute"},
		{"fi", 3 * time.Minute, "3 minuuttia"},
		{"sv", 3 * time.Minute, "3 minutes"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+" "+tt.d.String(), func(t *testing.T) {
			if got := bareSayer().wait(tt.lang, tt.d); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHours(t *testing.T) {
	day := func(d, h, m int) time.Time { return time.Date(2026, 1, d, h, m, 0, 0, time.UTC) } // 5 January 2026 is a Monday
	office := &flows.Hours{Timezone: "UTC", Days: []string{"mon", "tue", "wed", "thu", "fri"}, Open: "09:00", Close: "17:30"}
	night := &flows.Hours{Timezone: "UTC", Days: []string{"fri"}, Open: "22:00", Close: "06:00"}
	tests := []struct {
		name     string
		hours    *flows.Hours
		at       time.Time
		open     bool
		next     time.Time
		opensTxt string
	}{
		{"before opening", office, day(5, 8, 59), false, day(5, 9, 0), "09:00 UTC"},
		{"at opening", office, day(5, 9, 0), true, day(5, 9, 0), "09:00 UTC"},
		{"at closing", office, day(5, 17, 30), false, day(6, 9, 0), "Tuesday 09:00 UTC"},
		{"friday evening", office, day(9, 18, 0), false, day(12, 9, 0), "Monday 09:00 UTC"},
		{"saturday", office, day(10, 12, 0), false, day(12, 9, 0), "Monday 09:00 UTC"},
		{"overnight, friday late", night, day(9, 23, 0), true, day(9, 23, 0), "23:00 UTC"},
		{"overnight, saturday early", night, day(10, 5, 59), true, day(10, 5, 59), "05:59 UTC"},
		{"overnight, saturday morning", night, day(10, 6, 0), false, day(16, 22, 0), "Friday 22:00 UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := parseHours(tt.hours)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.isOpen(tt.at); got != tt.open {
				t.Errorf("open: got %v, want %v", got, tt.open)
			}
			next := h.next(tt.at)
			if !next.Equal(tt.next) {
				t.Errorf("next: got %v, want %v", next, tt.next)
			}
			if got := bareSayer().opens("en", next, tt.at); got != tt.opensTxt {
				t.Errorf("opens: got %q, want %q", got, tt.opensTxt)
			}
		})
	}
	for _, bad := range []*flows.Hours{
		{Timezone: "Mars/Olympus", Open: "09:00", Close: "17:00"},
		{Days: []string{"someday"}, Open: "09:00", Close: "17:00"},
		{Open: "9", Close: "17:00"},
	} {
		if _, err := parseHours(bad); err == nil {
			t.Errorf("hours %+v: no error", bad)
		}
	}
}
