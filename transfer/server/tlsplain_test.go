package server_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTLSClientOnPlainListener: a TLS ClientHello on a plain listener is
// logged as such and answered with one hoist frame, which a TLS client
// sees as a record header starting with 0x02 (tls.RecordHeaderError), and
// the connection is closed.
func TestTLSClientOnPlainListener(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	}))
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	err = tls.Client(conn, &tls.Config{ServerName: "hoist.example"}).Handshake()
	var rh tls.RecordHeaderError
	if !errors.As(err, &rh) || rh.RecordHeader[0] != wire.MessageData {
		t.Fatalf("TLS handshake with a plain listener: %v, want a tls.RecordHeaderError starting with 0x02", err)
	}
	if !strings.Contains(logs.String(), "client speaks TLS on a plain listener") {
		t.Fatalf("not logged; the log:\n%s", logs.String())
	}

	// Read as hoist: one bad-request that says what to do, then the close.
	c := dial(t, srv)
	c.sendRaw([]byte{0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00})
	got := c.expectClosed()
	if len(got) != 1 {
		t.Fatalf("answers %+v, want one", got)
	}
	expectError(t, got[0], wire.CodeBadRequest)
	if !strings.Contains(got[0].Reason, "TLS") || !strings.Contains(got[0].Reason, "tcp://") {
		t.Fatalf("reason %q does not say what to do", got[0].Reason)
	}
}
