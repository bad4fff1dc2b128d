package e2e

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"net"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// e2eClient speaks the protocol to a real server process.
type e2eClient struct {
	t    *testing.T
	conn net.Conn
	r    *wire.Reader
	w    *wire.Writer
	fid  uuid.UUID
	cs   int
}

func e2eDial(t *testing.T, addr string) *e2eClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &e2eClient{t: t, conn: conn, r: wire.NewReader(conn), w: wire.NewWriter(conn)}
}

func (c *e2eClient) recv() (*wire.Response, error) {
	if c.conn != nil {
		c.conn.SetReadDeadline(time.Now().Add(time.Minute))
	}
	f, err := c.r.ReadFrame()
	if err != nil {
		return nil, err
	}
	return wire.DecodeResponse(f.Payload)
}

func (c *e2eClient) mustRecv() *wire.Response {
	c.t.Helper()
	r, err := c.recv()
	if err != nil {
		c.t.Fatalf("reading a response: %v", err)
	}
	return r
}

// recvAcks reads n answers, failing the test on a refusal, and returns the
// completion sha256s they carried, by file.
func (c *e2eClient) recvAcks(n uint64) map[int]string {
	c.t.Helper()
	sums := map[int]string{}
	for range n {
		r := c.mustRecv()
		if !r.OK() {
			c.t.Fatalf("chunk refused: %v", r.Err())
		}
		if r.File != nil {
			sums[*r.File] = r.SHA256
		}
	}
	return sums
}

func (c *e2eClient) auth(token string, fid uuid.UUID, names []string, data [][]byte, tags []string, chunkSize int) *wire.Response {
	c.t.Helper()
	a := wire.Authentication{MessageID: uuid.NewString(), Token: token, FID: fid.String(), Tags: tags, ChunkSize: chunkSize}
	for i, n := range names {
		a.Files = append(a.Files, wire.FileInfo{Name: n, Size: uint64(len(data[i]))})
	}
	b, _ := wire.EncodeJSON(&a)
	if err := c.w.WriteFrame(wire.TypeAuthentication, b); err != nil {
		c.t.Fatal(err)
	}
	c.flush()
	r := c.mustRecv()
	if !r.OK() {
		c.t.Fatalf("authentication: %v", r.Err())
	}
	c.fid, c.cs = fid, r.ChunkSize
	return r
}

// send queues chunk k of file i (TRANSFER-RAW when raw) and returns its
// message-id.
func (c *e2eClient) send(i int, data []byte, k uint64, raw bool) string {
	c.t.Helper()
	off, n := wire.ChunkBounds(uint64(len(data)), c.cs, k)
	d := data[off : off+uint64(n)]
	crc := crc32.Checksum(d, crc32.MakeTable(crc32.Castagnoli))
	tr := &wire.Transfer{MessageID: uuid.NewString(), Chunk: wire.ChunkID(c.fid, i, k).String(), File: i, Index: k, Data: d, CRC32C: &crc}
	var err error
	if raw {
		err = c.w.WriteFrame(wire.TypeTransferRaw, wire.AppendRawTransfer(nil, tr))
	} else {
		err = c.w.WriteFrame(wire.TypeTransfer, wire.AppendTransfer(nil, tr))
	}
	if err != nil {
		c.t.Fatal(err)
	}
	return tr.MessageID
}

func (c *e2eClient) flush() {
	c.t.Helper()
	if err := c.w.Flush(); err != nil {
		c.t.Fatal(err)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
