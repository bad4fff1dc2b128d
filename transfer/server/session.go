package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hoist-dev/hoist/transfer/wire"
)

var errTooManyConns = errors.New("too many connections")

// session is one connection: its reader runs in run's goroutine, its writer
// in a goroutine run starts. At most one upload is attached to it.
type session struct {
	srv    *Server
	ctx    context.Context
	cancel context.CancelFunc
	conn   io.ReadWriteCloser
	remote string
	log    *slog.Logger

	br       *bufio.Reader
	fr       *wire.Reader
	progress *progressReader // under br when rd is set
	rd       interface{ SetReadDeadline(time.Time) error }
	wd       interface{ SetWriteDeadline(time.Time) error }

	// out carries answers to the writer. Every frame the reader handles
	// takes a slot first and gets exactly one answer; the writer frees the
	// slot once the answer is written, so out (capacity MaxPending) never
	// fills and a client that does not read stalls its own reader only.
	out      chan reply
	slots    chan struct{}
	inflight sync.WaitGroup // frames taken, answers not yet written
	commits  sync.WaitGroup // chunks in the committer or finisher

	stopOnce   sync.Once
	stopC      chan struct{}
	stopping   atomic.Bool
	readerDone chan struct{} // the reader stopped
	committed  chan struct{} // ... and every chunk it took is committed

	up *upload // reader goroutine only
	// user is the connection's user (§13 of PROTOCOL.md): the stream's
	// fixed user, or that of the last request accepted with a token.
	// Reader goroutine only.
	user        string
	sawFrame    bool   // a first frame was read
	reserved    int64  // bytes of Server.preauth held for the frame being handled
	frameBuf    []byte // and the buffer it was read into
	transfer    wire.Transfer
	rawTransfer wire.Transfer

	// The chunk pipeline (pipeline.go): the reader hands checked chunks to
	// the chunk writer through pipe; spare holds the free chunkWorks.
	pipe      chan *chunkWork
	spare     chan *chunkWork
	pipeDone  chan struct{}
	queued    sync.WaitGroup // chunks handed on and not yet stored
	work      *chunkWork     // reader only: the chunkWork for the next frame
	workFrame bool           // reader only: the frame being handled is in work

	chunks, bytes atomic.Int64
	// refusedCode is the code of the last AUTHENTICATION refused, for the
	// session's summary (reader goroutine only).
	refusedCode string
}

// newSession registers a session for conn, refusing with errTooManyConns
// or ErrServerClosed. On success s.conns has been incremented for it.
func (srv *Server) newSession(ctx context.Context, conn io.ReadWriteCloser, remote string) (*session, error) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.closing {
		return nil, ErrServerClosed
	}
	if len(srv.sessions) >= srv.limits.MaxConnections {
		return nil, errTooManyConns
	}
	if srv.opts.Faults != nil {
		conn = srv.opts.Faults.WrapConn(conn)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &session{
		srv:        srv,
		ctx:        ctx,
		cancel:     cancel,
		conn:       conn,
		remote:     remote,
		log:        srv.log.With("remote", remote),
		out:        make(chan reply, srv.limits.MaxPending),
		slots:      make(chan struct{}, srv.limits.MaxPending),
		stopC:      make(chan struct{}),
		readerDone: make(chan struct{}),
		committed:  make(chan struct{}),
	}
	if d, ok := conn.(interface{ SetReadDeadline(time.Time) error }); ok && d.SetReadDeadline(time.Time{}) == nil {
		s.rd = d
	}
	var src io.Reader = conn
	if s.rd != nil {
		s.progress = &progressReader{s: s}
		src = s.progress
	}
	s.br = bufio.NewReaderSize(src, 64<<10)
	s.fr = wire.NewReader(s.br) // shares br: NewReaderSize returns it as is
	if d, ok := conn.(interface{ SetWriteDeadline(time.Time) error }); ok && d.SetWriteDeadline(time.Time{}) == nil {
		s.wd = d
	}
	srv.sessions[s] = struct{}{}
	srv.conns.Add(1)
	srv.obs.ConnectionOpened()
	context.AfterFunc(ctx, s.stopReading)
	return s, nil
}

// run serves the session to its end.
func (s *session) run() {
	start := time.Now()
	s.log.Debug("connection open")
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		s.writeLoop()
	}()
	s.startPipeline()
	why := s.readLoop()
	s.stopPipeline()
	close(s.readerDone)
	s.commits.Wait()
	close(s.committed)
	s.inflight.Wait()
	close(s.out)
	<-writerDone
	s.conn.Close()
	s.cancel()
	s.srv.obs.ConnectionClosed()
	s.logSummary(why, time.Since(start))
	s.srv.endSession(s)
}

// stopReading makes the reader stop at the next frame boundary (or now,
// if it is waiting for one); answers already owed are still sent.
func (s *session) stopReading() {
	s.stopOnce.Do(func() {
		s.stopping.Store(true)
		close(s.stopC)
		if s.rd != nil {
			s.rd.SetReadDeadline(time.Unix(1, 0))
		} else {
			// No deadlines (a pipe): closing is the only way to unblock a read.
			s.conn.Close()
		}
	})
}

// abort closes the connection at once.
func (s *session) abort() {
	s.stopReading()
	s.conn.Close()
	s.cancel()
}

// readLoop reads and handles frames until the stream ends, breaks, times
// out or the session is stopped; it returns why.
func (s *session) readLoop() string {
	for {
		if s.stopping.Load() {
			return "server stopped the session"
		}
		// An authenticated connection reads each frame into a chunkWork,
		// waiting here (before any read deadline runs) for the chunk
		// writer to free one.
		if s.up != nil && s.takeWork() == nil {
			return "server stopped the session"
		}
		f, idle, err := s.readFrame()
		if err != nil {
			s.releaseReservation()
			return s.readError(err, idle)
		}
		if !s.takeSlot() {
			s.releaseReservation()
			return "server stopped the session"
		}
		s.handleFrame(f)
		s.workFrame = false // not handed on: read the next frame into it
		s.releaseReservation()
	}
}

// handleFrame answers one frame.
func (s *session) handleFrame(f wire.Frame) {
	switch f.Type {
	case wire.TypeAuthentication:
		// Answer it from the upload's state after every chunk read before.
		s.queued.Wait()
		s.handleAuthentication(f.Payload)
	case wire.TypeTransfer:
		s.handleTransfer(f.Payload, false)
	case wire.TypeList:
		s.handleList(f.Payload)
	case wire.TypeRemove:
		s.handleRemove(f.Payload)
	case wire.TypeTransferRaw:
		if s.srv.opts.DisableRawTransfer {
			s.replyErr(messageID(f.Payload), wire.Errorf(wire.CodeBadRequest, "this server does not accept TRANSFER-RAW (user type 4); use TRANSFER"))
			return
		}
		s.handleTransfer(f.Payload, true)
	default:
		s.replyErr(messageID(f.Payload), wire.Errorf(wire.CodeBadRequest, "unknown user type %d", byte(f.Type)))
	}
}

// progressReader reads the session's connection and, whenever bytes
// arrive, pushes the read deadline to a frame timeout from now: the frame
// timeout bounds the silence inside a frame, not the time a large frame
// takes on a slow link.
type progressReader struct {
	s        *session
	deadline time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.s.conn.Read(b)
	if n > 0 {
		s := p.s
		ft := s.srv.limits.FrameTimeout
		// Moving the deadline costs a timer update: do it only when at
		// least a tenth of the timeout has passed.
		if now := time.Now(); p.deadline.Sub(now) < ft-ft/10 {
			p.deadline = now.Add(ft)
			s.rd.SetReadDeadline(p.deadline)
			if s.stopping.Load() {
				// stopReading ran meanwhile: keep its deadline in the past.
				s.rd.SetReadDeadline(time.Unix(1, 0))
			}
		}
	}
	return n, err
}

// setReadDeadline sets the connection's read deadline and tells the
// progress reader, so that it extends from there.
func (s *session) setReadDeadline(t time.Time) {
	s.rd.SetReadDeadline(t)
	s.progress.deadline = t
}

// readFrame reads one frame: the wait for its first byte is bounded by the
// idle timeout; after that, every gap between arriving bytes by the frame
// timeout. idle reports whether an error came while waiting for the first
// byte.
func (s *session) readFrame() (f wire.Frame, idle bool, err error) {
	if s.rd != nil {
		lim := s.srv.limits
		if s.br.Buffered() == 0 {
			s.setReadDeadline(time.Now().Add(lim.IdleTimeout))
			if s.stopping.Load() {
				return f, true, errStopped
			}
			if _, err := s.br.Peek(1); err != nil {
				return f, true, err
			}
		}
		if !s.sawFrame {
			if err := s.checkNotTLS(); err != nil {
				return f, false, err
			}
		}
		s.setReadDeadline(time.Now().Add(lim.FrameTimeout))
		if s.stopping.Load() {
			return f, false, errStopped
		}
	}
	if s.up == nil {
		if f, ok, err := s.readStrangerFrame(); ok || err != nil {
			return f, false, err
		}
	} else if f, ok, err := s.readChunkFrame(); ok || err != nil {
		return f, false, err
	}
	f, err = s.fr.ReadFrame()
	s.sawFrame = true
	return f, false, err
}

// readError logs why reading ended and, for a framing error, tells the
// client before the connection closes.
func (s *session) readError(err error, idle bool) string {
	var ne net.Error
	switch {
	case s.stopping.Load() || errors.Is(err, errStopped):
		return "server stopped the session"
	case errors.Is(err, io.EOF):
		return "client closed the connection"
	case errors.Is(err, errTLSOnPlain):
		// A TLS client reads this frame as a record of type 2, which Go's
		// crypto/tls reports as a tls.RecordHeaderError whose header starts
		// with 0x02: a client can tell its user to use tcp:// (PROTOCOL.md §1).
		if s.takeSlot() {
			s.replyErr("", wire.Errorf(wire.CodeBadRequest, "this is a plain hoist listener and the client spoke TLS: use tcp:// for this address, or a tls:// address the server serves TLS on"))
		}
		s.log.Warn("client speaks TLS on a plain listener: it must use tcp:// here, or the server must serve TLS (--tls-cert, --tls-key) for tls:// addresses")
		return err.Error()
	case errors.As(err, new(tls.RecordHeaderError)):
		s.answerPlainOnTLS(err)
		return "read error: " + err.Error()
	case errors.Is(err, errNoBudget):
		if s.takeSlot() {
			s.replyErr("", wire.Errorf(wire.CodeBusy, "the server is busy reading other connections' AUTHENTICATIONs; try again later"))
		}
		s.srv.obs.ConnectionRefused(RefusedMemory)
		s.log.Warn("connection refused: memory for unauthenticated connections is spent", "code", wire.CodeBusy)
		return err.Error()
	case errors.Is(err, wire.ErrFrameTooLarge), errors.Is(err, wire.ErrMessageType):
		if s.takeSlot() {
			s.replyErr("", wire.Errorf(wire.CodeBadRequest, "broken framing, closing the connection: %v", err))
		}
		s.log.Warn("framing error", "code", wire.CodeBadRequest, "err", err)
		return "framing error: " + err.Error()
	case errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded):
		if idle {
			return fmt.Sprintf("idle for %v", s.srv.limits.IdleTimeout)
		}
		return fmt.Sprintf("no byte of a started frame for %v", s.srv.limits.FrameTimeout)
	case errors.Is(err, io.ErrUnexpectedEOF):
		s.log.Warn("connection ended inside a frame")
		return "truncated frame"
	}
	return "read error: " + err.Error()
}

// takeSlot waits for room for one more answer; false if the session stops.
func (s *session) takeSlot() bool {
	select {
	case s.slots <- struct{}{}:
		s.inflight.Add(1)
		return true
	case <-s.stopC:
		return false
	}
}

// send queues the answer to the frame that took a slot.
func (s *session) send(r reply) { s.out <- r }

func (s *session) replyErr(id string, err *wire.Error) {
	s.send(reply{id: id, err: err})
}

// writeLoop writes answers in order of arrival, flushing whenever the queue
// runs empty. After a write error it keeps draining without writing.
func (s *session) writeLoop() {
	w := wire.NewWriter(s.conn)
	buf := make([]byte, 0, 512)
	var failed bool
	var deadline time.Time
	faults := s.srv.opts.Faults
	for r := range s.out {
		if !failed {
			if r.chunk && faults != nil {
				faults.Ack(s.ctx, s.conn, r.file, r.index)
			}
			// Counted before it is written, so that a client never sees
			// an answer the metrics do not count yet.
			s.observeReply(&r)
			var err error
			buf, err = appendReply(buf[:0], &r)
			if err == nil {
				if s.wd != nil {
					if now := time.Now(); deadline.Sub(now) < s.srv.limits.FrameTimeout/2 {
						deadline = now.Add(s.srv.limits.FrameTimeout)
						s.wd.SetWriteDeadline(deadline)
					}
				}
				err = w.WriteFrame(wire.TypeResponse, buf)
			}
			if err == nil && len(s.out) == 0 {
				err = w.Flush()
			}
			if err != nil {
				failed = true
				s.log.Info("cannot write to the client", "err", err)
				s.stopReading()
			}
		}
		<-s.slots
		s.inflight.Done()
	}
	if !failed {
		w.Flush()
	}
}

// messageID digs the message-id out of a payload that could not be
// decoded as the message it claimed to be, so the Error can name it.
func messageID(payload []byte) string {
	var m struct {
		MessageID string `json:"message-id"`
	}
	if i := bytes.IndexByte(payload, '\n'); i >= 0 {
		payload = payload[:i] // a TRANSFER-RAW header line
	}
	if json.Unmarshal(payload, &m) != nil || len(m.MessageID) > MaxMessageID {
		return ""
	}
	return m.MessageID
}

// endSession detaches s from the server and its upload.
func (srv *Server) endSession(s *session) {
	srv.mu.Lock()
	delete(srv.sessions, s)
	srv.mu.Unlock()
	if s.up != nil {
		srv.releaseUpload(s.up, s)
	}
}

// maxRefusing bounds the connections being refused at once; beyond it
// they are closed without an answer.
const maxRefusing = 64

// refuseBusy answers the first frame of a connection over MaxConnections
// with busy and closes it. It reads at most a small frame (to repeat its
// message-id) and waits at most 5 seconds.
func (srv *Server) refuseBusy(conn net.Conn) {
	defer conn.Close()
	if srv.refusing.Add(1) > maxRefusing {
		srv.refusing.Add(-1)
		return
	}
	defer srv.refusing.Add(-1)
	conn.SetDeadline(time.Now().Add(min(srv.limits.FrameTimeout, 5*time.Second)))
	id := ""
	var h [wire.HeaderSize]byte
	if _, err := io.ReadFull(conn, h[:]); err == nil {
		if n := binary.BigEndian.Uint32(h[1:5]); h[0] == wire.MessageData && n <= 64<<10 {
			p := make([]byte, n)
			if _, err := io.ReadFull(conn, p); err == nil {
				id = messageID(p)
			}
		}
	}
	b, _ := appendReply(nil, &reply{id: id, err: wire.Errorf(wire.CodeBusy, "server is at its limit of %d connections; try again later", srv.limits.MaxConnections)})
	srv.obs.Responded(string(wire.CodeBusy), -1, time.Time{})
	w := wire.NewWriter(conn)
	if w.WriteFrame(wire.TypeResponse, b) == nil {
		w.Flush()
	}
	srv.log.Warn("connection refused: too many connections", "remote", conn.RemoteAddr().String(), "code", wire.CodeBusy)
}
