package s3store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"
	dto "github.com/prometheus/client_model/go"

	"github.com/hoist-dev/hoist/internal/metrics"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/store/pgmeta"
	"github.com/hoist-dev/hoist/transfer/store/pgmeta/pgtest"
	"github.com/hoist-dev/hoist/transfer/store/s3store"
	"github.com/hoist-dev/hoist/transfer/store/s3store/s3test"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// callCounts returns, by operation, the observations of the histogram
// family name and the value of the counter family name in m's registry.
func callCounts(t *testing.T, m *metrics.Metrics, name string) map[string]float64 {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		out := map[string]float64{}
		for _, s := range f.GetMetric() {
			var op string
			for _, l := range s.GetLabel() {
				if l.GetName() == "operation" {
					op = l.GetValue()
				}
			}
			if f.GetType() == dto.MetricType_HISTOGRAM {
				out[op] = float64(s.GetHistogram().GetSampleCount())
			} else {
				out[op] = s.GetCounter().GetValue()
			}
		}
		return out
	}
	t.Fatalf("%s is not registered", name)
	return nil
}

// TestBackendCallMetrics: an upload through a server on the cluster
// backends records the object-store and database calls it makes under
// their operation names, none as "other" and none as errors; a call to a
// bucket that is gone and a call on a closed database pool each move the
// error counter of their operation by one.
func TestBackendCallMetrics(t *testing.T) {
	pg := pgtest.Start(t, inCI())
	gw := s3test.Start(t, inCI())
	gw.SetCredentials(t)
	m := metrics.New()
	ps, err := pgmeta.Open(t.Context(), pg.NewDatabase(t), pgmeta.WithCalls(m.MetadataCalls()))
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	ss, err := s3store.New(t.Context(), s3store.Options{
		Bucket: gw.NewBucket(t), Prefix: "hoist", Endpoint: gw.Endpoint, PathStyle: true, Names: ps, Calls: m.ObjectStoreCalls(),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) {
		o.Storage = server.Storage{Uploads: ps, Chunks: ss, Publisher: ss, Records: ps}
	}))

	data := []byte("bytes for the object store")
	fid := uuid.New()
	c := dialWire(t, srv.Addr())
	hello, err := wire.EncodeJSON(&wire.Authentication{MessageID: "a", Token: srv.Token("alice"), FID: fid.String(),
		Files: []wire.FileInfo{{Name: "m.txt", Size: uint64(len(data))}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.call(wire.TypeAuthentication, hello); !r.OK() {
		t.Fatalf("authentication: %+v", r)
	}
	if r := c.transfer(fid, 0, data, wire.CRC32C(data)); !r.OK() || r.Stored != "m.txt" {
		t.Fatalf("the only chunk: %+v", r)
	}

	objectCalls := callCounts(t, m, "hoist_object_store_request_duration_seconds")
	for _, op := range []string{"head_bucket", "put_object", "create_multipart_upload", "upload_part", "list_parts", "complete_multipart_upload"} {
		if objectCalls[op] == 0 {
			t.Errorf("no %s call recorded; object store calls: %v", op, objectCalls)
		}
	}
	metaCalls := callCounts(t, m, "hoist_metadata_request_duration_seconds")
	for _, op := range []string{"create_upload", "mark_held", "complete_files", "reserve_name"} {
		if metaCalls[op] == 0 {
			t.Errorf("no %s call recorded; database calls: %v", op, metaCalls)
		}
	}
	if objectCalls["other"] != 0 || metaCalls["other"] != 0 {
		t.Errorf("calls recorded as other: object store %v, database %v", objectCalls["other"], metaCalls["other"])
	}
	for _, name := range []string{"hoist_object_store_errors_total", "hoist_metadata_errors_total"} {
		for op, n := range callCounts(t, m, name) {
			if n != 0 {
				t.Errorf("%s{operation=%q} = %v after a clean upload", name, op, n)
			}
		}
	}

	// A bucket deleted under a running store: recording an upload's
	// layout fails.
	gone := gw.NewBucket(t)
	broken, err := s3store.New(t.Context(), s3store.Options{
		Bucket: gone, Endpoint: gw.Endpoint, PathStyle: true, Names: ps, Calls: m.ObjectStoreCalls(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gw.Client().DeleteBucket(t.Context(), &s3.DeleteBucketInput{Bucket: aws.String(gone)}); err != nil {
		t.Fatal(err)
	}
	u := &store.Upload{FID: uuid.New(), Owner: "alice", ChunkSize: s3store.MinPartSize, Created: time.Now(),
		Files: []store.FileInfo{{Name: "f", Size: 10}}}
	if err := broken.CreatePartials(t.Context(), u); err == nil {
		t.Fatal("writing to a deleted bucket succeeded")
	}
	if got := callCounts(t, m, "hoist_object_store_errors_total")["put_object"]; got != 1 {
		t.Errorf("hoist_object_store_errors_total{operation=\"put_object\"} = %v after one failed PutObject, want 1", got)
	}

	// The database's pool closed: creating an upload fails.
	ps.Close()
	if err := ps.CreateUpload(t.Context(), u, 0); err == nil || errors.Is(err, store.ErrExists) {
		t.Fatalf("CreateUpload on a closed pool: %v, want a failure", err)
	}
	if got := callCounts(t, m, "hoist_metadata_errors_total")["create_upload"]; got != 1 {
		t.Errorf("hoist_metadata_errors_total{operation=\"create_upload\"} = %v after one failed CreateUpload, want 1", got)
	}
}
