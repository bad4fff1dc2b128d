package testkit

import (
	"io"
	"net"
	"testing"
	"time"
)

// The emulated link carries a one-way copy at its rate, after its delay,
// and passes the end of the stream on.
func TestLinkProxyPacesAndDelays(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- -1
			return
		}
		n, _ := io.Copy(io.Discard, c)
		c.Write([]byte("k"))
		c.Close()
		got <- n
	}()
	p, err := StartLink(ln.Addr().String(), 10_000_000, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	c, err := net.Dial("tcp", p.Listen)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const size = 5_000_000 // half a second at 10 MB/s
	start := time.Now()
	if _, err := c.Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	var ack [1]byte
	if _, err := io.ReadFull(c, ack[:]); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if n := <-got; n != size || p.Forwarded.Load() != size {
		t.Fatalf("the far end got %d bytes, the link counted %d, want %d", n, p.Forwarded.Load(), size)
	}
	// 0.5 s at the rate plus a round trip (0.1 s); a loaded machine only
	// adds to it.
	if took < 600*time.Millisecond {
		t.Fatalf("took %v: the link is faster than its rate and delay allow", took)
	}
	t.Logf("5 MB through a 10 MB/s, 50 ms link in %v", took)
}
