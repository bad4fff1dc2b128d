package s3store_test

import (
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"

	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/store/pgmeta"
	"github.com/hoist-dev/hoist/transfer/store/pgmeta/pgtest"
	"github.com/hoist-dev/hoist/transfer/store/s3store"
	"github.com/hoist-dev/hoist/transfer/store/s3store/s3test"
	"github.com/hoist-dev/hoist/transfer/store/storetest"
)

// inCI reports whether missing servers must fail the tests.
func inCI() bool { return os.Getenv("CI") == "true" }

// cluster is the storage of one server of a cluster: metadata in
// PostgreSQL, bytes in the object store.
type cluster struct {
	url    string
	bucket string
	// maxParts lowers the parts per object, so that small files take the
	// segmented path.
	maxParts uint64
}

// open opens the cluster storage c, closed when t ends.
func (c cluster) open(t *testing.T, gw *s3test.Server) (server.Storage, *pgmeta.Store, *s3store.Store) {
	t.Helper()
	ps, err := pgmeta.Open(t.Context(), c.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ps.Close() })
	ss, err := s3store.New(t.Context(), s3store.Options{
		Bucket: c.bucket, Prefix: "hoist", Endpoint: gw.Endpoint, PathStyle: true, Names: ps, MaxParts: c.maxParts,
	})
	if err != nil {
		t.Fatal(err)
	}
	return server.Storage{Uploads: ps, Chunks: ss, Publisher: ss, Records: ps}, ps, ss
}

// TestClusterConformance runs the conformance suite against the cluster
// backend: PostgreSQL metadata and S3 data (versitygw).
func TestClusterConformance(t *testing.T) { runClusterConformance(t, 0) }

// TestClusterConformanceSegmented runs it with objects of at most four
// parts, so that files of more chunks are written in segments and
// composed with UploadPartCopy, as files of over 10,000 chunks are.
func TestClusterConformanceSegmented(t *testing.T) { runClusterConformance(t, 4) }

func runClusterConformance(t *testing.T, maxParts uint64) {
	pg := pgtest.Start(t, inCI())
	gw := s3test.Start(t, inCI())
	gw.SetCredentials(t)
	opened := map[*pgmeta.Store]cluster{}
	open := func(t *testing.T, c cluster) server.Storage {
		st, ps, _ := c.open(t, gw)
		opened[ps] = c
		return st
	}
	storetest.Run(t, storetest.Backend{
		ChunkSize: s3store.MinPartSize,
		Open: func(t *testing.T) server.Storage {
			return open(t, cluster{pg.NewDatabase(t), gw.NewBucket(t), maxParts})
		},
		Reopen: func(t *testing.T, st server.Storage) server.Storage {
			ps := st.Uploads.(*pgmeta.Store)
			ps.Close()
			return open(t, opened[ps])
		},
		ReadFile: func(t *testing.T, st server.Storage, owner, stored string) []byte {
			return readPublished(t, st, owner, stored)
		},
	})
}

// readPublished returns the bytes of owner's file stored, found through
// its name's reservation.
func readPublished(t *testing.T, st server.Storage, owner, stored string) []byte {
	t.Helper()
	ps, ss := st.Uploads.(*pgmeta.Store), st.Chunks.(*s3store.Store)
	fid, index, err := ps.NameOwner(t.Context(), owner, stored)
	if err != nil {
		t.Fatalf("name %s of %s: %v", stored, owner, err)
	}
	r, err := ss.Open(t.Context(), fid, index, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPingAndUsage: the cluster backends answer the readiness check, and
// the database sums the users' usage.
func TestPingAndUsage(t *testing.T) {
	pg := pgtest.Start(t, inCI())
	gw := s3test.Start(t, inCI())
	gw.SetCredentials(t)
	st, ps, ss := cluster{pg.NewDatabase(t), gw.NewBucket(t), 0}.open(t, gw)
	if err := ps.Ping(t.Context()); err != nil {
		t.Fatalf("pinging PostgreSQL: %v", err)
	}
	if err := ss.Ping(t.Context()); err != nil {
		t.Fatalf("pinging the bucket: %v", err)
	}
	for _, owner := range []string{"a", "b"} {
		u := &store.Upload{FID: uuid.New(), Owner: owner, ChunkSize: s3store.MinPartSize, Created: time.Now(),
			Files: []store.FileInfo{{Name: "f", Size: 100}}}
		if err := st.Uploads.CreateUpload(t.Context(), u, 0); err != nil {
			t.Fatal(err)
		}
	}
	if completed, reserved, err := ps.TotalUsage(t.Context()); err != nil || completed != 0 || reserved != 200 {
		t.Fatalf("TotalUsage = %d completed, %d reserved, %v; want 0, 200", completed, reserved, err)
	}
}

// RemovePartials aborts every multipart upload of an upload, however many
// pages the listing of them takes (the janitor relies on it to leave
// nothing of an expired upload behind).
func TestRemovePartialsAbortsEveryPage(t *testing.T) {
	pg := pgtest.Start(t, inCI())
	gw := s3test.Start(t, inCI())
	gw.SetCredentials(t)
	ps, err := pgmeta.Open(t.Context(), pg.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ps.Close() })
	bucket := gw.NewBucket(t)
	ss, err := s3store.New(t.Context(), s3store.Options{
		Bucket: bucket, Prefix: "hoist", Endpoint: gw.Endpoint, PathStyle: true, Names: ps, ListPage: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	u := &store.Upload{FID: uuid.New(), Owner: "a", ChunkSize: s3store.MinPartSize, Created: time.Now()}
	for i := range 7 {
		u.Files = append(u.Files, store.FileInfo{Name: fmt.Sprint("f", i), Size: 100})
	}
	if err := ss.CreatePartials(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	pending := func() int {
		out, err := ss.Client().ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String("hoist/")})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Uploads)
	}
	if n := pending(); n != 7 {
		t.Fatalf("%d multipart uploads after CreatePartials, want 7", n)
	}
	if err := ss.RemovePartials(t.Context(), u.FID); err != nil {
		t.Fatal(err)
	}
	if n := pending(); n != 0 {
		t.Fatalf("%d multipart uploads left after RemovePartials", n)
	}
}
