package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/goleak"

	"github.com/hoist-dev/hoist/transfer/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// get returns the status and body of GET url.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	c.CloseIdleConnections()
	return resp.StatusCode, string(b)
}

// TestEndpointHealthReadinessAndLabels serves the registry on a real
// listener: unknown codes and reasons become "other", /readyz follows the
// ready function and Drain, and Shutdown stops the server goroutine.
func TestEndpointHealthReadinessAndLabels(t *testing.T) {
	m := New()
	m.ConnectionRefused("some new reason")
	m.ConnectionRefused(server.RefusedMemory)
	m.Responded("x-unknown", -1, time.Time{})
	m.Responded("corrupt", -1, time.Time{})
	m.Authenticated("unauthorized")

	var failing atomic.Bool
	ep, err := Listen("127.0.0.1:0", m.Registry(), func(context.Context) error {
		if failing.Load() {
			return errors.New("metadata unreachable")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- ep.Serve() }()
	base := "http://" + ep.Addr().String()

	code, body := get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	values := map[string]float64{}
	for _, fam := range []string{"hoist_connections_refused_total", "hoist_responses_total", "hoist_authentications_total"} {
		for _, s := range fams[fam].GetMetric() {
			values[fam+"/"+s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
		}
	}
	for key, want := range map[string]float64{
		"hoist_connections_refused_total/other":         1,
		"hoist_connections_refused_total/memory":        1,
		"hoist_connections_refused_total/shutting_down": 0,
		"hoist_responses_total/other":                   1,
		"hoist_responses_total/corrupt":                 1,
		"hoist_responses_total/busy":                    0,
		"hoist_authentications_total/unauthorized":      1,
	} {
		if got, ok := values[key]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", key, got, ok, want)
		}
	}

	if code, _ := get(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz while ready: %d", code)
	}
	failing.Store(true)
	if code, body := get(t, base+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "metadata unreachable") {
		t.Errorf("/readyz while storage fails: %d %q", code, body)
	}
	failing.Store(false)
	ep.Drain()
	if code, _ := get(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz after Drain: %d", code)
	}
	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz after Drain: %d", code)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ep.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
}
