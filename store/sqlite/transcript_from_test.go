package sqlite

import (
	"context"
	"reflect"
	"testing"

	"github.com/calmbot/calmbot/bot"
)

func TestTranscriptFrom(t *testing.T) {
	s, _ := openStore(t)
	a := addr("c1")
	mustCommit(t, s, turn(a, 1, "p1", "one", "two"))
	mustCommit(t, s, turn(a, 4, "p4", "three"))
	mustCommit(t, s, turn(addr("other"), 1, "p1", "elsewhere"))
	all := mustTranscript(t, s, a)
	for _, after := range []int64{0, 1, 3, 4, 5, 99} {
		got, err := s.TranscriptFrom(context.Background(), a, after)
		if err != nil {
			t.Fatal(err)
		}
		var want []bot.Entry
		for _, e := range all {
			if e.Seq > after {
				want = append(want, e)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("after %d:\n got %+v\nwant %+v", after, got, want)
		}
	}
}

// An inbound entry's Choice (the option a button press chose) is stored
// and read back by Transcript and TranscriptFrom.
func TestEntryChoice(t *testing.T) {
	s, _ := openStore(t)
	a := addr("c1")
	tr := turn(a, 1, "p1")
	tr.Inbound[0].Text, tr.Inbound[0].Choice = "Send a replacement", "resend"
	mustCommit(t, s, tr)
	mustCommit(t, s, turn(a, 2, "p2"))
	got := mustTranscript(t, s, a)
	if len(got) != 2 || got[0].Choice != "resend" || got[0].Text != "Send a replacement" || got[1].Choice != "" {
		t.Fatalf("transcript %+v, want the first entry with choice resend", got)
	}
	from, err := s.TranscriptFrom(context.Background(), a, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(from, got) {
		t.Errorf("TranscriptFrom %+v, want %+v", from, got)
	}
}
