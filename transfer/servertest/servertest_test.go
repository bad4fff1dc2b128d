package servertest_test

import (
	"net"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// authenticate opens a connection to network/addr and authenticates an
// upload of one empty file, which completes at once.
func authenticate(t *testing.T, network, addr, token string) *wire.Response {
	t.Helper()
	conn, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	a := wire.Authentication{MessageID: "m", Token: token, FID: uuid.NewString(), Files: []wire.FileInfo{{Name: "empty"}}}
	b, _ := wire.EncodeJSON(&a)
	w := wire.NewWriter(conn)
	if err := w.WriteFrame(wire.TypeAuthentication, b); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	f, err := wire.NewReader(conn).ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	r, err := wire.DecodeResponse(f.Payload)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestStartRestartTCP(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	if !strings.HasPrefix(srv.URL(), "tcp://127.0.0.1:") {
		t.Fatalf("URL %q", srv.URL())
	}
	if r := authenticate(t, "tcp", srv.Addr(), srv.Token("alice")); !r.OK() {
		t.Fatal(r.Err())
	}
	addr := srv.Addr()
	srv.Restart()
	if srv.Addr() != addr {
		t.Fatalf("restarted on %s, was %s", srv.Addr(), addr)
	}
	if r := authenticate(t, "tcp", srv.Addr(), srv.Token("alice")); !r.OK() {
		t.Fatal(r.Err())
	}
	if files := srv.Files("alice"); len(files) != 2 || len(srv.ReadFile(files[0])) != 0 {
		t.Fatalf("files %+v", files)
	}
	srv.Stop()
	srv.Stop() // idempotent
}

func TestStartUnix(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.WithUnix())
	if !strings.HasPrefix(srv.URL(), "unix:///") {
		t.Fatalf("URL %q", srv.URL())
	}
	r := authenticate(t, "unix", srv.Addr(), srv.Token("bob"))
	if !r.OK() || len(r.Complete) != 1 {
		t.Fatalf("%+v", r)
	}
	if r := authenticate(t, "unix", srv.Addr(), "forged"); r.Code != wire.CodeUnauthorized {
		t.Fatalf("forged token: %+v", r)
	}
}
