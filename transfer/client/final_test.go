package client

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// startTo starts an upload of a small file to server with testOptions.
func startTo(t *testing.T, server string, tweak func(*Options)) (*Engine, *recorder, string) {
	t.Helper()
	o := testOptions(t, server, StaticToken("any"))
	if tweak != nil {
		tweak(&o)
	}
	e, rec := newEngine(t, o)
	path, _ := writeFile(t, t.TempDir(), "f.bin", 64<<10, 30)
	fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "f.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	return e, rec, fid
}

// expectFinal waits for the upload to fail and checks that it failed at
// once, without backing off, saying want.
func expectFinal(t *testing.T, e *Engine, rec *recorder, fid string, want ...string) {
	t.Helper()
	err := wait(t, e, fid)
	if err == nil {
		t.Fatal("the upload succeeded")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if u := finalLog(t, rec, fid); u.count(StateBackingOff) != 0 || u.states[len(u.states)-1] != StateFailed {
		t.Errorf("states %v: a final error must not be retried", u.states)
	}
}

func TestUnknownHostIsFinal(t *testing.T) {
	t.Parallel()
	e, rec, fid := startTo(t, "tcp://hoist-test-no-such-host.invalid:7800", nil)
	expectFinal(t, e, rec, fid, "hoist-test-no-such-host.invalid", "unknown host", "check the server address")
}

func TestSSHExit127IsFinal(t *testing.T) {
	t.Parallel()
	// A stand-in for ssh whose remote shell does not find hoist.
	fakeSSH := []string{"sh", "-c", `echo "sh: 1: hoist: not found" >&2; exit 127`, "fake-ssh"}
	e, rec, fid := startTo(t, "ssh://alice@build.example.org", func(o *Options) { o.SSHCommand = fakeSSH })
	expectFinal(t, e, rec, fid, "hoist is not installed on build.example.org; see --remote-command")
}

func TestPlainClientToTLSServerIsFinal(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	addr, _ := serveTLS(t, srv)
	e, rec, fid := startTo(t, "tcp://"+addr, nil)
	expectFinal(t, e, rec, fid, "the server speaks TLS: use tls://"+addr)
}

// TestTLSRecordIsRecognised: a server that answers with a TLS alert record
// (as many TLS servers do to a plain client) is recognised from its bytes.
func TestTLSRecordIsRecognised(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			// A fatal "unexpected message" alert, TLS 1.2 record layer.
			c.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a})
			c.Close()
		}
	}()
	e, rec, fid := startTo(t, "tcp://"+ln.Addr().String(), nil)
	expectFinal(t, e, rec, fid, "the server speaks TLS: use tls://")
}

// TestTLSListenerRefusalIsRecognised: a hoist TLS listener answers a plain
// frame with an unencrypted bad-request without a message-id that says to
// use tls:// (PROTOCOL.md §1); the client takes it as final, in its words.
func TestTLSListenerRefusalIsRecognised(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			payload, _ := wire.EncodeJSON(wire.ErrorResponse("", wire.Errorf(wire.CodeBadRequest, "this listener speaks TLS: use tls:// for this address")))
			w := wire.NewWriter(c)
			w.WriteFrame(wire.TypeResponse, payload)
			w.Flush()
			c.Close()
		}
	}()
	e, rec, fid := startTo(t, "tcp://"+ln.Addr().String(), nil)
	expectFinal(t, e, rec, fid, "the server speaks TLS: use tls://"+ln.Addr().String())
}

// TestTLSClientToPlainServerIsFinal: a tls:// client whose server answers
// with a plain hoist frame is told to use tcp://.
func TestTLSClientToPlainServerIsFinal(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			payload, _ := wire.EncodeJSON(wire.ErrorResponse("", wire.Errorf(wire.CodeBadRequest, "this listener does not speak TLS: use tcp://")))
			w := wire.NewWriter(c)
			w.WriteFrame(wire.TypeResponse, payload)
			w.Flush()
			c.Close()
		}
	}()
	e, rec, fid := startTo(t, "tls://"+ln.Addr().String(), nil)
	expectFinal(t, e, rec, fid, "the server does not speak TLS: use tcp://")
}

func TestRefusedGivesUpAfterTheBudget(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	start := time.Now()
	e, rec, fid := startTo(t, "tcp://"+addr, func(o *Options) {
		o.Retry = RetryPolicy{Base: 20 * time.Millisecond, Cap: 200 * time.Millisecond, Budget: time.Second}
	})
	err = wait(t, e, fid)
	if err == nil || !strings.Contains(err.Error(), "giving up") || !strings.Contains(err.Error(), "connection refused") ||
		!strings.Contains(err.Error(), "is hoist serve running") {
		t.Fatalf("err = %v, want giving up on a refused connection, with a hint", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("gave up after %v with a budget of 1s", d)
	}
	if u := finalLog(t, rec, fid); u.count(StateBackingOff) == 0 {
		t.Errorf("states %v: a refused connection is retried within the budget", u.states)
	}
}

// TestProgressRenewsTheBudget: sessions that fail again and again, but
// acknowledge chunks each time, outlast a budget far shorter than the upload.
func TestProgressRenewsTheBudget(t *testing.T) {
	t.Parallel()
	f := &faults{ackDelay: 5 * time.Millisecond, chunk: func(_ int, index uint64, n int) error {
		if index%16 == 15 && n == 1 {
			return wire.Errorf(wire.CodeInternal, "disk hiccup (injected)")
		}
		return nil
	}}
	start := time.Now()
	_, e, rec, fid, _ := startFaulty(t, f, 256*testChunk, func(o *Options) {
		o.Window = Window{Chunks: 2, Bytes: 2 * testChunk}
		o.Retry.Budget = 300 * time.Millisecond
	})
	if err := wait(t, e, fid); err != nil {
		t.Fatalf("upload failed after %v: %v", time.Since(start), err)
	}
	u := finalLog(t, rec, fid)
	if took := time.Since(start); u.count(StateBackingOff) < 10 || took < time.Second {
		t.Fatalf("%d backoffs in %v: the test did not outlast the budget", u.count(StateBackingOff), took)
	}
}

// TestRetryNowSkipsTheWait: with a 20 s backoff ahead, RetryNow makes the
// next attempt start at once.
func TestRetryNowSkipsTheWait(t *testing.T) {
	t.Parallel()
	f := &faults{auth: func(n int) error {
		if n == 1 {
			return wire.Errorf(wire.CodeBusy, "busy once (injected)")
		}
		return nil
	}}
	_, e, rec, fid, _ := startFaulty(t, f, 64<<10, func(o *Options) {
		o.Retry = RetryPolicy{Base: 20 * time.Second, Cap: 40 * time.Second}
	})
	rec.waitFor(fid, "a backoff", 30*time.Second, func(u *uploadLog) bool { return u.count(StateBackingOff) == 1 })
	if err := e.RetryNow(fid); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(fid, "the upload to end long before its backoff", 10*time.Second, func(u *uploadLog) bool { return u.final })
	if err := wait(t, e, fid); err != nil {
		t.Fatal(err)
	}
	if err := e.RetryNow("not-a-fid"); err == nil {
		t.Error("RetryNow of an unknown fid succeeded")
	}
}
