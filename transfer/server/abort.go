package server

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// abortUpload drops user's unfinished upload fid: its partial data, its
// record and its quota reservation, at once. A session using the upload
// is taken over first (it stops reading; the chunks it read are committed
// and answered). Files the upload completed stay. An fid the server does
// not know is no error: afterwards, the server holds nothing of it.
func (srv *Server) abortUpload(ctx context.Context, user string, fid uuid.UUID) error {
	var placeholder *upload
	for placeholder == nil {
		srv.mu.Lock()
		u := srv.uploads[fid]
		switch {
		case u == nil:
			// A placeholder makes authentications for fid wait until the
			// upload is gone.
			placeholder = &upload{fid: fid, loading: make(chan struct{})}
			srv.uploads[fid] = placeholder
			srv.mu.Unlock()
			continue
		case u.loading != nil:
			ch := u.loading
			srv.mu.Unlock()
			if err := waitFor(ctx, ch); err != nil {
				return err
			}
			continue
		case u.rec.Owner != user:
			srv.mu.Unlock()
			return wire.Errorf(wire.CodeForbidden, "upload %s belongs to another user", fid)
		}
		// In use: stop its session and wait until no session holds it.
		if u.idle == nil {
			u.idle = make(chan struct{})
		}
		idle := u.idle
		srv.mu.Unlock()
		u.mu.Lock()
		sess := u.session
		u.mu.Unlock()
		if sess != nil {
			sess.stopReading()
		}
		if err := waitFor(ctx, idle); err != nil {
			return err
		}
	}
	defer func() {
		srv.mu.Lock()
		delete(srv.uploads, fid)
		close(placeholder.loading)
		srv.mu.Unlock()
	}()
	// Dropping is not abandoned halfway once it started.
	ctx = context.WithoutCancel(ctx)
	rec, err := srv.st.Uploads.LoadUpload(ctx, fid)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return srv.removeOrphan(ctx, fid)
	case err != nil:
		srv.log.Error("loading an upload to drop it", "fid", fid, "err", err)
		return wire.Errorf(wire.CodeInternal, "cannot load upload %s; try again later", fid)
	case rec.Owner != user:
		return wire.Errorf(wire.CodeForbidden, "upload %s belongs to another user", fid)
	}
	if err := srv.st.Uploads.DeleteUpload(ctx, fid); err != nil {
		srv.log.Error("dropping upload", "fid", fid, "err", err)
		return wire.Errorf(wire.CodeInternal, "cannot drop upload %s; try again later", fid)
	}
	if err := srv.st.Chunks.RemovePartials(ctx, fid); err != nil {
		// The record is gone: the next start's sweep removes the data.
		srv.log.Warn("removing the partial data of a dropped upload", "fid", fid, "err", err)
	}
	srv.log.Info("upload dropped at the client's request", "fid", fid, "user", user, "bytes", rec.TotalSize())
	return nil
}

// removeOrphan removes partial data left without a record (a crash between
// the two deletions); there is nothing else to drop.
func (srv *Server) removeOrphan(ctx context.Context, fid uuid.UUID) error {
	if err := srv.st.Chunks.RemovePartials(ctx, fid); err != nil {
		srv.log.Warn("removing partial data", "fid", fid, "err", err)
	}
	return nil
}

// waitFor waits until ch is closed or ctx is done.
func waitFor(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return wire.Errorf(wire.CodeBusy, "server is stopping")
	}
}
