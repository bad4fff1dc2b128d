package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/agent"
	"github.com/hoist-dev/hoist/transfer/client"
)

func TestStatusSaysWhenNoAgentRuns(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.vars["XDG_RUNTIME_DIR"] = t.TempDir()
	if out := s.mustRun("status"); out != "no hoist agent runs\n" {
		t.Fatalf("hoist status: %q", out)
	}
	if out := s.mustRun("status", "--json"); out != `{"agent":null,"jobs":[],"uploads":[]}`+"\n" {
		t.Fatalf("hoist status --json: %q", out)
	}
	if r := s.run("send", "--wait", "abc"); r.code != 1 || !strings.Contains(r.stderr, "no hoist agent runs") {
		t.Fatalf("hoist send --wait without an agent: exit %d, %q", r.code, r.stderr)
	}
}

func TestAgentCommandServesAndASecondStartFindsIt(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.vars["XDG_RUNTIME_DIR"] = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr syncBuffer
	exited := make(chan int, 1)
	go func() { exited <- Run(ctx, s.env(&stdout, &stderr), []string{"agent"}) }()

	var st struct {
		Agent   *struct{ PID int } `json:"agent"`
		Uploads []agent.UploadInfo `json:"uploads"`
	}
	for st.Agent == nil {
		if ctx.Err() != nil {
			t.Fatalf("the agent did not come up: %s", stderr.String())
		}
		if err := json.Unmarshal([]byte(s.mustRun("status", "--json")), &st); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st.Uploads == nil || len(st.Uploads) != 0 {
		t.Fatalf("a new agent lists %v", st.Uploads)
	}
	if out := s.mustRun("agent"); !strings.Contains(out, "a hoist agent already runs") {
		t.Fatalf("second hoist agent: %q", out)
	}
	cancel()
	if code := <-exited; code != 0 {
		t.Fatalf("hoist agent exited %d: %s", code, stderr.String())
	}
}

func TestSendDetachAndWaitExcludeEachOther(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	r := s.run("send", "--detach", "--wait", "--token", "x", "abc")
	if r.code != 1 || !strings.Contains(r.stderr, "--detach and --wait exclude each other") {
		t.Fatalf("exit %d, %q", r.code, r.stderr)
	}
}

// hoist status prints under a job its notes and the paths its walk
// skipped, from the log the agent keeps, and --follow prints them as they
// come; the files already there stay a count on the job's line.
func TestStatusShowsAJobsNotesAndSkippedPaths(t *testing.T) {
	const id = "db208d04-4404-477f-871e-6ad942c26bd5"
	note := &client.JobEvent{Job: id, Kind: client.JobNote, Note: "the server cannot say which files it holds"}
	skip := &client.JobEvent{Job: id, Kind: client.JobSkipped, Path: "/d/broken", Reason: "dangling symbolic link"}
	there := &client.AlreadyThereEvent{Job: id, Name: "d/a.txt", Size: 3}
	job := agent.JobInfo{ID: id, State: "done", Final: true, AlreadyThere: 1, LogDropped: 2,
		Log: []*agent.WireEvent{agent.EncodeEvent(note), agent.EncodeEvent(skip), agent.EncodeEvent(there)}}
	var out strings.Builder
	if err := printStatus(&out, 1, nil, []agent.JobInfo{job}, false); err != nil {
		t.Fatal(err)
	}
	want := "job db208d04  done         0 file(s) found, 0 B  0 part(s)    1 already there\n" +
		"  (2 earlier line(s) not kept)\n" +
		"  note: the server cannot say which files it holds\n" +
		"  skipped /d/broken: dangling symbolic link\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Fatalf("status printed\n%s\nwant it to end with\n%s", out.String(), want)
	}
	for ev, line := range map[*client.JobEvent]string{
		note: "job db208d04  note: the server cannot say which files it holds",
		skip: "job db208d04  skipped /d/broken: dangling symbolic link",
	} {
		if got := followLine(agent.Message{Event: agent.EncodeEvent(ev)}); got != line {
			t.Errorf("--follow printed %q, want %q", got, line)
		}
	}
}
