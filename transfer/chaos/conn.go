package chaos

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"time"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// Errors a Conn's Read returns once chaos has ended the connection. The
// server sees them where it would see a peer vanish.
var (
	// ErrDropped: the connection was cut part-way through a TRANSFER.
	ErrDropped = errors.New("chaos: connection dropped on purpose")
	// ErrStalled: the server stopped reading part-way through a TRANSFER,
	// then hung up.
	ErrStalled = errors.New("chaos: stopped reading on purpose, then hung up")
)

// Conn is one connection under chaos: the byte stream, which it may cut or
// stall part-way through a TRANSFER frame, and the decisions for the messages
// on it (Authenticate, BeforeStore, BeforeAck). It implements net.Conn.
//
// On one connection faults never overlap in a way that would hide one from
// the client: at most one fault ends the connection (auth-busy, busy, drop,
// stall), after it nothing else is injected, and none is injected while a
// corrupt answer waits for the client to resend its chunk. Delays are free.
type Conn struct {
	rw     io.ReadWriteCloser
	faults *Faults
	id     uint64

	closeOnce   sync.Once
	closeErr    error
	closed      chan struct{}
	deadlineSet chan struct{}

	// The read side: one Read at a time, under readMu.
	readMu sync.Mutex
	pos    int64 // bytes delivered to the reader
	header [wire.HeaderSize]byte
	got    int    // header bytes seen of the current frame
	left   uint64 // payload bytes left of the current frame
	cut    *cut   // the planned cut, once decided
	cutErr error  // what Read returns once the cut is done

	mu           sync.Mutex
	ending       bool // a fault that ends the connection has been decided
	outstanding  map[chunkKey]struct{}
	readDeadline time.Time
	authRoll     *rand.Rand
	storeRoll    *rand.Rand
	frameRoll    *rand.Rand
	ackRoll      *rand.Rand
}

// cut is a planned drop or stall at a position of the inbound stream.
type cut struct {
	kind Kind
	at   int64
}

var _ net.Conn = (*Conn)(nil)

// ID is the connection's number, from 1, in the order Faults wrapped them.
func (c *Conn) ID() uint64 { return c.id }

// Read reads from the connection. It watches the frames go by, and part-way
// through a TRANSFER frame it may cut the connection (ErrDropped) or stop
// reading for the spec's stall and then cut it (ErrStalled).
func (c *Conn) Read(p []byte) (int, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if c.cutErr != nil {
		return 0, c.cutErr
	}
	if c.cut != nil {
		if c.pos >= c.cut.at {
			return 0, c.doCut()
		}
		p = p[:min(int64(len(p)), c.cut.at-c.pos)]
	}
	n, err := c.rw.Read(p)
	if c.cut == nil {
		n = c.watch(p[:n])
	}
	c.pos += int64(n)
	if c.cut != nil && c.pos >= c.cut.at {
		// The cut comes with the next Read; the bytes past it, if this one
		// got any, are lost with the connection.
		err = nil
	}
	return n, err
}

// watch follows the frame structure of p, the next bytes of the stream, and
// rolls for a cut at the start of every TRANSFER frame. Once a cut is planned
// it stops watching, and returns how many bytes of p come before the cut.
func (c *Conn) watch(p []byte) int {
	for i := 0; i < len(p); {
		if c.left > 0 {
			k := min(c.left, uint64(len(p)-i))
			i += int(k)
			c.left -= k
			continue
		}
		k := copy(c.header[c.got:], p[i:])
		c.got += k
		i += k
		if c.got < wire.HeaderSize {
			break
		}
		c.got = 0
		c.left = uint64(binary.BigEndian.Uint32(c.header[1:5]))
		if t := wire.UserType(c.header[5]); t != wire.TypeTransfer && t != wire.TypeTransferRaw {
			continue
		}
		kind, offset, ok := c.rollCut(c.left)
		if !ok {
			continue
		}
		c.cut = &cut{kind: kind, at: c.pos + int64(i) + int64(offset)}
		return int(min(c.cut.at-c.pos, int64(len(p))))
	}
	return len(p)
}

// rollCut decides whether the TRANSFER frame whose payload of n bytes starts
// now is cut, how, and after how many payload bytes.
func (c *Conn) rollCut(n uint64) (Kind, uint64, bool) {
	spec := &c.faults.spec
	c.mu.Lock()
	defer c.mu.Unlock()
	roll := c.frameRoll.Float64()
	offset := c.frameRoll.Uint64N(max(n, 1))
	if roll >= spec.Drop+spec.Stall || !c.mayEnd() {
		return 0, 0, false
	}
	c.ending = true
	if roll < spec.Drop {
		return Drop, offset, true
	}
	return Stall, offset, true
}

// doCut carries out the planned cut and returns the error Read reports from
// then on.
func (c *Conn) doCut() error {
	switch c.cut.kind {
	case Drop:
		c.faults.injected(Drop, c.id, "after_bytes", c.pos)
		c.cutErr = ErrDropped
	case Stall:
		c.faults.injected(Stall, c.id, "after_bytes", c.pos, "for", c.faults.spec.StallFor)
		c.cutErr = ErrStalled
		if err := c.stall(c.faults.spec.StallFor); err != nil {
			c.cutErr = fmt.Errorf("%w (%w)", ErrStalled, err)
		}
	}
	c.Close()
	return c.cutErr
}

// stall waits for d, or until the read deadline passes (returning
// os.ErrDeadlineExceeded) or the connection is closed (net.ErrClosed).
func (c *Conn) stall(d time.Duration) error {
	done := time.NewTimer(d)
	defer done.Stop()
	for {
		c.mu.Lock()
		deadline := c.readDeadline
		c.mu.Unlock()
		expired, stop := deadlineTimer(deadline)
		select {
		case <-done.C:
			stop()
			return nil
		case <-expired:
			return os.ErrDeadlineExceeded
		case <-c.closed:
			stop()
			return net.ErrClosed
		case <-c.deadlineSet:
			stop()
		}
	}
}

// deadlineTimer returns a channel that fires at deadline (never, for the
// zero time) and a func that releases its timer.
func deadlineTimer(deadline time.Time) (<-chan time.Time, func()) {
	if deadline.IsZero() {
		return nil, func() {}
	}
	t := time.NewTimer(time.Until(deadline))
	return t.C, func() { t.Stop() }
}

// Write writes to the connection unchanged.
func (c *Conn) Write(p []byte) (int, error) { return c.rw.Write(p) }

// Close closes the connection, interrupting any stall or delay on it.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.closeErr = c.rw.Close()
	})
	return c.closeErr
}

// LocalAddr returns the wrapped connection's local address, when it has one.
func (c *Conn) LocalAddr() net.Addr {
	if nc, ok := c.rw.(net.Conn); ok {
		return nc.LocalAddr()
	}
	return streamAddr{}
}

// RemoteAddr returns the wrapped connection's remote address, when it has one.
func (c *Conn) RemoteAddr() net.Addr {
	if nc, ok := c.rw.(net.Conn); ok {
		return nc.RemoteAddr()
	}
	return streamAddr{}
}

// SetDeadline sets the wrapped connection's deadlines; a stall honours the
// read deadline too.
func (c *Conn) SetDeadline(t time.Time) error {
	c.noteReadDeadline(t)
	if d, ok := c.rw.(interface{ SetDeadline(time.Time) error }); ok {
		return d.SetDeadline(t)
	}
	return errors.Join(c.SetReadDeadline(t), c.SetWriteDeadline(t))
}

// SetReadDeadline sets the wrapped connection's read deadline; a stall
// honours it too.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.noteReadDeadline(t)
	if d, ok := c.rw.(interface{ SetReadDeadline(time.Time) error }); ok {
		return d.SetReadDeadline(t)
	}
	return os.ErrNoDeadline
}

// SetWriteDeadline sets the wrapped connection's write deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	if d, ok := c.rw.(interface{ SetWriteDeadline(time.Time) error }); ok {
		return d.SetWriteDeadline(t)
	}
	return os.ErrNoDeadline
}

func (c *Conn) noteReadDeadline(t time.Time) {
	c.mu.Lock()
	c.readDeadline = t
	c.mu.Unlock()
	select {
	case c.deadlineSet <- struct{}{}:
	default:
	}
}

// streamAddr is the address of a connection that is not a network one (a
// pipe, stdin/stdout).
type streamAddr struct{}

func (streamAddr) Network() string { return "stream" }
func (streamAddr) String() string  { return "stream" }
