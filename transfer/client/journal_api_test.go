package client

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// TestJournalKeepsOnlyAcceptedUploads: uploads the server never accepted
// (a refused token, a server that is not there) leave nothing in the
// journal; an accepted one is listed with its short fid while it runs.
func TestJournalKeepsOnlyAcceptedUploads(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	refused := testOptions(t, srv.URL(), StaticToken("not-a-token"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := testOptions(t, "tcp://"+ln.Addr().String(), StaticToken(srv.Token("alice")))
	ln.Close()
	down.Retry.Budget = 300 * time.Millisecond
	for name, o := range map[string]Options{"refused token": refused, "server down": down} {
		e, _ := newEngine(t, o)
		path, _ := writeFile(t, t.TempDir(), "f.bin", 64<<10, 3)
		fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "f.bin"}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := wait(t, e, fid); err == nil {
			t.Fatalf("%s: the upload succeeded", name)
		}
		if list, err := e.Journaled(); err != nil || len(list) != 0 {
			t.Errorf("%s: the journal lists %+v (%v), want nothing", name, list, err)
		}
		if des, _ := os.ReadDir(o.JournalDir); len(des) != 0 {
			t.Errorf("%s: the journal directory holds %d files", name, len(des))
		}
	}

	_, e, rec, fid, data, _ := slowUpload(t, nil)
	waitAcked(t, rec, fid, 64<<10)
	list, err := e.Journaled()
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %+v, %v; want the running upload", list, err)
	}
	if got := list[0]; got.FID != fid || got.ShortFID != fid[:8] || got.Bytes != uint64(len(data)) || got.HeldBy != os.Getpid() {
		t.Fatalf("listed %+v", got)
	}
}

// putEntry journals an upload of one small file under fid, as if a
// process had started it against server and died.
func putEntry(t *testing.T, e *Engine, fid, server string) {
	t.Helper()
	path, _ := writeFile(t, t.TempDir(), "f.bin", 10, 1)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	err = e.journal.put(&JournalEntry{
		FID: fid, Server: server, ChunkSize: testChunk, Created: time.Now().UTC(),
		Files: []JournalFile{{Path: path, Name: "f.bin", Size: uint64(fi.Size()), ModTime: fi.ModTime()}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestResolveFIDTakesUniquePrefixes(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, testOptions(t, "tcp://127.0.0.1:1", StaticToken("x")))
	a, b := "aaaa1111-0000-4000-8000-000000000001", "aaaa2222-0000-4000-8000-000000000002"
	putEntry(t, e, a, "tcp://127.0.0.1:1")
	putEntry(t, e, b, "tcp://127.0.0.1:1")
	for in, want := range map[string]string{"aaaa1": a, "AAAA2222": b, a: a} {
		if got, err := e.ResolveFID(in); err != nil || got != want {
			t.Errorf("ResolveFID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := e.ResolveFID("aaaa")
	if !errors.Is(err, ErrAmbiguousFID) || !strings.Contains(err.Error(), "aaaa1111, aaaa2222") {
		t.Errorf("ambiguous prefix: %v", err)
	}
	for _, in := range []string{"b", ""} {
		if _, err := e.ResolveFID(in); !errors.Is(err, ErrUnknownUpload) {
			t.Errorf("ResolveFID(%q) = %v, want ErrUnknownUpload", in, err)
		}
	}
	// Cancel takes a prefix too; the server is not there to drop anything.
	if err := e.Cancel("aaaa1"); !errors.Is(err, ErrPartialKept) {
		t.Errorf("Cancel with the server gone = %v, want ErrPartialKept", err)
	}
	if _, err := e.journal.get(a); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the canceled entry is still journaled: %v", err)
	}
	if got, err := e.ResolveFID("aaaa"); err != nil || got != b {
		t.Errorf("after the cancel ResolveFID(aaaa) = %q, %v", got, err)
	}
}

// TestResumeOfACompletedUploadStoresNoSecondCopy: a process that died
// after the server completed its upload, before it dropped the journal
// entry, leaves an entry whose resume must verify, not upload again.
func TestResumeOfACompletedUploadStoresNoSecondCopy(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	o := testOptions(t, srv.URL(), StaticToken(srv.Token("alice")))
	e, _ := newEngine(t, o)
	path, data := writeFile(t, t.TempDir(), "f.bin", 200<<10, 9)
	fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "f.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(t, e, fid); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	entry := JournalEntry{
		FID: fid, Server: o.Server, ChunkSize: testChunk, Created: time.Now().UTC(),
		Files: []JournalFile{{Path: path, Name: "f.bin", Size: uint64(len(data)), ModTime: fi.ModTime()}},
	}
	if err := e.journal.put(&entry); err != nil {
		t.Fatal(err)
	}
	e.Close()

	e2, rec2 := newEngine(t, o)
	left, err := e2.Unfinished()
	if err != nil || len(left) != 1 {
		t.Fatalf("Unfinished = %v, %v", left, err)
	}
	if err := e2.ResumeJournal(left[0]); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, e2, fid); err != nil {
		t.Fatalf("resuming a completed upload: %v", err)
	}
	u := finalLog(t, rec2, fid)
	if len(u.sent)+len(u.resent) != 0 || u.last.Files[0].State != FileVerified {
		t.Errorf("resume sent %d chunks, file %v; want none sent, verified", len(u.sent)+len(u.resent), u.last.Files[0].State)
	}
	if files := srv.Files("alice"); len(files) != 1 {
		t.Errorf("the server stores %d files, want 1", len(files))
	}
	if left, _ := e2.Journaled(); len(left) != 0 {
		t.Errorf("the entry stays in the journal: %+v", left)
	}
}

// cancelAgainstPeer cancels an upload that is half done on a test peer.
func cancelAgainstPeer(t *testing.T, knowsAbort bool) (*testPeer, *SessionEvent, error) {
	p := startPeer(t, testChunk)
	p.knowsAbort = knowsAbort
	p.act = func(_ int, index uint64, _ int) peerAction {
		if index >= 8 {
			return peerSilent // the upload hangs half way
		}
		return peerOK
	}
	e, rec := newEngine(t, testOptions(t, p.addr(), StaticToken("any")))
	path, _ := writeFile(t, t.TempDir(), "f.bin", 16*testChunk, 4)
	fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "f.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	waitAcked(t, rec, fid, 8*testChunk)
	err = e.Cancel(fid)
	u := finalLog(t, rec, fid)
	if list, _ := e.Journaled(); len(list) != 0 {
		t.Errorf("canceled upload still journaled: %+v", list)
	}
	return p, u.sessions[len(u.sessions)-1], err
}

func TestCancelAsksTheServerToDrop(t *testing.T) {
	t.Parallel()
	p, last, err := cancelAgainstPeer(t, true)
	if err != nil || p.abortRequests() != 1 {
		t.Fatalf("Cancel = %v after %d abort requests; want nil after one", err, p.abortRequests())
	}
	if last.State != StateCanceled || !errors.Is(last.Err, ErrCanceled) || errors.Is(last.Err, ErrPartialKept) {
		t.Fatalf("final event %v %v", last.State, last.Err)
	}
}

func TestCancelWithAnOldServerSaysThePartialStays(t *testing.T) {
	t.Parallel()
	p, last, err := cancelAgainstPeer(t, false)
	if !errors.Is(err, ErrPartialKept) || !strings.Contains(err.Error(), "too old") || p.abortRequests() != 1 {
		t.Fatalf("Cancel = %v after %d abort requests; want ErrPartialKept, too old", err, p.abortRequests())
	}
	if last.State != StateCanceled || !errors.Is(last.Err, ErrCanceled) || !errors.Is(last.Err, ErrPartialKept) {
		t.Fatalf("final event %v %v", last.State, last.Err)
	}
}

// TestCancelReleasesTheQuota: with a 10 MiB quota, an 8 MiB upload is
// canceled half way; a new 8 MiB upload is accepted at once when the
// server dropped the partial one, and refused for the quota exactly when
// Cancel reported that the server kept it (a server without the abort
// request).
func TestCancelReleasesTheQuota(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.WithLimits(server.Limits{Quota: 10 << 20}))
	o := testOptions(t, srv.URL(), StaticToken(srv.Token("alice")))
	o.Window = Window{Chunks: 2, Bytes: 2 * testChunk}
	e, rec := newEngine(t, o)
	path, _ := writeFile(t, t.TempDir(), "big.bin", 8<<20, 5)
	fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "big.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	waitAcked(t, rec, fid, 256<<10)
	cancelErr := e.Cancel(fid)
	if cancelErr != nil && !errors.Is(cancelErr, ErrPartialKept) {
		t.Fatal(cancelErr)
	}
	fid2, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "again.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	err = wait(t, e, fid2)
	switch {
	case cancelErr == nil && err != nil:
		t.Fatalf("the server dropped the canceled upload, yet the new one failed: %v", err)
	case cancelErr != nil && !errors.Is(err, wire.ErrQuota):
		t.Fatalf("Cancel said %q, yet the new upload ended with %v, not the quota", cancelErr, err)
	}
	t.Logf("cancel: %v; new upload: %v", cancelErr, err)
}

// TestResumeToAnUnreachableServerGivesUp: a journaled upload whose server
// is gone fails once the retry budget is spent, and stays journaled.
func TestResumeToAnUnreachableServerGivesUp(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := "tcp://" + ln.Addr().String()
	ln.Close()
	o := testOptions(t, gone, StaticToken("x"))
	o.Retry.Budget = 300 * time.Millisecond
	e, _ := newEngine(t, o)
	fid := "0b0e0000-0000-4000-8000-000000000001"
	putEntry(t, e, fid, gone)
	left, err := e.Unfinished()
	if err != nil || len(left) != 1 {
		t.Fatalf("Unfinished = %v, %v", left, err)
	}
	if err := e.ResumeJournal(left[0]); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, e, fid); err == nil || !strings.Contains(err.Error(), "giving up") {
		t.Fatalf("resume to a server that is gone: %v, want giving up", err)
	}
	if list, _ := e.Journaled(); len(list) != 1 {
		t.Errorf("the upload left the journal: %+v", list)
	}
}
