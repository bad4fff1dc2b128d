package client

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

func TestUploadRoundTrip(t *testing.T) {
	t.Parallel()
	for _, raw := range []bool{true, false} {
		name := map[bool]string{true: "raw", false: "json"}[raw]
		t.Run(name, func(t *testing.T) {
			srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.DisableRawTransfer = !raw }))
			dir := t.TempDir()
			a, da := writeFile(t, dir, "a.bin", 3<<20+123, 1)
			b, db := writeFile(t, dir, "b.bin", testChunk, 2)
			empty, _ := writeFile(t, dir, "empty", 0, 3)
			e, rec := newEngine(t, testOptions(t, srv.URL(), StaticToken(srv.Token("alice"))))
			fid, err := e.Start(Spec{
				Files: []LocalFile{{Path: a, Name: "a.bin"}, {Path: b, Name: "b.bin"}, {Path: empty, Name: "empty"}},
				Tags:  []string{"t1", "t2"},
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := wait(t, e, fid); err != nil {
				t.Fatalf("upload failed: %v", err)
			}
			checkStored(t, srv, "alice", map[string][]byte{"a.bin": da, "b.bin": db, "empty": {}})
			for _, f := range srv.Files("alice") {
				if strings.Join(f.Tags, ",") != "t1,t2" {
					t.Errorf("%s has tags %v", f.Name, f.Tags)
				}
			}
			rec.waitFor(fid, "done", 10*time.Second, func(u *uploadLog) bool { return u.final })
			u := rec.log(fid)
			chunks := int(wire.ChunkCount(uint64(len(da)), testChunk) + 1)
			if len(u.sent) != chunks || len(u.acked) != chunks || len(u.resent) != 0 {
				t.Errorf("%d sent, %d acknowledged, %d resent; want %d, %d, 0", len(u.sent), len(u.acked), len(u.resent), chunks, chunks)
			}
			if want := uint64(len(da) + len(db)); u.wireBytes != want {
				t.Errorf("wire bytes %d, want %d", u.wireBytes, want)
			}
			if got := u.states; got[0] != StateQueued || got[len(got)-1] != StateDone || u.count(StateSending) != 1 {
				t.Errorf("states %v", got)
			}
			if left, _ := e.Unfinished(); len(left) != 0 {
				t.Errorf("journal keeps %d entries after success", len(left))
			}
			if _, err := os.Stat(filepath.Join(e.journal.dir, fid+".json")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("journal entry still there: %v", err)
			}
		})
	}
}

func TestQuotaStopsAtOnce(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.WithLimits(server.Limits{Quota: 1 << 20}))
	path, _ := writeFile(t, t.TempDir(), "big.bin", 2<<20, 4)
	o := testOptions(t, srv.URL(), StaticToken(srv.Token("alice")))
	o.Retry.Attempts = 0 // unlimited: the upload must still stop at once
	e, rec := newEngine(t, o)
	fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "big.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	err = wait(t, e, fid)
	if !errors.Is(err, wire.ErrQuota) {
		t.Fatalf("err = %v, want quota", err)
	}
	rec.waitFor(fid, "failed", 10*time.Second, func(u *uploadLog) bool { return u.final })
	u := rec.log(fid)
	if n := u.count(StateConnecting); n != 1 || u.count(StateBackingOff) != 0 {
		t.Fatalf("%d connections, %d backoffs (states %v); want one and none", n, u.count(StateBackingOff), u.states)
	}
	last := u.sessions[len(u.sessions)-1]
	if last.State != StateFailed || !errors.Is(last.Err, wire.ErrQuota) {
		t.Fatalf("final event %+v", last)
	}
	t.Logf("quota refusal: %v", err)
}
