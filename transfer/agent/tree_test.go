package agent

import (
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/client"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
)

// A tree handed to the agent is a job: it goes up in as many parts as the
// server's files-per-upload limit needs, with its paths, each part listed
// as an upload of the job, and its events reach subscribers. Before, the
// agent sent a tree as one upload, which a server refuses above its limit.
func TestATreeGoesUpInPartsThroughTheAgent(t *testing.T) {
	srv := servertest.Start(t, servertest.WithLimits(server.Limits{MaxFiles: 3}))
	s, _ := startAgent(t, srv, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := dial(t, s)
	if _, _, err := c.Subscribe(ctx); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "photos")
	want := map[string]string{}
	for i := range 7 {
		name := fmt.Sprintf("album/p%d.jpg", i)
		if err := os.MkdirAll(filepath.Join(dir, "album"), 0o755); err != nil {
			t.Fatal(err)
		}
		content := strings.Repeat(fmt.Sprint(i), 1000+i)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		want["photos/"+name] = content
	}
	if err := os.WriteFile(filepath.Join(dir, "album", "skip.tmp"), []byte("no"), 0o644); err != nil {
		t.Fatal(err)
	}
	set := Settings{Server: srv.URL()}
	if _, err := c.StartTree(ctx, set, Tree{Paths: []string{"photos"}}, nil); err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Fatalf("a relative path: %v, want a clear refusal", err)
	}
	job, err := c.StartTree(ctx, set, Tree{Paths: []string{dir}, Exclude: []string{"*.tmp"}}, []string{"holiday"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Wait(ctx, client.ShortFID(job)); err != nil || got != job {
		t.Fatalf("wait for the job: %q, %v", got, err)
	}

	got := map[string]string{}
	for _, f := range srv.Files("alice") {
		got[f.Name] = string(srv.ReadFile(f))
		if !slices.Equal(f.Tags, []string{"holiday"}) {
			t.Errorf("%s has tags %v", f.Name, f.Tags)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("the server holds %d files, want %d: %v", len(got), len(want), slices.Sorted(maps.Keys(got)))
	}
	for name, content := range want {
		if got[name] != content {
			t.Errorf("%s: stored %d bytes, want %d", name, len(got[name]), len(content))
		}
	}

	ups, jobs, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].ID != job || jobs[0].State != "done" || !jobs[0].Final || jobs[0].Parts != 3 ||
		jobs[0].Walk.Files != 7 || jobs[0].Walk.Excluded != 1 || !jobs[0].Walk.Done || !slices.Equal(jobs[0].Tags, []string{"holiday"}) {
		t.Fatalf("the agent lists jobs %+v, want job %s done in 3 parts of the 7 files walked", jobs, job)
	}
	var parts []int
	files := 0
	for _, u := range ups {
		if u.Job != job || u.State != "done" || !u.Final {
			t.Errorf("upload %+v: want a finished part of job %s", u, job)
		}
		parts = append(parts, u.Part)
		files += len(u.Files)
	}
	if !slices.Equal(parts, []int{1, 2, 3}) || files != 7 {
		t.Fatalf("the agent lists parts %v with %d files, want parts 1 to 3 with 7", parts, files)
	}

	// The subscriber heard of the job: its parts, then its end.
	var started []string
	announced := false
	for done := false; !done; {
		select {
		case m := <-c.Stream():
			if m.JobStarted != nil {
				announced = m.JobStarted.ID == job && slices.Equal(m.JobStarted.Paths, []string{dir}) && m.JobStarted.State == JobStateWalking
				continue
			}
			if m.Event == nil || m.Event.Type != "job" {
				continue
			}
			ev, ok := m.Event.Decode().(*client.JobEvent)
			if !ok || ev.Job != job {
				t.Fatalf("job event %+v", m.Event)
			}
			switch ev.Kind {
			case client.JobPartStarted:
				started = append(started, ev.FID)
				if len(ev.Files) == 0 || len(ev.Files) > 3 {
					t.Fatalf("part %d started with %d files", ev.Part, len(ev.Files))
				}
			case client.JobDone:
				done = true
				if ev.Err != nil || ev.Parts != 3 || ev.Walk.Files != 7 || ev.Walk.Excluded != 1 {
					t.Fatalf("job done: %+v", ev)
				}
			}
		case <-ctx.Done():
			t.Fatalf("the job's events did not all come: parts %v", started)
		}
	}
	if len(started) != 3 {
		t.Fatalf("parts started: %v", started)
	}
	if !announced {
		t.Fatal("the subscriber was not told of the job's start (job_started)")
	}
	// What a UI attaching now learns of the job: its latest part, and what
	// the parts before it verified.
	if jobs[0].PartFID != started[2] || jobs[0].DoneFiles != 6 || !slices.Equal(jobs[0].Paths, []string{dir}) {
		t.Fatalf("the job is listed as %+v, want part fid %s and 6 files done before it", jobs[0], started[2])
	}
	late := dial(t, s)
	if _, jobs, err := late.Subscribe(ctx); err != nil || len(jobs) != 1 || jobs[0].ID != job || !jobs[0].Final {
		t.Fatalf("a late subscriber is told of jobs %+v (%v), want the finished job", jobs, err)
	}
	// Once the job ended nothing runs: the agent may go idle.
	if n := s.hub.running(); n != 0 {
		t.Fatalf("%d uploads or jobs still count as running", n)
	}
}

// A job is listed from the moment it starts: while it cannot reach its
// server and no part has started yet, status shows it walking, and a
// cancel ends it as canceled. Before, a job was invisible until its first
// part started, and a slow walk or an unreachable server showed nothing.
func TestAJobIsListedBeforeItsFirstPart(t *testing.T) {
	srv := servertest.Start(t)
	s, _ := startAgent(t, srv, time.Minute)
	// A server that accepts and never answers: the job waits there.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			conn, err := silent.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- conn
		}
	}()
	defer func() {
		silent.Close()
		for conn := range accepted {
			conn.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dial(t, s)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	job, err := c.StartTree(ctx, Settings{Server: "tcp://" + silent.Addr().String()}, Tree{Paths: []string{dir}}, []string{"t"})
	if err != nil {
		t.Fatal(err)
	}
	ups, jobs, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 0 || len(jobs) != 1 || jobs[0].ID != job || jobs[0].State != JobStateWalking || jobs[0].Final ||
		jobs[0].Parts != 0 || jobs[0].Server != "tcp://"+silent.Addr().String() || jobs[0].Started.IsZero() {
		t.Fatalf("right after start_tree the agent lists uploads %+v and jobs %+v; want job %s walking, no part", ups, jobs, job)
	}
	if err := c.Cancel(ctx, client.ShortFID(job)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Wait(ctx, job); err == nil {
		t.Fatal("waiting for a canceled job succeeded")
	}
	if _, jobs, err = c.List(ctx); err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].State != "canceled" || !jobs[0].Final || jobs[0].Error == "" {
		t.Fatalf("after the cancel the agent lists %+v, want the job canceled", jobs)
	}
}

// A UI that attaches after a job said something still reads it: the jobs
// a subscriber is handed carry their log, here the dangling link the walk
// skipped and the file the server already held from an earlier send.
func TestAJobsLogReachesLaterSubscribers(t *testing.T) {
	srv := servertest.Start(t)
	s, _ := startAgent(t, srv, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "notes")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "broken")); err != nil {
		t.Fatal(err)
	}
	c := dial(t, s)
	set := Settings{Server: srv.URL()}
	var job string
	for range 2 { // the second send finds a.txt there already
		var err error
		if job, err = c.StartTree(ctx, set, Tree{Paths: []string{dir}}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Wait(ctx, client.ShortFID(job)); err != nil {
			t.Fatal(err)
		}
	}
	_, jobs, err := dial(t, s).Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var info *JobInfo
	for i := range jobs {
		if jobs[i].ID == job {
			info = &jobs[i]
		}
	}
	if info == nil {
		t.Fatalf("the subscriber was not handed job %s: %+v", job, jobs)
	}
	var skipped, there bool
	for _, w := range info.Log {
		switch ev := w.Decode().(type) {
		case *client.JobEvent:
			skipped = skipped || ev.Kind == client.JobSkipped && ev.Path == filepath.Join(dir, "broken") && ev.Reason != ""
		case *client.AlreadyThereEvent:
			there = there || ev.Name == "notes/a.txt"
		}
		if ev := w.Decode(); ev == nil || JobOf(ev) != job {
			t.Errorf("log line %+v does not turn back into an event of the job", w)
		}
	}
	if info.AlreadyThere != 1 || info.AlreadyThereBytes != 4 {
		t.Errorf("the second job counts %d files, %d bytes already there; want 1 and 4", info.AlreadyThere, info.AlreadyThereBytes)
	}
	if !skipped || !there {
		t.Fatalf("the second job's log %+v: want the skipped link and notes/a.txt already there", info.Log)
	}
}
