package agent

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hoist-dev/hoist/transfer/client"
)

// An agent that runs for weeks forgets its oldest finished uploads and
// jobs beyond what it keeps; running ones, and the finished parts of a
// running job, stay. Before, it kept every record until it exited.
func TestTheHubForgetsTheOldestFinishedUploads(t *testing.T) {
	h := newHub(func() {})
	h.keep, h.keepJobs = 3, 1
	var recs []*record
	for i := range 6 {
		recs = append(recs, h.add(UploadInfo{FID: fmt.Sprintf("up-%d", i)}, nil))
	}
	running := h.add(UploadInfo{FID: "running"}, nil)
	job, err := h.startJob(nil, "tcp://x", []string{"/d"}, nil, func() (string, error) { return "job-1", nil })
	if err != nil {
		t.Fatal(err)
	}
	part := h.add(UploadInfo{FID: "part-1", Job: "job-1"}, nil)
	h.finish(part, nil) // a finished part of a running job
	for _, r := range recs {
		h.finish(r, nil)
	}
	ups, _ := h.list()
	var fids []string
	for _, u := range ups {
		fids = append(fids, u.FID)
	}
	if want := []string{"up-3", "up-4", "up-5", "running", "part-1"}; !slices.Equal(fids, want) {
		t.Fatalf("the hub keeps %v, want %v", fids, want)
	}
	h.finishJob(job, nil)
	old, err := h.startJob(nil, "tcp://x", []string{"/e"}, nil, func() (string, error) { return "job-2", nil })
	if err != nil {
		t.Fatal(err)
	}
	h.finishJob(old, nil)
	ups, jobs := h.list()
	if len(jobs) != 1 || jobs[0].ID != "job-2" {
		t.Fatalf("the hub keeps jobs %+v, want job-2 alone", jobs)
	}
	fids = fids[:0]
	for _, u := range ups {
		fids = append(fids, u.FID)
	}
	// Once its job ended, the part counts as any finished upload: the
	// oldest of the four finished ones goes.
	if want := []string{"up-4", "up-5", "running", "part-1"}; !slices.Equal(fids, want) {
		t.Fatalf("once the job ended the hub keeps %v, want %v", fids, want)
	}
	if _, err := h.lookup("running"); err != nil || running.finished() {
		t.Fatalf("the running upload: %v", err)
	}
}

// A job's log keeps its last KeptJobLog lines and counts the ones it
// dropped; a copy taken before (a snapshot on its way to a subscriber)
// does not change when more lines come.
func TestAJobsLogIsBounded(t *testing.T) {
	info := JobInfo{ID: "j"}
	for i := range KeptJobLog {
		info.keepInLog(&client.JobEvent{Job: "j", Kind: client.JobNote, Note: fmt.Sprint(i)})
	}
	snapshot := info
	before := slices.Clone(snapshot.Log)
	for i := range 3 {
		info.keepInLog(&client.JobEvent{Job: "j", Kind: client.JobSkipped, Path: fmt.Sprint("/p", i), Reason: "r"})
	}
	info.keepInLog(&client.JobEvent{Job: "other", Kind: client.JobNote, Note: "not this job's"})
	info.keepInLog(&client.JobEvent{Job: "j", Kind: client.JobWalking}) // no line
	if len(info.Log) != KeptJobLog || info.LogDropped != 3 {
		t.Fatalf("log of %d lines, %d dropped; want %d and 3", len(info.Log), info.LogDropped, KeptJobLog)
	}
	if first, last := info.Log[0], info.Log[len(info.Log)-1]; first.Note != "3" || last.Kind != int(client.JobSkipped) || last.Path != "/p2" {
		t.Fatalf("the log runs from %+v to %+v; want note 3 to the last skipped path", first, last)
	}
	if !slices.Equal(snapshot.Log, before) {
		t.Fatal("a copy of the job taken earlier changed when lines were added")
	}
}

// The replay a subscriber gets sends an upload's latest session state
// after its log only when the log does not end with it: a UI attaching
// after an upload ended showed its last state twice.
func TestTheReplaySendsTheLastStateOnce(t *testing.T) {
	h := newHub(func() {})
	h.add(UploadInfo{FID: "up"}, nil)
	h.record(&client.SessionEvent{FID: "up", State: client.StateSending})
	h.record(&client.ChunkEvent{FID: "up", Action: client.ChunkResent})
	h.record(&client.SessionEvent{FID: "up", State: client.StateDone})
	sessions := func() []client.State {
		s, _, _ := h.subscribe()
		defer h.unsubscribe(s)
		var states []client.State
		for len(s.out) > 0 {
			m := <-s.out
			if m.Event != nil && m.Event.Type == eventSession {
				states = append(states, client.State(m.Event.State))
			}
		}
		return states
	}
	if got := sessions(); !slices.Equal(got, []client.State{client.StateSending, client.StateDone}) {
		t.Fatalf("the replay's session states: %v, want sending then done, once each", got)
	}
	// A chunk resent after the last state: the state comes again, after it.
	h.record(&client.ChunkEvent{FID: "up", Action: client.ChunkResent})
	if got := sessions(); !slices.Equal(got, []client.State{client.StateSending, client.StateDone, client.StateDone}) {
		t.Fatalf("the replay's session states: %v, want the last state again after the log", got)
	}
}
