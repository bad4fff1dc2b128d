package e2e

// End-to-end tests of several `hoist serve` processes sharing one
// PostgreSQL (metadata) and one versitygw (bytes): any instance continues
// any upload, quotas and names hold across instances.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/hoist-dev/hoist/internal/testkit"
	"github.com/hoist-dev/hoist/transfer/store/pgmeta/pgtest"
	"github.com/hoist-dev/hoist/transfer/store/s3store/s3test"
)

// hoistCluster is two servers on one database and one bucket.
type hoistCluster struct {
	gw      *s3test.Server
	bucket  string
	metaURL string
	a, b    *testkit.Server
	token   string // a token file for alice
}

// startCluster starts PostgreSQL, versitygw and two `hoist serve`
// processes sharing them (and one signing secret), with extra flags.
func startCluster(t testing.TB, extra ...string) *hoistCluster {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	pg := pgtest.Start(t, ci)
	gw := s3test.Start(t, ci)
	gw.SetCredentials(t)
	c := &hoistCluster{gw: gw, bucket: gw.NewBucket(t), metaURL: pg.NewDatabase(t)}
	flags := append([]string{"--store", "s3://" + c.bucket + "/hoist", "--s3-endpoint", gw.Endpoint, "--s3-path-style",
		"--meta", c.metaURL}, extra...)
	rootA := t.TempDir()
	c.a = startServer(t, rootA, flags...)
	c.b = startServer(t, t.TempDir(), append(flags, "--jwt-secret-file", filepath.Join(rootA, "jwt-secret"))...)
	c.token = filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(c.token, []byte(mintToken(t, rootA, "alice")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// clusterFile is one line of `hoist ls --json`.
type clusterFile struct {
	Name, Stored, User, SHA256, FID string
	File                            int
}

// files lists user's completed files through `hoist ls --meta`.
func (c *hoistCluster) files(t *testing.T, user string) []clusterFile {
	t.Helper()
	out := runHoist(t, "ls", "--meta", c.metaURL, "--user", user, "--json")
	var fs []clusterFile
	for line := range strings.Lines(out) {
		var f clusterFile
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("hoist ls --json: %v in %q", err, line)
		}
		fs = append(fs, f)
	}
	return fs
}

// object returns the bytes the object store holds for f.
func (c *hoistCluster) object(t *testing.T, f clusterFile) []byte {
	t.Helper()
	out, err := c.gw.Client().GetObject(t.Context(), &s3.GetObjectInput{
		Bucket: aws.String(c.bucket), Key: aws.String(fmt.Sprintf("hoist/files/%s/%d", f.FID, f.File)),
	})
	if err != nil {
		t.Fatalf("reading %s from the object store: %v", f.Stored, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tcpProxy forwards connections to a backend that can be switched, as a
// load balancer moving to a healthy server does.
type tcpProxy struct {
	ln     net.Listener
	target atomic.Pointer[string]
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, conns: map[net.Conn]struct{}{}}
	p.target.Store(&target)
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) accept() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.DialTimeout("tcp", *p.target.Load(), 5*time.Second)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns[in], p.conns[out] = struct{}{}, struct{}{}
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			io.Copy(dst, src)
			dst.Close()
			src.Close()
			p.mu.Lock()
			delete(p.conns, dst)
			delete(p.conns, src)
			p.mu.Unlock()
		}
		p.wg.Go(func() { pipe(out, in) })
		p.wg.Go(func() { pipe(in, out) })
	}
}

// URL is the proxy's address as a client takes it.
func (p *tcpProxy) URL() string { return "tcp://" + p.ln.Addr().String() }

// TestClusterKilledInstanceUploadContinuesOnAnother: an upload started
// through a proxy on instance A continues on instance B after A is
// SIGKILLed, sends no chunk A acknowledged again, and ends with one file
// whose object verifies.
func TestClusterKilledInstanceUploadContinuesOnAnother(t *testing.T) {
	c := startCluster(t)
	size := 200 << 20
	path, data := randomFile(t, t.TempDir(), "big.bin", size, 11)
	proxy := startProxy(t, c.a.Addr)
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}
	p := startSend(t, env, "--server", proxy.URL(), "--token-file", c.token, "--window-chunks", "2",
		"--retry-base", "50ms", "--retry-cap", "500ms", "--read-timeout", "30s", path)

	p.waitFor("a quarter acknowledged", func(evs []sendEvent) bool { return ackedBytes(evs) >= uint64(size)/4 })
	c.a.Kill()
	proxy.target.Store(&c.b.Addr)
	if err := p.wait(); err != nil {
		t.Fatalf("hoist send: %v\nstderr:\n%s", err, p.stderr.String())
	}
	evs := p.snapshot()
	checkEvents(t, evs)
	// Acknowledgements printed before the client noticed A's death came
	// from A; none of those chunks may be sent again.
	cut := len(evs)
	for i, ev := range evs {
		if ev.Type == "session" && ev.State == "backing off" {
			cut = i
			break
		}
	}
	if cut == len(evs) {
		t.Fatal("the client never lost its connection: A was not serving it")
	}
	acked := chunks(evs[:cut], "acknowledged")
	again := 0
	for _, ev := range evs[cut:] {
		if ev.Type == "chunk" && (ev.Action == "sent" || ev.Action == "resent") && acked[chunkKey{ev.File, ev.Index}] > 0 {
			again++
		}
	}
	t.Logf("A killed with %d chunks acknowledged; %d of them sent again through B", len(acked), again)
	if len(acked) == 0 || again != 0 {
		t.Fatalf("%d chunks acknowledged by A, %d of them sent again through B; want some and none", len(acked), again)
	}
	files := c.files(t, "alice")
	if len(files) != 1 || files[0].Stored != "big.bin" {
		t.Fatalf("hoist ls shows %+v; want big.bin once", files)
	}
	if !bytes.Equal(c.object(t, files[0]), data) {
		t.Fatal("the object differs from the file sent")
	}
}

// TestClusterQuotaHoldsAcrossInstances: twenty clients, half through each
// instance, against a quota that admits exactly ten of their files.
func TestClusterQuotaHoldsAcrossInstances(t *testing.T) {
	const size = 1_000_000
	c := startCluster(t, "--quota", fmt.Sprint(10*size))
	dir := t.TempDir()
	errs := make([]error, 20)
	var wg sync.WaitGroup
	for i := range errs {
		path, _ := randomFile(t, dir, fmt.Sprintf("f%02d.bin", i), size, uint64(100+i))
		srv := c.a
		if i%2 == 1 {
			srv = c.b
		}
		wg.Go(func() {
			_, stderr, err := tryHoist(t, []string{"XDG_STATE_HOME=" + t.TempDir()}, "send", "--server", srv.URL,
				"--token-file", c.token, "--retry-attempts", "2", path)
			if err != nil {
				errs[i] = fmt.Errorf("%w: %s", err, stderr)
			}
		})
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case strings.Contains(err.Error(), "quota"):
			refused++
		default:
			t.Errorf("a send failed for another reason than the quota: %v", err)
		}
	}
	files := c.files(t, "alice")
	if ok != 10 || refused != 10 || len(files) != 10 {
		t.Fatalf("%d sends succeeded, %d were refused for the quota, %d files stored; want 10, 10, 10", ok, refused, len(files))
	}
}

// TestClusterSameNameThroughBothInstances: two uploads of one name at once,
// one through each instance, give two files under two names.
func TestClusterSameNameThroughBothInstances(t *testing.T) {
	c := startCluster(t)
	data := make([][]byte, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, srv := range []*testkit.Server{c.a, c.b} {
		var path string
		path, data[i] = randomFile(t, t.TempDir(), "same.bin", 6<<20+i, uint64(200+i))
		wg.Go(func() {
			_, stderr, err := tryHoist(t, []string{"XDG_STATE_HOME=" + t.TempDir()}, "send", "--server", srv.URL, "--token-file", c.token, path)
			if err != nil {
				errs[i] = fmt.Errorf("send through instance %d: %w: %s", i, err, stderr)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	files := c.files(t, "alice")
	if len(files) != 2 || files[0].Stored == files[1].Stored {
		t.Fatalf("hoist ls shows %+v; want two files under two names", files)
	}
	for _, f := range files {
		got := c.object(t, f)
		if !bytes.Equal(got, data[0]) && !bytes.Equal(got, data[1]) {
			t.Fatalf("%s holds neither upload's bytes", f.Stored)
		}
	}
	if bytes.Equal(c.object(t, files[0]), c.object(t, files[1])) {
		t.Fatal("both names hold the same upload: one was lost")
	}
	// The client's own listing (LIST) through either server shows both.
	for _, srv := range []*testkit.Server{c.a, c.b} {
		out := runHoist(t, "ls", "--server", srv.URL, "--token-file", c.token, "--json")
		for _, f := range files {
			if !strings.Contains(out, `"path":"`+f.Stored+`"`) {
				t.Fatalf("hoist ls --server %s does not list %s:\n%s", srv.URL, f.Stored, out)
			}
		}
	}
}
