package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// authPayloadWithName is an AUTHENTICATION payload whose one file's name
// is rawName, written into the JSON as is (it may be invalid UTF-8, which
// no JSON encoder would produce).
func authPayloadWithName(token, rawName string) []byte {
	return []byte(`{"message-id":"n","token":"` + token + `","fid":"` + uuid.NewString() + `","files":[{"name":"` + rawName + `","size":3}]}`)
}

// TestInvalidUTF8NameRefused: a name that is not valid UTF-8 (raw bytes or
// an escaped lone surrogate) is refused bad-request and nothing is
// created; before, encoding/json turned it into U+FFFD and two different
// names collided.
func TestInvalidUTF8NameRefused(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	before := snapshot(t, srv.Root())
	for _, name := range []string{"a\xffb.txt", "a\xfeb.txt", `x\udc00.txt`} {
		c := dial(t, srv)
		c.sendFrame(wire.TypeAuthentication, authPayloadWithName(srv.Token("alice"), name))
		r := c.recv()
		expectError(t, r, wire.CodeBadRequest)
	}
	assertUnchanged(t, srv.Root(), before)
}

// TestNamesNormalisedToNFC: a name sent decomposed (NFD, as some file
// systems spell it) is stored composed (NFC); resuming with either
// spelling is the same upload, and the two spellings are one name.
func TestNamesNormalisedToNFC(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	nfd, nfc := "cafe\u0301.txt", "caf\u00e9.txt"
	f := randomFile(t, nfd, 3000)
	c := dial(t, srv)
	fid := uuid.New()
	c.mustAuth(authMsg(srv.Token("alice"), fid, []file{f}, nil, 1024))
	c.sendChunks(0, f.data, []uint64{0}, false)
	// Resume with the composed spelling: same files, same upload.
	c2 := dial(t, srv)
	r := c2.mustAuth(authMsg(srv.Token("alice"), fid, []file{{name: nfc, data: f.data}}, nil, 1024))
	if len(r.Missing[0]) != 1 || r.Missing[0][0] != (wire.Range{1, 3}) {
		t.Fatalf("resume with the NFC spelling: missing %v, want [[1 3]]", r.Missing)
	}
	for _, resp := range c2.sendChunks(0, f.data, []uint64{1, 2}, false) {
		if !resp.OK() {
			t.Fatal(resp.Err())
		}
	}
	if _, err := os.Stat(filepath.Join(srv.Root(), "users", "alice", nfc)); err != nil {
		t.Fatalf("not stored under the NFC name: %v", err)
	}
	// The other spelling of the same name is taken now.
	upload(t, srv, "alice", []file{randomFile(t, nfc, 10)}, nil)
	files := srv.Files("alice")
	if len(files) != 2 || files[0].Name != nfc || files[1].Stored != "caf\u00e9 (2).txt" {
		t.Fatalf("records %+v %+v", files[0], files[len(files)-1])
	}
}

// TestNoFreeNameIsFinal: when a name and every variant the server may use
// instead are taken, the chunk that completes the file is answered
// no-free-name, a code clients do not retry, and so is every later
// AUTHENTICATION of the upload; the upload is not broken (before, the
// answer was internal, which clients retry forever).
func TestNoFreeNameIsFinal(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	upload(t, srv, "alice", []file{randomFile(t, "seed", 1)}, nil) // creates users/alice
	fid := uuid.New()
	dir := filepath.Join(srv.Root(), "users", "alice")
	taken := []string{"x.txt", "x (" + fid.String()[:8] + "-0).txt"}
	for n := 2; n <= 100; n++ {
		taken = append(taken, fmt.Sprintf("x (%d).txt", n))
	}
	for _, name := range taken {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f := randomFile(t, "x.txt", 2000)
	c := dial(t, srv)
	c.mustAuth(authMsg(srv.Token("alice"), fid, []file{f}, nil, 1024))
	got := c.sendChunks(0, f.data, []uint64{0, 1}, false)
	var last *wire.Response
	for _, r := range got {
		if !r.OK() {
			last = r
		}
	}
	if last == nil {
		t.Fatal("every chunk of a file that has no free name was answered Ok")
	}
	expectError(t, last, wire.CodeNoFreeName)
	for range 2 {
		r := dial(t, srv).authenticate(authMsg(srv.Token("alice"), fid, []file{f}, nil, 1024))
		expectError(t, r, wire.CodeNoFreeName)
		if wire.CodeNoFreeName.Retryable() {
			t.Fatal("no-free-name is retryable")
		}
	}
}
