package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"
)

// hasherRig is one file and an upload whose hasher goroutine runs until the
// test ends.
type hasherRig struct {
	u       *upload
	f       *upFile
	content []byte
	results chan hashResult
}

const hasherChunk = 1000

func newHasherRig(t *testing.T, size int) *hasherRig {
	t.Helper()
	path, content := writeFile(t, t.TempDir(), "f.bin", size, 7)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f := newUpFile(0, JournalFile{Path: path, Name: "f.bin", Size: uint64(size), ModTime: fi.ModTime()})
	if err := f.open(); err != nil {
		t.Fatal(err)
	}
	f.setChunkSize(hasherChunk)
	ctx, cancel := context.WithCancel(context.Background())
	results := make(chan hashResult, 1)
	u := &upload{chunkSize: hasherChunk, files: []*upFile{f}}
	u.hasher = newChunkHasher(ctx, 1, results)
	var wg sync.WaitGroup
	wg.Go(u.hasher.run)
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		f.close()
	})
	return &hasherRig{u: u, f: f, content: content, results: results}
}

// send reads chunk i the way the sender does and feeds it, with its bytes
// changed by alter if given.
func (r *hasherRig) send(t *testing.T, i uint64, alter func([]byte)) {
	t.Helper()
	off := int(i) * hasherChunk
	n := min(hasherChunk, len(r.content)-off)
	b, err := r.u.hasher.buffer(n)
	if err != nil {
		t.Fatal(err)
	}
	copy(b, r.content[off:off+n])
	if alter != nil {
		alter(b)
	}
	fed, err := r.u.feed(r.f, i, b)
	if err != nil {
		t.Fatal(err)
	}
	if !fed {
		r.u.hasher.recycle(b)
	}
}

func (r *hasherRig) result(t *testing.T) hashResult {
	t.Helper()
	select {
	case h := <-r.results:
		return h
	case <-time.After(10 * time.Second):
		t.Fatal("no digest within 10s")
		return hashResult{}
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// The digest comes from the bytes the sender read, in file order, whatever
// order the chunks went out in: resends are not hashed twice, and chunks the
// server held before a resume are read from the file.
func TestHasherDigestsWhatWasSentInFileOrder(t *testing.T) {
	const size = 10*hasherChunk + 123 // 11 chunks
	cases := []struct {
		name string
		send []uint64 // chunks read for sending, in order
		rest bool     // the server then holds the file: hash the rest
	}{
		{"in order", []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, false},
		{"resends", []uint64{0, 1, 2, 1, 0, 3, 4, 5, 6, 7, 8, 2, 9, 10, 10}, false},
		{"resume mid-file", []uint64{6, 7, 8, 9, 10}, false},
		{"sparse, then held", []uint64{1, 4, 5, 2, 9}, true},
		{"held entirely", nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newHasherRig(t, size)
			for _, i := range c.send {
				r.send(t, i, nil)
			}
			if c.rest {
				r.u.hashRest(r.f)
				r.u.hashRest(r.f) // asked again: still one result
			}
			h := r.result(t)
			if h.err != nil || h.sha != sha256Hex(r.content) {
				t.Fatalf("digest %q, err %v; want %s", h.sha, h.err, sha256Hex(r.content))
			}
			select {
			case extra := <-r.results:
				t.Fatalf("a second result: %+v", extra)
			default:
			}
		})
	}
}

// The file is read once: the digest is of the bytes sent, not of a second
// read of the file, so bytes that differ from the file show in the digest
// (and the end-to-end comparison with the server's digest catches them).
func TestHasherHashesTheSentBytes(t *testing.T) {
	r := newHasherRig(t, 3*hasherChunk)
	for i := range uint64(3) {
		r.send(t, i, func(b []byte) {
			if i == 1 {
				b[0] ^= 0xff
			}
		})
	}
	want := append([]byte(nil), r.content...)
	want[hasherChunk] ^= 0xff
	if h := r.result(t); h.err != nil || h.sha != sha256Hex(want) {
		t.Fatalf("digest %q, err %v; want the digest of the bytes sent, %s", h.sha, h.err, sha256Hex(want))
	}
}

// An empty file has no chunks: asking for the rest digests it.
func TestHasherEmptyFile(t *testing.T) {
	r := newHasherRig(t, 0)
	r.u.hashRest(r.f)
	if h := r.result(t); h.err != nil || h.sha != sha256Hex(nil) {
		t.Fatalf("digest %q, err %v; want %s", h.sha, h.err, sha256Hex(nil))
	}
}

// A file that shrank after it was sent in part fails as changed.
func TestHasherFileShrankDuringGap(t *testing.T) {
	r := newHasherRig(t, 5*hasherChunk)
	if err := os.Truncate(r.f.path, 2*hasherChunk); err != nil {
		t.Fatal(err)
	}
	r.send(t, 4, nil) // the gap 0..3 is read from the file
	if h := r.result(t); h.err == nil {
		t.Fatalf("digest %q of a file that shrank, want an error", h.sha)
	}
}
