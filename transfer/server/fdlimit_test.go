package server_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// manyFilesAttack opens conns connections to addr, announces on each an
// upload of files two-byte files with chunk-size 1, and sends chunk 0 of
// every file; it returns once every connection got its answers or broke.
// It reports how many chunks were acknowledged.
func manyFilesAttack(addr, token string, conns, files int) (acked int, err error) {
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			n, err := attackOne(addr, token, files)
			mu.Lock()
			defer mu.Unlock()
			acked += n
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	return acked, errors.Join(errs...)
}

func attackOne(addr, token string, files int) (int, error) {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Minute))
	r, w := wire.NewReader(conn), wire.NewWriter(conn)
	fid := uuid.New()
	a := &wire.Authentication{MessageID: "auth", Token: token, FID: fid.String(), ChunkSize: 1}
	for i := range files {
		a.Files = append(a.Files, wire.FileInfo{Name: fmt.Sprintf("f%04d", i), Size: 2})
	}
	b, err := wire.EncodeJSON(a)
	if err != nil {
		return 0, err
	}
	if err := w.WriteFrame(wire.TypeAuthentication, b); err != nil {
		return 0, err
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	f, err := r.ReadFrame()
	if err != nil {
		return 0, err
	}
	resp, err := wire.DecodeResponse(f.Payload)
	if err != nil {
		return 0, err
	}
	if !resp.OK() {
		return 0, resp.Err()
	}
	go func() {
		for i := range files {
			t := &wire.Transfer{MessageID: fmt.Sprint(i), Chunk: wire.ChunkID(fid, i, 0).String(), File: i, Index: 0, Data: []byte{1}}
			if w.WriteFrame(wire.TypeTransfer, wire.AppendTransfer(nil, t)) != nil {
				return
			}
		}
		w.Flush()
	}()
	acked := 0
	for range files {
		f, err := r.ReadFrame()
		if err != nil {
			return acked, err
		}
		resp, err := wire.DecodeResponse(f.Payload)
		if err != nil {
			return acked, err
		}
		if resp.OK() {
			acked++
		}
	}
	return acked, nil
}

// TestDescriptorExhaustion: a server with a limit of 256 descriptors,
// under two connections that each announce 1,000 two-byte files with
// chunk-size 1 and send chunk 0 of every one, keeps its partial files
// within MaxOpenFiles, acknowledges every chunk and serves a legitimate
// upload afterwards; it does not exit.
func TestDescriptorExhaustion(t *testing.T) {
	t.Parallel()
	child := startChild(t, server.Limits{MaxOpenFiles: 64}, 256)
	acked, err := manyFilesAttack(child.addr, child.token("mallory"), 2, 1000)
	if err != nil {
		t.Errorf("attack connections failed: %v", err)
	}
	if acked != 2*1000 {
		t.Errorf("%d chunks acknowledged, want %d", acked, 2*1000)
	}
	f := randomFile(t, "legit.bin", 100_000)
	sums := uploadVia(t, dialAddr(t, child.addr), child.token("alice"), []file{f}, nil)
	if sums[0] != sha(f.data) {
		t.Fatalf("legitimate upload: sha256 %s, want %s", sums[0], sha(f.data))
	}
	child.stop()
}

// flakyListener fails its first fails Accepts with EMFILE, as a process
// out of descriptors does.
type flakyListener struct {
	net.Listener
	mu    sync.Mutex
	fails int
}

func (l *flakyListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.fails > 0 {
		l.fails--
		l.mu.Unlock()
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	l.mu.Unlock()
	return l.Listener.Accept()
}

// TestAcceptErrorsBackOff: accept errors other than a closed listener do
// not end Serve; it backs off and accepts again.
func TestAcceptErrorsBackOff(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Server().Serve(t.Context(), &flakyListener{Listener: ln, fails: 5}) }()
	f := randomFile(t, "after-emfile.bin", 5000)
	sums := uploadVia(t, dialAddr(t, ln.Addr().String()), srv.Token("alice"), []file{f}, nil)
	if sums[0] != sha(f.data) {
		t.Fatalf("sha256 %s, want %s", sums[0], sha(f.data))
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v after accept errors", err)
	default:
	}
	srv.Stop()
	if err := <-served; !errors.Is(err, server.ErrServerClosed) {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
}
