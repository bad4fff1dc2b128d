package bench

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// benchLink is an emulated link: its bandwidth in MB/s (10^6 bytes) and
// its delay each way.
type benchLink struct {
	MBps      int
	LatencyMS int
}

// benchLinks are the links the harness emulates: issue 6's 50 MB/s with
// 25 ms each way, and issue 15's long fat links, 40 MB/s with 100 and 200 ms
// each way.
var (
	benchLinkShort  = benchLink{MBps: 50, LatencyMS: 25}
	benchLinkLong   = benchLink{MBps: 40, LatencyMS: 100}
	benchLinkLonger = benchLink{MBps: 40, LatencyMS: 200}
)

// linkQueue is how long the bottleneck's queue may grow (in time to drain
// it) before the link stops taking bytes, as a router's buffer does: the
// sender then feels TCP's push-back.
const linkQueue = 20 * time.Millisecond

// linkProxy is an in-process TCP proxy that behaves like a link in each
// direction: a bottleneck that lets bytes out at the link's rate, one
// after the other, then the propagation delay. Round one's harness used
// toxiproxy's bandwidth and latency toxics, whose combination lost about
// 13% of the link even for a plain TCP copy (its latency toxic counts the
// time a chunk queued for bandwidth as part of the delay, and its pacing
// sleeps per chunk), so it could not tell how much of a link hoist uses.
type linkProxy struct {
	// Listen is the proxy's address.
	Listen string

	link     benchLink
	upstream string
	ln       net.Listener
	wg       sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// benchStartLink starts a linkProxy in front of upstream; the caller stops it.
func benchStartLink(upstream string, link benchLink) (*linkProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("link proxy: %w", err)
	}
	p := &linkProxy{Listen: ln.Addr().String(), link: link, upstream: upstream, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Stop closes the listener and every connection, and waits for the
// proxy's goroutines.
func (p *linkProxy) Stop() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *linkProxy) accept() {
	defer p.wg.Done()
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.upstream)
		if err != nil {
			down.Close()
			continue
		}
		if !p.track(down, up) {
			return
		}
		p.wg.Add(2)
		done := make(chan struct{}, 2)
		go func() { defer p.wg.Done(); p.carry(up, down); done <- struct{}{} }()
		go func() { defer p.wg.Done(); p.carry(down, up); done <- struct{}{} }()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			<-done
			<-done
			p.untrack(down, up)
		}()
	}
}

// track registers the connections for Stop; false if it already ran.
func (p *linkProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *linkProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		c.Close()
		delete(p.conns, c)
	}
}

// linkPacket is bytes on their way: they arrive at due.
type linkPacket struct {
	data []byte
	due  time.Time
}

// carry moves bytes from src to dst as the link would: each read leaves
// the bottleneck once the bytes before it have, at the link's rate, and
// reaches dst the propagation delay later. When src ends, dst's write side
// is closed after the last byte arrived.
func (p *linkProxy) carry(dst, src net.Conn) {
	rate := float64(p.link.MBps) * 1e6 // bytes per second
	delay := time.Duration(p.link.LatencyMS) * time.Millisecond
	// Enough packets for the bytes in flight: the delay's worth at the
	// rate, in reads of at least 1 KiB, and then some.
	inFlight := make(chan linkPacket, int(rate*delay.Seconds()/1024)+1024)
	written := make(chan struct{})
	go func() {
		defer close(written)
		for pk := range inFlight {
			time.Sleep(time.Until(pk.due))
			if _, err := dst.Write(pk.data); err != nil {
				src.Close() // stops the reader below
				for range inFlight {
				}
				return
			}
		}
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}()
	leaves := time.Now() // when the last byte read leaves the bottleneck
	for {
		// A full queue takes no more bytes until it drained to its bound.
		if wait := time.Until(leaves) - linkQueue; wait > 0 {
			time.Sleep(wait)
		}
		buf := make([]byte, 32<<10)
		n, err := src.Read(buf)
		if n > 0 {
			now := time.Now()
			leaves = later(leaves, now).Add(time.Duration(float64(n) / rate * float64(time.Second)))
			inFlight <- linkPacket{data: buf[:n], due: leaves.Add(delay)}
		}
		if err != nil { // the end of src, or the writer closed it
			close(inFlight)
			<-written
			return
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
