package server

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"io"
	"time"

	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// A connection's chunks go through a pipeline of two goroutines, so that
// receiving one chunk overlaps storing the one before: the reader reads a
// TRANSFER into a chunkWork of its own, decodes it, checks it (its crc32c
// above all) and hands it on; the chunk writer writes it to its partial
// file, feeds it to the file's sha256 and queues it for the committer. The
// writer takes chunks in the order they were read, and an Ok still goes out
// only once the committer has synced and recorded the chunk.

// pipelineDepth is how many chunks a connection holds at once: one being
// read while the others are written and hashed. It bounds the memory a
// connection costs to pipelineDepth frames.
const pipelineDepth = 2

// chunkWork is one TRANSFER in the pipeline.
type chunkWork struct {
	buf []byte // the frame's payload
	// t is decoded from buf, into raw or json: a TRANSFER-RAW's Data aliases
	// buf, and DecodeTransfer decodes base64 into the Data it is given, so
	// sharing one would decode into the payload being parsed.
	t         *wire.Transfer
	raw, json wire.Transfer
	u         *upload
	off       uint64    // where the chunk starts in its file
	arrived   time.Time // when its frame was read (for metrics)
}

// startPipeline starts the chunk writer; stopPipeline ends it once it has
// stored every chunk handed to it.
func (s *session) startPipeline() {
	s.pipe = make(chan *chunkWork, pipelineDepth)
	s.spare = make(chan *chunkWork, pipelineDepth)
	for range pipelineDepth {
		s.spare <- &chunkWork{}
	}
	s.pipeDone = make(chan struct{})
	go func() {
		defer close(s.pipeDone)
		for w := range s.pipe {
			s.storeChunk(w)
			w.t, w.u = nil, nil
			s.queued.Done()
			s.spare <- w
		}
	}()
}

func (s *session) stopPipeline() {
	close(s.pipe)
	<-s.pipeDone
}

// takeWork waits for a free chunkWork for the next frame (reader only);
// nil when the session stops first.
func (s *session) takeWork() *chunkWork {
	if s.work != nil {
		return s.work
	}
	select {
	case s.work = <-s.spare:
		return s.work
	case <-s.stopC:
		return nil
	}
}

// readChunkFrame reads the next frame into a chunkWork if it is a TRANSFER
// of an authenticated connection (ok). Other frames and broken framing are
// left to ReadFrame.
func (s *session) readChunkFrame() (f wire.Frame, ok bool, err error) {
	h, err := s.br.Peek(wire.HeaderSize)
	if err != nil || s.work == nil {
		return f, false, nil
	}
	n := int(binary.BigEndian.Uint32(h[1:5]))
	typ := wire.UserType(h[5])
	if h[0] != wire.MessageData || n > wire.MaxPayload || typ != wire.TypeTransfer && typ != wire.TypeTransferRaw {
		return f, false, nil
	}
	w := s.work
	if cap(w.buf) < n {
		w.buf = make([]byte, n)
	}
	if _, err := s.br.Discard(wire.HeaderSize); err != nil {
		return f, false, err
	}
	if _, err := io.ReadFull(s.br, w.buf[:n]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return f, false, err
	}
	s.workFrame = true
	return wire.Frame{Type: typ, Payload: w.buf[:n]}, true, nil
}

// handOn passes a checked chunk to the chunk writer.
func (s *session) handOn(w *chunkWork) {
	s.work, s.workFrame = nil, false
	s.queued.Add(1)
	s.pipe <- w
}

// storeChunk writes a checked chunk to its partial file and hands it to the
// committer (chunk writer only).
func (s *session) storeChunk(w *chunkWork) {
	t, u := w.t, w.u
	id := t.MessageID
	fs := u.files[t.File] // size and chunks never change
	n := len(t.Data)
	var h hash.Hash // set when this chunk continues the file's hash
	u.mu.Lock()
	switch {
	case u.session != s:
		u.mu.Unlock()
		s.replyErr(id, wire.Errorf(wire.CodeBusy, "%v", errTakenOver))
		s.stopReading()
		return
	case u.broken != nil:
		u.mu.Unlock()
		s.replyErr(id, wire.Errorf(wire.CodeInternal, "upload state lost after a storage error; reconnect"))
		s.stopReading()
		return
	case fs.done != nil || fs.held.Has(t.Index):
		u.mu.Unlock()
		s.send(reply{id: id, chunk: true, file: t.File, index: t.Index, chunkBytes: n, arrived: w.arrived})
		return
	case fs.pending.Has(t.Index):
		// Written already, commit in progress: just wait for it.
	default:
		c := store.Chunk{Part: store.Part{FID: u.fid, File: t.File}, Index: t.Index, Offset: int64(w.off), Data: t.Data}
		err := s.writeChunk(c, t.CRC32C)
		if errors.Is(err, store.ErrCorrupt) {
			u.mu.Unlock()
			s.replyErr(id, wire.Errorf(wire.CodeCorrupt, "chunk %d of file %d does not match its crc32c; resend it", t.Index, t.File))
			return
		}
		if err != nil {
			u.mu.Unlock()
			s.log.Error("storing chunk", "file", t.File, "index", t.Index, "err", err)
			s.replyErr(id, wire.Errorf(wire.CodeInternal, "cannot store chunk %d of file %d; reconnect and try again later", t.Index, t.File))
			s.stopReading()
			return
		}
		fs.pending.Set(t.Index)
		if fs.h == nil {
			fs.h = sha256.New()
		}
		if w.off == fs.hashed {
			h = fs.h
			fs.hashed += uint64(n)
		}
		s.chunks.Add(1)
		s.bytes.Add(int64(n))
	}
	u.mu.Unlock()
	// The hash is fed outside the lock, which the committer takes to
	// answer chunks. Only this goroutine feeds it: no other session's
	// chunk writer runs on the upload (takeOver waits for it), and the
	// finisher reads it only once this chunk, queued below, committed.
	if h != nil {
		h.Write(t.Data)
	}
	s.commits.Add(1)
	s.srv.commit.enqueue(chunkJob{s: s, u: u, file: t.File, index: t.Index, id: id, size: n, arrived: w.arrived})
}

// checksByStore reports whether the chunk store checks each chunk's
// crc32c itself (CheckedChunkWriter), so the reader need not.
func (s *session) checksByStore() bool {
	_, ok := s.srv.st.Chunks.(CheckedChunkWriter)
	return ok
}

// writeChunk stores c, handing its crc32c to a store that checks it.
func (s *session) writeChunk(c store.Chunk, crc *uint32) error {
	if checked, ok := s.srv.st.Chunks.(CheckedChunkWriter); ok && crc != nil {
		return checked.WriteChunkChecked(s.ctx, c, *crc)
	}
	return s.srv.st.Chunks.WriteChunk(s.ctx, c)
}
