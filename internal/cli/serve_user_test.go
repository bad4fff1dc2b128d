//go:build unix

package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// TestServeStdioUser runs `hoist serve --stdio --user alice` on a pair of
// pipes, as sshd runs a forced command: an upload and a LIST without any
// token act as alice, and the file lands under users/alice at its path.
func TestServeStdioUser(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	root := filepath.Join(s.home, "srv")
	// stdin as a process gets it: a pipe that the Go runtime's poller
	// does not know yet (os.Pipe's would be registered already).
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		t.Fatal(err)
	}
	inR, inW := os.NewFile(uintptr(fds[0]), "stdin"), os.NewFile(uintptr(fds[1]), "stdin-writer")
	// The server closes stdin's descriptor through a File of its own, so
	// inR must never close it again, not even from its finalizer.
	keptStdin.Store(inR)
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer outR.Close()
	var stderr syncBuffer
	env := s.env(nil, &stderr)
	env.Stdin, env.Stdout = inR, outW
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan int, 1)
	go func() {
		defer outW.Close()
		done <- Run(ctx, env, []string{"serve", "--stdio", "--user", "alice", "--root", root})
	}()

	w, r := wire.NewWriter(inW), wire.NewReader(outR)
	outR.SetReadDeadline(time.Now().Add(time.Minute))
	roundTrip := func(t wire.UserType, payload []byte) *wire.Response {
		if err := w.WriteFrame(t, payload); err != nil {
			return &wire.Response{Response: wire.ResponseError, Reason: err.Error()}
		}
		if err := w.Flush(); err != nil {
			return &wire.Response{Response: wire.ResponseError, Reason: err.Error()}
		}
		f, err := r.ReadFrame()
		if err != nil {
			return &wire.Response{Response: wire.ResponseError, Reason: err.Error()}
		}
		resp, err := wire.DecodeResponse(f.Payload)
		if err != nil {
			return &wire.Response{Response: wire.ResponseError, Reason: err.Error()}
		}
		return resp
	}
	const fid = "6f1c1d5e-8f0e-4a57-9d8e-2f5b8c6a1b2c"
	auth, _ := wire.EncodeJSON(&wire.Authentication{MessageID: "a", FID: fid,
		Files: []wire.FileInfo{{Name: "docs/hello.txt", Size: 5}}})
	if resp := roundTrip(wire.TypeAuthentication, auth); !resp.OK() {
		t.Fatalf("AUTHENTICATION without a token: %v", resp.Err())
	}
	data := []byte("hello")
	tr := wire.AppendTransfer(nil, &wire.Transfer{MessageID: "t", Chunk: wire.ChunkID(mustUUID(t, fid), 0, 0).String(), File: 0, Index: 0, Data: data})
	resp := roundTrip(wire.TypeTransfer, tr)
	if !resp.OK() || resp.Stored != "docs/hello.txt" {
		t.Fatalf("TRANSFER: %+v\n%s", resp, stderr.String())
	}
	list, _ := wire.EncodeJSON(&wire.List{MessageID: "l"})
	resp = roundTrip(wire.TypeList, list)
	if !resp.OK() || len(resp.Files) != 1 || resp.Files[0].Name != "docs/hello.txt" || resp.Files[0].Size != 5 {
		t.Fatalf("LIST without a token: %+v", resp)
	}
	inW.Close()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("hoist serve --stdio --user: exit %d\n%s", code, stderr.String())
		}
	case <-ctx.Done():
		t.Fatal("hoist serve --stdio did not end with its stdin")
	}
	got, err := os.ReadFile(filepath.Join(root, "users", "alice", "docs", "hello.txt"))
	if err != nil || string(got) != "hello" {
		t.Fatalf("stored file: %q %v", got, err)
	}
}

// TestServeUserNeedsStdio: --user without --stdio, or naming no safe
// user, is a usage error before anything is served.
func TestServeUserNeedsStdio(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	root := filepath.Join(s.home, "srv")
	for _, args := range [][]string{
		{"serve", "--user", "alice", "--root", root},
		{"serve", "--stdio", "--user", "../bob", "--root", root},
	} {
		r := s.run(args...)
		if r.code != 2 || !strings.Contains(r.stderr, "--user") {
			t.Errorf("hoist %s: exit %d, stderr %q; want a usage error about --user", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("the data directory was created by a refused command: %v", err)
	}
}

// keptStdin keeps the stdin File of TestServeStdioUser reachable, so that
// its finalizer never closes a descriptor number that has been reused.
var keptStdin atomic.Pointer[os.File]

func mustUUID(t *testing.T, s string) uuid.UUID {
	t.Helper()
	u, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
