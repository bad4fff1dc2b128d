package server

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
)

// janitor forgets uploads untouched for PartialExpiry, deleting their
// partial data, until ctx is done.
func (srv *Server) janitor(ctx context.Context) {
	interval := srv.opts.JanitorInterval
	if interval <= 0 {
		interval = min(srv.limits.PartialExpiry/8, time.Hour)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		srv.purgeExpired()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// purgeExpired forgets every expired upload no session is using.
func (srv *Server) purgeExpired() {
	before := srv.now().Add(-srv.limits.PartialExpiry)
	ctx := context.Background()
	fids, err := srv.st.Uploads.Untouched(ctx, before)
	if err != nil {
		srv.log.Error("looking for expired uploads", "err", err)
		return
	}
	for _, fid := range fids {
		srv.mu.Lock()
		if _, active := srv.uploads[fid]; active {
			srv.mu.Unlock()
			continue
		}
		// A placeholder makes authentications for fid wait until it is gone.
		placeholder := &upload{fid: fid, loading: make(chan struct{})}
		srv.uploads[fid] = placeholder
		srv.mu.Unlock()

		unfinished := srv.unfinished(ctx, fid)
		err := srv.st.Uploads.DeleteUpload(ctx, fid)
		if err == nil {
			err = srv.st.Chunks.RemovePartials(ctx, fid)
		}
		if err != nil {
			srv.log.Error("forgetting expired upload", "fid", fid, "err", err)
		} else {
			if unfinished {
				srv.obs.UploadExpired()
			}
			srv.log.Info("forgot expired upload", "unfinished", unfinished, "fid", fid, "untouched_for_more_than", srv.limits.PartialExpiry)
		}

		srv.mu.Lock()
		delete(srv.uploads, fid)
		close(placeholder.loading)
		srv.mu.Unlock()
	}
}

// unfinished reports whether upload fid has files not complete (true if
// it cannot be read: the expiry then counts as one).
func (srv *Server) unfinished(ctx context.Context, fid uuid.UUID) bool {
	u, err := srv.st.Uploads.LoadUpload(ctx, fid)
	return err != nil || slices.Contains(u.Done, nil)
}
