package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/servertest"
)

func TestUnixSocket(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.WithUnix())
	e, _ := newEngine(t, testOptions(t, srv.URL(), StaticToken(srv.Token("alice"))))
	path, data := writeFile(t, t.TempDir(), "u.bin", 200<<10, 50)
	fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "u.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(t, e, fid); err != nil {
		t.Fatal(err)
	}
	checkStored(t, srv, "alice", map[string][]byte{"u.bin": data})
}

// serveTLS serves srv on an extra TLS listener with a certificate for
// 127.0.0.1 signed by a fresh CA, and returns the address and the CA file.
func serveTLS(t *testing.T, srv *servertest.Server) (addr, caFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hoist test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Server().Serve(ctx, ln)
	}()
	t.Cleanup(func() { cancel(); <-served })
	return ln.Addr().String(), caFile
}

func TestTLSWithCAFile(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	addr, caFile := serveTLS(t, srv)
	o := testOptions(t, "tls://"+addr, StaticToken(srv.Token("alice")))
	o.CAFile = caFile
	e, _ := newEngine(t, o)
	path, data := writeFile(t, t.TempDir(), "t.bin", 300<<10, 51)
	fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "t.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(t, e, fid); err != nil {
		t.Fatal(err)
	}
	checkStored(t, srv, "alice", map[string][]byte{"t.bin": data})
}

func TestTLSUntrustedCertificateStopsAtOnce(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	addr, _ := serveTLS(t, srv)
	o := testOptions(t, "tls://"+addr, StaticToken(srv.Token("alice"))) // system roots only
	e, rec := newEngine(t, o)
	path, _ := writeFile(t, t.TempDir(), "t.bin", 10<<10, 52)
	fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "t.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	err = wait(t, e, fid)
	var cv *tls.CertificateVerificationError
	if !errors.As(err, &cv) {
		t.Fatalf("err = %v, want a certificate verification error", err)
	}
	if u := finalLog(t, rec, fid); u.count(StateConnecting) != 1 {
		t.Fatalf("states %v: an untrusted certificate must not be retried", u.states)
	}
}

func TestBadOptionsAndSpecs(t *testing.T) {
	t.Parallel()
	if _, err := New(Options{}); err == nil {
		t.Error("New without a token source succeeded")
	}
	if _, err := New(Options{Token: StaticToken("x")}); err == nil || !strings.Contains(err.Error(), "JournalDir") {
		t.Errorf("New without a journal directory: %v", err)
	}
	jd := t.TempDir()
	if _, err := New(Options{Token: StaticToken("x"), JournalDir: jd, ChunkSize: MaxChunkSize + 1}); err == nil {
		t.Error("New with an oversized chunk succeeded")
	}
	if _, err := New(Options{Token: StaticToken("x"), JournalDir: jd, CAFile: "/nonexistent/ca.pem"}); err == nil {
		t.Error("New with a missing CA file succeeded")
	}
	dir := t.TempDir()
	a, _ := writeFile(t, dir, "a", 10, 1)
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	b, _ := writeFile(t, sub, "a", 10, 2)
	e, _ := newEngine(t, testOptions(t, "tcp://127.0.0.1:1", StaticToken("x")))
	cases := map[string]Spec{
		"no files":        {},
		"duplicate names": {Files: []LocalFile{{Path: a, Name: "a"}, {Path: b, Name: "a"}}},
		"missing file":    {Files: []LocalFile{{Path: filepath.Join(dir, "nope"), Name: "nope"}}},
		"directory":       {Files: []LocalFile{{Path: sub, Name: "sub"}}},
		"no name":         {Files: []LocalFile{{Path: a}}},
	}
	for name, spec := range cases {
		if _, err := e.Start(spec); err == nil {
			t.Errorf("%s: Start succeeded", name)
		}
	}
	if left, _ := e.Unfinished(); len(left) != 0 {
		t.Errorf("refused uploads left %d journal entries", len(left))
	}
}
