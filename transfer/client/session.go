package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// errPaused ends a session that drained its window after Pause.
var errPaused = errors.New("paused")

// maxCorruptInARow is how often one chunk may be answered "corrupt" in a
// session before the session is abandoned as broken.
const maxCorruptInARow = 3

// fileCheckEvery is how often a session checks its files for changes.
const fileCheckEvery = time.Second

// session is one connection of an upload. It runs on the upload's goroutine
// and owns one reader goroutine that turns frames into responses.
type session struct {
	u       *upload
	c       conn
	r       *wire.Reader
	w       *wire.Writer
	timeout time.Duration
	raw     bool // the server takes TRANSFER-RAW
	win     *window
	queue   sendQueue

	pending       map[string]*flight // by message-id, answered or not
	order         []*flight          // in send order, for chunk timeouts
	inflight      int                // flights counted against the window
	inflightBytes int64
	stale         int // flights given up on (timed out), still pending
	corrupt       map[chunkRef]int
	draining      bool          // paused: send nothing new, wait for answers
	throttled     time.Duration // the rate limit holds the next chunk back this long
	progressed    bool          // a chunk was acknowledged

	// For the link's throughput: chunk bytes acknowledged, and when the
	// first chunk went out and the last answer came.
	ackedBytes         int64
	firstSend, lastAck time.Time

	outstanding atomic.Int64 // requests written and not answered; read by the reader
	responses   chan *wire.Response
	readErr     chan error
	quit        chan struct{}
}

// flight is one TRANSFER written and not answered yet.
type flight struct {
	id       string
	ref      chunkRef
	n        int
	stamp    sendStamp
	stale    bool // timed out and queued again; no longer in the window
	answered bool
	// overtaken is when a TRANSFER sent after this one was answered: from
	// then on this one's answer is overdue.
	overtaken time.Time
}

// session connects, authenticates and sends until nothing is missing (nil),
// the upload is paused (errPaused), or the connection fails. progressed
// reports whether any chunk was acknowledged.
func (u *upload) session(ctx context.Context, attempt int) (progressed bool, err error) {
	u.setState(StateConnecting, attempt, time.Time{}, nil)
	token, err := u.e.opts.Token.Token(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, permanent(fmt.Errorf("reading the token: %w", err))
	}
	c, sc, err := u.e.dialer.dial(ctx, u.ep)
	if err != nil {
		return false, dialError(u.entry.Server, err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	o := u.e.opts
	head := &headReader{r: c}
	s := &session{
		u: u, c: c, r: wire.NewReader(head), w: wire.NewWriter(c), timeout: o.ReadTimeout,
		pending: make(map[string]*flight), corrupt: make(map[chunkRef]int),
		responses: make(chan *wire.Response, 2*o.Window.Chunks+16),
		readErr:   make(chan error, 1),
		quit:      make(chan struct{}),
	}
	u.setState(StateAuthenticating, attempt, time.Time{}, nil)
	resp, err := s.authenticate(token)
	if err != nil {
		return false, u.explainAuthFailure(ctx, head.head, err)
	}
	if err := u.applyAuth(resp); err != nil {
		return false, err
	}
	// From now on an answer is due only while requests are outstanding.
	sc.expect(func() bool { return s.outstanding.Load() > 0 })
	s.raw = slices.Contains(resp.Extensions, wire.ExtensionRawTransfer)
	s.win = newWindow(o.Window, u.chunkSize)
	u.windowBytes = s.win.bytes()
	for i, f := range u.files {
		if f.state != FileFailed {
			s.queue.add(i, resp.Missing[i])
		}
	}
	u.setState(StateSending, attempt, time.Time{}, nil)

	var reader sync.WaitGroup
	reader.Go(s.readLoop)
	defer func() {
		close(s.quit)
		c.Close()
		reader.Wait()
		s.abandon(err)
		s.measureLink()
	}()
	err = s.loop(ctx)
	return s.progressed, err
}

// explainAuthFailure recognises a tcp:// server that speaks TLS, from the
// record it answered with or, when it just hung up or went silent, by
// trying a TLS handshake with it.
func (u *upload) explainAuthFailure(ctx context.Context, head []byte, err error) error {
	if u.ep.scheme != "tcp" {
		return err
	}
	var we *wire.Error
	if looksLikeTLS(head) || errors.As(err, &we) && we.Code == wire.CodeBadRequest && strings.Contains(we.Reason, "tls://") {
		return errSpeaksTLS(u.ep.addr, err)
	}
	if len(head) == 0 && !errors.As(err, &we) && ctx.Err() == nil && speaksTLS(ctx, u.ep.addr) {
		return errSpeaksTLS(u.ep.addr, err)
	}
	return err
}

// authenticate opens or resumes the upload and returns the server's Ok.
func (s *session) authenticate(token string) (*wire.Response, error) {
	u := s.u
	a := wire.Authentication{
		MessageID: uuid.NewString(), Token: token, FID: u.id(),
		Files: make([]wire.FileInfo, len(u.files)), Tags: u.entry.Tags,
		ChunkSize: u.entry.ChunkSize,
	}
	if a.Tags == nil {
		a.Tags = []string{}
	}
	for i, f := range u.files {
		a.Files[i] = wire.FileInfo{Name: f.name, Size: f.size}
	}
	payload, err := wire.EncodeJSON(&a)
	if err != nil {
		return nil, permanent(err)
	}
	if err := s.w.WriteFrame(wire.TypeAuthentication, payload); err != nil {
		if errors.Is(err, wire.ErrFrameTooLarge) {
			err = permanent(fmt.Errorf("the file list does not fit one AUTHENTICATION: %w", err))
		}
		return nil, err
	}
	if err := s.w.Flush(); err != nil {
		return nil, s.writeError("sending the authentication", err)
	}
	fr, err := s.r.ReadFrame()
	if err != nil {
		return nil, s.readError("waiting for the authentication answer", err)
	}
	resp, err := decodeResponse(fr)
	if err != nil {
		return nil, err
	}
	if resp.MessageID == "" && resp.Err() != nil {
		// A refusal the server sent before it could read the request (a
		// TLS listener answering a plain frame does so, PROTOCOL.md §1).
		return nil, fmt.Errorf("authentication refused: %w", refused(resp.Err()))
	}
	if resp.MessageID != a.MessageID {
		return nil, protocolErrorf("authentication answered with message-id %q, sent %q", resp.MessageID, a.MessageID)
	}
	if err := resp.Err(); err != nil {
		return nil, fmt.Errorf("authentication refused: %w", refused(err))
	}
	return resp, nil
}

func decodeResponse(fr wire.Frame) (*wire.Response, error) {
	if fr.Type != wire.TypeResponse {
		return nil, protocolErrorf("got a %v frame, want RESPONSE", fr.Type)
	}
	resp, err := wire.DecodeResponse(fr.Payload)
	if err != nil {
		return nil, protocolErrorf("%v", err)
	}
	return resp, nil
}

// readError explains a failed read.
func (s *session) readError(doing string, err error) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%s: the connection stalled: %w", doing, err)
	case err == io.EOF:
		return fmt.Errorf("%s: connection dropped by the server: %w", doing, io.ErrUnexpectedEOF)
	case dropped(err): // keeps err, which may say more (ssh's reason) and be final
		return fmt.Errorf("%s: connection dropped: %w", doing, err)
	case errors.Is(err, wire.ErrMessageType), errors.Is(err, wire.ErrFrameTooLarge):
		return protocolErrorf("%s: %v (is the server a hoist server?)", doing, err)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// writeError explains a failed write.
func (s *session) writeError(doing string, err error) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%s: the server took nothing for %v: %w", doing, s.timeout, err)
	case dropped(err):
		return fmt.Errorf("%s: connection dropped: %w", doing, err)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// readLoop reads responses until the connection fails or the session quits.
// The stream's stallConn ends a read only when the connection stalled: an
// answer is due, and nothing came or went for the read timeout.
func (s *session) readLoop() {
	for {
		fr, err := s.r.ReadFrame()
		var resp *wire.Response
		if err == nil {
			resp, err = decodeResponse(fr)
		} else {
			err = s.readError("reading answers", err)
		}
		if err != nil {
			s.readErr <- err
			return
		}
		select {
		case s.responses <- resp:
		case <-s.quit:
			return
		}
	}
}

// loop sends and handles answers until nothing is left to send or wait for.
func (s *session) loop(ctx context.Context) error {
	u := s.u
	tick := time.NewTicker(reportEvery)
	defer tick.Stop()
	lastCheck := time.Now()
	for {
		more, err := s.fill()
		if err != nil {
			return err
		}
		if s.inflight == 0 {
			if s.draining {
				return errPaused
			}
			if _, left := s.queue.peek(); !left {
				return nil
			}
		}
		var poll <-chan time.Time // fires at once when a burst left more to send
		switch {
		case more:
			poll = closedTimeChan
		case s.throttled > 0:
			poll = time.After(s.throttled)
			s.throttled = 0
		}
		select {
		case r := <-s.responses:
			if err := s.handleAll(r); err != nil {
				return err
			}
		case err := <-s.readErr:
			return err
		case h := <-u.hashes:
			u.hashed(h)
		case now := <-tick.C:
			if err := s.expire(now); err != nil {
				return err
			}
			if now.Sub(lastCheck) >= fileCheckEvery {
				lastCheck = now
				u.checkFiles()
			}
			u.report(false)
		case <-u.ctl:
			if u.paused.Load() {
				s.draining = true
			}
		case <-ctx.Done():
			return ctx.Err()
		case <-poll:
		}
	}
}

// closedTimeChan is always ready: selecting on it polls the other cases.
var closedTimeChan = func() <-chan time.Time {
	c := make(chan time.Time)
	close(c)
	return c
}()

// maxBurst bounds the bytes one fill writes before the loop looks at answers
// and timers again.
const maxBurst = 4 << 20

// fill writes chunks while the window allows, up to maxBurst bytes, then
// flushes. more reports that it stopped at the burst limit with chunks left
// that the window would allow now.
func (s *session) fill() (more bool, err error) {
	u := s.u
	burst := 0
	for !s.draining && burst < maxBurst {
		ref, ok := s.queue.peek()
		if !ok {
			break
		}
		f := u.files[ref.file]
		if st := f.chunkState(ref.index); f.state == FileFailed || st == ChunkHeld || st == ChunkInFlight {
			s.queue.pop()
			continue
		}
		_, n := wire.ChunkBounds(f.size, u.chunkSize, ref.index)
		if !s.win.allows(s.inflight, s.inflightBytes, n) {
			return false, s.flush()
		}
		if d := u.e.gate.take(time.Now(), n); d > 0 {
			s.throttled = d
			return false, s.flush()
		}
		s.queue.pop()
		if err := s.send(f, ref, n); err != nil {
			return false, err
		}
		burst += n
	}
	if err := s.flush(); err != nil {
		return false, err
	}
	_, left := s.queue.peek()
	return left && burst >= maxBurst, nil
}

func (s *session) flush() error {
	if s.w.Buffered() == 0 {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return s.writeError("sending chunks", err)
	}
	return nil
}

// send reads one chunk with a positional read and writes its TRANSFER.
func (s *session) send(f *upFile, ref chunkRef, n int) error {
	u := s.u
	off, _ := wire.ChunkBounds(f.size, u.chunkSize, ref.index)
	data, err := u.hasher.buffer(n)
	if err != nil {
		return err
	}
	if _, err := f.f.ReadAt(data, int64(off)); err != nil {
		u.hasher.recycle(data)
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("%s: %w: it is shorter than %d bytes now", f.path, ErrFileChanged, f.size)
		} else {
			err = fmt.Errorf("%s: reading chunk %d: %w", f.path, ref.index, err)
		}
		u.failFile(f, err)
		return nil
	}
	crc := wire.CRC32C(data)
	t := wire.Transfer{
		MessageID: uuid.NewString(), Chunk: wire.ChunkID(u.fid, ref.file, ref.index).String(),
		File: ref.file, Index: ref.index, Data: data, CRC32C: &crc,
	}
	// A TRANSFER-RAW goes out as its header line then the chunk's bytes
	// straight from the read buffer, never copied into one payload.
	typ, body := wire.TypeTransfer, []byte(nil)
	if s.raw {
		typ, body = wire.TypeTransferRaw, data
		u.frame = wire.AppendRawHeader(u.frame[:0], &t)
	} else {
		u.frame = wire.AppendTransfer(u.frame[:0], &t)
	}

	now := time.Now()
	if s.firstSend.IsZero() {
		s.firstSend = now
	}
	fl := &flight{id: t.MessageID, ref: ref, n: n, stamp: s.win.sent(now, s.inflight == 0)}
	s.pending[fl.id] = fl
	s.order = append(s.order, fl)
	s.inflight++
	s.inflightBytes += int64(n)
	s.outstanding.Add(1) // before the frame can reach the server
	err = s.w.WriteFrameParts(typ, u.frame, body)
	// The frame is written (or buffered as a copy): the bytes are free to
	// hash, once, in file order.
	if fed, ferr := u.feed(f, ref.index, data); ferr != nil {
		return ferr
	} else if !fed {
		u.hasher.recycle(data)
	}
	if err != nil {
		return s.writeError("sending chunks", err)
	}

	resend := f.cells[ref.index]&chunkEverSent != 0
	f.cells[ref.index] |= chunkEverSent
	f.setChunkState(ref.index, ChunkInFlight)
	f.inFlight++
	if f.state == FileWaiting {
		f.state = FileSending
	}
	u.wireBytes += uint64(n)
	u.dirty = true
	if resend {
		f.retries++
		reason := u.retryReason[ref]
		if reason == "" {
			reason = "resent"
		}
		u.chunkEvent(ref, n, ChunkResent, reason)
	} else {
		u.chunkEvent(ref, n, ChunkSent, "")
	}
	return nil
}

// handleAll handles r and whatever other answers are already waiting.
func (s *session) handleAll(r *wire.Response) error {
	for range 2 * s.win.maxChunks {
		if err := s.handle(r); err != nil {
			return err
		}
		select {
		case r = <-s.responses:
		default:
			return nil
		}
	}
	return s.handle(r)
}

// handle matches an answer to its TRANSFER and applies it.
func (s *session) handle(r *wire.Response) error {
	u := s.u
	fl := s.pending[r.MessageID]
	if fl == nil {
		return protocolErrorf("answer to unknown message-id %q", r.MessageID)
	}
	delete(s.pending, r.MessageID)
	s.outstanding.Add(-1)
	fl.answered = true
	if fl.stale {
		s.stale--
	} else {
		s.inflight--
		s.inflightBytes -= int64(fl.n)
	}
	f := u.files[fl.ref.file]
	if err := r.Err(); err != nil {
		if !errors.Is(err, wire.ErrCorrupt) {
			// The session ends over this answer; the chunk is no longer in
			// flight, and goes again (if still missing) on the next one.
			err = refused(err)
			if f.state != FileFailed && f.chunkState(fl.ref.index) == ChunkInFlight {
				s.retry(f, fl.ref, err.Error())
			}
			return fmt.Errorf("chunk %d of %s: %w", fl.ref.index, f.name, err)
		}
		err = refused(err)
		s.corrupt[fl.ref]++
		if s.corrupt[fl.ref] > maxCorruptInARow {
			return fmt.Errorf("chunk %d of %s, %d times in a row: %w", fl.ref.index, f.name, s.corrupt[fl.ref], err)
		}
		if f.state != FileFailed && f.chunkState(fl.ref.index) == ChunkInFlight {
			s.retry(f, fl.ref, err.Error())
		}
		return nil
	}
	if !fl.stale {
		now := time.Now()
		s.win.acked(now, fl.n, fl.stamp)
		u.windowBytes = s.win.bytes()
		s.overtake(fl, now)
		s.ackedBytes += int64(fl.n)
		s.lastAck = now
	}
	if f.state == FileFailed {
		return nil
	}
	if u.held(f, fl.ref.index, true) {
		s.progressed = true
		delete(s.corrupt, fl.ref)
	}
	if r.File != nil {
		if *r.File != fl.ref.file || len(r.SHA256) != 64 {
			return protocolErrorf("completion of file %d with sha256 %q answers a chunk of file %d", *r.File, r.SHA256, fl.ref.file)
		}
		f.serverSHA = r.SHA256
		f.stored = r.Stored
	}
	u.verify(f)
	return nil
}

// retry marks an in-flight chunk for resending, with the reason shown when
// it goes out again.
func (s *session) retry(f *upFile, ref chunkRef, reason string) {
	f.inFlight--
	f.setChunkState(ref.index, ChunkRetrying)
	s.u.retryReason[ref] = reason
	s.u.dirty = true
	s.queue.resend(ref)
}

// overtake starts the clock of every unanswered TRANSFER sent before fl,
// which was just answered: their answers are overdue now.
func (s *session) overtake(fl *flight, now time.Time) {
	for _, o := range s.order {
		if o == fl {
			return
		}
		if !o.answered && !o.stale && o.overtaken.IsZero() {
			o.overtaken = now
		}
	}
}

// expire gives up on chunks whose answers are overdue for half the read
// timeout, and queues them again. An answer is overdue once a chunk sent
// later was answered: a chunk merely waiting behind others on a slow link
// is never given up on. (A lost answer with nothing sent after it leaves
// the connection silent, and the stall ends the session.)
func (s *session) expire(now time.Time) error {
	limit := s.timeout / 2
	for len(s.order) > 0 && (s.order[0].answered || s.order[0].stale) {
		s.order = s.order[1:]
	}
	for _, fl := range s.order {
		if fl.answered || fl.stale {
			continue
		}
		// Overtaken times grow along the send order: the first one not
		// overdue ends the search.
		if fl.overtaken.IsZero() || now.Sub(fl.overtaken) < limit {
			break
		}
		fl.stale = true
		s.stale++
		s.inflight--
		s.inflightBytes -= int64(fl.n)
		f := s.u.files[fl.ref.file]
		if f.state != FileFailed && f.chunkState(fl.ref.index) == ChunkInFlight {
			s.retry(f, fl.ref, fmt.Sprintf("no answer within %v of later chunks' answers", limit))
		}
	}
	if s.stale > s.win.maxChunks {
		return fmt.Errorf("%d chunks unanswered for %v: the connection looks broken", s.stale, limit)
	}
	return nil
}

// measureLink records the throughput of a session that had at least one
// full chunk acknowledged, for the chunk size of later uploads.
func (s *session) measureLink() {
	d := s.lastAck.Sub(s.firstSend)
	if s.ackedBytes < int64(s.u.chunkSize) || d <= 0 {
		return
	}
	rate := float64(s.ackedBytes) / d.Seconds()
	if err := s.u.e.links.observe(s.u.entry.Server, rate, time.Now()); err != nil {
		s.u.e.log.Warn("recording the link's throughput", "err", err)
	}
}

// abandon marks the chunks still in flight when the session ended, so the
// next session resends them (if the server still misses them) with a reason.
func (s *session) abandon(cause error) {
	reason := "connection lost"
	if cause != nil && !errors.Is(cause, errPaused) {
		reason = "connection lost: " + cause.Error()
	}
	// Whatever was in flight is not any more: every chunk marked so goes
	// again on the next session if the server still misses it.
	for _, f := range s.u.files {
		if f.state == FileFailed {
			continue
		}
		for i := range f.cells {
			if f.chunkState(uint64(i)) == ChunkInFlight {
				f.setChunkState(uint64(i), ChunkRetrying)
				s.u.retryReason[chunkRef{f.index, uint64(i)}] = reason
			}
		}
		f.inFlight = 0
	}
	s.u.dirty = true
}
