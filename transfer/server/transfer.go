package server

import (
	"crypto/sha256"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// handleTransfer checks one chunk, writes it to its partial file and hands
// it to the committer; the Ok goes out once the chunk is durable. Every
// check comes before anything is written.
func (s *session) handleTransfer(payload []byte, raw bool) {
	// Two Transfers: a TRANSFER-RAW's Data aliases the frame buffer, and
	// DecodeTransfer decodes base64 into the Data it is given, so sharing
	// one would decode into the payload being parsed.
	arrived := time.Now()
	var t *wire.Transfer
	var err error
	if raw {
		t = &s.rawTransfer
		err = wire.DecodeRawTransfer(payload, t)
	} else {
		t = &s.transfer
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
	checked, _ := s.srv.st.Chunks.(CheckedChunkWriter)
	if t.CRC32C != nil && checked == nil {
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
		s.send(reply{id: id, chunk: true, file: t.File, index: t.Index, chunkBytes: n, arrived: arrived})
		return
	case fs.pending.Has(t.Index):
		// Written already, commit in progress: just wait for it.
	default:
		c := store.Chunk{Part: store.Part{FID: u.fid, File: t.File}, Index: t.Index, Offset: int64(off), Data: t.Data}
		write := func() error {
			if checked != nil && t.CRC32C != nil {
				return checked.WriteChunkChecked(s.ctx, c, *t.CRC32C)
			}
			return s.srv.st.Chunks.WriteChunk(s.ctx, c)
		}
		if fs.h == nil {
			fs.h = sha256.New()
		}
		var err error
		if off == fs.hashed {
			// Hash while the chunk is stored (an object store's part
			// upload is a round trip); a failed write restarts the hash,
			// which the finisher then reads back.
			written := make(chan error, 1)
			go func() { written <- write() }()
			fs.h.Write(t.Data)
			if err = <-written; err == nil {
				fs.hashed += uint64(n)
			} else {
				fs.h, fs.hashed = nil, 0
			}
		} else {
			err = write()
		}
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
		s.chunks.Add(1)
		s.bytes.Add(int64(n))
	}
	u.mu.Unlock()
	s.commits.Add(1)
	s.srv.commit.enqueue(chunkJob{s: s, u: u, file: t.File, index: t.Index, id: id, size: n, arrived: arrived})
}
