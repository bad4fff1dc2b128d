package e2e

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoist-dev/hoist/internal/testkit"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// lsLine is one line of `hoist ls --json`.
type lsLine struct {
	Name, Stored, Path, User, SHA256 string
	Size                             uint64
	Tags                             []string
}

func lsJSONLines(t *testing.T, root string, args ...string) []lsLine {
	t.Helper()
	out := runHoist(t, append([]string{"ls", "--root", root, "--json"}, args...)...)
	var lines []lsLine
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var l lsLine
		if err := dec.Decode(&l); errors.Is(err, io.EOF) {
			return lines
		} else if err != nil {
			t.Fatalf("hoist ls --json: %v\n%s", err, out)
		}
		lines = append(lines, l)
	}
}

// TestE2ERoundTripAndLs uploads two files to the real binary with
// pipelining, checks the completion sha256s and stored bytes, and lists
// them with `hoist ls` while the server runs and after it stopped.
func TestE2ERoundTripAndLs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	p := startServer(t, root)
	tok := mintToken(t, root, "alice")
	files := [][]byte{randomBytes(300_000), randomBytes(70_000)}
	names := []string{"report.pdf", "notes.txt"}
	c := e2eDial(t, p.Addr)
	r := c.auth(tok, uuid.New(), names, files, []string{"q3", "finance"}, 16<<10)
	if !slices.Contains(r.Extensions, wire.ExtensionRawTransfer) {
		t.Fatalf("server does not advertise %s: %v", wire.ExtensionRawTransfer, r.Extensions)
	}
	for i, data := range files {
		n := wire.ChunkCount(uint64(len(data)), c.cs)
		for k := uint64(0); k < n; k++ {
			c.send(i, data, k, i == 1)
		}
	}
	c.flush() // every chunk of both files is in flight now
	sums := c.recvAcks(wire.ChunkCount(uint64(len(files[0])), c.cs) + wire.ChunkCount(uint64(len(files[1])), c.cs))
	for i, data := range files {
		if sums[i] != hexSHA(data) {
			t.Fatalf("file %d: completion sha256 %q, want %q", i, sums[i], hexSHA(data))
		}
		got, err := os.ReadFile(filepath.Join(root, "users", "alice", names[i]))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("stored %s differs (%v)", names[i], err)
		}
	}

	// While the server runs, ls reads the catalog copy the server keeps.
	var lines []lsLine
	deadline := time.Now().Add(30 * time.Second)
	for len(lines) < 2 && time.Now().Before(deadline) {
		lines = lsJSONLines(t, root, "--tag", "finance")
		if len(lines) < 2 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("hoist ls --tag finance while serving: %d files, want 2", len(lines))
	}
	table := runHoist(t, "ls", "--root", root, "--user", "alice")
	for _, want := range []string{"report.pdf", "notes.txt", "alice", "finance,q3", hexSHA(files[0])[:12]} {
		if !strings.Contains(table, want) {
			t.Fatalf("hoist ls output lacks %q:\n%s", want, table)
		}
	}
	if err := p.Terminate(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	lines = lsJSONLines(t, root, "--user", "alice")
	if len(lines) != 2 {
		t.Fatalf("hoist ls after stop: %d files, want 2", len(lines))
	}
	for _, l := range lines {
		i := slices.Index(names, l.Name)
		if i < 0 || l.SHA256 != hexSHA(files[i]) || l.Size != uint64(len(files[i])) || !slices.Equal(l.Tags, []string{"finance", "q3"}) {
			t.Fatalf("ls record %+v", l)
		}
	}
	if lines := lsJSONLines(t, root, "--tag", "nope"); len(lines) != 0 {
		t.Fatalf("ls --tag nope listed %d files", len(lines))
	}
}

// TestE2EDurabilityAfterSIGKILL kills the server right after it
// acknowledges chunk k; after a restart chunk k (and every chunk before it)
// is held and its bytes are intact.
func TestE2EDurabilityAfterSIGKILL(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	p := startServer(t, root)
	tok := mintToken(t, root, "bob")
	data := randomBytes(40 * 8192)
	fid := uuid.New()
	c := e2eDial(t, p.Addr)
	c.auth(tok, fid, []string{"disk.img"}, [][]byte{data}, nil, 8192)
	const k = 17
	for i := uint64(0); i < k; i++ {
		c.send(0, data, i, false)
	}
	c.flush()
	c.recvAcks(k)
	id := c.send(0, data, k, false)
	c.flush()
	r := c.mustRecv()
	if !r.OK() || r.MessageID != id {
		t.Fatalf("chunk %d: %+v", k, r)
	}
	p.Kill() // right after the Ok: no graceful anything
	p.Restart()

	c = e2eDial(t, p.Addr)
	r = c.auth(tok, fid, []string{"disk.img"}, [][]byte{data}, nil, 8192)
	want := [][]wire.Range{{{k + 1, 40}}}
	if !slices.EqualFunc(r.Missing, want, slices.Equal) {
		t.Fatalf("missing after SIGKILL and restart: %v, want %v", r.Missing, want)
	}
	partial, err := os.ReadFile(filepath.Join(root, "partial", fid.String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(partial[:(k+1)*8192], data[:(k+1)*8192]) {
		t.Fatal("acknowledged bytes changed across SIGKILL")
	}
	for i := uint64(k + 1); i < 40; i++ {
		c.send(0, data, i, true)
	}
	c.flush()
	if sum := c.recvAcks(40 - (k + 1))[0]; sum != hexSHA(data) {
		t.Fatalf("completion sha256 %q, want %q", sum, hexSHA(data))
	}
}

// TestE2EGracefulShutdown sends SIGTERM while chunks are in flight: every
// chunk the server acknowledged is held after a restart, the server exits
// cleanly, and nothing it read goes unanswered.
func TestE2EGracefulShutdown(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	p := startServer(t, root)
	tok := mintToken(t, root, "carol")
	const chunks, cs = 400, 16 << 10
	data := randomBytes(chunks * cs)
	fid := uuid.New()
	c := e2eDial(t, p.Addr)
	c.auth(tok, fid, []string{"big.bin"}, [][]byte{data}, nil, cs)
	ids := map[string]uint64{}
	go func() {
		// Writes may fail once the server stops reading; that is expected.
		for k := uint64(0); k < chunks; k++ {
			off, n := wire.ChunkBounds(uint64(len(data)), cs, k)
			tr := &wire.Transfer{MessageID: uuid.NewSHA1(fid, []byte{byte(k), byte(k >> 8)}).String(), Chunk: wire.ChunkID(fid, 0, k).String(), Index: k, Data: data[off : off+uint64(n)]}
			if c.w.WriteFrame(wire.TypeTransfer, wire.AppendTransfer(nil, tr)) != nil {
				return
			}
		}
		c.w.Flush()
	}()
	for k := uint64(0); k < chunks; k++ {
		ids[uuid.NewSHA1(fid, []byte{byte(k), byte(k >> 8)}).String()] = k
	}
	first := c.mustRecv()
	if !first.OK() {
		t.Fatal(first.Err())
	}
	acked := []uint64{ids[first.MessageID]}
	if err := p.Terminate(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.Stderr())
	}
	for {
		r, err := c.recv()
		if err != nil {
			break // the server closed the connection after answering
		}
		if !r.OK() {
			t.Fatalf("answer during shutdown: %v", r.Err())
		}
		acked = append(acked, ids[r.MessageID])
	}
	if !strings.Contains(p.Stderr(), "shutting down") {
		t.Fatalf("no shutdown log:\n%s", p.Stderr())
	}
	p.Restart()
	c2 := e2eDial(t, p.Addr)
	r := c2.auth(tok, fid, []string{"big.bin"}, [][]byte{data}, nil, cs)
	for _, k := range acked {
		for _, m := range r.Missing[0] {
			if k >= m[0] && k < m[1] {
				t.Fatalf("chunk %d was acknowledged before shutdown but is missing after restart (missing %v)", k, r.Missing[0])
			}
		}
	}
	t.Logf("%d of %d chunks acknowledged around SIGTERM", len(acked), chunks)
}

// TestE2EStdio runs `hoist serve --stdio` with pipes, as ssh would: one
// session over stdin/stdout, logs on stderr only, exit when stdin closes.
func TestE2EStdio(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	hoist.InitRoot(t, root)
	tok := mintToken(t, root, "dave")
	cmd := exec.Command(hoistBinary(), "serve", "--stdio", "--root", root)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr testkit.SyncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	c := &e2eClient{t: t, r: wire.NewReader(stdout), w: wire.NewWriter(stdin)}
	data := randomBytes(50_000)
	c.auth(tok, uuid.New(), []string{"via-ssh.bin"}, [][]byte{data}, []string{"ssh"}, 4096)
	for k := range wire.ChunkCount(uint64(len(data)), c.cs) {
		c.send(0, data, k, k%2 == 1)
	}
	c.flush()
	if sum := c.recvAcks(wire.ChunkCount(uint64(len(data)), c.cs))[0]; sum != hexSHA(data) {
		t.Fatalf("sha256 %q, want %q", sum, hexSHA(data))
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("hoist serve --stdio: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "file complete") {
		t.Fatalf("no log on stderr:\n%s", stderr.String())
	}
}

// TestE2EUnixAndTLS serves TLS on TCP and a Unix socket at once.
func TestE2EUnixAndTLS(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	certFile, keyFile, pool := selfSignedCert(t)
	sock := filepath.Join(t.TempDir(), "hoist.sock")
	p := startServer(t, root, "--unix", sock, "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(p.URL, "tls://") || p.Unix != "unix://"+sock {
		t.Fatalf("announced %q and %q", p.URL, p.Unix)
	}
	tok := mintToken(t, root, "erin")
	tc, err := tls.Dial("tcp", p.Addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	uc, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	for i, conn := range []net.Conn{tc, uc} {
		t.Cleanup(func() { conn.Close() })
		c := &e2eClient{t: t, conn: conn, r: wire.NewReader(conn), w: wire.NewWriter(conn)}
		data := randomBytes(10_000 + i)
		c.auth(tok, uuid.New(), []string{"f.bin"}, [][]byte{data}, nil, 4096)
		for k := range wire.ChunkCount(uint64(len(data)), c.cs) {
			c.send(0, data, k, true)
		}
		c.flush()
		var sum string
		for range wire.ChunkCount(uint64(len(data)), c.cs) {
			if r := c.mustRecv(); r.File != nil {
				sum = r.SHA256
			}
		}
		if sum != hexSHA(data) {
			t.Fatalf("connection %d: sha256 %q", i, sum)
		}
	}
	if err := p.Terminate(); err != nil {
		t.Fatal(err)
	}
}

// selfSignedCert writes a certificate for 127.0.0.1 and its key.
func selfSignedCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "hoist test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestE2ETokenKeysAndClaims: the binary verifies with a configured Ed25519
// public key and requires the configured iss and aud; `hoist token
// --signing-key` mints what it accepts, and only that.
func TestE2ETokenKeysAndClaims(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	privDER, _ := x509.MarshalPKCS8PrivateKey(priv)
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	privFile, pubFile := filepath.Join(dir, "ed.pem"), filepath.Join(dir, "ed.pub")
	os.WriteFile(privFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600)
	os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o600)
	p := startServer(t, root, "--jwt-public-key", pubFile, "--jwt-issuer", "hoist.example", "--jwt-audience", "uploads")

	try := func(token string) *wire.Response {
		c := e2eDial(t, p.Addr)
		a := wire.Authentication{MessageID: "m", Token: token, FID: uuid.NewString(), Files: []wire.FileInfo{{Name: "x", Size: 0}}}
		b, _ := wire.EncodeJSON(&a)
		c.w.WriteFrame(wire.TypeAuthentication, b)
		c.flush()
		return c.mustRecv()
	}
	good := mintToken(t, root, "frank", "--signing-key", privFile, "--iss", "hoist.example", "--aud", "uploads")
	if r := try(good); !r.OK() {
		t.Fatalf("token from hoist token --signing-key refused: %v", r.Err())
	}
	for name, tok := range map[string]string{
		"no aud":          mintToken(t, root, "frank", "--signing-key", privFile, "--iss", "hoist.example"),
		"wrong iss":       mintToken(t, root, "frank", "--signing-key", privFile, "--iss", "evil", "--aud", "uploads"),
		"generated HS256": mintToken(t, root, "frank", "--iss", "hoist.example", "--aud", "uploads"),
	} {
		if r := try(tok); r.OK() || r.Code != wire.CodeUnauthorized {
			t.Errorf("%s: %+v, want unauthorized", name, r)
		}
	}
	if _, errOut, err := tryHoist(t, nil, "token", "--root", root); err == nil || !strings.Contains(errOut, "--sub") {
		t.Fatalf("hoist token without --sub: %v %q", err, errOut)
	}
}
