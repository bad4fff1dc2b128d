package e2e

import (
	"net"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// TestServeDisableRawTransfer checks, on the real binary, that
// --disable-raw-transfer withdraws the extension from the Ok to
// AUTHENTICATION, which is what makes clients (and the benchmark's plain
// JSON run) send base64 TRANSFERs.
func TestServeDisableRawTransfer(t *testing.T) {
	t.Parallel()
	for _, disabled := range []bool{false, true} {
		var flags []string
		if disabled {
			flags = []string{"--disable-raw-transfer"}
		}
		srv := startServer(t, t.TempDir(), flags...)
		ok := authenticateOnce(t, srv.Addr, mintToken(t, srv.Root, "alice"))
		if got := slices.Contains(ok.Extensions, wire.ExtensionRawTransfer); got == disabled {
			t.Errorf("--disable-raw-transfer=%v: extensions %q", disabled, ok.Extensions)
		}
	}
}

// authenticateOnce opens a one-file upload on the server at addr and
// returns the server's Ok.
func authenticateOnce(t *testing.T, addr, token string) *wire.Response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	a := wire.Authentication{
		MessageID: uuid.NewString(), Token: token, FID: uuid.NewString(),
		Files: []wire.FileInfo{{Name: "a.bin", Size: 10}}, Tags: []string{},
	}
	payload, err := wire.EncodeJSON(&a)
	if err != nil {
		t.Fatal(err)
	}
	w := wire.NewWriter(conn)
	if err := w.WriteFrame(wire.TypeAuthentication, payload); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	fr, err := wire.NewReader(conn).ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := wire.DecodeResponse(fr.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Err(); err != nil {
		t.Fatalf("authentication refused: %v", err)
	}
	return resp
}
