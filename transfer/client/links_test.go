package client

import (
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/servertest"
)

func TestChunkAskFollowsTheMeasuredRate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		limit int
		rate  float64
		want  int
	}{
		{DefaultChunkSize, 0, 256 << 10},          // not measured yet
		{DefaultChunkSize, 25_000, 32 << 10},      // 24 KiB/s: 1.3 s a chunk
		{DefaultChunkSize, 1_000, MinChunkSize},   // never below the floor
		{DefaultChunkSize, 1e9, DefaultChunkSize}, // fast: the limit
		{MaxChunkSize, 1e9, MaxChunkSize},
		{testChunk, 0, testChunk}, // never above the limit
		{4 << 10, 1e9, 4 << 10},
	} {
		if got := chunkAsk(c.limit, c.rate); got != c.want {
			t.Errorf("chunkAsk(%d, %v) = %d, want %d", c.limit, c.rate, got, c.want)
		}
	}
}

// TestLinkRateIsLearnedAndRemembered: an upload measures the link, the
// measurement survives the engine, and a slow measurement makes the next
// upload ask for small chunks.
func TestLinkRateIsLearnedAndRemembered(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	o := testOptions(t, srv.URL(), StaticToken(srv.Token("alice")))
	o.ChunkSize = DefaultChunkSize
	e, rec := newEngine(t, o)
	if r := e.links.rate(o.Server, time.Now()); r != 0 {
		t.Fatalf("a fresh journal knows a rate %v", r)
	}
	path, _ := writeFile(t, t.TempDir(), "a.bin", 2<<20, 1)
	fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "a.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(t, e, fid); err != nil {
		t.Fatal(err)
	}
	if got := finalLog(t, rec, fid).last.Files[0].ChunkSize; got != 256<<10 {
		t.Errorf("first upload to an unmeasured server used %d-byte chunks, want 256 KiB", got)
	}
	if r := e.links.rate(o.Server, time.Now()); r <= 0 {
		t.Fatalf("no rate measured after an upload")
	}
	if err := e.links.observe(o.Server, 25_000, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.Close()

	e2, rec2 := newEngine(t, o)
	fid, err = e2.Start(Spec{Files: []LocalFile{{Path: path, Name: "b.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(t, e2, fid); err != nil {
		t.Fatal(err)
	}
	if got := finalLog(t, rec2, fid).last.Files[0].ChunkSize; got != 32<<10 {
		t.Errorf("after measuring 25,000 bytes/s the next upload used %d-byte chunks, want 32 KiB", got)
	}
}
