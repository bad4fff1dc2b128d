package client

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/servertest"
)

// countingProxy forwards loopback connections to a server and notes when
// the bytes it carried towards the server first reached each mark.
type countingProxy struct {
	ln    net.Listener
	up    string
	total atomic.Int64
	marks []int64
	hit   []chan time.Time // one per mark, given the time it was reached

	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

func startCountingProxy(t *testing.T, upstream string, marks ...int64) *countingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{ln: ln, up: upstream, marks: marks}
	for range marks {
		p.hit = append(p.hit, make(chan time.Time, 1))
	}
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

func (p *countingProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.up)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Go(func() { p.forward(s, c); s.Close() })
		p.wg.Go(func() { io.Copy(c, s); c.Close() })
	}
}

// forward copies client bytes to the server, counting them.
func (p *countingProxy) forward(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			before := p.total.Add(int64(n)) - int64(n)
			now := time.Now()
			for i, m := range p.marks {
				if before < m && before+int64(n) >= m {
					p.hit[i] <- now
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *countingProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// waitMark returns when mark i was reached, failing the test after timeout.
func (p *countingProxy) waitMark(t *testing.T, i int, timeout time.Duration) time.Time {
	t.Helper()
	select {
	case at := <-p.hit[i]:
		return at
	case <-time.After(timeout):
		t.Fatalf("the server received %d bytes within %v, want %d", p.total.Load(), timeout, p.marks[i])
		return time.Time{}
	}
}

// TestRateLimitHoldsTheRate sends through a proxy that counts the bytes the
// server receives, with a limit of 2 MiB/s, and checks that 40 MiB take 20
// seconds, within 10%. (A rate-accuracy check: the limit, far below what
// loopback carries, decides the time.)
func TestRateLimitHoldsTheRate(t *testing.T) {
	const limit = 2 << 20
	const span = 20 * limit // 20 seconds' worth
	srv := servertest.Start(t)
	start := int64(2 << 20) // past the authentication and the first chunks
	proxy := startCountingProxy(t, srv.Addr(), start, start+span)
	dir := t.TempDir()
	path, _ := writeFile(t, dir, "big.bin", 48<<20, 7)

	o := testOptions(t, "tcp://"+proxy.ln.Addr().String(), StaticToken(srv.Token("alice")))
	o.ChunkSize = MaxChunkSize
	o.RateLimit = limit
	e, _ := newEngine(t, o)
	fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "big.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	from := proxy.waitMark(t, 0, 30*time.Second)
	to := proxy.waitMark(t, 1, 60*time.Second)
	got := float64(span) / to.Sub(from).Seconds()
	t.Logf("achieved %.0f bytes/s (limit %d) over %v", got, limit, to.Sub(from).Round(time.Millisecond))
	if got < 0.9*limit || got > 1.1*limit {
		t.Errorf("achieved %.0f bytes/s over %v, want %d within 10%%", got, to.Sub(from).Round(time.Millisecond), limit)
	}
	if err := e.Cancel(fid); err != nil {
		t.Fatal(err)
	}
	e.Close()
}

// TestSetRateLimitLiftsTheLimitLive starts an upload limited to a crawl,
// then lifts the limit: the upload then completes at once.
func TestSetRateLimitLiftsTheLimitLive(t *testing.T) {
	srv := servertest.Start(t)
	dir := t.TempDir()
	path, data := writeFile(t, dir, "f.bin", 4<<20, 3)
	o := testOptions(t, srv.URL(), StaticToken(srv.Token("alice")))
	o.RateLimit = 16 << 10 // 4 MiB would take over four minutes
	e, rec := newEngine(t, o)
	defer e.Close()
	if e.RateLimit() != 16<<10 {
		t.Fatalf("RateLimit() = %d, want %d", e.RateLimit(), 16<<10)
	}
	fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "f.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	rec.waitFor(fid, "a chunk acknowledged", 30*time.Second, func(u *uploadLog) bool { return len(u.acked) > 0 })
	e.SetRateLimit(0)
	if e.RateLimit() != 0 {
		t.Fatalf("RateLimit() = %d after lifting it", e.RateLimit())
	}
	if err := wait(t, e, fid); err != nil {
		t.Fatal(err)
	}
	checkStored(t, srv, "alice", map[string][]byte{"f.bin": data})
}

func TestLimitedChunkAsk(t *testing.T) {
	for _, c := range []struct {
		ask  int
		bps  int64
		want int
	}{
		{1 << 20, 0, 1 << 20},
		{4 << 20, 2 << 20, 256 << 10},
		{64 << 10, 2 << 20, 64 << 10},
		{1 << 20, 1000, MinChunkSize},
		{8 << 10, 1000, 8 << 10},
		{4 << 20, 3 << 20, 256 << 10},
	} {
		if got := limitedChunkAsk(c.ask, c.bps); got != c.want {
			t.Errorf("limitedChunkAsk(%d, %d) = %d, want %d", c.ask, c.bps, got, c.want)
		}
	}
}

func TestRateGateHoldsBackBeyondTheBucket(t *testing.T) {
	g := newRateGate(1000)
	now := time.Unix(1000, 0)
	if d := g.take(now, 1000); d == 0 {
		t.Fatal("a fresh bucket let a whole second's bytes go at once")
	}
	later := now.Add(time.Second)
	if d := g.take(later, 1000); d != 0 {
		t.Fatalf("after a second, 1000 bytes at 1000/s wait %v", d)
	}
	if d := g.take(later, 1000); d <= 0 || d > maxGateWait {
		t.Fatalf("an empty bucket asks to wait %v, want (0, %v]", d, maxGateWait)
	}
	g.set(0)
	if d := g.take(later, 1<<20); d != 0 {
		t.Fatalf("without a limit, a send waits %v", d)
	}
}
