package agent

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/transfer/client"
)

// Only the walk's own reports and the job's end carry the walk's counters
// on the wire; a note, a skipped path or a part that starts leave them out
// (before, every job event carried a zero walk object, kept 50 times over
// in each job's log). Decoding gives the same events back either way.
func TestOnlyWalkAndDoneEventsCarryTheWalk(t *testing.T) {
	walk := client.WalkProgress{Files: 3, Bytes: 300, Dirs: 1, Skipped: 1, Done: true}
	for _, ev := range []*client.JobEvent{
		{Job: "j", Kind: client.JobWalking, Walk: walk},
		{Job: "j", Kind: client.JobDone, Walk: walk, Parts: 1},
		{Job: "j", Kind: client.JobPartStarted, FID: "f", Part: 1},
		{Job: "j", Kind: client.JobNote, Note: "the server cannot say which files it holds"},
		{Job: "j", Kind: client.JobSkipped, Path: "/d/link", Reason: "a dangling symbolic link"},
	} {
		b, err := json.Marshal(EncodeEvent(ev))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Contains(string(b), `"walk"`), ev.Kind.CarriesWalk(); got != want {
			t.Errorf("%s event on the wire: %s; carries a walk: %v, want %v", ev.Kind, b, got, want)
		}
		var w WireEvent
		if err := json.Unmarshal(b, &w); err != nil {
			t.Fatal(err)
		}
		back, ok := w.Decode().(*client.JobEvent)
		if !ok || back.Kind != ev.Kind || back.Walk != ev.Walk || back.Note != ev.Note || back.Path != ev.Path || back.Parts != ev.Parts {
			t.Errorf("%s event decodes as %+v, want %+v", ev.Kind, back, ev)
		}
	}
}
