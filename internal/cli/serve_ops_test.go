package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeMetricsFromConfigAndEnv sets the metrics listener in the config
// file and the log format in the environment: the in-process server
// serves /metrics and /readyz, logs JSON, and leaves no goroutine behind
// once stopped (TestMain checks with goleak).
func TestServeMetricsFromConfigAndEnv(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.writeConfig("[serve]\nroot = \"~/srv\"\nmetrics_listen = \"127.0.0.1:0\"\n")
	s.vars["HOIST_LOG_FORMAT"] = "json"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- Run(ctx, s.env(&stdout, &stderr), []string{"serve", "--listen", "127.0.0.1:0"}) }()
	metricsURL := strings.TrimSpace(stderr.await(t, "hoist: metrics on ", 30*time.Second))
	stderr.await(t, "hoist: listening on ", 30*time.Second)
	base := strings.TrimSuffix(metricsURL, "/metrics")

	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	get := func(url string) (int, string) {
		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(metricsURL); code != http.StatusOK || !strings.Contains(body, "hoist_connections_open 0") {
		t.Errorf("/metrics: %d\n%s", code, body)
	}
	if code, _ := get(base + "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz: %d", code)
	}
	client.CloseIdleConnections()

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("hoist serve: exit %d\n%s", code, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("hoist serve did not stop within a minute of being cancelled")
	}
	if _, err := client.Get(base + "/healthz"); err == nil {
		t.Error("the metrics listener still answers after serve returned")
	}
	records := 0
	for line := range strings.SplitSeq(strings.TrimSpace(stderr.String()), "\n") {
		if strings.HasPrefix(line, "hoist: ") {
			continue // announcements
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %s", line)
		}
		records++
	}
	if records < 2 {
		t.Errorf("%d JSON log records, want the start and stop at least:\n%s", records, stderr.String())
	}
}
