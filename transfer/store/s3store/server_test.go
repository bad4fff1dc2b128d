package s3store_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/auth"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/store/pgmeta/pgtest"
	"github.com/hoist-dev/hoist/transfer/store/s3store"
	"github.com/hoist-dev/hoist/transfer/store/s3store/s3test"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// wireConn is a protocol client that sends frames by hand.
type wireConn struct {
	t *testing.T
	c net.Conn
	w *wire.Writer
	r *wire.Reader
}

func dialWire(t *testing.T, addr string) *wireConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(time.Minute))
	return &wireConn{t: t, c: c, w: wire.NewWriter(c), r: wire.NewReader(c)}
}

// call sends one frame and returns the answer.
func (w *wireConn) call(typ wire.UserType, payload []byte) *wire.Response {
	w.t.Helper()
	if err := w.w.WriteFrame(typ, payload); err != nil {
		w.t.Fatal(err)
	}
	if err := w.w.Flush(); err != nil {
		w.t.Fatal(err)
	}
	f, err := w.r.ReadFrame()
	if err != nil {
		w.t.Fatal(err)
	}
	r, err := wire.DecodeResponse(f.Payload)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// transfer sends chunk index of file 0 with crc as its CRC32C.
func (w *wireConn) transfer(fid uuid.UUID, index uint64, data []byte, crc uint32) *wire.Response {
	tr := &wire.Transfer{MessageID: "t", Chunk: wire.ChunkID(fid, 0, index).String(), File: 0, Index: index, Data: data, CRC32C: &crc}
	return w.call(wire.TypeTransfer, wire.AppendTransfer(nil, tr))
}

// TestObjectStoreRefusesCorruptChunk: a chunk whose bytes do not match the
// CRC32C the client sent is refused by the object store (the server leaves
// the check to it) and answered corrupt; resent intact, it is taken, and
// the file completes with the right digest. The server grants a chunk size
// the store's part bounds allow.
func TestObjectStoreRefusesCorruptChunk(t *testing.T) {
	pg := pgtest.Start(t, inCI())
	gw := s3test.Start(t, inCI())
	gw.SetCredentials(t)
	st, _, objects := cluster{pg.NewDatabase(t), gw.NewBucket(t), 0}.open(t, gw)
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.Storage = st }))

	data := make([]byte, s3store.MinPartSize+1000)
	rand.NewChaCha8([32]byte{9}).Read(data)
	fid := uuid.New()
	c := dialWire(t, srv.Addr())
	auth, err := wire.EncodeJSON(&wire.Authentication{MessageID: "a", Token: srv.Token("alice"), FID: fid.String(),
		Files: []wire.FileInfo{{Name: "c.bin", Size: uint64(len(data))}}, ChunkSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	r := c.call(wire.TypeAuthentication, auth)
	if !r.OK() || r.ChunkSize != s3store.MinPartSize {
		t.Fatalf("authentication: %+v; want an Ok granting %d-byte chunks", r, s3store.MinPartSize)
	}
	first := data[:s3store.MinPartSize]
	bad := bytes.Clone(first)
	bad[12345] ^= 0x40
	if r := c.transfer(fid, 0, bad, wire.CRC32C(first)); r.OK() || r.Code != wire.CodeCorrupt {
		t.Fatalf("a chunk not matching its crc32c: %+v; want corrupt", r)
	}
	if r := c.transfer(fid, 0, first, wire.CRC32C(first)); !r.OK() {
		t.Fatalf("the chunk resent intact: %+v", r)
	}
	last := data[s3store.MinPartSize:]
	r = c.transfer(fid, 1, last, wire.CRC32C(last))
	sum := sha256.Sum256(data)
	if !r.OK() || r.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("the last chunk: %+v; want an Ok with sha256 %x", r, sum)
	}
	body, err := objects.Open(t.Context(), fid, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	got, err := io.ReadAll(body)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the object holds %d bytes (%v), not the file's %d", len(got), err, len(data))
	}
}

// TestTakeoverAcrossServers: an upload served by server A, resumed
// through server B while A still serves it, is handed over: A's
// connection is closed after answering what it read, and B answers with
// the exact missing map, counting the chunk A was given last only if A
// acknowledged it.
func TestTakeoverAcrossServers(t *testing.T) {
	pg := pgtest.Start(t, inCI())
	gw := s3test.Start(t, inCI())
	gw.SetCredentials(t)
	shared := cluster{pg.NewDatabase(t), gw.NewBucket(t), 0}
	stA, _, objects := shared.open(t, gw)
	stB, _, _ := shared.open(t, gw)
	a := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.Storage = stA }))
	verifier, err := auth.NewVerifier(a.Secret(), auth.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.Storage, o.Verifier = stB, verifier }))

	const cs = s3store.MinPartSize
	data := make([]byte, 3*cs+10)
	rand.NewChaCha8([32]byte{3}).Read(data)
	chunk := func(i uint64) []byte { return data[i*cs : min((i+1)*cs, uint64(len(data)))] }
	fid := uuid.New()
	hello, err := wire.EncodeJSON(&wire.Authentication{MessageID: "a", Token: a.Token("alice"), FID: fid.String(),
		Files: []wire.FileInfo{{Name: "t.bin", Size: uint64(len(data))}}})
	if err != nil {
		t.Fatal(err)
	}
	onA := dialWire(t, a.Addr())
	if r := onA.call(wire.TypeAuthentication, hello); !r.OK() {
		t.Fatalf("authentication on A: %+v", r)
	}
	for _, i := range []uint64{0, 2} {
		if r := onA.transfer(fid, i, chunk(i), wire.CRC32C(chunk(i))); !r.OK() {
			t.Fatalf("chunk %d on A: %+v", i, r)
		}
	}
	// Chunk 3 is sent to A without waiting for its answer; B is asked at once.
	tr := &wire.Transfer{MessageID: "t3", Chunk: wire.ChunkID(fid, 0, 3).String(), Index: 3, Data: chunk(3)}
	crc := wire.CRC32C(chunk(3))
	tr.CRC32C = &crc
	if err := onA.w.WriteFrame(wire.TypeTransfer, wire.AppendTransfer(nil, tr)); err != nil {
		t.Fatal(err)
	}
	if err := onA.w.Flush(); err != nil {
		t.Fatal(err)
	}
	onB := dialWire(t, b.Addr())
	r := onB.call(wire.TypeAuthentication, hello)
	if !r.OK() {
		t.Fatalf("authentication on B: %+v", r)
	}
	// A answers what it read, then closes the connection.
	onA.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	ackedOnA := false
	for {
		f, err := onA.r.ReadFrame()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("A kept the connection open after B took the upload over")
			}
			break
		}
		if resp, err := wire.DecodeResponse(f.Payload); err == nil && resp.MessageID == "t3" && resp.OK() {
			ackedOnA = true
		}
	}
	want := []wire.Range{{1, 2}}
	if !ackedOnA {
		want = []wire.Range{{1, 2}, {3, 4}}
	}
	if len(r.Missing) != 1 || !slices.Equal(r.Missing[0], want) {
		t.Fatalf("B says %v are missing; A acknowledged chunk 3: %v, so want %v", r.Missing, ackedOnA, want)
	}
	for _, rg := range want {
		for i := rg[0]; i < rg[1]; i++ {
			r = onB.transfer(fid, i, chunk(i), wire.CRC32C(chunk(i)))
			if !r.OK() {
				t.Fatalf("chunk %d on B: %+v", i, r)
			}
		}
	}
	sum := sha256.Sum256(data)
	if r.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("the last chunk on B: %+v; want the file's sha256", r)
	}
	body, err := objects.Open(t.Context(), fid, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	if got, err := io.ReadAll(body); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the object differs from the file (%d bytes, %v)", len(got), err)
	}
}

// TestChunkSizeGrownToFitParts: with objects of at most two parts (a
// lowered limit standing for S3's 10,000), a file of more chunks than
// segments of two parts can hold gets larger chunks, is written in
// segments and composed; a file too large even for the largest chunks is
// refused too_large.
func TestChunkSizeGrownToFitParts(t *testing.T) {
	pg := pgtest.Start(t, inCI())
	gw := s3test.Start(t, inCI())
	gw.SetCredentials(t)
	st, _, objects := cluster{pg.NewDatabase(t), gw.NewBucket(t), 2}.open(t, gw)
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.Storage = st }))

	authenticate := func(fid uuid.UUID, size int) (*wireConn, *wire.Response) {
		c := dialWire(t, srv.Addr())
		hello, err := wire.EncodeJSON(&wire.Authentication{MessageID: "a", Token: srv.Token("alice"), FID: fid.String(),
			Files: []wire.FileInfo{{Name: "grown.bin", Size: uint64(size)}}})
		if err != nil {
			t.Fatal(err)
		}
		return c, c.call(wire.TypeAuthentication, hello)
	}
	if _, r := authenticate(uuid.New(), 4*server.MaxChunkSizeLimit+1); r.OK() || r.Code != wire.CodeTooLarge {
		t.Fatalf("a file over four of the largest chunks: %+v; want too_large", r)
	}
	data := make([]byte, 4*s3store.MinPartSize+1000)
	rand.NewChaCha8([32]byte{5}).Read(data)
	fid := uuid.New()
	c, r := authenticate(fid, len(data))
	want := (len(data) + 3) / 4
	if !r.OK() || r.ChunkSize != want {
		t.Fatalf("authentication: %+v; want an Ok granting %d-byte chunks (four chunks)", r, want)
	}
	for i := range uint64(4) {
		chunk := data[i*uint64(want) : min((i+1)*uint64(want), uint64(len(data)))]
		r = c.transfer(fid, i, chunk, wire.CRC32C(chunk))
		if !r.OK() {
			t.Fatalf("chunk %d: %+v", i, r)
		}
	}
	sum := sha256.Sum256(data)
	if r.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("the last chunk: %+v; want the file's sha256", r)
	}
	body, err := objects.Open(t.Context(), fid, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	if got, err := io.ReadAll(body); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the composed object differs from the file (%d bytes, %v)", len(got), err)
	}
}

// TestListAndRemoveOnCluster: LIST pages come from PostgreSQL, and REMOVE
// drops the record, the object and the name, which a new upload then gets.
func TestListAndRemoveOnCluster(t *testing.T) {
	pg := pgtest.Start(t, inCI())
	gw := s3test.Start(t, inCI())
	gw.SetCredentials(t)
	st, _, objects := cluster{pg.NewDatabase(t), gw.NewBucket(t), 0}.open(t, gw)
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.Storage = st }))
	upload := func(name string, data []byte) uuid.UUID {
		t.Helper()
		fid := uuid.New()
		c := dialWire(t, srv.Addr())
		hello, err := wire.EncodeJSON(&wire.Authentication{MessageID: "a", Token: srv.Token("alice"), FID: fid.String(),
			Files: []wire.FileInfo{{Name: name, Size: uint64(len(data))}}})
		if err != nil {
			t.Fatal(err)
		}
		if r := c.call(wire.TypeAuthentication, hello); !r.OK() {
			t.Fatalf("authentication: %+v", r)
		}
		if r := c.transfer(fid, 0, data, wire.CRC32C(data)); !r.OK() || r.Stored != name {
			t.Fatalf("the only chunk of %s: %+v", name, r)
		}
		return fid
	}
	upload("docs/a.txt", []byte("first"))
	fid := upload("docs/b.txt", []byte("second"))
	c := dialWire(t, srv.Addr())
	list := func() []string {
		t.Helper()
		req, err := wire.EncodeJSON(&wire.List{MessageID: "l", Token: srv.Token("alice"), Prefix: "docs/", Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		r := c.call(wire.TypeList, req)
		if !r.OK() {
			t.Fatalf("LIST: %+v", r)
		}
		var names []string
		for _, f := range r.Files {
			names = append(names, f.Name)
		}
		if r.Next != "" {
			names = append(names, "next:"+r.Next)
		}
		return names
	}
	if got := list(); !slices.Equal(got, []string{"docs/a.txt", "next:docs/a.txt"}) {
		t.Fatalf("LIST docs/ with limit 1: %q", got)
	}
	req, err := wire.EncodeJSON(&wire.Remove{MessageID: "r", Token: srv.Token("alice"), Paths: []string{"docs/b.txt"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.call(wire.TypeRemove, req); !r.OK() || len(r.Removed) != 1 {
		t.Fatalf("REMOVE docs/b.txt: %+v", r)
	}
	if _, err := objects.Open(t.Context(), fid, 0, 0); err == nil {
		t.Fatal("the object of a removed file is still there")
	}
	if got := list(); !slices.Equal(got, []string{"docs/a.txt"}) {
		t.Fatalf("LIST docs/ after the removal: %q", got)
	}
	upload("docs/b.txt", []byte("third"))
}
