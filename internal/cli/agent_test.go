package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/agent"
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
