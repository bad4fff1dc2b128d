package chaos

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/wire"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// quiet is a logger that drops everything, for tests that do not look at logs.
var quiet = slog.New(slog.DiscardHandler)

// pair returns both ends of a real loopback TCP connection.
func pair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// sendFrames writes frames to w in the background; the returned func waits
// for the writer, which gives up when the connection is closed.
func sendFrames(w io.Writer, frames []byte) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() { w.Write(frames) })
	return wg.Wait
}

// waitUntil polls cond until it holds, failing the test after 10 seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestNonTransferFramesAreNeverCut(t *testing.T) {
	t.Parallel()
	f := New(MustParse("drop=1,seed=1"), quiet)
	client, server := pair(t)
	cc := f.Wrap(server)
	var stream []byte
	for range 20 {
		stream = wire.AppendFrame(stream, wire.TypeAuthentication, bytes.Repeat([]byte{'a'}, 300))
	}
	transferAt := len(stream)
	stream = wire.AppendFrame(stream, wire.TypeTransfer, bytes.Repeat([]byte{'t'}, 5000))
	wait := sendFrames(client, stream)
	defer wait()

	// Read in small pieces so that frame headers are split across reads.
	var got []byte
	buf := make([]byte, 5)
	var err error
	for err == nil {
		var n int
		n, err = cc.Read(buf[:1+len(got)%len(buf)])
		got = append(got, buf[:n]...)
	}
	if !errors.Is(err, ErrDropped) {
		t.Fatalf("read ended with %v, want ErrDropped", err)
	}
	if !bytes.Equal(got[:min(len(got), transferAt)], stream[:transferAt]) || len(got) < transferAt+wire.HeaderSize {
		t.Fatalf("the AUTHENTICATION frames and the TRANSFER header did not get through whole: %d bytes read", len(got))
	}
	if len(got) >= len(stream) || !bytes.Equal(got, stream[:len(got)]) {
		t.Fatalf("read %d bytes of %d: the cut is not inside the TRANSFER frame, or bytes changed", len(got), len(stream))
	}
	if _, err := cc.Read(buf); !errors.Is(err, ErrDropped) {
		t.Fatalf("a read after the cut gave %v, want ErrDropped again", err)
	}
	if c := f.Counts(); c != (Counts{Drop: 1}) {
		t.Fatalf("counts %v, want one drop", c)
	}
	// The peer sees the connection end.
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := client.Read(buf); err == nil {
		t.Fatal("the client can still read from a dropped connection")
	}
}

func TestStallHonoursReadDeadline(t *testing.T) {
	t.Parallel()
	f := New(MustParse("stall=1:10m,seed=1"), quiet)
	client, server := pair(t)
	cc := f.Wrap(server)
	wait := sendFrames(client, wire.AppendFrame(nil, wire.TypeTransferRaw, make([]byte, 1000)))
	defer wait()
	if err := cc.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	_, err := io.ReadAll(cc)
	if !errors.Is(err, ErrStalled) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read ended with %v, want ErrStalled and os.ErrDeadlineExceeded", err)
	}
	if c := f.Counts(); c != (Counts{Stall: 1}) {
		t.Fatalf("counts %v, want one stall", c)
	}
}

func TestStallEndsWhenClosed(t *testing.T) {
	t.Parallel()
	f := New(MustParse("stall=1:10m,seed=1"), quiet)
	client, server := pair(t)
	cc := f.Wrap(server)
	wait := sendFrames(client, wire.AppendFrame(nil, wire.TypeTransfer, make([]byte, 1000)))
	defer wait()
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(cc)
		done <- err
	}()
	// The stall is counted as it starts; then close the connection under it.
	waitUntil(t, "the stall to start", func() bool { return f.Counts().Stall > 0 })
	cc.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrStalled) || !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read ended with %v, want ErrStalled and net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stalled read did not end within 10s of Close")
	}
}

func TestStallThenHangUp(t *testing.T) {
	t.Parallel()
	f := New(MustParse("stall=1:20ms,seed=3"), quiet)
	client, server := pair(t)
	cc := f.Wrap(server)
	wait := sendFrames(client, wire.AppendFrame(nil, wire.TypeTransfer, make([]byte, 1000)))
	defer wait()
	if _, err := io.ReadAll(cc); !errors.Is(err, ErrStalled) || err != ErrStalled {
		t.Fatalf("read ended with %v, want exactly ErrStalled", err)
	}
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := client.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("after the stall the client read %v, want the connection closed", err)
	}
}

func TestDelayEndsWithContext(t *testing.T) {
	t.Parallel()
	f := New(MustParse("delay=1:10m,seed=1"), quiet)
	_, server := pair(t)
	cc := f.Wrap(server)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		cc.BeforeAck(ctx)
		close(done)
	}()
	waitUntil(t, "the delay to start", func() bool { return f.Counts().Delay > 0 })
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the delay did not end within 10s of its context")
	}
	if c := f.Counts(); c != (Counts{Delay: 1}) {
		t.Fatalf("counts %v, want one delay", c)
	}
}

func TestAddressesAndDeadlinesShowThrough(t *testing.T) {
	t.Parallel()
	f := New(MustParse("busy=0.1,seed=1"), quiet)
	_, server := pair(t)
	cc := f.Wrap(server)
	if cc.LocalAddr().String() != server.LocalAddr().String() || cc.RemoteAddr().String() != server.RemoteAddr().String() {
		t.Fatalf("addresses %v %v, want %v %v", cc.LocalAddr(), cc.RemoteAddr(), server.LocalAddr(), server.RemoteAddr())
	}
	if err := cc.SetDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := cc.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
	if cc.ID() != 1 || f.Wrap(server).ID() != 2 {
		t.Fatal("connections are not numbered from 1 in order")
	}

	// A stream that is not a network connection still works.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	pc := f.Wrap(r)
	if pc.RemoteAddr().Network() != "stream" {
		t.Fatalf("pipe address %v", pc.RemoteAddr())
	}
	if err := pc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, os.ErrNoDeadline) {
		t.Fatal(err)
	}
	pc.Close()
}

func TestLogsLoudlyAtStart(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	f := New(MustParse("busy=0.05,drop=0.01"), log)
	out := buf.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "CHAOS MODE") || !strings.Contains(out, "busy=0.05,drop=0.01,seed=") {
		t.Fatalf("start log %q does not warn with the rates and seed", out)
	}
	if !f.Spec().Seeded {
		t.Fatal("a spec without a seed did not get one")
	}
}

func TestReadDeadlineAloneShowsThrough(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cc := New(MustParse("busy=0.5,seed=1"), quiet).Wrap(pipeStream{r})
	defer cc.Close()
	if err := cc.SetReadDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatalf("SetReadDeadline on a stream that has one: %v", err)
	}
	if _, err := cc.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
	if err := cc.SetWriteDeadline(time.Time{}); !errors.Is(err, os.ErrNoDeadline) {
		t.Fatalf("SetWriteDeadline on a stream without one: %v", err)
	}
}

// pipeStream has Read, Write, Close and SetReadDeadline only, like the
// stdin/stdout pair of hoist serve --stdio.
type pipeStream struct{ f *os.File }

func (p pipeStream) Read(b []byte) (int, error)        { return p.f.Read(b) }
func (p pipeStream) Write(b []byte) (int, error)       { return p.f.Write(b) }
func (p pipeStream) Close() error                      { return p.f.Close() }
func (p pipeStream) SetReadDeadline(t time.Time) error { return p.f.SetReadDeadline(t) }
