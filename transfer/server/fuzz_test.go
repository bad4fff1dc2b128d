package server_test

import (
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/auth"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// fuzzSecret signs the tokens in the committed seed corpus
// (testdata/fuzz/FuzzSession), which are valid until 2125.
var fuzzSecret = []byte("hoist-fuzz-secret-0123456789abcdef0123")

// fuzzFID is the upload the seeds talk about.
var fuzzFID = uuid.MustParse("0b9f5d38-5f7e-4a8f-9a52-6d1f1f0c2d11")

// streamConn is a session whose input is fixed bytes and whose output is
// collected.
type streamConn struct {
	in  io.Reader
	out bytes.Buffer
}

func (c *streamConn) Read(p []byte) (int, error)  { return c.in.Read(p) }
func (c *streamConn) Write(p []byte) (int, error) { return c.out.Write(p) }
func (c *streamConn) Close() error                { return nil }

// seedStream is a valid session: an AUTHENTICATION, then every chunk of
// the files as TRANSFER and TRANSFER-RAW, then a few broken frames.
func seedStream(token string, chunkSize int, files ...[]byte) []byte {
	a := wire.Authentication{MessageID: "a1", Token: token, FID: fuzzFID.String(), Tags: []string{"fuzz"}, ChunkSize: chunkSize}
	for i, f := range files {
		a.Files = append(a.Files, wire.FileInfo{Name: string(rune('a' + i)), Size: uint64(len(f))})
	}
	b, _ := wire.EncodeJSON(&a)
	out := wire.AppendFrame(nil, wire.TypeAuthentication, b)
	for i, f := range files {
		for k := uint64(0); k < wire.ChunkCount(uint64(len(f)), chunkSize); k++ {
			off, n := wire.ChunkBounds(uint64(len(f)), chunkSize, k)
			d := f[off : off+uint64(n)]
			crc := crc32.Checksum(d, crc32.MakeTable(crc32.Castagnoli))
			tr := &wire.Transfer{MessageID: "t", Chunk: wire.ChunkID(fuzzFID, i, k).String(), File: i, Index: k, Data: d, CRC32C: &crc}
			if k%2 == 0 {
				out = wire.AppendFrame(out, wire.TypeTransfer, wire.AppendTransfer(nil, tr))
			} else {
				out = wire.AppendFrame(out, wire.TypeTransferRaw, wire.AppendRawTransfer(nil, tr))
			}
		}
	}
	return out
}

func FuzzSession(f *testing.F) {
	v, err := auth.NewVerifier(fuzzSecret, auth.VerifyOptions{})
	if err != nil {
		f.Fatal(err)
	}
	srv, err := server.New(server.Options{
		Root: f.TempDir(), Verifier: v,
		Limits: server.Limits{MaxFiles: 4, MaxChunkSize: 64, FrameTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			f.Error(err)
		}
	})
	tok, err := auth.Mint(fuzzSecret, auth.Claims{Subject: "fuzz", TTL: time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seedStream(tok, 16, []byte("hello, world: the first file"), []byte{}, []byte("x")))
	f.Add(seedStream(tok, 0, []byte("tiny")))
	f.Add(append(seedStream(tok, 8, []byte("0123456789abcdef!")), wire.AppendFrame(nil, 7, []byte(`{"message-id":"u"}`))...))
	f.Add(wire.AppendFrame(nil, wire.TypeTransfer, []byte(`{"message-id":"x","chunk":"","file":0,"index":0,"data":"","crc32c":0}`)))
	// LIST and REMOVE, with and without a token, after an upload of paths.
	list, _ := wire.EncodeJSON(&wire.List{MessageID: "l1", Prefix: "d/", Tags: []string{"fuzz"}, Limit: 2})
	listTok, _ := wire.EncodeJSON(&wire.List{MessageID: "l2", Token: tok, Paths: []string{"a", "d/e"}})
	remove, _ := wire.EncodeJSON(&wire.Remove{MessageID: "r1", Paths: []string{"a", "d/e"}})
	trees := append(wire.AppendFrame(nil, wire.TypeList, listTok), seedStream(tok, 16, []byte("abc"))...)
	trees = wire.AppendFrame(trees, wire.TypeList, list)
	trees = wire.AppendFrame(trees, wire.TypeRemove, remove)
	f.Add(trees)
	f.Add(wire.AppendFrame(nil, wire.TypeRemove, []byte(`{"message-id":"r","paths":["\ud800","../x"]}`)))
	f.Add([]byte{2, 0xff, 0xff, 0xff, 0xff, 1})
	f.Add([]byte{2, 0, 0, 0, 3, 1, '{', '}'})

	f.Fuzz(func(t *testing.T, in []byte) {
		conn := &streamConn{in: bytes.NewReader(in)}
		if err := srv.ServeConn(context.Background(), conn); err != nil {
			t.Fatalf("ServeConn: %v", err)
		}
		// Every answer is a well-formed RESPONSE with a known code.
		r := wire.NewReader(&conn.out)
		for {
			fr, err := r.ReadFrame()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatalf("server wrote a broken frame: %v", err)
			}
			if fr.Type != wire.TypeResponse {
				t.Fatalf("server wrote user type %d", fr.Type)
			}
			resp, err := wire.DecodeResponse(fr.Payload)
			if err != nil {
				t.Fatalf("server wrote %q: %v", fr.Payload, err)
			}
			if !resp.OK() && (!slices.Contains(wire.Codes, resp.Code) || resp.Reason == "") {
				t.Fatalf("Error without a known code and a reason: %q", fr.Payload)
			}
		}
	})
}
