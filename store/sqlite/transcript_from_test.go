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
