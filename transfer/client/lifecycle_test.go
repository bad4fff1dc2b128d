package client

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
)

// slowUpload starts a 4 MiB upload that the server acknowledges slowly, one
// or two chunks at a time, so that a test can act in the middle of it.
func slowUpload(t *testing.T, tweak func(*Options)) (*servertest.Server, *Engine, *recorder, string, []byte, Options) {
	t.Helper()
	srv, e, rec, fid, data, opts, _ := slowUploadFaults(t, tweak)
	return srv, e, rec, fid, data, opts
}

// slowUploadFaults is slowUpload that also returns the server's fault seam,
// which counts chunks and connections.
func slowUploadFaults(t *testing.T, tweak func(*Options)) (*servertest.Server, *Engine, *recorder, string, []byte, Options, *faults) {
	t.Helper()
	f := &faults{ackDelay: 2 * time.Millisecond}
	var opts Options
	srv, e, rec, fid, data := startFaulty(t, f, 4<<20, func(o *Options) {
		o.Window = Window{Chunks: 2, Bytes: 2 * testChunk}
		if tweak != nil {
			tweak(o)
		}
		opts = *o
	})
	return srv, e, rec, fid, data, opts, f
}

func waitAcked(t *testing.T, rec *recorder, fid string, n uint64) {
	t.Helper()
	rec.waitFor(fid, "progress", 60*time.Second, func(u *uploadLog) bool { return u.ackedTotal() >= n || u.final })
	if rec.log(fid).final {
		t.Fatal("upload ended before the test could act")
	}
}

func TestPauseDrainsAndResumeFinishes(t *testing.T) {
	t.Parallel()
	srv, e, rec, fid, data, _, f := slowUploadFaults(t, nil)
	waitAcked(t, rec, fid, 512<<10)
	if err := e.Pause(fid); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(fid, "paused", 30*time.Second, func(u *uploadLog) bool { return u.count(StatePaused) == 1 })
	at := rec.log(fid)
	if sent, acked := len(at.sent)+len(at.resent), len(at.acked); sent != acked {
		t.Errorf("paused with %d chunks sent but %d acknowledged: the window was not drained", sent, acked)
	}
	// A paused upload disconnects: the server sees its connection end.
	waitUntil(t, "the server to see the paused client go", func() bool { return f.open.Load() == 0 })
	// Stay paused a while: nothing may reach the server in that time. The
	// count is read before Resume, since a resumed upload sends at once.
	arrived := f.chunkArrivals()
	time.Sleep(300 * time.Millisecond)
	if got := f.chunkArrivals(); got != arrived {
		t.Errorf("the server received %d chunks while the upload was paused", got-arrived)
	}
	resumed := time.Now()
	if err := e.Resume(fid); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, e, fid); err != nil {
		t.Fatal(err)
	}
	checkStored(t, srv, "alice", map[string][]byte{"f.bin": data})
	u := finalLog(t, rec, fid)
	if u.count(StateConnecting) != 2 || u.count(StateBackingOff) != 0 {
		t.Errorf("states %v: want a second connection after resume, no backoff", u.states)
	}
	// Between pausing and Resume no chunk went out, no wire byte was
	// counted, and the upload did not reconnect.
	paused := false
	for _, ev := range rec.eventsOf(fid) {
		switch ev := ev.(type) {
		case *SessionEvent:
			if ev.State == StatePaused {
				paused = true
			} else if paused && ev.State == StateConnecting {
				if ev.At.Before(resumed) {
					t.Fatalf("reconnected at %v while paused (resumed at %v)", ev.At, resumed)
				}
				return
			}
		case *ChunkEvent:
			if paused {
				t.Fatalf("chunk %d %v while paused", ev.Index, ev.Action)
			}
		case *ProgressEvent:
			if paused && ev.WireBytes != at.wireBytes {
				t.Fatalf("wire bytes %d -> %d while paused", at.wireBytes, ev.WireBytes)
			}
		}
	}
	t.Fatal("no reconnection after the pause in the event log")
}

func TestCancelStopsAndForgets(t *testing.T) {
	t.Parallel()
	_, e, rec, fid, _, _ := slowUpload(t, nil)
	waitAcked(t, rec, fid, 256<<10)
	// A server without the abort request keeps the partial data: that is
	// reported, and the cancel is done all the same.
	if err := e.Cancel(fid); err != nil && !errors.Is(err, ErrPartialKept) {
		t.Fatal(err)
	}
	if err := wait(t, e, fid); !errors.Is(err, ErrCanceled) {
		t.Fatalf("Wait after Cancel = %v, want ErrCanceled", err)
	}
	u := finalLog(t, rec, fid)
	if last := u.states[len(u.states)-1]; last != StateCanceled {
		t.Fatalf("final state %v", last)
	}
	if _, err := os.Stat(e.journal.path(fid)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("journal entry survived Cancel: %v", err)
	}
	if err := e.Cancel("not-a-fid"); !errors.Is(err, ErrUnknownUpload) {
		t.Fatalf("Cancel of an unknown fid = %v", err)
	}
}

func TestCloseKeepsTheJournalAndResumeSendsOnlyMissing(t *testing.T) {
	t.Parallel()
	srv, e, rec, fid, data, opts := slowUpload(t, nil)
	waitAcked(t, rec, fid, 1<<20)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Wait(t.Context(), fid); !errors.Is(err, ErrClosed) {
		t.Fatalf("Wait after Close = %v, want ErrClosed", err)
	}
	first := rec.log(fid)

	e2, rec2 := newEngine(t, opts)
	left, err := e2.Unfinished()
	if err != nil || len(left) != 1 {
		t.Fatalf("Unfinished = %v, %v; want the closed upload", left, err)
	}
	en := left[0]
	if en.FID != fid || en.Server != opts.Server || en.ChunkSize != testChunk || len(en.Files) != 1 ||
		en.Files[0].Size != uint64(len(data)) || !filepath.IsAbs(en.Files[0].Path) {
		t.Fatalf("journal entry %+v", en)
	}
	if err := e2.ResumeJournal(en); err != nil {
		t.Fatal(err)
	}
	if err := e2.ResumeJournal(en); err == nil {
		t.Fatal("the same upload resumed twice at once")
	}
	if err := wait(t, e2, fid); err != nil {
		t.Fatal(err)
	}
	checkStored(t, srv, "alice", map[string][]byte{"f.bin": data})
	second := finalLog(t, rec2, fid)
	again := 0
	for ref := range first.acked {
		if second.sent[ref] > 0 || second.resent[ref] > 0 {
			again++
		}
	}
	if again > 0 {
		t.Fatalf("%d of %d chunks acknowledged before the restart were sent again", again, len(first.acked))
	}
	t.Logf("first engine: %d chunks acknowledged; second: %d sent", len(first.acked), len(second.sent)+len(second.resent))
	if left, _ := e2.Unfinished(); len(left) != 0 {
		t.Fatalf("journal keeps %d entries after the resumed upload verified", len(left))
	}
}

func TestFileChangedDuringUploadFailsNamingIt(t *testing.T) {
	t.Parallel()
	for _, change := range []string{"append", "touch"} {
		t.Run(change, func(t *testing.T) {
			f := &faults{ackDelay: 2 * time.Millisecond}
			srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.Faults = f }))
			o := testOptions(t, srv.URL(), StaticToken(srv.Token("alice")))
			o.Window = Window{Chunks: 2, Bytes: 2 * testChunk}
			e, rec := newEngine(t, o)
			dir := t.TempDir()
			small, dsmall := writeFile(t, dir, "small.bin", 3*testChunk, 30)
			big, _ := writeFile(t, dir, "big.bin", 4<<20, 31)
			fid, err := e.Start(Spec{Files: []LocalFile{{Path: small, Name: "small.bin"}, {Path: big, Name: "big.bin"}}})
			if err != nil {
				t.Fatal(err)
			}
			waitAcked(t, rec, fid, 256<<10)
			switch change {
			case "append":
				h, err := os.OpenFile(big, os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				h.Write([]byte("more"))
				h.Close()
			case "touch":
				later := time.Now().Add(time.Hour)
				if err := os.Chtimes(big, later, later); err != nil {
					t.Fatal(err)
				}
			}
			err = wait(t, e, fid)
			if !errors.Is(err, ErrFileChanged) || !strings.Contains(err.Error(), big) {
				t.Fatalf("err = %v, want ErrFileChanged naming %s", err, big)
			}
			u := finalLog(t, rec, fid)
			files := u.last.Files
			if files[0].State != FileVerified || files[1].State != FileFailed || !errors.Is(files[1].Err, ErrFileChanged) {
				t.Fatalf("file states %v (%v), %v (%v)", files[0].State, files[0].Err, files[1].State, files[1].Err)
			}
			checkStored(t, srv, "alice", map[string][]byte{"small.bin": dsmall})
			if _, err := os.Stat(e.journal.path(fid)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("journal keeps an upload that can never resume: %v", err)
			}
			t.Logf("%s: %v", change, err)
		})
	}
}
