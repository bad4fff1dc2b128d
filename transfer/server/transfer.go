package server

import (
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// handleTransfer decodes and checks one chunk and, when every check
// passes, hands it to the connection's chunk writer (pipeline.go). Every
// check comes before anything is written.
func (s *session) handleTransfer(payload []byte, raw bool) {
	// A chunk of an authenticated connection was read into a chunkWork,
	// and decodes into its Transfers. Otherwise, into the session's two,
	// kept apart for the same reason (see chunkWork).
	arrived := time.Now()
	var t *wire.Transfer
	var err error
	switch {
	case s.workFrame && raw:
		t = &s.work.raw
	case s.workFrame:
		t = &s.work.json
	case raw:
		t = &s.rawTransfer
	default:
		t = &s.transfer
	}
	if raw {
		err = wire.DecodeRawTransfer(payload, t)
	} else {
		err = wire.DecodeTransfer(payload, t)
	}
	if err != nil {
		s.replyErr(messageID(payload), toWireError(err))
		return
	}
	s.srv.obs.ChunkReceived(len(t.Data))
	id := t.MessageID
	if len(id) > MaxMessageID {
		s.replyErr("", wire.Errorf(wire.CodeBadRequest, "message-id is %d bytes, limit %d", len(id), MaxMessageID))
		return
	}
	u := s.up
	if u == nil {
		s.replyErr(id, wire.Errorf(wire.CodeBadRequest, "TRANSFER before AUTHENTICATION: authenticate first"))
		return
	}
	if t.File < 0 || t.File >= len(u.files) {
		s.replyErr(id, wire.Errorf(wire.CodeBadRequest, "file %d does not exist: the upload has %d files", t.File, len(u.files)))
		return
	}
	fs := u.files[t.File] // size and chunks never change
	if t.Index >= fs.chunks {
		s.replyErr(id, wire.Errorf(wire.CodeBadRequest, "chunk index %d out of range: file %d has %d chunks", t.Index, t.File, fs.chunks))
		return
	}
	if got, err := uuid.Parse(t.Chunk); err != nil || got != wire.ChunkID(u.fid, t.File, t.Index) {
		s.replyErr(id, wire.Errorf(wire.CodeBadRequest, "chunk %q is not the id of chunk %d/%d of this upload", truncate(t.Chunk, 64), t.File, t.Index))
		return
	}
	off, n := wire.ChunkBounds(fs.size, u.rec.ChunkSize, t.Index)
	if len(t.Data) != n {
		s.replyErr(id, wire.Errorf(wire.CodeBadRequest, "chunk %d of file %d carries %d bytes, want %d", t.Index, t.File, len(t.Data), n))
		return
	}
	// A store that checks checksums itself (an object store's part
	// checksum) is handed the crc32c instead.
	if t.CRC32C != nil && !s.checksByStore() {
		if sum := wire.CRC32C(t.Data); sum != *t.CRC32C {
			s.replyErr(id, wire.Errorf(wire.CodeCorrupt, "chunk %d of file %d: crc32c is %d, the message says %d; resend it", t.Index, t.File, sum, *t.CRC32C))
			return
		}
	}
	if f := s.srv.opts.Faults; f != nil {
		if err := f.Chunk(s.conn, t); err != nil {
			s.replyErr(id, toWireError(err))
			return
		}
	}
	if !s.workFrame {
		// Read outside the pipeline (the session is stopping and had no
		// chunkWork to read into): store it now, while the frame is valid.
		s.queued.Wait()
		s.storeChunk(&chunkWork{t: t, u: u, off: off, arrived: arrived})
		return
	}
	w := s.work
	w.t, w.u, w.off, w.arrived = t, u, off, arrived
	s.handOn(w)
}
