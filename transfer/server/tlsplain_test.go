package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/internal/testkit"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// TestTLSClientOnPlainListener: a TLS ClientHello on a plain listener is
// logged as such and answered with one hoist frame, which a TLS client
// sees as a record header starting with 0x02 (tls.RecordHeaderError), and
// the connection is closed.
func TestTLSClientOnPlainListener(t *testing.T) {
	t.Parallel()
	var logs testkit.SyncBuffer
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
	// The answer may reach the client before the server logged it.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), "client speaks TLS on a plain listener"); {
		if time.Now().After(deadline) {
			t.Fatalf("not logged; the log:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
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

// selfSignedTLS returns a server configuration with a fresh self-signed
// certificate for 127.0.0.1.
func selfSignedTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// TestPlainClientOnTLSListener: a plain hoist frame sent to a TLS
// listener is answered, unencrypted, with a bad-request that says to use
// tls://, instead of a bare close the client could only retry.
func TestPlainClientOnTLSListener(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Server().Serve(t.Context(), tls.NewListener(ln, selfSignedTLS(t))) }()
	defer func() { srv.Stop(); <-served }()
	c := dialAddr(t, ln.Addr().String())
	b, err := wire.EncodeJSON(authMsg(srv.Token("alice"), uuid.New(), []file{randomFile(t, "a", 10)}, nil, 0))
	if err != nil {
		t.Fatal(err)
	}
	c.sendFrame(wire.TypeAuthentication, b)
	r := c.recv()
	expectError(t, r, wire.CodeBadRequest)
	if !strings.Contains(r.Reason, "tls://") {
		t.Fatalf("reason %q does not say to use tls://", r.Reason)
	}
}
