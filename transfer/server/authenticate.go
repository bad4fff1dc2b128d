package server

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// handleAuthentication answers an AUTHENTICATION frame.
func (s *session) handleAuthentication(payload []byte) {
	a, err := wire.DecodeAuthentication(payload)
	if err != nil {
		s.replyErr(messageID(payload), toWireError(err))
		return
	}
	if len(a.MessageID) > MaxMessageID {
		s.replyErr("", wire.Errorf(wire.CodeBadRequest, "message-id is %d bytes, limit %d", len(a.MessageID), MaxMessageID))
		return
	}
	resp, err := s.authenticate(a)
	if err != nil {
		we := toWireError(err)
		s.log.Info("authentication refused", "fid", a.FID, "code", we.Code, "reason", we.Reason)
		s.replyErr(a.MessageID, we)
		return
	}
	s.send(reply{full: resp})
}

func (s *session) authenticate(a *wire.Authentication) (*wire.Response, error) {
	srv := s.srv
	if s.up != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "this connection is already authenticated for upload %s; open another connection for another upload", s.up.fid)
	}
	if f := srv.opts.Faults; f != nil {
		if err := f.Authenticate(s.conn, a); err != nil {
			return nil, err
		}
	}
	user, err := srv.opts.Verifier.Verify(a.Token)
	if err != nil {
		return nil, wire.Errorf(wire.CodeUnauthorized, "%v", err)
	}
	if err := store.SafeName(user); err != nil {
		return nil, wire.Errorf(wire.CodeUnauthorized, "the token's subject cannot name a user: %v", err)
	}
	fid, err := uuid.Parse(a.FID)
	if err != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "fid %q is not a UUID", truncate(a.FID, 64))
	}
	req, werr := srv.checkRequest(a)
	if werr != nil {
		return nil, werr
	}
	req.FID, req.Owner, req.Created = fid, user, srv.now()
	u, err := srv.acquireUpload(s, req)
	if err != nil {
		return nil, err
	}
	if err := s.takeOver(u); err != nil {
		srv.releaseUpload(u, s)
		return nil, err
	}
	if err := srv.finishHeldFiles(s, u); err != nil {
		srv.releaseUpload(u, s)
		return nil, err
	}
	s.up = u
	s.log = s.log.With("user", user, "fid", fid.String())
	return srv.authOK(a.MessageID, u), nil
}

// checkRequest validates an AUTHENTICATION's files, tags and chunk size
// against the limits and returns them as an upload record.
func (srv *Server) checkRequest(a *wire.Authentication) (*store.Upload, *wire.Error) {
	lim := srv.limits
	if len(a.Files) == 0 {
		return nil, wire.Errorf(wire.CodeBadRequest, "an upload needs at least one file")
	}
	if len(a.Files) > lim.MaxFiles {
		return nil, wire.Errorf(wire.CodeTooLarge, "%d files in one upload, limit %d", len(a.Files), lim.MaxFiles)
	}
	files := make([]store.FileInfo, len(a.Files))
	var total uint64
	for i, f := range a.Files {
		if err := store.SafeName(f.Name); err != nil {
			return nil, wire.Errorf(wire.CodeBadRequest, "file %d: %v", i, err)
		}
		if f.Size > uint64(lim.MaxFileSize) {
			return nil, wire.Errorf(wire.CodeTooLarge, "file %d (%s) is %d bytes, limit %d", i, f.Name, f.Size, lim.MaxFileSize)
		}
		if f.Size > 1<<63-1-total {
			return nil, wire.Errorf(wire.CodeTooLarge, "the file sizes add up to more than %d bytes", int64(1<<63-1))
		}
		total += f.Size
		files[i] = store.FileInfo{Name: f.Name, Size: f.Size}
	}
	if lim.Quota > 0 && total > uint64(lim.Quota) {
		return nil, wire.Errorf(wire.CodeQuota, "the upload is %d bytes, more than the quota of %d", total, lim.Quota)
	}
	tags, werr := srv.checkTags(a.Tags)
	if werr != nil {
		return nil, werr
	}
	cs := a.ChunkSize
	switch {
	case cs < 0:
		return nil, wire.Errorf(wire.CodeBadRequest, "chunk-size %d is negative", cs)
	case cs == 0:
		cs = wire.DefaultChunkSize
	}
	cs = min(cs, lim.MaxChunkSize)
	return &store.Upload{Files: files, Tags: tags, ChunkSize: cs}, nil
}

// checkTags validates tags and returns them sorted without duplicates:
// tags are a set, so their order does not matter on resume.
func (srv *Server) checkTags(in []string) ([]string, *wire.Error) {
	lim := srv.limits
	if len(in) > lim.MaxTags {
		return nil, wire.Errorf(wire.CodeBadRequest, "%d tags, limit %d", len(in), lim.MaxTags)
	}
	tags := slices.Clone(in)
	for i, t := range tags {
		switch {
		case t == "":
			return nil, wire.Errorf(wire.CodeBadRequest, "tag %d is empty", i)
		case len(t) > lim.MaxTagLength:
			return nil, wire.Errorf(wire.CodeBadRequest, "tag %d is %d bytes, limit %d", i, len(t), lim.MaxTagLength)
		case !utf8.ValidString(t):
			return nil, wire.Errorf(wire.CodeBadRequest, "tag %d is not valid UTF-8", i)
		case strings.ContainsRune(t, ','):
			return nil, wire.Errorf(wire.CodeBadRequest, "tag %q contains a comma", t)
		case strings.IndexFunc(t, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
			return nil, wire.Errorf(wire.CodeBadRequest, "tag %q contains a control or non-printable character", truncate(t, 64))
		}
	}
	slices.Sort(tags)
	return slices.Compact(tags), nil
}

// acquireUpload finds, loads or creates the upload req names, checks that
// it belongs to req.Owner with the same files and tags, and takes a
// reference on it for s.
func (srv *Server) acquireUpload(s *session, req *store.Upload) (*upload, error) {
	for {
		srv.mu.Lock()
		if u := srv.uploads[req.FID]; u != nil {
			if ch := u.loading; ch != nil {
				srv.mu.Unlock()
				select {
				case <-ch:
					continue
				case <-s.ctx.Done():
					return nil, wire.Errorf(wire.CodeBusy, "server is stopping")
				}
			}
			if err := matches(u.rec, req); err != nil {
				srv.mu.Unlock()
				return nil, err
			}
			u.refs++
			srv.mu.Unlock()
			if err := srv.checkUserDir(req.Owner); err != nil {
				srv.releaseUpload(u, s)
				return nil, err
			}
			return u, nil
		}
		placeholder := &upload{fid: req.FID, loading: make(chan struct{})}
		srv.uploads[req.FID] = placeholder
		srv.mu.Unlock()

		u, err := srv.loadOrCreate(req)
		srv.mu.Lock()
		delete(srv.uploads, req.FID)
		if err == nil {
			u.refs = 1
			srv.uploads[req.FID] = u
		}
		close(placeholder.loading)
		srv.mu.Unlock()
		return u, err
	}
}

// loadOrCreate loads upload req.FID from the store, or creates it.
func (srv *Server) loadOrCreate(req *store.Upload) (*upload, error) {
	rec, err := srv.store.LoadUpload(req.FID)
	switch {
	case err == nil:
		if err := matches(rec, req); err != nil {
			return nil, err
		}
		if err := srv.checkUserDir(req.Owner); err != nil {
			return nil, err
		}
		return newUpload(rec), nil
	case !errors.Is(err, store.ErrNotFound):
		srv.log.Error("loading upload", "fid", req.FID, "err", err)
		return nil, wire.Errorf(wire.CodeInternal, "cannot load upload %s", req.FID)
	}
	var chunks uint64
	for _, f := range req.Files {
		chunks += chunkCount(f.Size, req.ChunkSize)
	}
	if chunks > srv.limits.MaxChunks {
		return nil, wire.Errorf(wire.CodeTooLarge, "the upload needs %d chunks of %d bytes, limit %d; ask for a larger chunk-size", chunks, req.ChunkSize, srv.limits.MaxChunks)
	}
	if err := srv.checkUserDir(req.Owner); err != nil {
		return nil, err
	}
	if err := srv.store.CreateUpload(req, srv.limits.Quota); err != nil {
		if errors.Is(err, store.ErrQuota) {
			return nil, wire.Errorf(wire.CodeQuota, "%v", err)
		}
		srv.log.Error("creating upload", "fid", req.FID, "err", err)
		return nil, wire.Errorf(wire.CodeInternal, "cannot record upload %s", req.FID)
	}
	if err := srv.store.CreatePartials(req); err != nil {
		srv.log.Error("creating partial files", "fid", req.FID, "err", err)
		if derr := srv.store.DeleteUpload(req.FID); derr != nil {
			srv.log.Error("undoing upload", "fid", req.FID, "err", derr)
		}
		srv.store.RemovePartials(req.FID)
		if errors.Is(err, store.ErrNoSpace) {
			return nil, wire.Errorf(wire.CodeInternal, "the server has no disk space for %d bytes now; try again later", req.TotalSize())
		}
		return nil, wire.Errorf(wire.CodeInternal, "cannot create the upload's files")
	}
	srv.log.Info("upload created", "fid", req.FID, "user", req.Owner, "files", len(req.Files), "bytes", req.TotalSize(), "chunk_size", req.ChunkSize, "tags", req.Tags)
	req.Held = make([]store.Bitset, len(req.Files))
	return newUpload(req), nil
}

// matches checks that an existing upload may be resumed with req.
func matches(rec, req *store.Upload) *wire.Error {
	if rec.Owner != req.Owner {
		return wire.Errorf(wire.CodeForbidden, "upload %s belongs to another user", req.FID)
	}
	if !slices.Equal(rec.Files, req.Files) || !slices.Equal(rec.Tags, req.Tags) {
		return wire.Errorf(wire.CodeConflict, "upload %s was started with other files or tags; use a new fid for a new upload", req.FID)
	}
	return nil
}

// checkUserDir makes sure the user's directory is usable.
func (srv *Server) checkUserDir(user string) error {
	err := srv.store.EnsureUserDir(user)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrUnsafeArea):
		srv.log.Error("refusing to store in an unsafe user directory", "user", user, "err", err)
		return wire.Errorf(wire.CodeForbidden, "your storage area on the server is not a plain directory; ask the server's operator")
	}
	srv.log.Error("preparing user directory", "user", user, "err", err)
	return wire.Errorf(wire.CodeInternal, "cannot prepare your storage area")
}

// releaseUpload drops s's reference to u.
func (srv *Server) releaseUpload(u *upload, s *session) {
	u.mu.Lock()
	if u.session == s {
		u.session = nil
	}
	u.mu.Unlock()
	srv.mu.Lock()
	u.refs--
	last := u.refs == 0
	if last && srv.uploads[u.fid] == u {
		delete(srv.uploads, u.fid)
	}
	srv.mu.Unlock()
	if last {
		u.closeFiles()
	}
}

// takeOver makes s the session allowed to send u's chunks. A session that
// had it stops reading; takeOver waits until every chunk that session
// received is committed, so that missing ranges computed next are exact.
func (s *session) takeOver(u *upload) error {
	u.mu.Lock()
	old := u.session
	u.session = s
	u.mu.Unlock()
	if old == nil || old == s {
		return nil
	}
	s.log.Info("taking the upload over from another connection", "old_remote", old.remote)
	old.stopReading()
	select {
	case <-old.committed:
		return nil
	case <-s.ctx.Done():
		return wire.Errorf(wire.CodeBusy, "server is stopping")
	}
}

// finishHeldFiles completes the files of u that have every chunk but are
// not complete: empty files, and files whose completion a crash or an
// error interrupted. It waits for the finisher.
func (srv *Server) finishHeldFiles(s *session, u *upload) error {
	var waits []chan error
	u.mu.Lock()
	for i, fs := range u.files {
		if fs.done == nil && !fs.finishing && fs.heldCount == fs.chunks {
			fs.finishing = true
			ch := make(chan error, 1)
			waits = append(waits, ch)
			srv.finish.enqueue(finishJob{u: u, file: i, done: ch})
		}
	}
	broken := u.broken
	u.mu.Unlock()
	for _, ch := range waits {
		select {
		case err := <-ch:
			if err != nil {
				return err
			}
		case <-s.ctx.Done():
			return wire.Errorf(wire.CodeBusy, "server is stopping")
		}
	}
	if broken != nil {
		return wire.Errorf(wire.CodeInternal, "upload state lost after a storage error; reconnect")
	}
	return nil
}

// authOK builds the Ok to an AUTHENTICATION.
func (srv *Server) authOK(id string, u *upload) *wire.Response {
	resp := wire.OKResponse(id)
	resp.ChunkSize = u.rec.ChunkSize
	resp.Missing = make([][]wire.Range, len(u.files))
	var gaps [][2]uint64
	u.mu.Lock()
	for i, fs := range u.files {
		resp.Missing[i] = []wire.Range{}
		if fs.done != nil {
			resp.Complete = append(resp.Complete, wire.FileDigest{File: i, SHA256: fs.done.SHA256})
			continue
		}
		gaps = fs.held.Gaps(gaps[:0], fs.chunks)
		for _, g := range gaps {
			resp.Missing[i] = append(resp.Missing[i], wire.Range(g))
		}
	}
	u.mu.Unlock()
	coarsen(resp.Missing, maxMissingRanges)
	if !srv.opts.DisableRawTransfer {
		resp.Extensions = []string{wire.ExtensionRawTransfer}
	}
	return resp
}

// maxMissingRanges bounds the ranges in one Ok so that it fits a frame
// (each range costs at most about 45 bytes of JSON).
const maxMissingRanges = 150_000

// coarsen merges neighbouring ranges, smallest gaps first in effect, until
// at most limit remain. Merged ranges include chunks the server holds; a
// client sending those gets an Ok without anything being rewritten.
func coarsen(missing [][]wire.Range, limit int) {
	count := func() int {
		n := 0
		for _, rs := range missing {
			n += len(rs)
		}
		return n
	}
	for gap := uint64(1); count() > limit; gap *= 2 {
		for i, rs := range missing {
			out := rs[:0]
			for _, r := range rs {
				if n := len(out); n > 0 && r[0]-out[n-1][1] <= gap {
					out[n-1][1] = r[1]
					continue
				}
				out = append(out, r)
			}
			missing[i] = out
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s...", s[:n])
}
