package server_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// abortMsg is the request to drop upload fid.
func abortMsg(token string, fid uuid.UUID) *wire.Authentication {
	return &wire.Authentication{MessageID: uuid.NewString(), Token: token, FID: fid.String(), Abort: true}
}

// TestAbortReleasesQuota: with a quota of 10 MiB, an unfinished 8 MiB
// upload holds the quota; dropping it (while its connection is still
// open) removes its partial data and record, closes that connection, and
// a new 8 MiB upload is accepted at once.
func TestAbortReleasesQuota(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.WithLimits(server.Limits{Quota: 10 << 20, MaxChunkSize: 1 << 20}))
	big := randomFile(t, "big.bin", 8<<20)
	fid := uuid.New()
	c1 := dial(t, srv)
	c1.mustAuth(authMsg(srv.Token("alice"), fid, []file{big}, nil, 1<<20))
	for k, r := range c1.sendChunks(0, big.data, []uint64{0, 1, 2, 3}, true) {
		if !r.OK() {
			t.Fatalf("chunk %d: %v", k, r.Err())
		}
	}
	again := randomFile(t, "again.bin", 8<<20)
	r := dial(t, srv).authenticate(authMsg(srv.Token("alice"), uuid.New(), []file{again}, nil, 1<<20))
	expectError(t, r, wire.CodeQuota)

	// Someone else cannot drop it.
	r = dial(t, srv).authenticate(abortMsg(srv.Token("mallory"), fid))
	expectError(t, r, wire.CodeForbidden)

	r = dial(t, srv).authenticate(abortMsg(srv.Token("alice"), fid))
	if !r.OK() || !r.Aborted {
		t.Fatalf("abort answered %+v, want Ok with aborted", r)
	}
	c1.expectClosed()
	if _, err := os.Stat(filepath.Join(srv.Root(), "partial", fid.String())); !os.IsNotExist(err) {
		t.Fatalf("partial data of the dropped upload: %v", err)
	}
	c := dial(t, srv)
	c.mustAuth(authMsg(srv.Token("alice"), uuid.New(), []file{again}, nil, 1<<20))

	// Dropping what the server does not hold (again, or never) is Ok.
	for _, id := range []uuid.UUID{fid, uuid.New()} {
		r = dial(t, srv).authenticate(abortMsg(srv.Token("alice"), id))
		if !r.OK() || !r.Aborted {
			t.Fatalf("abort of an upload the server does not hold: %+v", r)
		}
	}
	// The same fid then starts a new, empty upload.
	r = dial(t, srv).authenticate(authMsg(srv.Token("bob"), fid, []file{randomFile(t, "b", 10)}, nil, 0))
	if !r.OK() || len(r.Missing[0]) != 1 {
		t.Fatalf("the fid after its drop: %+v", r)
	}
	// A connection bound to an upload cannot drop one (open another).
	r = c.authenticate(abortMsg(srv.Token("alice"), fid))
	expectError(t, r, wire.CodeBadRequest)
}
