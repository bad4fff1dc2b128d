package client

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// These cases need a server that misbehaves in ways the real one never
// does, so they run against testPeer.

func TestUnansweredChunkIsResentAfterTheTimeout(t *testing.T) {
	t.Parallel()
	p := startPeer(t, testChunk)
	p.act = func(_ int, index uint64, n int) peerAction {
		if index == 5 && n == 1 {
			return peerSilent
		}
		return peerOK
	}
	o := testOptions(t, p.addr(), StaticToken("any"))
	o.ReadTimeout = 2 * time.Second
	e, rec := newEngine(t, o)
	path, data := writeFile(t, t.TempDir(), "f.bin", 40*testChunk, 40)
	fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "f.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(t, e, fid); err != nil {
		t.Fatal(err)
	}
	u := finalLog(t, rec, fid)
	if u.resent[chunkRef{0, 5}] != 1 || !strings.Contains(strings.Join(u.reasons, ";"), "no answer within") {
		t.Fatalf("resent %v with reasons %q; want chunk 5 once, for no answer", u.resent, u.reasons)
	}
	if got := p.arrivals(chunkRef{0, 5}); got != 2 {
		t.Fatalf("chunk 5 arrived %d times, want 2", got)
	}
	if !bytes.Equal(p.stored(0), data) {
		t.Fatal("stored data differs")
	}
}

func TestChecksumMismatchIsAFailure(t *testing.T) {
	t.Parallel()
	p := startPeer(t, testChunk)
	p.act = func(int, uint64, int) peerAction { return peerWrongSHA }
	e, rec := newEngine(t, testOptions(t, p.addr(), StaticToken("any")))
	path, _ := writeFile(t, t.TempDir(), "f.bin", 10*testChunk, 41)
	fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "f.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	err = wait(t, e, fid)
	if !errors.Is(err, ErrChecksumMismatch) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want a sha256 mismatch naming %s", err, path)
	}
	u := finalLog(t, rec, fid)
	if f := u.last.Files[0]; f.State != FileFailed || f.SHA256 != "" {
		t.Fatalf("file %v with sha256 %q", f.State, f.SHA256)
	}
	t.Logf("%v", err)
}
