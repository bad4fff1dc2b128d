package server

import (
	"fmt"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// handleAuthentication answers an AUTHENTICATION frame. The token is
// verified before the file list is decoded, and the list is decoded with
// the limits applied, so that a stranger's payload costs little memory.
func (s *session) handleAuthentication(payload []byte) {
	head, err := wire.DecodeAuthenticationHead(payload)
	if err != nil {
		s.replyErr(messageID(payload), toWireError(err))
		return
	}
	if len(head.MessageID) > MaxMessageID {
		s.replyErr("", wire.Errorf(wire.CodeBadRequest, "message-id is %d bytes, limit %d", len(head.MessageID), MaxMessageID))
		return
	}
	resp, err := s.authenticate(head, payload)
	if err != nil {
		we := toWireError(err)
		s.log.Info("authentication refused", "fid", truncate(head.FID, 64), "code", we.Code, "reason", we.Reason)
		s.replyErr(head.MessageID, we)
		return
	}
	s.send(reply{full: resp})
}

func (s *session) authenticate(head *wire.AuthenticationHead, payload []byte) (*wire.Response, error) {
	srv := s.srv
	if s.up != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "this connection is already authenticated for upload %s; open another connection for another upload", s.up.fid)
	}
	if f := srv.opts.Faults; f != nil {
		if err := f.Authenticate(s.conn, &wire.Authentication{MessageID: head.MessageID, Token: head.Token, FID: head.FID}); err != nil {
			return nil, err
		}
	}
	user, werr := s.identify(head.Token)
	if werr != nil {
		return nil, werr
	}
	if head.Token != "" {
		s.user = user
	}
	fid, err := uuid.Parse(head.FID)
	if err != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "fid %q is not a UUID", truncate(head.FID, 64))
	}
	if head.Abort {
		if err := srv.abortUpload(s.ctx, user, fid); err != nil {
			return nil, err
		}
		resp := wire.OKResponse(head.MessageID)
		resp.Aborted = true
		return resp, nil
	}
	a, err := wire.DecodeAuthenticationLimited(payload, srv.limits.MaxFiles, srv.limits.MaxTags)
	if err != nil {
		return nil, err
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
	return srv.authOK(head.MessageID, u), nil
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
			resp.Complete = append(resp.Complete, wire.FileDigest{File: i, SHA256: fs.done.SHA256, Stored: fs.done.Stored})
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
		resp.Extensions = append(resp.Extensions, wire.ExtensionRawTransfer)
	}
	resp.Extensions = append(resp.Extensions, wire.ExtensionList, wire.ExtensionRemove)
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
