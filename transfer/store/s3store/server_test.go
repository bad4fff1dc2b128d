package s3store_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/google/uuid"
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
	st, _, objects := cluster{pg.NewDatabase(t), gw.NewBucket(t)}.open(t, gw)
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
