package e2e

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// throttle is a TCP proxy to a server that passes the client's bytes at
// most at a fixed rate, a slow uplink, and counts what it passed on.
type throttle struct {
	ln        net.Listener
	target    string
	perSecond int64
	// Forwarded counts the bytes passed on to the server.
	Forwarded atomic.Int64

	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

// startThrottle proxies a loopback port to target at perSecond bytes a
// second towards it; it stops when the test ends.
func startThrottle(t *testing.T, target string, perSecond int64) *throttle {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &throttle{ln: ln, target: target, perSecond: perSecond}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// Addr is the proxy's address.
func (p *throttle) Addr() string { return p.ln.Addr().String() }

func (p *throttle) accept() {
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			down.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, down, up)
		p.mu.Unlock()
		p.wg.Go(func() {
			p.pace(up, down)
			up.Close()
			down.Close()
		})
		p.wg.Go(func() {
			io.Copy(down, up)
			down.Close()
			up.Close()
		})
	}
}

// pace copies src to dst no faster than the rate.
func (p *throttle) pace(dst io.Writer, src io.Reader) {
	buf := make([]byte, 16<<10)
	start := time.Now()
	var sent int64
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
			sent += int64(n)
			p.Forwarded.Add(int64(n))
			due := start.Add(time.Duration(sent * int64(time.Second) / p.perSecond))
			time.Sleep(time.Until(due))
		}
		if err != nil {
			return
		}
	}
}
