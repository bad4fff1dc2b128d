package testkit

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// linkQueue is how long the bottleneck's queue may grow (in time to drain
// it) before the link stops taking bytes, as a router's buffer does: the
// sender then feels TCP's push-back.
const linkQueue = 20 * time.Millisecond

// Link is an in-process TCP proxy that behaves like a network link in
// each direction: a bottleneck that lets bytes out at the link's rate, one
// after the other, then the propagation delay; a full bottleneck pushes
// back on the sender, as TCP over a real link feels it. The benchmark
// measures long fat links through it, and end-to-end tests use it as a slow
// uplink. (toxiproxy's bandwidth and latency toxics together lost about 13%
// of a link even for a plain TCP copy: its latency toxic counts the time a
// chunk queued for bandwidth as part of the delay.)
type Link struct {
	// Listen is the proxy's address.
	Listen string
	// Forwarded counts the bytes passed on upstream.
	Forwarded atomic.Int64

	rate     float64 // bytes per second
	delay    time.Duration
	upstream string
	ln       net.Listener
	wg       sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// StartLink starts a Link on a loopback port in front of upstream, passing
// bytesPerSecond each way with delay each way; the caller stops it.
func StartLink(upstream string, bytesPerSecond int64, delay time.Duration) (*Link, error) {
	if bytesPerSecond <= 0 {
		return nil, fmt.Errorf("link: rate %d: want more than 0 bytes a second", bytesPerSecond)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("link: %w", err)
	}
	p := &Link{Listen: ln.Addr().String(), rate: float64(bytesPerSecond), delay: delay, upstream: upstream, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Stop closes the listener and every connection, and waits for the
// proxy's goroutines.
func (p *Link) Stop() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Link) accept() {
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
		go func() { defer p.wg.Done(); p.carry(up, down, &p.Forwarded); done <- struct{}{} }()
		go func() { defer p.wg.Done(); p.carry(down, up, nil); done <- struct{}{} }()
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
func (p *Link) track(cs ...net.Conn) bool {
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

func (p *Link) untrack(cs ...net.Conn) {
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
// reaches dst the propagation delay later, counted in count if not nil.
// When src ends, dst's write side is closed after the last byte arrived.
func (p *Link) carry(dst, src net.Conn, count *atomic.Int64) {
	rate, delay := p.rate, p.delay
	// Enough packets for the bytes in flight: the delay's worth at the
	// rate, in reads of at least 1 KiB, and then some.
	inFlight := make(chan linkPacket, int(rate*delay.Seconds()/1024)+1024)
	written := make(chan struct{})
	go func() {
		defer close(written)
		for pk := range inFlight {
			time.Sleep(time.Until(pk.due))
			n, err := dst.Write(pk.data)
			if count != nil {
				count.Add(int64(n))
			}
			if err != nil {
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
