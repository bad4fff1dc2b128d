package server_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// client is a minimal protocol client over a real connection, for tests.
type client struct {
	t    testing.TB
	conn net.Conn
	r    *wire.Reader
	w    *wire.Writer
	fid  uuid.UUID
	cs   int
	// sizes of the authenticated upload's files
	sizes []uint64
}

func dial(t testing.TB, srv *servertest.Server) *client {
	t.Helper()
	return dialAddr(t, srv.Addr())
}

func dialAddr(t testing.TB, addr string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &client{t: t, conn: conn, r: wire.NewReader(conn), w: wire.NewWriter(conn)}
}

// sendFrame writes one frame and flushes.
func (c *client) sendFrame(ut wire.UserType, payload []byte) {
	c.t.Helper()
	if err := c.w.WriteFrame(ut, payload); err != nil {
		c.t.Fatal(err)
	}
	if err := c.w.Flush(); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// recv reads one RESPONSE (failing the test on anything else).
func (c *client) recv() *wire.Response {
	c.t.Helper()
	r, err := c.tryRecv()
	if err != nil {
		c.t.Fatalf("reading response: %v", err)
	}
	return r
}

func (c *client) tryRecv() (*wire.Response, error) {
	c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	f, err := c.r.ReadFrame()
	if err != nil {
		return nil, err
	}
	if f.Type != wire.TypeResponse {
		return nil, errors.New("not a RESPONSE frame")
	}
	return wire.DecodeResponse(f.Payload)
}

// expectClosed asserts that the server closes the connection (after any
// number of responses, which are returned).
func (c *client) expectClosed() []*wire.Response {
	c.t.Helper()
	var got []*wire.Response
	for {
		r, err := c.tryRecv()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err) {
				return got
			}
			c.t.Fatalf("waiting for close: %v", err)
		}
		got = append(got, r)
	}
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && !ne.Timeout()
}

type file struct {
	name string
	data []byte
}

func randomFile(t testing.TB, name string, n int) file {
	b := make([]byte, n)
	rand.Read(b)
	return file{name: name, data: b}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func authMsg(token string, fid uuid.UUID, files []file, tags []string, chunkSize int) *wire.Authentication {
	a := &wire.Authentication{MessageID: uuid.NewString(), Token: token, FID: fid.String(), Tags: tags, ChunkSize: chunkSize}
	for _, f := range files {
		a.Files = append(a.Files, wire.FileInfo{Name: f.name, Size: uint64(len(f.data))})
	}
	return a
}

// authenticate sends a and returns the response.
func (c *client) authenticate(a *wire.Authentication) *wire.Response {
	c.t.Helper()
	b, err := wire.EncodeJSON(a)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendFrame(wire.TypeAuthentication, b)
	r := c.recv()
	if r.MessageID != a.MessageID {
		c.t.Fatalf("auth answer has message-id %q, want %q", r.MessageID, a.MessageID)
	}
	if r.OK() {
		c.fid = uuid.MustParse(a.FID)
		c.cs = r.ChunkSize
		c.sizes = nil
		for _, f := range a.Files {
			c.sizes = append(c.sizes, f.Size)
		}
	}
	return r
}

// mustAuth authenticates and fails the test unless the answer is Ok.
func (c *client) mustAuth(a *wire.Authentication) *wire.Response {
	c.t.Helper()
	r := c.authenticate(a)
	if !r.OK() {
		c.t.Fatalf("authentication refused: %v", r.Err())
	}
	return r
}

// chunk builds the TRANSFER for chunk index of file i of data.
func (c *client) chunk(i int, index uint64, data []byte) *wire.Transfer {
	off, n := wire.ChunkBounds(uint64(len(data)), c.cs, index)
	d := data[off : off+uint64(n)]
	crc := crc32.Checksum(d, crc32.MakeTable(crc32.Castagnoli))
	return &wire.Transfer{MessageID: uuid.NewString(), Chunk: wire.ChunkID(c.fid, i, index).String(), File: i, Index: index, Data: d, CRC32C: &crc}
}

// sendTransfer writes t as TRANSFER (or TRANSFER-RAW) without flushing.
func (c *client) sendTransfer(t *wire.Transfer, raw bool) {
	c.t.Helper()
	var err error
	if raw {
		err = c.w.WriteFrame(wire.TypeTransferRaw, wire.AppendRawTransfer(nil, t))
	} else {
		err = c.w.WriteFrame(wire.TypeTransfer, wire.AppendTransfer(nil, t))
	}
	if err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) flush() {
	c.t.Helper()
	if err := c.w.Flush(); err != nil {
		c.t.Fatal(err)
	}
}

// sendChunks pipelines the given chunks of file i and collects every
// answer by message-id.
func (c *client) sendChunks(i int, data []byte, indexes []uint64, raw bool) map[uint64]*wire.Response {
	c.t.Helper()
	ids := make(map[string]uint64)
	for _, k := range indexes {
		t := c.chunk(i, k, data)
		ids[t.MessageID] = k
		c.sendTransfer(t, raw)
	}
	c.flush()
	got := make(map[uint64]*wire.Response)
	for range indexes {
		r := c.recv()
		k, ok := ids[r.MessageID]
		if !ok {
			c.t.Fatalf("answer for unknown message-id %q: %+v", r.MessageID, r)
		}
		got[k] = r
	}
	return got
}

func allChunks(size uint64, cs int) []uint64 {
	var out []uint64
	for k := uint64(0); k < wire.ChunkCount(size, cs); k++ {
		out = append(out, k)
	}
	return out
}

// snapshot records every file under root with its content hash, to prove
// that a refused request wrote nothing.
func snapshot(t testing.TB, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "symlink:" + target
		case d.IsDir():
			out[rel] = "dir"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = sha(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// assertUnchanged fails if root differs from before.
func assertUnchanged(t testing.TB, root string, before map[string]string) {
	t.Helper()
	after := snapshot(t, root)
	for p, h := range after {
		if before[p] != h {
			t.Errorf("%s was written (before %q, after %q)", p, before[p], h)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("%s was removed", p)
		}
	}
}

// expectError asserts that r is an Error with code.
func expectError(t testing.TB, r *wire.Response, code wire.Code) {
	t.Helper()
	if r.OK() {
		t.Fatalf("got Ok, want Error %s", code)
	}
	if r.Code != code {
		t.Fatalf("got Error %s (%s), want %s", r.Code, r.Reason, code)
	}
	if r.Reason == "" {
		t.Fatalf("Error %s without a reason", code)
	}
}
