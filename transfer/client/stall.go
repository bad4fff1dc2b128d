package client

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"
)

// stallConn is a transport stream whose timeouts measure progress, not the
// size of what is sent: a write fails only when the peer accepted no byte
// for the stall timeout, and a read only when nothing was received for the
// stall timeout while an answer is due and nothing was sent either. A chunk
// that takes minutes to cross a slow link is never cut while its bytes flow.
//
// It sits directly on the transport, below TLS, so that TLS never sees a
// timeout it would treat as fatal. It owns the deadlines of the stream it
// wraps; the deadlines set on it by the layers above are ignored.
type stallConn struct {
	conn
	timeout time.Duration
	// expecting reports whether an answer is due; nil means always (the
	// authentication). While it is false a read may wait for ever.
	expecting atomic.Pointer[func() bool]

	lastWrite atomic.Int64 // unix nanoseconds of the last byte accepted
}

func newStallConn(c conn, timeout time.Duration) *stallConn {
	s := &stallConn{conn: c, timeout: timeout}
	s.lastWrite.Store(time.Now().UnixNano())
	return s
}

// expect sets the rule that tells whether an answer is due.
func (s *stallConn) expect(f func() bool) { s.expecting.Store(&f) }

func (s *stallConn) due() bool {
	f := s.expecting.Load()
	return f == nil || (*f)()
}

// Read reads, waiting as long as the stream is idle by design or bytes
// still go out.
func (s *stallConn) Read(p []byte) (int, error) {
	for {
		s.conn.SetReadDeadline(time.Now().Add(s.timeout))
		n, err := s.conn.Read(p)
		if n > 0 || err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
		sinceWrite := time.Since(time.Unix(0, s.lastWrite.Load()))
		if !s.due() || sinceWrite < s.timeout {
			continue // nothing asked, or our bytes are still on their way
		}
		return 0, fmt.Errorf("no answer within %v, and nothing could be sent meanwhile: %w", s.timeout, err)
	}
}

// Write writes all of p, for as long as the peer keeps accepting bytes.
func (s *stallConn) Write(p []byte) (int, error) {
	written := 0
	for {
		s.conn.SetWriteDeadline(time.Now().Add(s.timeout))
		n, err := s.conn.Write(p[written:])
		written += n
		if n > 0 {
			s.lastWrite.Store(time.Now().UnixNano())
		}
		if err == nil || n == 0 || !errors.Is(err, os.ErrDeadlineExceeded) || written == len(p) {
			return written, err
		}
	}
}

// SetReadDeadline is ignored: stallConn owns the deadlines.
func (s *stallConn) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline is ignored: stallConn owns the deadlines.
func (s *stallConn) SetWriteDeadline(time.Time) error { return nil }

// SetDeadline is ignored: stallConn owns the deadlines.
func (s *stallConn) SetDeadline(time.Time) error { return nil }

// netStallConn is a stallConn over a network connection, usable under TLS.
type netStallConn struct {
	*stallConn
	nc net.Conn
}

func (c netStallConn) LocalAddr() net.Addr  { return c.nc.LocalAddr() }
func (c netStallConn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

var _ net.Conn = netStallConn{}
