package server

import (
	"context"
	"errors"
	"slices"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// The registry (Server.uploads) holds the in-memory state of every upload
// a session uses, so that two sessions of one upload share it.

// acquireUpload finds, loads or creates the upload req names, checks that
// it belongs to req.Owner with the same files and tags, and takes a
// reference on it for s.
func (srv *Server) acquireUpload(s *session, req *store.Upload) (*upload, error) {
	for {
		srv.mu.Lock()
		if u := srv.uploads[req.FID]; u != nil {
			ch := u.loading
			if ch == nil {
				ch = u.idle // an abort is dropping it
			}
			if ch != nil {
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
			if err := srv.checkUserDir(s.ctx, req.Owner); err != nil {
				srv.releaseUpload(u, s)
				return nil, err
			}
			return u, nil
		}
		placeholder := &upload{fid: req.FID, loading: make(chan struct{})}
		srv.uploads[req.FID] = placeholder
		srv.mu.Unlock()

		u, err := srv.loadOrCreate(s.ctx, req)
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

// loadOrCreate claims upload req.FID where servers share the store, then
// loads it, or creates it.
func (srv *Server) loadOrCreate(ctx context.Context, req *store.Upload) (*upload, error) {
	if err := srv.claimUpload(ctx, req.FID); err != nil {
		return nil, err
	}
	u, err := srv.loadOrCreateClaimed(ctx, req)
	if err != nil {
		srv.releaseClaim(req.FID)
	}
	return u, err
}

// loadOrCreateClaimed loads upload req.FID from the store, or creates it.
func (srv *Server) loadOrCreateClaimed(ctx context.Context, req *store.Upload) (*upload, error) {
	rec, err := srv.st.Uploads.LoadUpload(ctx, req.FID)
	switch {
	case err == nil:
		if err := matches(rec, req); err != nil {
			return nil, err
		}
		if err := srv.checkUserDir(ctx, req.Owner); err != nil {
			return nil, err
		}
		return newUpload(rec), nil
	case !errors.Is(err, store.ErrNotFound):
		srv.log.Error("loading upload", "fid", req.FID, "err", err)
		return nil, wire.Errorf(wire.CodeInternal, "cannot load upload %s", req.FID)
	}
	var chunks uint64
	for _, f := range req.Files {
		chunks += wire.ChunkCount(f.Size, req.ChunkSize)
	}
	if chunks > srv.limits.MaxChunks {
		return nil, wire.Errorf(wire.CodeTooLarge, "the upload needs %d chunks of %d bytes, limit %d; ask for a larger chunk-size", chunks, req.ChunkSize, srv.limits.MaxChunks)
	}
	if err := srv.checkUserDir(ctx, req.Owner); err != nil {
		return nil, err
	}
	if err := srv.st.Uploads.CreateUpload(ctx, req, srv.limits.Quota); err != nil {
		if errors.Is(err, store.ErrQuota) {
			return nil, wire.Errorf(wire.CodeQuota, "%v", err)
		}
		srv.log.Error("creating upload", "fid", req.FID, "err", err)
		return nil, wire.Errorf(wire.CodeInternal, "cannot record upload %s", req.FID)
	}
	if err := srv.st.Chunks.CreatePartials(ctx, req); err != nil {
		srv.log.Error("creating partial files", "fid", req.FID, "err", err)
		if derr := srv.st.Uploads.DeleteUpload(context.WithoutCancel(ctx), req.FID); derr != nil {
			srv.log.Error("undoing upload", "fid", req.FID, "err", derr)
		}
		srv.st.Chunks.RemovePartials(context.WithoutCancel(ctx), req.FID)
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
func (srv *Server) checkUserDir(ctx context.Context, user string) error {
	err := srv.st.Publisher.PrepareUserArea(ctx, user)
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
	if last {
		if srv.uploads[u.fid] == u {
			delete(srv.uploads, u.fid)
		}
		if u.idle != nil {
			close(u.idle)
			u.idle = nil
		}
	}
	srv.mu.Unlock()
	if last {
		srv.releaseClaim(u.fid)
	}
}

// claimUpload claims upload fid if servers share the store, waiting up to
// the frame timeout for the server holding it to let go.
func (srv *Server) claimUpload(ctx context.Context, fid uuid.UUID) error {
	c, ok := srv.st.Uploads.(UploadClaimer)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, srv.limits.FrameTimeout)
	defer cancel()
	if err := c.ClaimUpload(ctx, fid, func() { srv.claimLost(fid) }); err != nil {
		srv.log.Warn("claiming upload", "fid", fid, "err", err)
		return wire.Errorf(wire.CodeBusy, "upload %s is being served by another server that has not let go; try again", fid)
	}
	return nil
}

// releaseClaim releases one claim of upload fid.
func (srv *Server) releaseClaim(fid uuid.UUID) {
	if c, ok := srv.st.Uploads.(UploadClaimer); ok {
		if err := c.ReleaseUpload(context.Background(), fid); err != nil {
			srv.log.Warn("releasing upload claim", "fid", fid, "err", err)
		}
	}
}

// claimLost is called when another server claims upload fid: its session
// here stops (answers owed are still sent, chunks read are committed),
// and the last reference dropped releases the claim.
func (srv *Server) claimLost(fid uuid.UUID) {
	srv.mu.Lock()
	u := srv.uploads[fid]
	if u == nil || u.loading != nil {
		srv.mu.Unlock()
		return
	}
	delete(srv.uploads, fid)
	srv.mu.Unlock()
	u.mu.Lock()
	old := u.session
	u.session = nil
	u.markBroken(errClaimedElsewhere)
	u.mu.Unlock()
	srv.log.Info("another server took the upload over", "fid", fid)
	if old != nil {
		old.stopReading()
	}
}
