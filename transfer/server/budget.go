package server

import (
	"container/list"
	"encoding/binary"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// byteBudget is a first-come, first-served counting semaphore of bytes:
// the memory the server lets connections that have not authenticated
// fill with frames, all together.
type byteBudget struct {
	size int64

	mu      sync.Mutex
	free    int64
	waiters list.List // of *budgetWaiter, oldest first
}

type budgetWaiter struct {
	n     int64
	ready chan struct{} // closed when the bytes are granted
}

func newByteBudget(size int64) *byteBudget {
	return &byteBudget{size: size, free: size}
}

// acquire takes n bytes (at most the whole budget), waiting behind earlier
// callers. It returns the bytes taken, or 0 if stop closed or timeout
// passed first.
func (b *byteBudget) acquire(n int64, stop <-chan struct{}, timeout time.Duration) int64 {
	n = min(n, b.size)
	b.mu.Lock()
	if b.waiters.Len() == 0 && b.free >= n {
		b.free -= n
		b.mu.Unlock()
		return n
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	el := b.waiters.PushBack(w)
	b.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-w.ready:
		return n
	case <-stop:
	case <-t.C:
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready:
		// Granted while giving up: hand the bytes back.
		b.free += n
	default:
		b.waiters.Remove(el)
	}
	b.grantLocked()
	return 0
}

// release returns n bytes taken by acquire.
func (b *byteBudget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.free += n
	b.grantLocked()
	b.mu.Unlock()
}

// grantLocked serves waiters in order while the budget allows.
func (b *byteBudget) grantLocked() {
	for el := b.waiters.Front(); el != nil; el = b.waiters.Front() {
		w := el.Value.(*budgetWaiter)
		if b.free < w.n {
			return
		}
		b.free -= w.n
		b.waiters.Remove(el)
		close(w.ready)
	}
}

// smallFrame is the largest payload a connection may read without taking
// from the server's budget for unauthenticated connections: its reader's
// buffer holds that much anyway. Frames over pooledFrame are read into
// buffers of the largest frame size, reused between connections, so that
// a flood of them leaves no garbage behind.
const (
	smallFrame  = 64 << 10
	pooledFrame = 1 << 20
)

// readStrangerFrame reads the next frame of a connection that has not
// authenticated if it is large (ok), in memory taken from the server's
// budget for such connections before a byte of it is buffered. It waits
// behind other connections up to the frame timeout, then fails with
// errNoBudget. Small frames and broken framing are left to ReadFrame.
func (s *session) readStrangerFrame() (f wire.Frame, ok bool, err error) {
	h, err := s.br.Peek(wire.HeaderSize)
	if err != nil {
		if len(h) > 0 && errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return f, false, err
	}
	n := int(binary.BigEndian.Uint32(h[1:5]))
	if h[0] != wire.MessageData || n > wire.MaxPayload || n <= smallFrame {
		return f, false, nil
	}
	typ := wire.UserType(h[5])
	size := n
	if n > pooledFrame {
		size = wire.MaxPayload
	}
	s.reserved = s.srv.preauth.acquire(int64(size), s.stopC, s.srv.limits.FrameTimeout)
	if s.reserved == 0 {
		if s.stopping.Load() {
			return f, false, errStopped
		}
		return f, false, errNoBudget
	}
	if s.rd != nil {
		// The wait for the budget is not the client's silence.
		s.setReadDeadline(time.Now().Add(s.srv.limits.FrameTimeout))
		if s.stopping.Load() {
			return f, false, errStopped
		}
	}
	s.frameBuf = s.srv.frameBuffer(size)
	if _, err := s.br.Discard(wire.HeaderSize); err != nil {
		return f, false, err
	}
	if _, err := io.ReadFull(s.br, s.frameBuf[:n]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return f, false, err
	}
	return wire.Frame{Type: typ, Payload: s.frameBuf[:n]}, true, nil
}

// releaseReservation returns the buffer and the budget readStrangerFrame
// took.
func (s *session) releaseReservation() {
	if s.frameBuf != nil {
		s.srv.recycleFrameBuffer(s.frameBuf)
		s.frameBuf = nil
	}
	s.srv.preauth.release(s.reserved)
	s.reserved = 0
}

// frameBuffer returns a buffer of size bytes: a pooled one for the largest
// size, else a new one.
func (srv *Server) frameBuffer(size int) []byte {
	if size == wire.MaxPayload {
		select {
		case b := <-srv.bigFrames:
			return b
		default:
		}
	}
	return make([]byte, size)
}

// recycleFrameBuffer keeps a buffer of the largest size for the next
// stranger's frame.
func (srv *Server) recycleFrameBuffer(b []byte) {
	if len(b) != wire.MaxPayload {
		return
	}
	select {
	case srv.bigFrames <- b:
	default:
	}
}
