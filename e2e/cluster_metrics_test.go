package e2e

import "testing"

// TestClusterMetricsCountBackendCalls: `hoist serve --metrics-listen` on
// the cluster backends reports the object-store and database calls an
// upload through it makes, by operation, and no failures.
func TestClusterMetricsCountBackendCalls(t *testing.T) {
	c := startCluster(t, "--metrics-listen", "127.0.0.1:0")
	path, _ := randomFile(t, t.TempDir(), "m.bin", 6<<20, 300)
	runHoist(t, "send", "--server", c.a.URL, "--token-file", c.token, path)
	fams := scrape(t, metricsBase(t, c.a))
	for _, op := range []string{"head_bucket", "put_object", "upload_part", "complete_multipart_upload"} {
		if n := metricValue(t, fams, "hoist_object_store_request_duration_seconds", "operation", op); n == 0 {
			t.Errorf("no %s call counted", op)
		}
		wantMetric(t, fams, 0, "hoist_object_store_errors_total", "operation", op)
	}
	for _, op := range []string{"create_upload", "mark_held", "complete_files", "reserve_name"} {
		if n := metricValue(t, fams, "hoist_metadata_request_duration_seconds", "operation", op); n == 0 {
			t.Errorf("no %s call counted", op)
		}
		wantMetric(t, fams, 0, "hoist_metadata_errors_total", "operation", op)
	}
}
