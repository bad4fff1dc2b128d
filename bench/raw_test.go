package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// benchRawCopy is the baseline every hoist figure is compared with: a plain Go TCP
// copy of src over loopback into a new file dst on the same disk, as a
// program without any protocol would do it (io.Copy on both ends, so the
// kernel's sendfile and splice do the work). The receiver fsyncs every
// syncEvery bytes (0: only once, at the end), so the data is on disk when the
// copy counts as done. It returns the wall time from dial to that fsync.
// With link set, the copy goes through that emulated link.
func benchRawCopy(ctx context.Context, sides *benchSides, src, dst string, syncEvery int64, link *benchLink) (time.Duration, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("raw copy: %w", err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	if link != nil {
		proxy, err := benchStartLink(addr, *link)
		if err != nil {
			return 0, err
		}
		defer proxy.Stop()
		addr = proxy.Listen
	}

	received := make(chan error, 1)
	go func() {
		received <- sides.onServer(func() error { return benchReceiveRaw(ln, dst, syncEvery) })
	}()

	start := time.Now()
	sendErr := sides.onClient(func() error { return benchSendRaw(ctx, addr, src) })
	if sendErr != nil {
		ln.Close() // unblocks a receiver still waiting in Accept
	}
	recvErr := <-received
	elapsed := time.Since(start)
	if err := errors.Join(sendErr, recvErr); err != nil {
		return 0, fmt.Errorf("raw copy of %s: %w", src, err)
	}
	return elapsed, nil
}

// benchSendRaw streams the file at path to addr, then waits until the receiver
// closes the connection (after its final fsync).
func benchSendRaw(ctx context.Context, addr, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	conn := c.(*net.TCPConn)
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if _, err := io.Copy(conn, f); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	if err := conn.CloseWrite(); err != nil {
		return err
	}
	// The receiver closes its end once the file is durable.
	if _, err := io.Copy(io.Discard, conn); err != nil {
		return fmt.Errorf("wait for receiver: %w", err)
	}
	return ctx.Err()
}

// benchReceiveRaw accepts one connection and writes everything it carries to a new
// file at path, fsyncing every syncEvery bytes and at the end.
func benchReceiveRaw(ln net.Listener, path string, syncEvery int64) error {
	return benchReceiveFile(ln, path, func(r io.Reader, f *os.File) error {
		if err := benchCopySynced(f, r, syncEvery); err != nil {
			return fmt.Errorf("receive: %w", err)
		}
		return nil
	})
}

// benchReceiveFile accepts one connection, stores what it carries in a new
// file at path with store, fsyncs the file and closes the connection: the
// sender's cue that the copy is durable.
func benchReceiveFile(ln net.Listener, path string, store func(r io.Reader, f *os.File) error) error {
	conn, err := ln.Accept()
	if err != nil {
		return err
	}
	defer conn.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = store(conn, f)
	if err == nil {
		err = f.Sync()
	}
	return benchCloseJoin(err, f)
}

func benchCopySynced(f *os.File, r io.Reader, syncEvery int64) error {
	if syncEvery <= 0 {
		_, err := io.Copy(f, r)
		return err
	}
	for {
		n, err := io.CopyN(f, r, syncEvery)
		if n > 0 {
			if err := f.Sync(); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
