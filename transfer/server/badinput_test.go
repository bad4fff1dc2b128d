package server_test

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

func header(msgType byte, n uint32, ut byte) []byte {
	h := make([]byte, wire.HeaderSize)
	h[0] = msgType
	binary.BigEndian.PutUint32(h[1:5], n)
	h[5] = ut
	return h
}

// TestBrokenFramingClosesWithoutAllocating: lengths over the limit are
// refused from the header alone, and the connection is closed.
func TestBrokenFramingClosesWithoutAllocating(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	before := snapshot(t, srv.Root())
	cases := map[string][]byte{
		"length 0xFFFFFFFF":  header(wire.MessageData, 0xFFFFFFFF, byte(wire.TypeAuthentication)),
		"length max+1":       header(wire.MessageData, wire.MaxPayload+1, byte(wire.TypeTransfer)),
		"not a data message": header(1, 2, byte(wire.TypeAuthentication)),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			c := dial(t, srv)
			c.sendRaw(in)
			got := c.expectClosed()
			runtime.ReadMemStats(&m1)
			if len(got) != 1 {
				t.Fatalf("%d answers before the close, want one Error", len(got))
			}
			expectError(t, got[0], wire.CodeBadRequest)
			if grew := m1.TotalAlloc - m0.TotalAlloc; grew > 4<<20 {
				t.Fatalf("server allocated %d bytes for a refused frame", grew)
			}
		})
	}
	assertUnchanged(t, srv.Root(), before)
}

// TestTruncatedFrames: a stream that ends inside a header or a payload, or
// stalls inside one past the frame timeout, is closed; nothing is written.
func TestTruncatedFrames(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.WithLimits(server.Limits{FrameTimeout: 300e6, IdleTimeout: 10e9}))
	before := snapshot(t, srv.Root())
	auth := []byte(`{"message-id":"m","token":"x","files":[{"name":"a","size":1}],"fid":"` + uuid.NewString() + `"}`)
	full := wire.AppendFrame(nil, wire.TypeAuthentication, auth)
	for name, in := range map[string][]byte{
		"half header":  full[:3],
		"half payload": full[:wire.HeaderSize+len(auth)/2],
	} {
		t.Run(name+" then EOF", func(t *testing.T) {
			c := dial(t, srv)
			c.sendRaw(in)
			c.conn.(interface{ CloseWrite() error }).CloseWrite()
			if got := c.expectClosed(); len(got) != 0 {
				t.Fatalf("answers to a truncated frame: %+v", got)
			}
		})
		t.Run(name+" then stall", func(t *testing.T) {
			c := dial(t, srv)
			c.sendRaw(in)
			if got := c.expectClosed(); len(got) != 0 {
				t.Fatalf("answers to a truncated frame: %+v", got)
			}
		})
	}
	assertUnchanged(t, srv.Root(), before)
}

// TestIdleTimeout: a connection that sends nothing is closed.
func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.WithLimits(server.Limits{IdleTimeout: 200e6}))
	c := dial(t, srv)
	if got := c.expectClosed(); len(got) != 0 {
		t.Fatalf("answers on an idle connection: %+v", got)
	}
}

// TestBadMessages: requests that can be answered get an Error with the
// right code, the connection stays usable, and nothing is written.
func TestBadMessages(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	before := snapshot(t, srv.Root())
	c := dial(t, srv)

	c.sendFrame(9, []byte(`{"message-id":"u1"}`))
	r := c.recv()
	expectError(t, r, wire.CodeBadRequest)
	if r.MessageID != "u1" || !strings.Contains(r.Reason, "unknown user type 9") {
		t.Fatalf("unknown user type: %+v", r)
	}

	c.sendFrame(wire.TypeAuthentication, []byte(`{"message-id":"m2","token":`))
	expectError(t, c.recv(), wire.CodeBadRequest)
	// Valid JSON that is not an object says so.
	c.sendFrame(wire.TypeAuthentication, []byte(` null `))
	if r := c.recv(); r.Code != wire.CodeBadRequest || !strings.Contains(r.Reason, "not a JSON object") {
		t.Fatalf("AUTHENTICATION of null: %+v, want bad-request: not a JSON object", r)
	}
	// A field of the wrong type is found once the token is verified.
	c.sendFrame(wire.TypeAuthentication, []byte(`{"message-id":"m3","files":"nope","token":"`+srv.Token("alice")+`","fid":"`+uuid.NewString()+`"}`))
	r = c.recv()
	expectError(t, r, wire.CodeBadRequest)
	if r.MessageID != "" && r.MessageID != "m3" {
		t.Fatalf("malformed AUTHENTICATION answered for %q", r.MessageID)
	}

	c.sendFrame(wire.TypeTransfer, []byte(`{"message-id":"m4","chunk":`))
	expectError(t, c.recv(), wire.CodeBadRequest)
	c.sendFrame(wire.TypeTransferRaw, []byte(`{"message-id":"m5"`))
	expectError(t, c.recv(), wire.CodeBadRequest)

	// TRANSFER before AUTHENTICATION.
	fid := uuid.New()
	c.fid, c.cs = fid, 1024
	tr := c.chunk(0, 0, []byte("hello"))
	c.sendTransfer(tr, false)
	c.flush()
	r = c.recv()
	expectError(t, r, wire.CodeBadRequest)
	if r.MessageID != tr.MessageID || !strings.Contains(r.Reason, "before AUTHENTICATION") {
		t.Fatalf("TRANSFER before AUTHENTICATION: %+v", r)
	}

	// An over-long message-id is not echoed.
	long := strings.Repeat("x", server.MaxMessageID+1)
	a := authMsg(srv.Token("alice"), fid, []file{{name: "a", data: []byte("x")}}, nil, 0)
	a.MessageID = long
	b, _ := wire.EncodeJSON(a)
	c.sendFrame(wire.TypeAuthentication, b)
	r = c.recv()
	expectError(t, r, wire.CodeBadRequest)
	if r.MessageID != "" {
		t.Fatal("over-long message-id echoed")
	}

	assertUnchanged(t, srv.Root(), before)

	// The connection still works.
	c.mustAuth(authMsg(srv.Token("alice"), fid, []file{{name: "a", data: []byte("x")}}, nil, 0))
}

// TestBadAuthentication: bad upload descriptions are refused with the
// right code and create nothing.
func TestBadAuthentication(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.WithLimits(server.Limits{MaxFileSize: math.MaxInt64, MaxFiles: 3, MaxTags: 2, MaxTagLength: 8, MaxChunks: 1 << 20}))
	before := snapshot(t, srv.Root())
	tok := srv.Token("alice")
	one := []wire.FileInfo{{Name: "a.txt", Size: 10}}
	cases := []struct {
		name string
		edit func(a *wire.Authentication)
		code wire.Code
	}{
		{"no files", func(a *wire.Authentication) { a.Files = nil }, wire.CodeBadRequest},
		{"too many files", func(a *wire.Authentication) { a.Files = make([]wire.FileInfo, 4); fillNames(a) }, wire.CodeTooLarge},
		{"dot dot", func(a *wire.Authentication) { a.Files[0].Name = ".." }, wire.CodeBadRequest},
		{"dot", func(a *wire.Authentication) { a.Files[0].Name = "." }, wire.CodeBadRequest},
		{"slash", func(a *wire.Authentication) { a.Files[0].Name = "../../etc/passwd" }, wire.CodeBadRequest},
		{"dotdot element", func(a *wire.Authentication) { a.Files[0].Name = "dir/../a" }, wire.CodeBadRequest},
		{"absolute path", func(a *wire.Authentication) { a.Files[0].Name = "/etc/a" }, wire.CodeBadRequest},
		{"empty element", func(a *wire.Authentication) { a.Files[0].Name = "dir//a" }, wire.CodeBadRequest},
		{"trailing slash", func(a *wire.Authentication) { a.Files[0].Name = "dir/" }, wire.CodeBadRequest},
		{"dot element", func(a *wire.Authentication) { a.Files[0].Name = "./a" }, wire.CodeBadRequest},
		{"backslash in element", func(a *wire.Authentication) { a.Files[0].Name = `dir/a\b` }, wire.CodeBadRequest},
		{"control char in element", func(a *wire.Authentication) { a.Files[0].Name = "dir/a\x01b" }, wire.CodeBadRequest},
		{"element over 255 bytes", func(a *wire.Authentication) { a.Files[0].Name = "dir/" + strings.Repeat("x", 256) }, wire.CodeBadRequest},
		{"path over 4096 bytes", func(a *wire.Authentication) { a.Files[0].Name = strings.Repeat("abcdefg/", 512) + "x" }, wire.CodeBadRequest},
		{"backslash", func(a *wire.Authentication) { a.Files[0].Name = `..\a` }, wire.CodeBadRequest},
		{"NUL", func(a *wire.Authentication) { a.Files[0].Name = "a\x00b" }, wire.CodeBadRequest},
		{"control", func(a *wire.Authentication) { a.Files[0].Name = "a\nb" }, wire.CodeBadRequest},
		{"empty name", func(a *wire.Authentication) { a.Files[0].Name = "" }, wire.CodeBadRequest},
		{"256 bytes", func(a *wire.Authentication) { a.Files[0].Name = strings.Repeat("n", 256) }, wire.CodeBadRequest},
		{"size over int64", func(a *wire.Authentication) { a.Files[0].Size = math.MaxInt64 + 1 }, wire.CodeTooLarge},
		{"sizes sum past int64", func(a *wire.Authentication) {
			a.Files = []wire.FileInfo{{Name: "a", Size: math.MaxInt64 - 5}, {Name: "b", Size: 10}}
		}, wire.CodeTooLarge},
		{"too many chunks", func(a *wire.Authentication) { a.Files[0].Size = 2 << 30; a.ChunkSize = 1024 }, wire.CodeTooLarge},
		{"too many tags", func(a *wire.Authentication) { a.Tags = []string{"a", "b", "c"} }, wire.CodeBadRequest},
		{"long tag", func(a *wire.Authentication) { a.Tags = []string{"123456789"} }, wire.CodeBadRequest},
		{"comma tag", func(a *wire.Authentication) { a.Tags = []string{"a,b"} }, wire.CodeBadRequest},
		{"control tag", func(a *wire.Authentication) { a.Tags = []string{"a\tb"} }, wire.CodeBadRequest},
		{"empty tag", func(a *wire.Authentication) { a.Tags = []string{""} }, wire.CodeBadRequest},
		{"negative chunk size", func(a *wire.Authentication) { a.ChunkSize = -1 }, wire.CodeBadRequest},
		{"fid not a UUID", func(a *wire.Authentication) { a.FID = "../../x" }, wire.CodeBadRequest},
	}
	c := dial(t, srv)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := &wire.Authentication{MessageID: uuid.NewString(), Token: tok, FID: uuid.NewString(), Files: append([]wire.FileInfo(nil), one...)}
			tc.edit(a)
			expectError(t, c.authenticate(a), tc.code)
		})
	}
	assertUnchanged(t, srv.Root(), before)
}

func fillNames(a *wire.Authentication) {
	for i := range a.Files {
		a.Files[i].Name = strings.Repeat("f", i+1)
	}
}

// TestBadChunks: chunks that do not fit the upload are refused before
// anything is written; a bad checksum is corrupt.
func TestBadChunks(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	c := dial(t, srv)
	data := []byte(strings.Repeat("0123456789", 300)) // 3000 bytes: chunks of 1024, 1024, 952
	c.mustAuth(authMsg(srv.Token("alice"), uuid.New(), []file{{name: "f", data: data}}, nil, 1024))
	before := snapshot(t, srv.Root())

	send := func(tr *wire.Transfer, raw bool) *wire.Response {
		t.Helper()
		c.sendTransfer(tr, raw)
		c.flush()
		r := c.recv()
		if r.MessageID != tr.MessageID {
			t.Fatalf("answer for %q, want %q", r.MessageID, tr.MessageID)
		}
		return r
	}
	for _, raw := range []bool{false, true} {
		tr := c.chunk(0, 3, data) // index out of range: ChunkBounds gives no bytes
		expectError(t, send(tr, raw), wire.CodeBadRequest)

		tr = c.chunk(0, 0, data)
		tr.File = 1
		tr.Chunk = wire.ChunkID(c.fid, 1, 0).String()
		expectError(t, send(tr, raw), wire.CodeBadRequest)

		tr = c.chunk(0, 0, data)
		tr.Chunk = wire.ChunkID(c.fid, 0, 1).String()
		expectError(t, send(tr, raw), wire.CodeBadRequest)

		tr = c.chunk(0, 0, data)
		tr.Chunk = "not-a-uuid"
		expectError(t, send(tr, raw), wire.CodeBadRequest)

		tr = c.chunk(0, 2, data)
		tr.Data = tr.Data[:100]
		tr.CRC32C = nil
		expectError(t, send(tr, raw), wire.CodeBadRequest)

		tr = c.chunk(0, 1, data)
		tr.Data = append(append([]byte(nil), tr.Data...), 'x')
		tr.CRC32C = nil
		expectError(t, send(tr, raw), wire.CodeBadRequest)

		tr = c.chunk(0, 1, data)
		*tr.CRC32C ^= 1
		expectError(t, send(tr, raw), wire.CodeCorrupt)
	}
	assertUnchanged(t, srv.Root(), before)

	// The same chunk with the right checksum is then stored.
	got := c.sendChunks(0, data, []uint64{0, 1, 2}, false)
	sums := 0
	for k, r := range got {
		if !r.OK() {
			t.Fatalf("chunk %d: %v", k, r.Err())
		}
		if r.SHA256 != "" {
			sums++
			if r.SHA256 != sha(data) {
				t.Fatalf("sha256 %s, want %s", r.SHA256, sha(data))
			}
		}
	}
	if sums != 1 {
		t.Fatalf("%d completions, want 1: %+v", sums, got)
	}
}

// TestAnotherUsersUpload: a fid belongs to its creator.
func TestAnotherUsersUpload(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	files := []file{randomFile(t, "x", 5000)}
	fid := uuid.New()
	dial(t, srv).mustAuth(authMsg(srv.Token("alice"), fid, files, nil, 1024))
	before := snapshot(t, srv.Root())
	c := dial(t, srv)
	expectError(t, c.authenticate(authMsg(srv.Token("mallory"), fid, files, nil, 1024)), wire.CodeForbidden)
	// Even with other files the answer is forbidden, not conflict: the
	// upload's content is none of mallory's business.
	expectError(t, c.authenticate(authMsg(srv.Token("mallory"), fid, []file{randomFile(t, "y", 1)}, nil, 1024)), wire.CodeForbidden)
	assertUnchanged(t, srv.Root(), before)
	if _, err := os.Stat(filepath.Join(srv.Root(), "users", "mallory")); err == nil {
		t.Fatal("a directory was created for mallory")
	}
}

// TestConflict: the same fid with other files or tags is a conflict.
func TestConflict(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	files := []file{randomFile(t, "x", 5000)}
	fid := uuid.New()
	tok := srv.Token("alice")
	dial(t, srv).mustAuth(authMsg(tok, fid, files, []string{"a", "b"}, 1024))
	before := snapshot(t, srv.Root())
	c := dial(t, srv)
	expectError(t, c.authenticate(authMsg(tok, fid, []file{randomFile(t, "x", 5001)}, []string{"a", "b"}, 1024)), wire.CodeConflict)
	expectError(t, c.authenticate(authMsg(tok, fid, []file{randomFile(t, "z", 5000)}, []string{"a", "b"}, 1024)), wire.CodeConflict)
	expectError(t, c.authenticate(authMsg(tok, fid, files, []string{"a"}, 1024)), wire.CodeConflict)
	assertUnchanged(t, srv.Root(), before)
	// Tags are a set: another order (and duplicates) resume the same upload.
	c.mustAuth(authMsg(tok, fid, files, []string{"b", "a", "b"}, 1024))
}

// TestSecondAuthenticationOnAConnection is refused.
func TestSecondAuthenticationOnAConnection(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	c := dial(t, srv)
	c.mustAuth(authMsg(srv.Token("alice"), uuid.New(), []file{randomFile(t, "x", 10)}, nil, 0))
	expectError(t, c.authenticate(authMsg(srv.Token("alice"), uuid.New(), []file{randomFile(t, "y", 10)}, nil, 0)), wire.CodeBadRequest)
}

// TestRawTransferDisabled: with the extension off it is neither advertised
// nor accepted, and plain TRANSFER works.
func TestRawTransferDisabled(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.DisableRawTransfer = true }))
	c := dial(t, srv)
	f := randomFile(t, "x", 3000)
	r := c.mustAuth(authMsg(srv.Token("alice"), uuid.New(), []file{f}, nil, 1024))
	if slices.Contains(r.Extensions, wire.ExtensionRawTransfer) {
		t.Fatalf("extensions advertised: %v", r.Extensions)
	}
	got := c.sendChunks(0, f.data, []uint64{0}, true)
	expectError(t, got[0], wire.CodeBadRequest)
	got = c.sendChunks(0, f.data, []uint64{0, 1, 2}, false)
	for k, r := range got {
		if !r.OK() {
			t.Fatalf("chunk %d: %v", k, r.Err())
		}
	}
}
