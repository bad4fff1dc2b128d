package tui

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/agent"
	"github.com/hoist-dev/hoist/transfer/client"
)

// An agent that goes away under an attached UI is reported (Lost), and a
// UI that detaches itself is not told it lost anything. A rate limit set in
// a UI is the agent's.
func TestAgentUploaderReportsALostAgent(t *testing.T) {
	s, err := agent.Listen(agent.Config{
		Dir: filepath.Join(t.TempDir(), "hoist"),
		NewEngine: func(set agent.Settings) (*client.Engine, error) {
			return client.New(client.Options{Server: set.Server, Token: client.StaticToken("unused"), JournalDir: t.TempDir()})
		},
		IdleTimeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { defer close(served); s.Serve(ctx) }()
	defer func() { cancel(); <-served }()
	attach := func() *AgentUploader {
		t.Helper()
		c, err := agent.Dial(t.Context(), s.Socket())
		if err != nil {
			t.Fatal(err)
		}
		u, err := NewAgentUploader(t.Context(), c, agent.Settings{Server: "127.0.0.1:1"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}

	// The rate limit set in one UI is the agent's, seen by the next UI.
	detached := attach()
	if err := detached.SetRateLimit(3 << 20); err != nil {
		t.Fatal(err)
	}
	detached.Close()
	if err := detached.Lost(); err != nil {
		t.Fatalf("Lost after Close = %v", err)
	}

	u := attach()
	defer u.Close()
	if rate := u.RateLimit(); rate != 3<<20 {
		t.Fatalf("the next UI sees a rate limit of %d, want %d", rate, 3<<20)
	}
	if err := u.Lost(); err != nil {
		t.Fatalf("Lost while the agent runs = %v", err)
	}
	cancel() // the agent stops
	<-served
	for range u.Events() { // until the stream ends
	}
	if err := u.Lost(); !errors.Is(err, errLostAgent) {
		t.Fatalf("Lost after the agent stopped = %v", err)
	}
}

// The UI says so when it loses the agent.
func TestLosingTheAgentIsShown(t *testing.T) {
	d, fa := attachedDriver(t)
	fa.lost = errLostAgent
	d.send(eventsMsg{src: fa.events, closed: true})
	d.requireView("lost the hoist agent")
}

// The uploader keeps a job's log as the agent sent it on attaching: later
// events reach the UI live, so adopting the job must not show them twice.
func TestAgentUploaderKeepsTheLogFromBeforeAttaching(t *testing.T) {
	attach := []*agent.WireEvent{agent.EncodeEvent(&client.JobEvent{Job: "j", At: fixedNow, Kind: client.JobNote, Note: "before"})}
	u := &AgentUploader{jobs: map[string]agent.JobInfo{"j": {ID: "j", Log: attach}}}
	u.noteJob(&client.JobEvent{Job: "j", At: fixedNow, Kind: client.JobNote, Note: "after"})
	u.noteJob(&client.AlreadyThereEvent{Job: "j", At: fixedNow, Name: "x"})
	info, _, _ := u.DescribeJob("j")
	if len(info.Log) != 1 || info.Log[0].Note != "before" || info.AlreadyThere != 1 {
		t.Fatalf("described as %+v: want the attach-time log and the count brought up to date", info)
	}
}
